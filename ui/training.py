"""Start, stop and watch the session's training job; hand its result to the pages."""

from __future__ import annotations

import numpy as np
import streamlit as st

from aecore import figures, jobs, trained
from aecore.config import LOSS_LABELS, Experiment
from aecore.data import Dataset
from ui import shared, state
from ui.safe_text import plain

POLL_SECONDS = 0.5
# The id of the running job a page was drawn waiting for (no epoch done yet): the sidebar's status redraws the
# page once when its first epoch's model is there.
AWAITING_EPOCH = "ae_awaiting_first_epoch"
# A tab disconnected this long is closed (a reload or a network blip reconnects well within it).
CLOSED_TAB_GRACE = 5.0


def submit_experiment(experiment: Experiment, dataset: Dataset, label: str, owner: str | None,
                      estimate: float | None = None) -> jobs.Job:
    """Queue ``experiment`` for this session: loaded from the disk cache when it was trained before,
    otherwise trained (and then saved for everyone). Its time is estimated from the machine's measured
    speed; a training over the teacher's time limit comes back refused (``job.refused``)."""
    return jobs.default_queue().submit(
        experiment.key(), trained.train_job(experiment, dataset), label=label, owner=owner,
        estimate_seconds=estimate if estimate is not None else estimate_seconds(experiment, dataset),
        session=state.session_id(), quick=trained.load_job(experiment) if trained.on_disk(experiment, owner) else None,
        epoch_work=epoch_work(experiment, dataset), epochs=experiment.train.epochs, about=experiment)


# Nominal cost of one training step on this 2-core machine, fitted to epochs timed with aecore.train on
# mnist-5k and digits-8x8 (dense 784-256-128-16 at batch 16/128/512, 784-1024-…-128 at batch 16/128, conv,
# 2026-12-02, load ≈ 2.7): a fixed part per step (Python, the optimiser's bookkeeping), a part per forward
# multiply-add of every image in the batch (a training step costs about three forward passes), and a part
# per weight (Adam reads and writes every weight at every step, which is what makes small batches of a wide
# model slow). The queue scales it by what jobs really took (aecore.jobs.MachineSpeed).
STEP_SECONDS = 0.010
MAC_SECONDS = 1.0e-10
WEIGHT_SECONDS = 1.0e-8
EPOCH_SECONDS = 0.05  # validation and the preview, per epoch
PENALTY_COST = {"contractive": 2.0}  # the Jacobian penalty roughly doubles a step (an estimate)


def model_size(model, sample_shape: tuple[int, ...]) -> tuple[float, float]:
    """(forward multiply-adds per image, weights) of a model, counted from its settings."""
    input_dim = 1
    for s in sample_shape:
        input_dim *= s
    if model.kind == "conv":
        from aecore.family import conv_macs

        macs = float(conv_macs(model, sample_shape))
        weights = 2.0 * model.code_size * input_dim / 4 ** model.conv_depth * model.conv_filters * 2 ** (
            model.conv_depth - 1) + 50 * model.conv_filters ** 2 * 4 ** model.conv_depth
        return macs, weights
    widths = (input_dim, *model.layer_widths(), model.code_size * (2 if model.kind == "variational" else 1))
    encoder = sum(a * b for a, b in zip(widths, widths[1:]))
    return 2.0 * encoder, 2.0 * encoder  # the decoder mirrors the encoder; dense: one weight per multiply-add


def epoch_work(experiment: Experiment, dataset: Dataset) -> float:
    """Nominal seconds of one training epoch of ``experiment`` (before the machine's measured factor)."""
    macs, weights = model_size(experiment.model, dataset.sample_shape)
    batch = max(1, min(experiment.train.batch_size, max(dataset.n_train, 1)))
    steps = -(-max(dataset.n_train, 1) // batch)
    step = STEP_SECONDS + batch * macs * MAC_SECONDS + weights * WEIGHT_SECONDS
    validation = len(dataset.x_val) * macs * MAC_SECONDS / 3
    return (steps * step + validation + EPOCH_SECONDS) * PENALTY_COST.get(experiment.model.kind, 1.0)


def estimate_seconds(experiment: Experiment, dataset: Dataset) -> float:
    """Seconds a training of ``experiment`` takes at most on this machine (all its epochs: early stopping
    may end sooner), from the speed measured by the jobs that finished, else a cautious guess."""
    return jobs.default_queue().estimate(epoch_work(experiment, dataset), experiment.train.epochs)


def estimate_text(seconds: float) -> str:
    """How an estimate is worded: rounded, and saying where it comes from."""
    speed = jobs.default_queue().speed
    shown = f"{seconds:.0f} s" if seconds < 100 else f"{seconds / 60:.0f} min"
    source = ("estimated from this machine's measured speed" if speed.measured
              else "a cautious guess until a first training has measured this machine")
    return f"about {shown} ({source})"


def start_training(experiment: Experiment, where=None) -> None:
    """Validate and queue the sidebar's experiment; errors become one st.error (in ``where``, default the
    sidebar).

    The same settings trained before (by anyone, unless on an upload) come from the memory or the disk
    cache; the same settings training right now for another session are shared: this session attaches
    to that job and watches its progress. A new training whose estimated time exceeds the teacher's limit
    is refused before it is queued, naming the settings to lower.
    """
    where = where if where is not None else st.sidebar
    job = st.session_state.get(state.JOB)
    if job is not None and job.active and job.key != experiment.key():
        where.warning("A model is still training. Press **Stop** first, then **Train** again.")
        return
    dataset = state.dataset_or_error(experiment.data)
    if dataset is None:
        return
    try:
        experiment.validate_for(dataset)
    except ValueError as exc:
        where.error(f"Cannot train with these settings: {plain(str(exc), limit=None)}")
        return
    owner = state.session_id() if experiment.data.upload_id else None  # uploads: private to this session
    job = submit_experiment(experiment, dataset, experiment.model.kind, owner)
    if job.refused:
        where.error(too_long_message(experiment, dataset), icon=":material/timer_off:")
        return
    st.session_state[state.JOB] = job
    st.session_state[state.SEEN_STATUS] = None
    watch_sessions()


# Settings that make a training slower, by the sidebar's names: those to lower, and the batch size to raise.
def _slow_settings(experiment: Experiment) -> tuple[list[str], list[str]]:
    model, train = experiment.model, experiment.train
    lower = [f"**Epochs** (now {train.epochs})"]
    if model.kind == "conv":
        if model.conv_filters > 8:
            lower.append(f"**Filters in the first conv layer** (now {model.conv_filters})")
        if model.conv_depth > 1:
            lower.append(f"**Convolution blocks** (now {model.conv_depth})")
    else:
        if model.first_layer_nodes > 128 and model.n_hidden_layers:
            lower.append(f"**Nodes in the first hidden layer** (now {model.first_layer_nodes})")
        if model.n_hidden_layers > 1:
            lower.append(f"**Hidden layers** (now {model.n_hidden_layers})")
        if model.code_size > 64:
            lower.append(f"**Code size** (now {model.code_size})")
    raise_ = [f"**Batch size** (now {train.batch_size}, in Training details)"] if train.batch_size < 128 else []
    return lower, raise_


def _either(names: list[str]) -> str:
    return ", ".join(names[:-1]) + f" or {names[-1]}" if len(names) > 1 else names[0]


def too_long_message(experiment: Experiment, dataset: Dataset) -> str:
    """Why a training was refused before it started, and which settings to lower."""
    queue = jobs.default_queue()
    seconds = estimate_seconds(experiment, dataset)
    limit = queue.max_seconds
    per_epoch = queue.estimate(epoch_work(experiment, dataset), 1) - queue.estimate(0.0, 0)
    fit = int((limit - queue.estimate(0.0, 0)) // per_epoch) if per_epoch > 0 else 0
    lower, raise_ = _slow_settings(experiment)
    what = f"Lower {_either(lower)}" + (f", or raise {_either(raise_)}" if raise_ else "")
    epochs_hint = (f" With these settings at most about {fit} epoch{'s' if fit != 1 else ''} fit."
                   if 0 < fit < experiment.train.epochs else "")
    return (f"Not started: this training would take {estimate_text(seconds)}, more than the limit of "
            f"{limit:.0f} s per training that keeps the queue moving for the whole class (the teacher sets it "
            f"with the AELAB_MAX_JOB_SECONDS setting of the server). {what}.{epochs_hint}")


def stop_watching(job: jobs.Job) -> int:
    """Stop ``job`` for this session: cancelled when nobody else watches it, else this session only leaves it.
    Returns how many other sessions still watch it (0: it was cancelled)."""
    others = len(job.attached - {state.session_id()})
    if jobs.default_queue().cancel(job, session=state.session_id()):
        return 0
    return others


def still_running_text(others: int, button: str = "Train", what: str = "The same model is still training") -> str:
    return (f"You stopped watching. {what} for {others} other session{'s' if others != 1 else ''}; "
            f"press **{button}** to watch it again.")


def stop_training(where=None) -> None:
    """Stop this session's job; a job other sessions also watch keeps running for them."""
    where = where if where is not None else st.sidebar
    job = st.session_state.get(state.JOB)
    if job is None or not job.active:
        return
    others = stop_watching(job)
    if not others:
        return
    # Shared with other sessions: this one stops watching, the training goes on for the others.
    st.session_state[state.JOB] = None
    st.session_state[state.SEEN_STATUS] = None
    where.info(still_running_text(others))


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
    """The trained model this session shows: its job's result once it ended (finished or stopped); while it
    trains, the model of its last finished epoch (``result.provisional``); else None."""
    job = current_job()
    if job is None:
        return None
    if job.result is not None:
        return job.result
    return provisional_result(job)


def provisional_result(job: jobs.Job):
    """A running training's model of its last finished epoch (built once per epoch, for whoever asks first), or
    None: before the first epoch, for other jobs, and on the Dask path, whose reports carry no weights."""
    if not job.active:
        return None
    provisional = getattr(job.latest, "provisional_result", None)
    return provisional() if provisional is not None else None


def first_model_ready(job: jobs.Job) -> bool:
    """Whether a running job's latest report carries its epoch's model (cheap: nothing is built)."""
    provisional = getattr(job.latest, "provisional", None)
    return provisional is not None and provisional.available


def provisional_tag(result) -> tuple:
    """What tells a provisional model apart in keys made of its experiment (jobs shared by key): () for a final
    model, so its keys stay what they were."""
    return ("provisional", result.epochs_run) if getattr(result, "provisional", False) else ()


def provisional_note(result) -> str:
    return f"{result.message} This page redraws with the final model when training ends."


def wait_for_final(what: str) -> str:
    """The one line of a feature that refuses a provisional model."""
    return (f"{what} waits for the final model: training is still running. Come back when it ends (the sidebar "
            "shows how long is left).")


def require_result(final: str | None = None):
    """The session's trained model, or an explanation and a stop of the page. While the model trains, the model
    of its last finished epoch, said plainly at the top; ``final`` names what the page does that must not act on
    a provisional model (saving or sharing it): it then stops with one line saying to wait."""
    # In a container of its own: the note goes when the final model comes, and the page's sections must keep
    # their places (one moving up stays on screen twice until the run ends: tests/test_page_places.py).
    with st.container():
        result = current_result()
        if result is None:
            job = current_job()
            if job is not None and job.active:
                if job.elsewhere:  # a Dask worker trains it: its reports carry no weights, the model comes at the end
                    st.info("A model is training: this page fills in when it is done. Progress is in the sidebar.")
                else:
                    st.session_state[AWAITING_EPOCH] = job.id
                    st.info("A model is training: this page fills in with the model so far when its first epoch is "
                            "done, and with the final model at the end. Progress is in the sidebar.")
            else:
                st.info(f"No model yet. Choose settings in the sidebar and press **Train**: {first_train_estimate()}. "
                        "Teachers: run `make warm` before class to pre-train every lesson preset, so **Train** "
                        "loads them at once.")
            st.stop()
        if result.provisional:
            if final is not None:
                st.info(wait_for_final(final), icon=":material/hourglass_top:")
                st.stop()
            st.info(provisional_note(result), icon=":material/hourglass_top:")
        outdated_warning(result.experiment)
        return result


def first_train_estimate() -> str:
    """How long the sidebar's settings take to train here, worded as an estimate (or that it is cached)."""
    experiment = state.current_experiment()
    try:
        dataset = state.get_dataset(experiment.data)
    except Exception:  # the data set's own error is shown where it is used
        return "the time depends on the settings"
    if trained.on_disk(experiment, None if not experiment.data.upload_id else "upload"):
        return "these settings were trained before, so **Train** loads them from the cache at once"
    return f"these settings train in {estimate_text(estimate_seconds(experiment, dataset))}"


def outdated_warning(trained: Experiment) -> None:
    changed = state.changed_fields(trained, state.current_experiment())
    if changed:
        st.warning(f"The sidebar changed since this model was trained ({', '.join(changed)}). The pages still "
                   "show the trained model; press **Train** to train one with the new settings.", icon="⚠️")


def _status_line(job: jobs.Job) -> str:
    starting = "building the model" if state.tensorflow_ready() else "loading TensorFlow"
    # "at most": the sidebar's training may stop early (early stopping), before its planned epochs.
    return job_line(job, f"Starting: {starting}…", at_most=True)


def job_line(job: jobs.Job, starting: str, at_most: bool = False) -> str:
    """The line of an active job's progress bar wherever it is shown (the sidebar, the pages' job panels):
    loading it from the cache, its place in the queue, or "its latest report's line (``starting`` before the
    first) · paused note · about N s left" (" at most" after it with ``at_most``); then whom it is shared with."""
    if job.status == jobs.LOADING:
        line = "Loading the trained model from the cache…"
    elif job.status == jobs.QUEUED:
        line = queue_line(job)
    else:
        report = job.latest  # None before the first: the time left is the machine's estimate, not its pace
        left = f"about {jobs.default_queue().remaining_seconds(job):.0f} s left{' at most' if at_most else ''}"
        line = f"{starting if report is None else report.line}{turn_note(job)} · {left}"
    return f"{line}{shared_note(job)}"


def turn_note(job: jobs.Job) -> str:
    """" · paused…" while a training waits between epochs for others' turns (aecore.jobs: turns), else ""."""
    return " · paused while other students' trainings take their turn" if job.paused else ""


def queue_line(job: jobs.Job) -> str:
    """Where a queued job stands: the jobs ahead of it and the expected wait."""
    queue = jobs.default_queue()
    ahead = queue.position(job)
    return (f"Waiting in the queue: {ahead} job{'s' if ahead != 1 else ''} ahead of yours, "
            f"{estimate_text(queue.wait_estimate(job))}.")


def shared_note(job: jobs.Job) -> str:
    """The " · shared with N other sessions" note when other sessions watch the same job, else empty."""
    others = len(job.attached - {state.session_id()})
    return f" · shared with {others} other session{'s' if others != 1 else ''}" if others else ""


def job_fraction(job: jobs.Job) -> float:
    """An active or finished job's share done for its progress bar (the sidebar's and the job panels')."""
    if job.status == jobs.DONE:
        return 1.0
    if job.status in (jobs.LOADING, jobs.QUEUED) or job.latest is None:
        return 0.0
    return job.latest.fraction


def job_experiment(job: jobs.Job | None) -> Experiment | None:
    """The experiment a job trains (or trained): its result's, else the one it was queued with."""
    if job is None:
        return None
    if job.result is not None and getattr(job.result, "experiment", None) is not None:
        return job.result.experiment
    return job.about if isinstance(job.about, Experiment) else None


def is_running() -> bool:
    """Whether this session's job is queued, loading or training (decides whether Stop can be pressed)."""
    job = current_job()
    return job is not None and job.active


TF_POLL_SECONDS = 1.0


def sidebar_status(on_poll=None) -> None:
    """Compact progress in the sidebar, polling while a job runs (or TensorFlow loads); reruns the whole app
    when the job starts or ends after the sidebar was drawn, so Train and Stop follow it. ``on_poll`` runs at
    every poll while the job runs (class mode's follow check, so a student has one timer, not two)."""
    drawn_running = is_running()
    loading = not state.tensorflow_ready()
    every = POLL_SECONDS if drawn_running else (TF_POLL_SECONDS if loading else None)

    @st.fragment(run_every=every)
    def status():
        if on_poll is not None and drawn_running:
            on_poll()
        job = current_job()
        if loading and state.tensorflow_ready() and not is_running():
            st.rerun()  # TensorFlow is ready: redraw once without the "loading" line, and stop polling
        if job is None:
            if not state.tensorflow_ready():
                st.caption("Loading TensorFlow in the background…")
            return
        if job.active:
            if not drawn_running:
                st.rerun()  # started after the sidebar was drawn: redraw it with Stop enabled
            if st.session_state.get(AWAITING_EPOCH) == job.id and first_model_ready(job):
                del st.session_state[AWAITING_EPOCH]
                st.rerun()  # the page waited for a model: redraw it once with the first epoch's
            st.progress(job_fraction(job), text=_status_line(job))
        elif st.session_state.get(state.SEEN_STATUS) != job.status or drawn_running:
            st.session_state[state.SEEN_STATUS] = job.status
            st.rerun()  # the job ended: redraw the whole page with its result (and Stop disabled)
        else:
            show_job_outcome(job, st)

    status()


def show_job_outcome(job: jobs.Job, where=st) -> None:
    """One line saying how the job ended."""
    if job.status == jobs.FAILED:
        where.error(plain(job.error, limit=None) if job.error else "Training failed.")
    elif job.hit_limit:
        result = job.result
        scores = (f" Test MSE {result.test_mse:.4f}, PSNR {result.test_psnr:.1f} dB." if result is not None
                  and hasattr(result, "test_mse") else "")
        where.warning(f"{job.error}{scores}", icon=":material/timer_off:")  # the queue's own text, no user string
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
        where.info(plain(job.error, limit=None) if job.error else "Stopped before the first epoch finished: there is no model yet.")


def finished(store: str, result, draw):
    """A figure of a finished model, drawn once per server (once per session on an upload); while a model
    trains, its figures change every epoch and are drawn afresh."""
    if result is None:
        return draw()
    return shared.derive(store, (state.model_id(result),), draw, data=result.experiment.data)


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
            st.progress(job_fraction(job), text=_status_line(job))
        else:
            show_job_outcome(job)
        reports = list(job.reports)
        result = job.result
        experiment = job_experiment(job)  # while it trains too: the running job's, not the sidebar's default
        history = result.history if result is not None else {
            key: [r.logs.get(key) for r in reports if key in r.logs] for key in ("loss", "val_loss")}
        loss_name = LOSS_LABELS.get(experiment.model.loss, "loss") if experiment is not None else "loss"
        left, right = st.columns([3, 2])
        with left:
            if any(history.values()):
                st.plotly_chart(finished("training_loss", result, lambda: figures.loss_curves(
                    history, loss_label=loss_name.lower(), best_epoch=result.best_epoch if result else None,
                    title="Loss per epoch (lower is better)")), key="training_loss_chart")
            if loss_name.startswith("Binary"):
                st.caption("Binary cross-entropy cannot reach 0 on MNIST (its floor is about 0.06, the entropy "
                           "of the grey pixels), so judge the model by MSE and PSNR.")
        with right:
            preview = result.test_reconstruction[:8] if result is not None else (
                reports[-1].preview if reports and reports[-1].preview is not None else None)
            if preview is not None and dataset is not None and dataset.is_image:
                originals = dataset.x_test[: len(preview)]
                st.plotly_chart(finished("training_preview", result, lambda: figures.image_grid(
                    [figures.as_images(originals), figures.as_images(np.clip(preview, 0, 1))],
                    ["test images", "reconstructions (this epoch)" if result is None else "reconstructions"],
                    image_px=60)), key="training_preview")
        if result is not None:
            cols = st.columns(4)
            cols[0].metric("Test MSE", f"{result.test_mse:.4f}")
            cols[1].metric("Test PSNR", f"{result.test_psnr:.1f} dB")
            cols[2].metric("Train MSE", f"{result.train_mse:.4f}")
            cols[3].metric("Training time", f"{result.seconds:.1f} s",
                           help=f"{result.samples_per_second:,.0f} images per second")

    view()
