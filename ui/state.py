"""Session-wide keys and the glue between widgets, configurations and jobs.

Every session-state key the app uses across pages is defined here, but the sidebar settings' own keys,
which are in the settings table (ui.settings).
"""

from __future__ import annotations

import dataclasses
import threading
from collections import OrderedDict
from typing import Any, Callable, Hashable

import streamlit as st

from aecore.config import DataConfig, Experiment
from aecore.data import DATASETS, Dataset, DatasetUnavailable, load_dataset
from ui import settings
from ui.safe_text import plain, shorten

# Session-wide keys (the sidebar's settings have theirs in ui.settings).
JOB = "ae_job"  # the Job of the model this session trains or shows
SEEN_STATUS = "ae_job_seen_status"  # last job status the page was drawn with
UPLOADS = "ae_uploads"  # name -> aecore.uploads.Upload (.dataset, .upload_id): this session's uploads
SESSION_ID = "ae_session_id"  # overrides the runtime's session id (AppTest gives every instance the same one)
PRESET = "sidebar_preset"  # the lesson preset selectbox: a key of aecore.presets, or "custom"
PRESENTER = "sidebar_presenter"  # presenter-mode toggle (also ?present=1 in the URL)
URL_RESTORED = "links_url_restored"  # the link this session was opened with has been read
AUTOLOAD = "links_autoload"  # a link was opened or a preset chosen: show its model if the disk cache has it
MEMO = "ae_memo"  # store name -> OrderedDict of derived results (see memo)


def init_session() -> None:
    """Give every sidebar widget its default once per session."""
    for key, value in settings.default_values().items():
        st.session_state.setdefault(key, value)
    st.session_state.setdefault(UPLOADS, {})


def current_experiment() -> Experiment:
    """The experiment the sidebar describes right now."""
    data_name = st.session_state.get(settings.DATASET.key, DataConfig.name)
    upload = st.session_state.get(UPLOADS, {}).get(data_name)
    return settings.experiment_from(st.session_state, upload.upload_id if upload is not None else "")


def changed_fields(old: Experiment, new: Experiment) -> list[str]:
    """Human names of the settings that differ between two experiments."""
    names = []
    for section in dataclasses.fields(old):
        a, b = getattr(old, section.name), getattr(new, section.name)
        for f in dataclasses.fields(a):
            if getattr(a, f.name) != getattr(b, f.name):
                names.append(f.name.replace("_", " "))
    return names


def model_id(result) -> tuple:
    """What identifies a trained model for caching what is derived from it (its training time tells two
    trainings of the same settings apart)."""
    return (result.experiment.key(), result.epochs_run, result.best_epoch, result.stopped, result.seconds)


def memo(store: str, key: tuple[Hashable, ...], compute: Callable[[], Any], max_entries: int = 32) -> Any:
    """This session's memo of a result derived from a trained model or data set (figures, reconstructions,
    scores), so a rerun for an unrelated widget does not redo it. Never for training.

    ``key`` must hold everything the result depends on (model_id(result), data key, settings; objects such
    as jobs compare by identity and stay alive while their entry does). Each ``store`` keeps its
    ``max_entries`` most recently used entries; an exception in ``compute`` is raised and nothing kept.
    """
    entries = st.session_state.setdefault(MEMO, {}).setdefault(store, OrderedDict())
    if key in entries:
        entries.move_to_end(key)
        return entries[key]
    value = compute()
    entries[key] = value
    while len(entries) > max_entries:
        entries.popitem(last=False)
    return value


def session_id() -> str:
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    if ctx is None:
        return "no-session"
    return st.session_state.get(SESSION_ID) or ctx.session_id


def get_dataset(cfg: DataConfig) -> Dataset:
    """The session's data set for ``cfg``: an upload of this session, or a registered set.

    Raises ``DatasetUnavailable`` with a message for the user.
    """
    uploads = st.session_state.get(UPLOADS, {})
    if cfg.name in uploads:
        return uploads[cfg.name].dataset
    if cfg.name not in DATASETS:
        raise DatasetUnavailable(f"The data set '{shorten(cfg.name)}' is not available in this session any more.")
    return load_dataset(cfg)


def dataset_or_error(cfg: DataConfig) -> Dataset | None:
    """Load the data set, or show one clear error and return None."""
    try:
        return get_dataset(cfg)
    except DatasetUnavailable as exc:
        st.error(plain(str(exc), limit=None))  # a plain-text message that may hold a file or set name
        return None


_tf_ready = threading.Event()
_tf_started = threading.Lock()
_tf_thread: list[threading.Thread] = []


def warm_up_tensorflow() -> None:
    """Import TensorFlow in the background once per process, so the first page paints at once."""
    with _tf_started:
        if _tf_thread:
            return

        from aecore.runtime import import_modules_drawing_code_probes, import_tensorflow

        import_modules_drawing_code_probes()  # here, in the script thread, not half-done by the warm-up's import

        def load():
            import_tensorflow()  # one thread at a time: the job workers import it through the same lock
            _tf_ready.set()
            compile_default_step()

        thread = threading.Thread(target=load, name="aelab-tf-warmup", daemon=True)
        thread.start()
        _tf_thread.append(thread)


def compile_default_step() -> None:
    """Compile the default model's training step once per process, before a student asks for it (as a Dask
    worker's preload does): the class's first default model then skips the trace and XLA compile."""
    from aecore.train import compile_default_training_step

    compile_default_training_step()  # offline without the data set: logged, and the first training says what to do


def tensorflow_ready() -> bool:
    return _tf_ready.is_set()
