"""Waits in a class's first minutes (turns, issue 14): a fresh server has not finished a training to learn its
speed from, so a waiting training's first turn is estimated from the first turns the open trainings really took."""

import threading
import time

import pytest

from aecore import jobs
from test_job_turns import training, wait_for

pytestmark = pytest.mark.unit


def test_waits_follow_the_first_turns_measured_before_any_training_finished():
    log: list = []
    queue = jobs.JobQueue(workers=1, turns=True, speed=jobs.MachineSpeed(), release_memory=False)  # its guess
    guess = queue.speed.estimate(0.01, 1)  # 8 s of overhead: a cautious guess for a busy machine
    release = threading.Event()
    a = queue.submit("a", training("a", 3, [0.05, 0.5, 0.5], log), session="a", epoch_work=0.01, epochs=3)
    wait_for(lambda: a.reports)  # its first turn took 0.05 s, not 8
    b = queue.submit("b", training("b", 3, 0.05, log, first=release), session="b", epoch_work=0.01, epochs=3)
    wait_for(lambda: b.status == jobs.RUNNING and a.paused)  # a gave its turn to b, which builds its model
    c = queue.submit("c", training("c", 3, 0.05, log), session="c", epoch_work=0.01, epochs=3)
    time.sleep(1.1)  # past the scale's one-second memo
    assert queue.wait_estimate(c) < 0.2 * guess  # b's first turn at the pace measured on a's
    release.set()
    a.cancel(), b.cancel(), c.cancel()
    for job in (a, b, c):
        job.wait(10)
