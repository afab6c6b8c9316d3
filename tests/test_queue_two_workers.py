"""Free exploration with two workers (the default on 2 cores): every first training before a second job
(a map) of a session already served, and waits estimated over both workers."""

import threading
import time

import pytest

from aecore import jobs

pytestmark = pytest.mark.unit


def test_a_map_waits_behind_every_first_training_and_waits_count_both_workers():
    queue = jobs.JobQueue(workers=2, release_memory=False)
    gates = {}
    started = []

    def work(name):
        gates[name] = threading.Event()

        def run(report, cancel):
            started.append(name)
            gates[name].wait(10)
            return name
        return run

    trainings = [queue.submit(f"t{i}", work(f"t{i}"), session=f"s{i}", estimate_seconds=10) for i in range(6)]
    while len(started) < 2:  # both workers busy with the first two
        threading.Event().wait(0.01)
    gates["t0"].set()
    assert trainings[0].wait(5)
    while len(started) < 3:
        threading.Event().wait(0.01)
    # s0 saw its model and opens the latent page: its map queues after the sessions not served yet.
    map_job = queue.submit("m0", work("m0"), session="s0", estimate_seconds=10)
    each = queue.expected_seconds(map_job)
    assert queue.position(map_job) == 5  # two running, t3, t4, t5
    # Two workers: t3 starts when the first running job ends, t4 with the second, t5 and then the map after
    # one more job on each: twice a job's time, not the four jobs' time of a single worker.
    # The running jobs' time left shrinks as they run: allow for the time t1 (the oldest) has run by the end
    # of the checks, which a busy CI machine stretches (0.7 s once).
    waits = [queue.wait_estimate(job) for job in (trainings[3], map_job, trainings[5])]
    ran = time.time() - trainings[1].started + 0.05
    for wait, jobs_ahead in zip(waits, (1, 2, 2)):
        assert jobs_ahead * each - ran <= wait <= jobs_ahead * each + 0.05
    for name in ("t1", "t2", "t3", "t4", "t5", "m0"):
        gates[name].set()
    assert map_job.wait(10) and all(t.wait(10) for t in trainings)
    # Picked in that order (``started`` is set under the queue's lock; the list above is appended by two threads).
    assert map_job.started >= max(t.started for t in trainings)
