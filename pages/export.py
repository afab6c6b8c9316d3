"""Export and share: a link to these settings, the trained model, its codes, figures, a script and a lesson
bundle (all of it in one .zip, with a notebook that retrains the same model)."""

from urllib.parse import urlencode

import numpy as np
import streamlit as st

from aecore import bundle, drawing, export
from aecore.figures import drawing as drawing_figures
from ui import links, runtime_fixes, safe_text, shared, state, training

runtime_fixes.run_pages_through_app()

st.title("Export and share")

st.subheader("A link to these settings")
url = links.share_url()
st.code(url, language=None, wrap_lines=True)
st.caption("Copy it with the button at the right of the box. Opening it restores every sidebar setting and this "
           "page; when a model with exactly these settings is in the model cache, **Train** loads it at once "
           "instead of training.")
if links.names_upload(state.current_experiment()):
    st.info(f"Your upload stays in this session only, so the link leaves it out: whoever opens it gets these "
            f"settings on the built-in data set **{links.base_experiment(None).data.name}**.",
            icon=":material/lock:")
presenter_url = links.share_url(presenter=True)
st.link_button("Open in presenter mode (for a projector)", presenter_url, icon=":material/co_present:")

result = training.require_result(final="Downloading the model, its codes, figures and lesson bundle")
experiment = result.experiment
dataset = state.dataset_or_error(experiment.data)
if dataset is None:
    st.stop()
stem = f"autoencoder-{experiment.model.kind}-code{experiment.model.code_size}-{experiment.key()[:8]}"


def _test_codes() -> np.ndarray:
    """Once per trained model for the whole server (an upload's model: per session)."""
    return shared.derive("export_codes", (state.model_id(result),),
                         lambda: result.encode(dataset.x_test).reshape(len(dataset.x_test), -1),
                         data=experiment.data)


def _model_file() -> bytes:
    with result._lock:  # Keras models are not thread-safe; the download runs in its own thread
        return export.model_bytes(result.model)


st.subheader("Downloads")
st.markdown(f"The model on display: **{experiment.model.kind}**, code of **{experiment.model.code_size}** numbers, "
            f"trained on **{safe_text.plain(dataset.name)}** (test MSE {result.test_mse:.4f}).")
cols = st.columns(3)
with cols[0]:
    st.download_button("Model (.keras)", _model_file, file_name=f"{stem}.keras", mime="application/octet-stream",
                       icon=":material/neurology:", key="export_model", on_click="ignore",
                       help="The whole autoencoder: load it with keras.saving.load_model(path) "
                            "(import aecore.models first: it registers the custom layers).")
with cols[1]:
    codes = _test_codes()
    # the file is written when it is asked for, not on every rerun
    st.download_button("Codes of the test set (.csv)",
                       lambda: export.codes_csv(codes, dataset.y_test, dataset.class_names),
                       file_name=f"{stem}-test-codes.csv", mime="text/csv", icon=":material/table:",
                       key="export_codes_csv", on_click="ignore",
                       help=f"{len(codes):,} rows: test image index, label, then the {codes.shape[1]} code numbers.")
with cols[2]:
    uploads = st.session_state.get(state.UPLOADS, {})
    upload = uploads.get(experiment.data.name) if experiment.data.upload_id else None
    script = export.reproduce_script(experiment, getattr(upload, "filename", None))
    st.download_button("Python script (.py)", script, file_name="reproduce_autoencoder.py", mime="text/x-python",
                       icon=":material/code:", key="export_script", on_click="ignore",
                       help="Trains the same model again with aecore, outside the app.")

bundle_link = url.split("?", 1)[0]
if bundle_params := links.to_params(experiment):  # the link to the model on display, not to the sidebar
    bundle_link += "?" + urlencode(bundle_params)


def _bundle_file() -> bytes:
    return bundle.build_bundle(result, dataset, bundle_link, getattr(upload, "filename", None))


st.download_button("Lesson bundle (.zip)", _bundle_file, file_name=bundle.bundle_name(experiment),
                   mime="application/zip", icon=":material/folder_zip:", key="export_bundle", on_click="ignore",
                   help="Everything that reproduces this run: settings.json and the share link (settings and "
                        "seed), the model, the test codes, the figures as images, the script and a notebook that "
                        "loads the model, draws the figures and retrains it with the same seed to the same test "
                        "MSE. Packing takes several seconds: rendering the two figures as images is most of it.")

with st.expander("The script", expanded=not links.presenter_mode()):
    st.code(script, language="python")
    if experiment.data.upload_id:
        st.caption("This model was trained on your upload: the script reads the same file again.")

def _figure(name: str):
    if name == "Loss curves":
        return bundle.loss_figure(result.history, experiment, result.best_epoch)
    if name == "Reconstructions":
        return bundle.reconstruction_figure(dataset.x_test, result.test_reconstruction)
    plane = drawing.LatentPlane(codes)
    return drawing_figures.latent_map(plane.transform(codes), dataset.y_test, dataset.class_names,
                                      plane.axis_titles, title="Codes of the test images")


st.subheader("Figures")


@st.fragment
def figures_part() -> None:
    """Picking a figure reruns its preview and downloads only (st.fragment), not the page or the sidebar."""
    choices = ["Loss curves", "Code map (test set)"]
    if dataset.is_image and len(dataset.sample_shape) == 2:
        choices.insert(1, "Reconstructions")
    picked = st.selectbox("Figure", choices, key="export_figure")
    fig = shared.derive("export_figures", (state.model_id(result), picked), lambda: _figure(picked),
                        data=experiment.data)
    st.plotly_chart(fig, key="export_preview")
    slug = picked.lower().split(" (")[0].replace(" ", "-")
    fig_cols = st.columns(2)
    fig_cols[0].download_button("Interactive HTML", lambda: export.figure_html(fig), file_name=f"{stem}-{slug}.html",
                                mime="text/html", icon=":material/html:", key="export_html", on_click="ignore",
                                help="Opens in any browser, zoom and hover included, no internet needed "
                                     "(plotly.js is inside the file).")
    if export.png_available():
        fig_cols[1].download_button("Image (PNG)", lambda: export.figure_png(fig), file_name=f"{stem}-{slug}.png",
                                    mime="image/png", icon=":material/image:", key="export_png", on_click="ignore",
                                    help="Rendered by plotly's exporter in a headless Chromium: a few seconds.")
    else:
        fig_cols[1].caption("PNG export needs the kaleido package and Chromium on the server; the HTML file works "
                            "everywhere.")


figures_part()
