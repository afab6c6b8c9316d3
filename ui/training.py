"""Start, stop and watch the session's training job; hand its result to the pages."""

from __future__ import annotations

import numpy as np
import streamlit as st

from aecore import cache, figures, jobs
from aecore.config import LOSS_LABELS, Experiment
from aecore.data import Dataset
from ui import state

POLL_SECONDS = 0.5
# A tab disconnected this long is closed (a reload or a network blip reconnects well within it).
CLOSED_TAB_GRACE = 5.0


def _train_fn(experiment: Experiment, dataset: Dataset):
    def run(report, cancel):
        from aecore.train import train_autoencoder

        result = train_autoencoder(experiment, dataset, progress=report, cancel=cancel)
        # Every later session (and the next server start) loads it instead of training again. The cache
        # itself refuses partial models and anything trained on an upload.
        cache.default_cache().save(result)
        return result

    return run


def _load_fn(experiment: Experiment):
    def load(report, cancel):
        return cache.default_cache().load(experiment)

    return load


def in_disk_cache(experiment: Experiment, owner: str | None) -> bool:
    """Whether a model for ``experiment`` can be loaded from the disk cache (never for a private job)."""
    return owner is None and cache.default_cache().contains(experiment)


def submit_experiment(experiment: Experiment, dataset: Dataset, label: str, owner: str | None,
                      estimate: float | None = None) -> jobs.Job:
    """Queue ``experiment`` for this session: loaded from the disk cache when it was trained before,
    otherwise trained (and then saved for everyone)."""
    return jobs.default_queue().submit(
        experiment.key(), _train_fn(experiment, dataset), label=label, owner=owner,
        estimate_seconds=estimate if estimate is not None else estimate_seconds(experiment, dataset),
        session=state.session_id(), quick=_load_fn(experiment) if in_disk_cache(experiment, owner) else None)


def estimate_seconds(experiment: Experiment, dataset: Dataset) -> float:
    """A rough guess used for queue waits before anything has been measured."""
    return 0.25 * experiment.train.epochs * max(dataset.n_train, 1) / 3600 + 4


def start_training(experiment: Experiment) -> None:
    """Validate and queue the sidebar's experiment; errors become one st.error.

    The same settings trained before (by anyone, unless on an upload) come from the memory or the disk
    cache; the same settings training right now for another session are shared: this session attaches
    to that job and watches its progress.
    """
    job = st.session_state.get(state.JOB)
    if job is not None and job.active and job.key != experiment.key():
        st.sidebar.warning("A model is still training. Press **Stop** first, then **Train** again.")
        return
    dataset = state.dataset_or_error(experiment.data)
    if dataset is None:
        return
    try:
        experiment.validate_for(dataset)
    except ValueError as exc:
        st.sidebar.error(f"Cannot train with these settings: {exc}")
        return
    owner = state.session_id() if experiment.data.upload_id else None  # uploads: private to this session
    job = submit_experiment(experiment, dataset, experiment.model.kind, owner)
    st.session_state[state.JOB] = job
    st.session_state[state.SEEN_STATUS] = None
    watch_sessions()


def stop_training() -> None:
    """Stop this session's job; a job other sessions also watch keeps running for them."""
    job = st.session_state.get(state.JOB)
    if job is None or not job.active:
        return
    others = len(job.attached - {state.session_id()})
    if jobs.default_queue().cancel(job, session=state.session_id()):
        return
    # Shared with other sessions: this one stops watching, the training goes on for the others.
    st.session_state[state.JOB] = None
    st.session_state[state.SEEN_STATUS] = None
    st.sidebar.info(f"You stopped watching. The same model is still training for {others} other "
                    f"session{'s' if others != 1 else ''}; press **Train** to watch it again.")


_watcher: list[jobs.SessionWatcher] = []


def _is_connected(session: str) -> bool | None:
    """Whether a session's browser tab is connected to this server (None without a server, e.g. AppTest)."""
    from streamlit.runtime import Runtime

    if not Runtime.exists():
        return None
    # A closed tab's websocket closes at once and the runtime marks the session inactive (measured with
    # Streamlit 1.67: see benchmarks/results/classroom.md); it lingers disconnected for its TTL.
    return Runtime.instance().is_active_session(session)


def watch_sessions() -> None:
    """Start (once per process) the thread that cancels jobs whose sessions all closed their tabs."""
    from streamlit import config

    if not _watcher:
        ttl = float(config.get_option("server.disconnectedSessionTTL") or 60)
        _watcher.append(jobs.SessionWatcher(jobs.default_queue(), _is_connected, grace=CLOSED_TAB_GRACE,
                                            forget_after=max(ttl, CLOSED_TAB_GRACE)))
    _watcher[0].start()


def current_job() -> jobs.Job | None:
    return st.session_state.get(state.JOB)


def current_result():
    """The trained model this session shows (a finished or stopped job's result), else None."""
    job = current_job()
    if job is None or job.result is None:
        return None
    return job.result


def require_result():
    """The session's trained model, or an explanation and a stop of the page."""
    result = current_result()
    if result is None:
        job = current_job()
        if job is not None and job.active:
            st.info("A model is training: this page fills in when it is done. Progress is in the sidebar.")
        else:
            st.info("No model yet. Choose settings in the sidebar and press **Train** (the defaults train in "
                    "about 10 seconds).")
        st.stop()
    outdated_warning(result.experiment)
    return result


def outdated_warning(trained: Experiment) -> None:
    changed = state.changed_fields(trained, state.current_experiment())
    if changed:
        st.warning(f"The sidebar changed since this model was trained ({', '.join(changed)}). The pages still "
                   "show the trained model; press **Train** to train one with the new settings.", icon="⚠️")


def _status_line(job: jobs.Job) -> str:
    if job.status == jobs.LOADING:
        return "Loading the trained model from the cache…"
    if job.status == jobs.QUEUED:
        queue = jobs.default_queue()
        ahead = queue.position(job)
        return (f"Waiting in the queue: {ahead} job{'s' if ahead != 1 else ''} ahead of yours, "
                f"about {queue.wait_estimate(job):.0f} s.")
    others = len(job.attached - {state.session_id()})
    shared = f" · shared with {others} other session{'s' if others != 1 else ''}" if others else ""
    report = job.latest
    if report is None:
        starting = "building the model" if state.tensorflow_ready() else "loading TensorFlow"
        return f"Starting: {starting}…{shared}"
    return (f"Epoch {report.epoch} of {report.epochs} · loss {report.logs.get('loss', float('nan')):.4f} · "
            f"about {report.seconds_left():.0f} s left{shared}")


def _progress_fraction(job: jobs.Job) -> float:
    report = job.latest
    return 0.0 if report is None else min(report.epoch / max(report.epochs, 1), 1.0)


def sidebar_status() -> None:
    """Compact progress in the sidebar, polling while a job runs; reruns the app when it ends."""
    job = current_job()
    active = job is not None and job.active

    @st.fragment(run_every=POLL_SECONDS if active else None)
    def status():
        job = current_job()
        if job is None:
            if not state.tensorflow_ready():
                st.caption("Loading TensorFlow in the background…")
            return
        if job.active:
            st.progress(_progress_fraction(job), text=_status_line(job))
        elif st.session_state.get(state.SEEN_STATUS) != job.status:
            st.session_state[state.SEEN_STATUS] = job.status
            st.rerun()  # the job ended: redraw the whole page with its result
        else:
            show_job_outcome(job, st)

    status()


def show_job_outcome(job: jobs.Job, where=st) -> None:
    """One line saying how the job ended."""
    if job.status == jobs.FAILED:
        where.error(job.error or "Training failed.")
    elif job.result is not None:
        result = job.result
        text = f"{result.message} Test MSE {result.test_mse:.4f}, PSNR {result.test_psnr:.1f} dB."
        if job.from_cache:
            text = ("Loaded from the cache: these exact settings were trained before, so nothing was trained "
                    f"again. {text}")
        elif job.submitter not in (None, state.session_id()):
            text = f"Shared: another session asked for these exact settings, so it was trained once. {text}"
        (where.warning if job.status == jobs.CANCELLED else where.success)(text)
    elif job.status == jobs.CANCELLED:
        where.info(job.error or "Stopped before the first epoch finished: there is no model yet.")


def live_training_view(dataset: Dataset | None) -> None:
    """Full training view: progress, live loss curves, test reconstructions refreshed each epoch."""
    job = current_job()
    active = job is not None and job.active

    @st.fragment(run_every=POLL_SECONDS if active else None)
    def view():
        job = current_job()
        if job is None:
            st.info("Press **Train** in the sidebar to train the model described there.")
            return
        if job.active:
            st.progress(_progress_fraction(job), text=_status_line(job))
        else:
            show_job_outcome(job)
        reports = list(job.reports)
        result = job.result
        experiment = result.experiment if result is not None else None
        history = result.history if result is not None else {
            key: [r.logs.get(key) for r in reports if key in r.logs] for key in ("loss", "val_loss")}
        loss_name = LOSS_LABELS.get((experiment.model.loss if experiment else "mse"), "loss")
        left, right = st.columns([3, 2])
        with left:
            if any(history.values()):
                st.plotly_chart(figures.loss_curves(history, loss_label=loss_name.lower(),
                                                    best_epoch=result.best_epoch if result else None,
                                                    title="Loss per epoch (lower is better)"),
                                key="training_loss_chart")
            if loss_name.startswith("Binary"):
                st.caption("Binary cross-entropy cannot reach 0 on MNIST (its floor is about 0.06, the entropy "
                           "of the grey pixels), so judge the model by MSE and PSNR.")
        with right:
            preview = result.test_reconstruction[:8] if result is not None else (
                reports[-1].preview if reports and reports[-1].preview is not None else None)
            if preview is not None and dataset is not None and dataset.is_image:
                originals = dataset.x_test[: len(preview)]
                st.plotly_chart(figures.image_grid(
                    [figures.as_images(originals), figures.as_images(np.clip(preview, 0, 1))],
                    ["test images", "reconstructions (this epoch)" if result is None else "reconstructions"],
                    image_px=60), key="training_preview")
        if result is not None:
            cols = st.columns(4)
            cols[0].metric("Test MSE", f"{result.test_mse:.4f}")
            cols[1].metric("Test PSNR", f"{result.test_psnr:.1f} dB")
            cols[2].metric("Train MSE", f"{result.train_mse:.4f}")
            cols[3].metric("Training time", f"{result.seconds:.1f} s",
                           help=f"{result.samples_per_second:,.0f} images per second")

    view()
