"""A page's background jobs: submit one for this session, and one fragment that shows any job while it runs
(progress, its place in the queue, Stop, how it ended) and hands its result to the page's drawing.

Pages describe what the student sees; this module is the only one besides ui/training.py that talks to the
job queue (aecore.jobs). A job is shared by its key: a second session asking for the same work watches the
job already doing it, and its Stop only leaves the job unless nobody else watches it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import streamlit as st

from aecore import jobs
from ui import state, training
from ui.safe_text import plain

POLL_SECONDS = training.POLL_SECONDS

Job = jobs.Job


def submit(key: str, work: Callable, label: str, owner: str | None = None, estimate: float | None = None,
           quick: Callable | None = None, epoch_work: float | None = None, epochs: int | None = None,
           about: Any = None) -> Job:
    """Queue ``work(report, cancel)`` under ``key`` for this session, or attach to the job already doing it.
    ``owner``: private to that session (uploads). A job over the teacher's time limit comes back ``refused``."""
    return jobs.default_queue().submit(key, work, label=label, owner=owner, estimate_seconds=estimate,
                                       session=state.session_id(), quick=quick, epoch_work=epoch_work,
                                       epochs=epochs, about=about)


def find(key: str, owner: str | None = None) -> Job | None:
    """The job queued, running or kept for ``key`` (whoever asked for it), else None."""
    return jobs.default_queue().find(key, owner)


def find_or_mine(key: str, slot: str, owner: str | None = None) -> Job | None:
    """The job for ``key`` (whoever asked for it), else this session's own one kept in ``slot`` when it is for
    ``key``: the queue keeps no failed or stopped job, and the session still shows how it ended."""
    job = find(key, owner)
    if job is not None:
        st.session_state[slot] = job  # seen: its end shows here even when another session asked for it
        return job
    mine = st.session_state.get(slot)
    return mine if mine is not None and mine.key == key else None


def left(key: str) -> tuple[int, ...]:
    """Ids of the jobs this session left with panel ``key``'s Stop while other sessions went on watching them."""
    return st.session_state.get(f"{key}_left", ())


def watch_again(key: str, job: Job) -> None:
    """Follow ``job`` again in panel ``key`` after this session left it."""
    jobs.default_queue().attach(job, state.session_id())
    st.session_state[f"{key}_left"] = tuple(i for i in left(key) if i != job.id)


def estimate(epoch_work: float, epochs: int) -> float:
    """Seconds a job of ``epochs`` epochs of ``epoch_work`` nominal seconds takes on this machine."""
    return jobs.default_queue().estimate(epoch_work, epochs)


def done(job: Job | None) -> bool:
    """Finished with a result (not stopped, not failed)."""
    return job is not None and job.status == jobs.DONE and job.result is not None


def failed(job: Job | None) -> bool:
    return job is not None and job.status == jobs.FAILED


def stopped(job: Job | None) -> bool:
    return job is not None and job.status == jobs.CANCELLED


@dataclass(frozen=True)
class Texts:
    """What a panel says besides the running job's own line (its report's)."""

    starting: str = "Starting…"
    failed: str = "The job failed."  # shown when the job gives no error message
    stopped_empty: str = "Stopped before the first epoch finished: there is nothing to show yet."
    stopped_early: str | None = "Stopped early: showing the model from the last completed epoch."
    button: str = "Train"  # the button that starts the job again (named when this session stopped watching)


def progress(job: Job, texts: Texts = Texts(), prefix: str | Callable[[Job], str] = "",
             group: list[Job] | None = None) -> None:
    """One progress bar with a line of text for an active job (``training.job_line``, the sidebar's too).
    ``prefix`` (or ``prefix(job)``) leads the line: whose job it is. For a ``group`` of jobs (a sweep) the bar
    is the group's share done and the line is ``job``'s."""
    text = f"{prefix(job) if callable(prefix) else prefix}{training.job_line(job, texts.starting)}"
    fraction = training.job_fraction(job)
    if group:
        fraction = sum(training.job_fraction(j) if j.active or j.status == jobs.DONE else 0.0
                       for j in group) / len(group)
    st.progress(min(max(fraction, 0.0), 1.0), text=text)


def outcome(job: Job, texts: Texts = Texts()) -> Any:
    """How an ended job ended (error, stopped early, nothing yet); its result to draw, else None."""
    if job.status == jobs.FAILED:
        st.error(plain(job.error, limit=None) if job.error else texts.failed)
        return None
    if job.status == jobs.CANCELLED:
        if job.result is None:
            st.info(texts.stopped_empty)
            return None
        if texts.stopped_early:
            st.warning(texts.stopped_early)
    return job.result


def _group(found: Job | list[Job] | None) -> list[Job]:
    return [job for job in found if job is not None] if isinstance(found, (list, tuple)) else (
        [found] if found is not None else [])


def job_panel(find_job: Callable[[], Job | list[Job] | None], key: str,
              texts: Texts = Texts(),
              start: Callable[[], None] | None = None, start_help: str | None = None, stop: str | None = "Stop",
              stop_help: str | None = None, live: Callable[[Job], None] | None = None,
              draw: Callable[[Any], None] | None = None, prefix: str | Callable[[Job], str] = "",
              start_disabled: bool = False) -> None:
    """The fragment that shows ``find_job()``'s job, polled while it is active.

    With ``start`` (which submits the job): a row of the start button (``texts.button``, key ``{key}_train``,
    disabled while the job runs), Stop (``{key}_stop``) and the progress line. Without: Stop and the progress
    only while the job runs, one under the other. While it runs, ``live(job)`` draws what it has so far. When
    it ends the whole page reruns once, so what is drawn outside follows; then the panel shows how it ended
    and ``draw(result)`` for a finished (or early-stopped) job. Stop cancels the job, or, when other sessions
    watch it too, only leaves it for this session. ``start_disabled``: the start button stays disabled too
    (there is nothing to start: already done, or not possible with these settings).

    ``find_job`` may return a list: a group of jobs (a sweep) shown as one bar until they have all ended; Stop
    stops all of them, and the page shows their results and errors itself.
    """
    seen_key, left_key = f"{key}_seen", f"{key}_left"
    single = not isinstance(find_job(), (list, tuple))

    def look() -> tuple[list[Job], Job | None, tuple]:
        group = _group(find_job())
        running = [job for job in group if job.active]
        ended = tuple((job.id, job.status) for job in group) if group and not running else None
        return group, (running[0] if running else group[-1] if group else None), ended

    group, _, ended = look()
    if ended is not None:
        st.session_state[seen_key] = ended  # drawn ended: no rerun needed when it is seen

    @st.fragment(run_every=POLL_SECONDS if group and ended is None else None)
    def panel() -> None:
        group, current, ended = look()
        if ended is not None and st.session_state.get(seen_key) != ended:
            st.session_state[seen_key] = ended
            st.rerun()  # the job ended: redraw the whole page with its result (and its buttons)
        left = st.session_state.get(left_key, ())
        active = current is not None and current.active
        watching = active and current.id not in left
        if start is not None:
            # A long start label gets a wider column: at a sixth of the row it was cut ("Add a code-siz…").
            start_slot, stop_slot, line_slot = st.columns([max(1.0, len(texts.button) / 14), 1, 4])
            if start_slot.button(texts.button, key=f"{key}_train", type="primary",
                                 disabled=watching or start_disabled, help=start_help, use_container_width=True):
                st.session_state.pop(left_key, None)
                start()
                st.rerun()  # redraw with the start button disabled and Stop enabled, and start polling
        else:
            stop_slot, line_slot = st.container(), st.container()
        if stop and (start is not None or watching):
            # Drawn inside the refreshing fragment, from the job's state at this refresh: a button drawn once
            # with the page would keep the state it had before the job started (disabled).
            stopping = watching and current.cancel_event.is_set()
            if stop_slot.button("Stopping…" if stopping else stop, key=f"{key}_stop", help=stop_help,
                                disabled=not watching or stopping, use_container_width=start is not None):
                if current is training.current_job():  # the sidebar's model: its Stop, and the sidebar follows
                    training.stop_training()
                    st.rerun()
                running = [job for job in group if job.active]
                others = max(training.stop_watching(job) for job in running)
                if others:
                    st.session_state[left_key] = tuple(job.id for job in running)
                    line_slot.info(training.still_running_text(others, texts.button, "It is still running"))
                    return
        if current is None:
            return
        if watching:
            with line_slot:
                progress(current, texts, prefix, group=None if single else group)
            if live is not None:
                live(current)
            return
        if active or not single:
            return  # this session left it: the others' job shows again when this session asks for it
        result = outcome(current, texts)
        if result is not None and draw is not None:
            draw(result)

    panel()
