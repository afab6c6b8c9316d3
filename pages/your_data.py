"""Your own data: upload an .npz, .csv or .zip of images; it is checked, scaled and split like the built-in sets."""

import html
import logging
import re

import numpy as np
import streamlit as st

from aecore import figures, uploads
from aecore.config import DataConfig
from aecore.data import DATASETS
from ui import runtime_fixes, state

runtime_fixes.run_pages_through_app()

log = logging.getLogger("aelab.uploads")
FILE_KEY = "your_data_file"
GENERATION_KEY = "your_data_uploader_generation"  # bumped by Remove: a new key gives an empty uploader
ERROR_KEY = "your_data_error"  # (file_id, message) of the last refused upload
LOADED_KEY = "your_data_loaded"  # name of the last upload that loaded


_MARKUP = re.compile(r"([\\`*_{}\[\]()#!<>|~$:.&^=+])")


def _as_text(value: object, limit: int = 60) -> str:
    """A user-supplied string (file, member or class name) for a markdown element: cut, one line, every
    markdown, link, HTML and Streamlit directive character escaped, so it shows as typed and never as markup."""
    text = " ".join(str(value).split())
    if len(text) > limit:
        text = text[:limit - 1] + "…"
    return _MARKUP.sub(r"\\\1", text)


def _uploader_key() -> str:
    generation = st.session_state.get(GENERATION_KEY, 0)
    return FILE_KEY if generation == 0 else f"{FILE_KEY}_{generation}"


def _limit_mb() -> int:
    return int(st.get_option("server.maxUploadSize"))


def _unique_name(filename: str, ident: str, existing: dict) -> str:
    name, n = filename, 1
    stem, dot, ext = filename.rpartition(".")
    while name in existing and existing[name].upload_id != ident or name in DATASETS:
        n += 1
        name = f"{stem} ({n}).{ext}" if dot else f"{filename} ({n})"
    return name


def _on_upload(key: str) -> None:
    """Runs before the script (a widget callback), so it may select the new data set in the sidebar."""
    file = st.session_state.get(key)
    st.session_state[ERROR_KEY] = None
    st.session_state[LOADED_KEY] = None
    if file is None:
        return
    limit = _limit_mb()
    if file.size > limit * 2**20:  # the browser refuses these first; this guards every other client
        st.session_state[ERROR_KEY] = (file.file_id, f"'{file.name[:60]}' is {file.size / 2**20:.1f} MB: the limit is "
                                       f"{limit} MB per file. Upload fewer or smaller images. "
                                       f"{uploads.ACCEPTED['any']}")
        return
    existing = st.session_state.setdefault(state.UPLOADS, {})
    data = file.getvalue()
    ident = uploads.upload_id(data)
    same = next((u for u in existing.values() if u.upload_id == ident), None)
    try:
        upload = same or uploads.parse_upload(file.name, data, name=_unique_name(file.name, ident, existing))
    except uploads.UploadError as exc:
        st.session_state[ERROR_KEY] = (file.file_id, str(exc))
        return
    except Exception as exc:  # a bug in a parser must still leave the app usable, with a message
        log.exception("upload %r could not be parsed", file.name)
        st.session_state[ERROR_KEY] = (file.file_id, f"'{file.name[:60]}' could not be read ({type(exc).__name__}). "
                                       f"{uploads.ACCEPTED['any']}")
        return
    existing[upload.name] = upload
    st.session_state["sidebar_dataset"] = upload.name
    st.session_state[LOADED_KEY] = upload.name


def _remove(name: str) -> None:
    removed = st.session_state.get(state.UPLOADS, {}).pop(name, None)
    file = st.session_state.get(_uploader_key())
    if removed is not None and file is not None and uploads.upload_id(file.getvalue()) == removed.upload_id:
        # The uploader still shows the removed file: a widget under a new key starts empty.
        st.session_state[GENERATION_KEY] = st.session_state.get(GENERATION_KEY, 0) + 1
        st.session_state[ERROR_KEY] = None
    if st.session_state.get("sidebar_dataset") == name:
        st.session_state["sidebar_dataset"] = DataConfig().name
    if st.session_state.get(LOADED_KEY) == name:
        st.session_state[LOADED_KEY] = None


def _selected_label() -> str:
    name = st.session_state.get("sidebar_dataset", DataConfig().name)
    return DATASETS[name].label if name in DATASETS else f"{_as_text(name)} (your upload)"


def _preview(upload: uploads.Upload) -> None:
    """Up to two examples of each of the first ten classes, from the training split."""
    dataset = upload.dataset
    picks, captions = [], []
    for c in range(min(len(dataset.class_names), 10)):
        idx = np.flatnonzero(dataset.y_train == c)[:2]
        picks.extend(idx.tolist())
        captions.extend([html.escape(dataset.class_names[c][:10])] * len(idx))  # plotly text takes HTML tags
    picks, captions = picks[:12], captions[:12]
    if not picks:
        return
    images = figures.as_images(dataset.x_train[picks], dataset.sample_shape)
    title = f"examples from '{html.escape(upload.name[:40])}' (training split), with labels"
    st.plotly_chart(figures.image_grid([images], [title], [captions], image_px=70),
                    key=f"your_data_preview_{upload.upload_id}")


st.title("Your own data")
st.markdown(
    "Train the autoencoders on **your own images**. Upload one file; it is checked, scaled to pixels between "
    "0 and 1 and split into training, validation and test images like the built-in sets, then selected in "
    "the sidebar, so every page works on it.\n\n"
    "- **.zip** of PNG or JPEG images, **one folder per class** (`shoes/…png`, `bags/…png`): the folder "
    "name becomes the label. Colour images become grey; images of another size are resized to the most "
    f"common size, and images larger than {uploads.MAX_SIDE}×{uploads.MAX_SIDE} are shrunk.\n"
    "- **.csv** with **one image per row** (e.g. 784 values for 28×28), numbers 0–255 or 0–1, optionally a "
    "header row and a label column named `label`.\n"
    "- **.npz** (`numpy.savez`) with an image array `x` of shape (n, height, width) and optionally labels `y`.\n\n"
    f"Limits: {_limit_mb()} MB per file, {uploads.LIMITS_TEXT}. Trained models (.keras) are **not** accepted: "
    "a model file can run code when it is loaded, and this app only trains its own models."
)
st.caption("Privacy: your file stays in the memory of this browser session only. It is never written to disk, "
           "other students cannot see it or the models trained on it, and it is gone when you close the tab.")

uploader_key = _uploader_key()
uploaded = st.file_uploader("Upload a data set (.zip, .csv or .npz)", type=list(uploads.EXTENSIONS), key=uploader_key,
                            on_change=_on_upload, args=(uploader_key,),
                            help="One file at a time. The data set you have selected stays selected if the file "
                                 "is refused.")
error = st.session_state.get(ERROR_KEY)
if error is not None and uploaded is not None and error[0] == uploaded.file_id:
    st.error(f"{_as_text(error[1], limit=1500)}\n\nNothing changed: the sidebar still uses **{_selected_label()}**.",
             icon=":material/block:")

my_uploads = st.session_state.get(state.UPLOADS, {})
loaded = st.session_state.get(LOADED_KEY)
if loaded in my_uploads and uploaded is not None and (error is None or error[0] != uploaded.file_id):
    upload = my_uploads[loaded]
    st.success(f"Loaded **{_as_text(upload.name)}**: {upload.dataset.summary()}. It is now selected in the sidebar: "
               "press **Train**.", icon=":material/check_circle:")
    for note in upload.notes:
        st.caption(f"Note: {_as_text(note, limit=400)}")

if my_uploads:
    st.subheader("Your uploads in this session")
    for name, upload in list(my_uploads.items()):
        with st.container(border=True):
            left, right = st.columns([5, 1])
            selected = st.session_state.get("sidebar_dataset") == name
            classes = ", ".join(_as_text(c, limit=30) for c in upload.dataset.class_names[:10])
            left.markdown(f"**{_as_text(name)}**{' · selected in the sidebar' if selected else ''}  \n"
                          f"{upload.dataset.summary()} · {upload.size_bytes / 1024:,.0f} KB · "
                          f"classes: {classes}{'…' if len(upload.dataset.class_names) > 10 else ''}")
            right.button("Remove", key=f"your_data_remove_{upload.upload_id}", on_click=_remove, args=(name,),
                         help="Forget this data set (models trained on it stay until you train another).")
            if selected or (name == loaded and len(my_uploads) == 1):
                _preview(upload)
else:
    st.info("No uploads yet. Try it: zip a folder of PNG images with one sub-folder per class, and drop the zip "
            "above.")
