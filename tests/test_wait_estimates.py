"""Honest waits (issue 14): a training's worker is busy before its first epoch's steps (building, compiling) and
after its last epoch (evaluating, saving), which its reports' ``elapsed`` (counted from the first step) do not
show. Waits counted from the reports alone were 0.68 of the real ones in a free-exploration class
(benchmarks/classroom.py --free, 2026-12-03 13:35)."""

from __future__ import annotations

import threading
import time

import pytest

from aecore import jobs
from test_job_turns import Epoch, fast_speed, wait_for

pytestmark = pytest.mark.unit


def training(epochs: int, epoch_seconds: float, build_seconds: float = 0.0,
             after_last: threading.Event | None = None, hold: threading.Event | None = None):
    """A fake training reporting like aecore.train: ``elapsed`` from its first step, after ``build_seconds`` of
    building; ``hold`` holds it before building, ``after_last`` after its last epoch (its evaluation)."""

    def fn(report, cancel):
        if hold is not None:
            hold.wait(10)
        time.sleep(build_seconds)
        start = time.perf_counter()
        for epoch in range(1, epochs + 1):
            if cancel.is_set():
                break
            time.sleep(epoch_seconds)
            report(Epoch(epoch, epochs, time.perf_counter() - start))
        if after_last is not None:
            after_last.wait(10)
        return "done"

    return fn


def test_a_first_turn_counts_the_model_building_before_its_first_step():
    queue = jobs.JobQueue(workers=1, turns=True, speed=jobs.MachineSpeed(), release_memory=False)
    a = queue.submit("a", training(3, 0.05, build_seconds=0.6), session="a", epoch_work=0.01, epochs=3)
    wait_for(lambda: a.reports)
    hold = threading.Event()
    b = queue.submit("b", training(3, 0.05, build_seconds=0.6, hold=hold), session="b", epoch_work=0.01, epochs=3)
    wait_for(lambda: b.status == jobs.RUNNING and a.paused)  # a gave its turn; b builds its model
    c = queue.submit("c", training(3, 0.05), session="c", epoch_work=0.01, epochs=3)
    time.sleep(1.05)  # past the scale's one-second memo
    # b's turn ends after a first turn like a's (0.65 s), not after a's 0.05 s of steps; b has worked ~1 s
    # (held), so what is left of it is clipped at 0: compare with the turn c itself will need.
    assert queue._first_epoch_seconds(c) >= 0.6
    assert a.first_turn_seconds() >= 0.6  # the worker's time: building and the epoch
    hold.set()
    for job in (a, b, c):
        job.cancel()
        job.wait(10)


def test_a_training_in_its_last_epoch_frees_its_worker_after_its_evaluation():
    queue = jobs.JobQueue(workers=1, turns=True, speed=fast_speed(), release_memory=False)
    evaluated = threading.Event()
    first = queue.submit("first", training(2, 0.05, after_last=evaluated), session="s1", epoch_work=0.01, epochs=2)
    wait_for(lambda: len(first.reports) == 2)
    time.sleep(0.5)  # its evaluation
    evaluated.set()
    assert first.wait(10)
    assert 0.45 <= queue._tail <= 2.0  # measured: the time after its last epoch
    evaluating = threading.Event()
    b = queue.submit("b", training(2, 0.05, after_last=evaluating), session="s2", epoch_work=0.01, epochs=2)
    wait_for(lambda: len(b.reports) == 2)  # its last epoch is done; it evaluates
    c = queue.submit("c", training(2, 0.05), session="s3", epoch_work=0.01, epochs=2)
    assert queue.wait_estimate(c) >= 0.3  # the evaluation like the first's, not 0 s
    assert queue.remaining_seconds(b) >= 0.3
    evaluating.set()
    assert b.wait(10) and c.wait(10)


def test_the_current_epoch_is_timed_from_its_report_not_from_the_first_step():
    queue = jobs.JobQueue(workers=1, turns=True, speed=fast_speed(), release_memory=False)
    hold = threading.Event()
    # 1 s of building, then 1 s epochs: 1 s after the first epoch's report, the second is ending.
    a = queue.submit("a", training(3, 1.0, build_seconds=1.0, after_last=hold), session="a", epoch_work=0.01,
                     epochs=3)
    wait_for(lambda: len(a.reports) == 2, timeout=20)
    arrived = time.time()
    b = queue.submit("b", training(2, 0.05), session="b", epoch_work=0.01, epochs=2)
    wait = queue.wait_estimate(b) + (time.time() - arrived)
    # a's epoch 3 has just begun: b waits about one epoch (1 s), not one epoch less a's building (0 s).
    assert 0.7 <= wait <= 1.3
    hold.set()
    assert a.wait(20) and b.wait(20)
