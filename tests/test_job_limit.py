"""The teacher's time limit per job (issue 17 §5) and estimates from the machine's measured speed (issue 16)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import pytest

from aecore import jobs

pytestmark = pytest.mark.unit


@dataclass
class Report:  # the shape of aecore.train.EpochReport that the queue reads
    epoch: int
    epochs: int
    elapsed: float


def epochs_until_cancelled(seconds_per_epoch: float, epochs: int = 1000):
    """A job of epochs that keeps its last completed epoch when cancelled (as training does)."""

    def run(report, cancel):
        start = time.time()
        done = 0
        for epoch in range(1, epochs + 1):
            if cancel.wait(seconds_per_epoch):
                break
            done = epoch
            report(Report(epoch, epochs, time.time() - start))
        return {"epochs_done": done}

    return run


def test_the_limit_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv("AELAB_MAX_JOB_SECONDS", raising=False)
    assert jobs.max_job_seconds() == 300
    monkeypatch.setenv("AELAB_MAX_JOB_SECONDS", "45")
    assert jobs.max_job_seconds() == 45
    assert jobs.JobQueue(workers=1).max_seconds == 45
    for bad in ("", "abc", "-5", "0", "nan"):
        monkeypatch.setenv("AELAB_MAX_JOB_SECONDS", bad)
        assert jobs.max_job_seconds() == 300


def test_a_job_estimated_over_the_limit_is_refused_before_it_is_queued():
    queue = jobs.JobQueue(workers=1, max_seconds=60)
    ran = threading.Event()

    def work(report, cancel):
        ran.set()
        return 1

    job = queue.submit("huge", work, session="alice", estimate_seconds=3500)
    assert job.refused and job.status == jobs.FAILED and job.done_event.is_set()
    assert "AELAB_MAX_JOB_SECONDS" in job.error and "60 s" in job.error and "3500 s" in job.error
    assert queue.find("huge") is None and not queue.active_jobs()  # nothing queued, nothing kept
    # A job of epochs is judged by the machine's measured speed: 200 epochs of 10 nominal seconds.
    queue.speed.factor, queue.speed.overhead = 1.0, 5.0
    job = queue.submit("epochs", work, session="alice", epoch_work=10.0, epochs=200)
    assert job.refused and "2005 s" in job.error
    # Within the limit it runs; a second session's small job is not blocked behind anything.
    small = queue.submit("small", work, session="bob", epoch_work=0.5, epochs=10)
    assert not small.refused and small.wait(10) and small.status == jobs.DONE and ran.is_set()


def test_a_refused_job_is_refused_again_when_a_cache_load_finds_nothing():
    queue = jobs.JobQueue(workers=1, max_seconds=30)
    job = queue.submit("cached?", lambda report, cancel: 1, session="alice", estimate_seconds=100,
                       quick=lambda report, cancel: None)  # may be on disk: the loader looks first
    assert job.wait(10)
    assert job.status == jobs.FAILED and job.refused and "AELAB_MAX_JOB_SECONDS" in job.error
    assert queue.find("cached?") is None


def test_a_running_job_is_stopped_at_the_limit_and_keeps_its_last_epoch():
    queue = jobs.JobQueue(workers=1, max_seconds=1.0)
    long = queue.submit("long", epochs_until_cancelled(0.1), session="alice", estimate_seconds=0.5)
    waiting = queue.submit("next", lambda report, cancel: "ok", session="bob", estimate_seconds=0.5)
    assert long.wait(10) and waiting.wait(10)
    assert long.status == jobs.CANCELLED and long.hit_limit and long.error_kind == jobs.TIME_LIMIT
    assert long.result["epochs_done"] >= 1 and long.latest.epoch == long.result["epochs_done"]
    assert "time limit of 1 s" in long.error and "last one is kept" in long.error
    assert "AELAB_MAX_JOB_SECONDS" in long.error
    # The worker was free again at the limit: bob's job did not wait for alice's 1,000 epochs.
    assert waiting.status == jobs.DONE and waiting.started - long.started < 6.0
    # A job that ends in time is untouched.
    quick = queue.submit("quick", epochs_until_cancelled(0.01, epochs=3), session="alice", estimate_seconds=0.5)
    assert quick.wait(10) and quick.status == jobs.DONE and not quick.hit_limit and quick.error is None


def test_stopped_at_the_limit_before_the_first_epoch_says_there_is_no_result():
    queue = jobs.JobQueue(workers=1, max_seconds=0.3)

    def slow_first_epoch(report, cancel):
        cancel.wait(5)
        raise type("TrainingCancelled", (RuntimeError,), {})("Stopped before the first epoch finished.")

    job = queue.submit("slow", slow_first_epoch, session="alice", estimate_seconds=0.1)
    assert job.wait(10)
    assert job.status == jobs.CANCELLED and job.hit_limit and job.result is None
    assert "before its first epoch finished" in job.error and "time limit of 0 s" not in job.error


def test_machine_speed_is_measured_from_finished_jobs_and_kept_on_disk(tmp_path):
    path = str(tmp_path / "speed.json")
    speed = jobs.MachineSpeed(path)
    assert not speed.measured
    guess = speed.estimate(1.0, 10)
    assert guess == pytest.approx(jobs.MachineSpeed.FALLBACK_OVERHEAD + 10 * jobs.MachineSpeed.FALLBACK_FACTOR)

    queue = jobs.JobQueue(workers=1, speed=speed)
    # Each epoch really takes 0.05 s where the formula said 0.1 nominal seconds: the machine is twice as fast.
    job = queue.submit("measured", epochs_until_cancelled(0.05, epochs=6), session="a", epoch_work=0.1, epochs=6)
    assert job.wait(10) and job.status == jobs.DONE
    assert speed.measured and queue.stats["measured"] == 1
    first, last = job.reports[0], job.reports[-1]
    per_epoch = (last.elapsed - first.elapsed) / (last.epoch - first.epoch)  # the epochs after the first
    assert speed.factor == pytest.approx(per_epoch / 0.1)  # about 0.5 on an idle machine
    assert 0 <= speed.overhead < 2.0
    assert queue.expected_seconds(queue.submit("x", lambda r, c: 1, epoch_work=0.1, epochs=100)) == pytest.approx(
        speed.overhead + speed.factor * 10)

    again = jobs.MachineSpeed(path)  # a restarted server starts from what was measured
    assert again.measured and again.factor == pytest.approx(speed.factor) and again.overhead == pytest.approx(
        speed.overhead)
    (tmp_path / "speed.json").write_text("{not json")
    assert not jobs.MachineSpeed(path).measured  # unreadable: measure again


def test_queue_waits_use_the_measured_speed():
    speed = jobs.MachineSpeed()
    speed.factor, speed.overhead = 2.0, 3.0
    queue = jobs.JobQueue(workers=1, speed=speed)
    gate = threading.Event()
    first = queue.submit("first", lambda r, c: gate.wait(10), session="a", estimate_seconds=5)
    while first.status != jobs.RUNNING:
        time.sleep(0.01)
    second = queue.submit("second", lambda r, c: 1, session="b", epoch_work=1.0, epochs=10)
    third = queue.submit("third", lambda r, c: 1, session="c", epoch_work=1.0, epochs=10)
    # Behind the running job's remaining time, then second's measured 3 + 2 * 10 = 23 s.
    assert queue.wait_estimate(third) == pytest.approx(queue.wait_estimate(second) + 23.0, abs=0.5)
    gate.set()
    assert third.wait(10)


def test_time_left_follows_the_epochs_after_the_first():
    """The first epoch also builds and traces the model: "time left" must not multiply it by every epoch."""
    queue = jobs.JobQueue(workers=1)
    job = jobs.Job("k", None, epoch_work=0.5, epochs=40)
    job.reports = [Report(1, 40, 7.0)]  # a slow first epoch...
    queue.speed.factor, queue.speed.overhead = 2.0, 5.0
    assert queue.remaining_seconds(job) == pytest.approx(39 * 1.0)  # ...then the measured pace: 2 x 0.5 s
    job.reports += [Report(2, 40, 8.2), Report(3, 40, 9.4)]
    assert queue.remaining_seconds(job) == pytest.approx(37 * 1.2)  # its own pace once it has one


def test_waits_never_count_a_running_job_beyond_the_limit():
    queue = jobs.JobQueue(workers=1, max_seconds=2.0)
    queue.speed.factor, queue.speed.overhead = 1.0, 0.0
    running = queue.submit("long", epochs_until_cancelled(0.05), session="alice", epoch_work=0.001, epochs=1000)
    while not running.reports:
        time.sleep(0.01)
    running.reports.append(Report(running.latest.epoch, 1000, running.latest.elapsed + 500))  # looks very slow
    waiting = queue.submit("next", lambda r, c: 1, session="bob", epoch_work=0.001, epochs=10)
    assert queue.wait_estimate(waiting) <= 2.0  # alice's job is stopped at the limit, whatever its pace
    assert running.wait(10) and running.hit_limit and waiting.wait(10)
