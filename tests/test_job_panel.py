"""ui.job_panel: the one fragment every page uses to show a background job (progress, queue, Stop, errors)."""

from __future__ import annotations

import threading
import time

import pytest
from streamlit.testing.v1 import AppTest

pytestmark = pytest.mark.app


def panel_script():
    import streamlit as st

    from ui import job_panel

    key = st.query_params.get("job", "")
    job_panel.submit(key, lambda report, cancel: None, label="panel test")  # attaches this session to it
    job_panel.job_panel(lambda: job_panel.find(key), "panel_test",
                        draw=lambda result: st.markdown(f"Result: {result}"))


def epoch(n: int):
    from aecore.train import EpochReport

    return EpochReport(n, 4, {"loss": 0.25}, elapsed=1.0 * n)  # one second an epoch: 3 s left after the first


def open_panel(key: str) -> AppTest:
    at = AppTest.from_function(panel_script, default_timeout=30)
    at.query_params["job"] = key
    at.run()
    assert not at.exception, at.exception
    return at


def running_job(key: str, others: tuple[str, ...] = ()):
    """A job on the app's queue that reports one epoch and runs until it is cancelled (or ``release`` is set)."""
    from aecore import jobs

    release = threading.Event()

    def work(report, cancel):
        report(epoch(1))
        while not (cancel.is_set() or release.is_set()):
            time.sleep(0.02)
        return "finished"

    job = jobs.default_queue().submit(key, work, label="panel test", session=others[0] if others else None)
    for other in others[1:]:
        jobs.default_queue().attach(job, other)
    deadline = time.time() + 30
    while job.latest is None and time.time() < deadline:
        time.sleep(0.02)
    assert job.latest is not None, "the job did not start"
    return job, release


def test_progress_shown_while_a_job_runs_then_its_result():
    job, release = running_job(f"panel-progress-{time.time()}")
    at = open_panel(job.key)
    assert [p.proto.text for p in at.get("progress")] == ["Epoch 1 of 4 · loss 0.2500 · about 3 s left"]
    release.set()
    assert job.wait(10)
    at.run()
    assert not at.get("progress")
    assert "Result: finished" in [m.value for m in at.markdown]


def test_stop_cancels_a_job_only_this_session_watches():
    job, _ = running_job(f"panel-alone-{time.time()}")
    at = open_panel(job.key)
    at.button(key="panel_test_stop").click().run()
    assert job.wait(10) and job.status == "cancelled"


def test_stop_only_detaches_when_another_session_watches():
    job, release = running_job(f"panel-shared-{time.time()}", others=("another-session",))
    at = open_panel(job.key)
    assert "shared with 1 other session" in at.get("progress")[0].proto.text
    at.button(key="panel_test_stop").click().run()
    assert not at.exception, at.exception
    assert job.active, "Stop cancelled a job another session still watches"
    assert any("You stopped watching" in i.value for i in at.info)
    assert not at.get("progress")
    release.set()
    assert job.wait(10)


def test_error_shown_when_the_job_fails():
    from aecore import jobs

    def fail(report, cancel):
        raise ValueError("the images are the wrong size")

    key = f"panel-fail-{time.time()}"
    job = jobs.default_queue().submit(key, fail, label="panel test")
    assert job.wait(30)
    at = AppTest.from_function(failed_script, default_timeout=30)
    at.session_state["failed_job"] = job
    at.run()
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == ["the images are the wrong size"]


def failed_script():
    import streamlit as st

    from ui import job_panel

    job_panel.job_panel(lambda: st.session_state["failed_job"], "panel_failed")


def group_script():
    import streamlit as st

    from ui import job_panel

    keys = st.query_params.get_all("job")
    job_panel.job_panel(lambda: [job_panel.find(key) for key in keys], "panel_group",
                        prefix=lambda job: f"{job.label}: ")


def test_a_group_is_one_bar_and_one_stop():
    from aecore import jobs

    finished = jobs.default_queue().submit(f"panel-group-done-{time.time()}", lambda report, cancel: "done",
                                           label="first model")
    assert finished.wait(30)
    running, _ = running_job(f"panel-group-running-{time.time()}")
    at = AppTest.from_function(group_script, default_timeout=30)
    at.query_params["job"] = [finished.key, running.key]
    at.run()
    assert not at.exception, at.exception
    [bar] = at.get("progress")
    assert bar.proto.text == "panel test: Epoch 1 of 4 · loss 0.2500 · about 3 s left"  # whose line it is
    assert bar.proto.value == 62  # (1 + 1/4) / 2 of the group
    at.button(key="panel_group_stop").click().run()
    assert running.wait(10) and running.status == "cancelled"


def prefixed_script():
    import streamlit as st

    from ui import job_panel

    key = st.query_params.get("job", "")
    job_panel.job_panel(lambda: job_panel.find(key), "panel_prefixed", prefix="Side by side: ")


def panel_bar(report, paused: bool = False):
    """The prefixed panel's progress bar for a running job whose latest report is ``report`` (``paused``: as the
    queue marks a training waiting for its turn)."""
    from aecore import jobs

    release = threading.Event()

    def work(report_to, cancel):
        report_to(report)
        release.wait(30)
        return "result"

    job = jobs.default_queue().submit(f"panel-{time.time()}", work, label="job")
    try:
        while job.latest is None:
            time.sleep(0.02)
        if paused:
            job.paused_since = time.time()
        at = AppTest.from_function(prefixed_script, default_timeout=30)
        at.query_params["job"] = job.key
        at.run()
        assert not at.exception, at.exception
        [bar] = at.get("progress")
        return bar
    finally:
        job.paused_since = None
        release.set()
        job.wait(10)


def test_any_report_of_the_progress_protocol_is_one_line_with_whose_job_it_is():
    from aecore.progress import Count

    bar = panel_bar(Count(1, 4, "Mapped the codes of 1 of 4 epochs"))
    assert bar.proto.text.startswith("Side by side: Mapped the codes of 1 of 4 epochs · about ")
    assert bar.proto.value == 25


def test_a_training_paused_for_others_turns_says_so_with_the_wait_in_its_time():
    """Issue 14, turns (aecore.jobs): a student whose training waits between epochs sees why, not a frozen bar."""
    from aecore.progress import Count

    bar = panel_bar(Count(1, 10, "Epoch 1 of 10"), paused=True)
    assert bar.proto.text.startswith("Side by side: Epoch 1 of 10 · paused while other students' trainings "
                                     "take their turn · about "), bar.proto.text
