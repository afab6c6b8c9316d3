"""Turns (issue 14): a training gives its worker up at an epoch's end while another training waits to start,
so every student of a class gets a first epoch's model after the others' first epochs, not their whole
trainings; the final models still come first come, first served."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import pytest

from aecore import jobs


@dataclass
class Epoch:
    epoch: int
    epochs: int
    elapsed: float

    @property
    def fraction(self) -> float:
        return self.epoch / self.epochs

    @property
    def line(self) -> str:
        return f"Epoch {self.epoch} of {self.epochs}"

    partial = None


def training(name: str, epochs: int, seconds, log: list, first: threading.Event | None = None):
    """A fake training: ``epochs`` epochs of ``seconds`` (a list: one per epoch), reported like aecore.train's;
    ``first`` (when given) holds it before its first epoch."""
    durations = seconds if isinstance(seconds, list) else [seconds] * epochs

    def fn(report, cancel):
        start = time.perf_counter()
        if first is not None:
            first.wait(10)
        for epoch in range(1, epochs + 1):
            if cancel.is_set():
                break
            time.sleep(durations[epoch - 1])
            log.append((name, epoch))
            report(Epoch(epoch, epochs, time.perf_counter() - start))
        return name

    return fn


def fast_speed(factor=0.01, overhead=0.0) -> jobs.MachineSpeed:
    speed = jobs.MachineSpeed()
    speed.factor, speed.overhead = factor, overhead
    return speed


def wait_for(predicate, timeout=10.0):
    end = time.time() + timeout
    while not predicate():
        assert time.time() < end, "timed out"
        time.sleep(0.01)


def run_class(turns: bool) -> list:
    log: list = []
    queue = jobs.JobQueue(workers=1, turns=turns, speed=fast_speed())
    gate = threading.Event()
    a = queue.submit("a", training("a", 3, 0.05, log, first=gate), session="a", epoch_work=1.0, epochs=3)
    wait_for(lambda: a.status == jobs.RUNNING)
    b = queue.submit("b", training("b", 3, 0.05, log), session="b", epoch_work=1.0, epochs=3)
    c = queue.submit("c", training("c", 3, 0.05, log), session="c", epoch_work=1.0, epochs=3)
    gate.set()
    for job in (a, b, c):
        assert job.wait(10) and job.status == jobs.DONE and job.result == job.key
    assert queue.stats["turns"] == (3 if turns else 0)
    return log


def test_every_waiting_training_gets_its_first_epoch_before_the_others_go_on():
    assert run_class(turns=True) == [("a", 1), ("b", 1), ("c", 1), ("a", 2), ("a", 3), ("b", 2), ("b", 3),
                                     ("c", 2), ("c", 3)]


def test_without_turns_a_training_keeps_its_worker_to_the_end():
    assert run_class(turns=False) == [("a", 1), ("a", 2), ("a", 3), ("b", 1), ("b", 2), ("b", 3), ("c", 1),
                                      ("c", 2), ("c", 3)]


def test_the_app_queue_takes_turns():
    assert jobs.app_queue(workers=1).turns


def test_a_paused_training_is_not_cut_by_the_time_limit_for_the_time_it_waited():
    log: list = []
    queue = jobs.JobQueue(workers=1, turns=True, speed=fast_speed(), max_seconds=0.8)
    a = queue.submit("a", training("a", 2, 0.3, log), session="a", epoch_work=1.0, epochs=2)
    wait_for(lambda: a.status == jobs.RUNNING)
    b = queue.submit("b", training("b", 2, [0.7, 0.05], log), session="b", epoch_work=1.0, epochs=2)
    assert a.wait(10) and b.wait(10)
    assert a.status == jobs.DONE and not a.hit_limit and a.paused_seconds >= 0.6  # 1.3 s of wall time
    assert a.worked() < 0.8


def paused_behind_a_new_training(epochs_a: int):
    """A queue where training a (``epochs_a`` epochs) has paused after its first epoch for training b, which
    ``hold`` keeps in its first epoch. Returns (queue, a, b, hold, log)."""
    log: list = []
    queue = jobs.JobQueue(workers=1, turns=True, speed=fast_speed())
    a = queue.submit("a", training("a", epochs_a, 0.05, log), session="a", epoch_work=1.0, epochs=epochs_a)
    wait_for(lambda: a.status == jobs.RUNNING)
    hold = threading.Event()
    b = queue.submit("b", training("b", 2, 0.05, log, first=hold), session="b", epoch_work=1.0, epochs=2)
    wait_for(lambda: a.paused)
    return queue, a, b, hold, log


def test_stop_reaches_a_paused_training_at_once():
    queue, a, b, hold, log = paused_behind_a_new_training(5)
    queue.cancel(a)
    assert a.wait(2) and a.status == jobs.CANCELLED and log == [("a", 1)]  # b still holds the worker
    hold.set()
    assert b.wait(10) and b.status == jobs.DONE


def test_estimates_count_first_epochs_ahead_and_the_pause_to_come():
    log: list = []
    speed = fast_speed(factor=2.0, overhead=3.0)  # a first epoch of 1 nominal second: 3 + 2 = 5 s; all 3: 9 s
    queue = jobs.JobQueue(workers=1, turns=True, speed=speed)
    gate = threading.Event()
    a = queue.submit("a", training("a", 3, 0.01, log, first=gate), session="a", epoch_work=1.0, epochs=3)
    wait_for(lambda: a.status == jobs.RUNNING)
    b = queue.submit("b", training("b", 3, 0.01, log, first=gate), session="b", epoch_work=1.0, epochs=3)
    c = queue.submit("c", training("c", 3, 0.01, log, first=gate), session="c", epoch_work=1.0, epochs=3)
    # c waits for b's first epoch (5 s), not its whole training (9 s)...
    assert queue.wait_estimate(c) - queue.wait_estimate(b) == pytest.approx(5.0, abs=0.3)
    # ...and a, still in its first epoch, will pause for both first epochs before its last two.
    assert queue.turn_wait(a) == pytest.approx(10.0, abs=0.3)
    assert queue.remaining_seconds(a) >= queue.turn_wait(a)
    gate.set()
    assert all(j.wait(10) for j in (a, b, c))

    plain = jobs.JobQueue(workers=1, speed=fast_speed(factor=2.0, overhead=3.0))
    hold = threading.Event()
    a = plain.submit("a", training("a", 3, 0.01, log, first=hold), session="a", epoch_work=1.0, epochs=3)
    wait_for(lambda: a.status == jobs.RUNNING)
    b = plain.submit("b", training("b", 3, 0.01, log), session="b", epoch_work=1.0, epochs=3)
    c = plain.submit("c", training("c", 3, 0.01, log), session="c", epoch_work=1.0, epochs=3)
    assert plain.wait_estimate(c) - plain.wait_estimate(b) == pytest.approx(9.0, abs=0.3)
    assert plain.turn_wait(a) == 0.0
    hold.set()
    assert all(j.wait(10) for j in (a, b, c))


def test_other_jobs_wait_for_the_paused_trainings():
    """A map (no epochs) queued while trainings are paused runs after them: the students waiting for their
    final model go first, and nobody's model is left half-trained behind a map."""
    queue, a, b, hold, log = paused_behind_a_new_training(3)
    m = queue.submit("map", lambda report, cancel: log.append(("map", 0)), session="m", estimate_seconds=1)
    hold.set()
    assert all(j.wait(10) for j in (a, b, m))
    assert log.index(("map", 0)) > log.index(("a", 3))
