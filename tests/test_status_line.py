"""One line for a job's progress bar: the sidebar's status and the pages' job panels compose it with one
function (ui.training.job_line), so a job says the same in both, whatever state it is in."""

from __future__ import annotations

import time

import pytest
from streamlit.testing.v1 import AppTest

pytestmark = pytest.mark.app

SHARED = " · shared with 1 other session"
QUEUE_LINE = r"Waiting in the queue: \d+ jobs? ahead of yours, [^·]+\."


def both_script():
    import streamlit as st

    from ui import job_panel, state, training

    with st.sidebar:
        training.sidebar_status()
    job_panel.job_panel(lambda: st.session_state[state.JOB], "same_job")


def a_job(status: str, reported: bool = True, paused: bool = False):
    """A job in ``status`` that another session watches too; ``reported``: its first epoch of 4 done in 1 s
    (3 s left at its pace); ``paused``: waiting between epochs for other trainings' turns."""
    from aecore import jobs
    from aecore.train import EpochReport

    job = jobs.Job(f"status-line-{status}-{time.time()}", lambda report, cancel: None, label="status line test",
                   estimate_seconds=40)
    job.status = status
    job.attached = {"another-session"}
    if reported:
        job.reports.append(EpochReport(1, 4, {"loss": 0.25}, elapsed=1.0))
    if paused:
        job.paused_since = time.time()
    return job


def lines(job) -> tuple[str, str]:
    """The sidebar's progress line and the panel's for the session's ``job``."""
    from ui import state

    at = AppTest.from_function(both_script, default_timeout=30)
    at.session_state[state.JOB] = job
    at.run()
    assert not at.exception, at.exception
    [sidebar] = at.sidebar.get("progress")
    [panel] = at.main.get("progress")
    assert sidebar.proto.value == panel.proto.value
    return sidebar.proto.text, panel.proto.text


@pytest.mark.parametrize("status, reported, paused, panel_line", [
    ("running", True, False, "Epoch 1 of 4 · loss 0.2500 · about 3 s left" + SHARED),
    ("running", True, True, "Epoch 1 of 4 · loss 0.2500 · paused while other students' trainings take their turn"
                            " · about 3 s left" + SHARED),
    ("queued", False, False, QUEUE_LINE + SHARED),
    ("loading", False, False, "Loading the trained model from the cache…" + SHARED),
], ids=["running", "paused", "queued", "loading"])
def test_the_sidebar_and_a_panel_say_the_same_of_one_job(status, reported, paused, panel_line):
    """The sidebar adds only "at most" to the time left (its training may stop early). A queued job shared
    with another session said so in a panel but not in the sidebar before the two lines were one."""
    import re

    sidebar, panel = lines(a_job(status, reported, paused))
    assert re.fullmatch(re.escape(panel_line) if status != "queued" else panel_line, panel), panel
    assert sidebar == panel.replace(" s left", " s left at most"), (sidebar, panel)


def test_before_its_first_report_each_names_its_own_start_with_the_same_estimate():
    sidebar, panel = lines(a_job("running", reported=False))
    assert panel.startswith("Starting… · about ") and panel.endswith(" s left" + SHARED), panel
    assert sidebar.startswith("Starting: ") and sidebar.endswith(
        panel.removeprefix("Starting…").replace(" s left", " s left at most")), (sidebar, panel)


def test_both_lines_come_from_one_function(monkeypatch):
    from ui import training

    composed = []
    real = training.job_line

    def spy(job, starting, at_most=False):
        composed.append(real(job, starting, at_most))
        return composed[-1]

    monkeypatch.setattr(training, "job_line", spy)
    sidebar, panel = lines(a_job("running", paused=True))
    assert composed == [sidebar, panel]
