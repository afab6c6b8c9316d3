"""Threads per job: sized by the jobs actually running and the machine's load, no oversubscription (aecore.runtime,
through the app queue's hooks)."""

import threading

import pytest

from aecore import jobs, runtime

pytestmark = pytest.mark.unit


def test_one_inter_op_thread_per_worker():
    # Before: one worker on 2 cores ran 2 intra-op x 2 inter-op threads (configure_tensorflow's min(2, ...)).
    assert runtime.tensorflow_threads(workers=1, cores=2) * runtime.tensorflow_inter_threads(workers=1, cores=2) == 2
    assert runtime.tensorflow_inter_threads(workers=1, cores=2) == 1
    assert runtime.tensorflow_inter_threads(workers=2, cores=2) == 2  # two jobs at once must not take turns
    assert runtime.tensorflow_inter_threads(workers=4, cores=2) == 2


def test_threads_for_the_jobs_running_and_the_load():
    assert runtime.threads_for(1, cores=2, load=0.3) == 2
    assert runtime.threads_for(2, cores=2, load=0.3) == 1
    assert runtime.threads_for(3, cores=8, load=1.0) == 2
    assert runtime.threads_for(0, cores=2, load=0.0) == 2
    # A machine busier than its cores: one thread, however few jobs run here.
    assert runtime.threads_for(1, cores=2, load=3.0) == 1
    assert runtime.threads_for(1, cores=8, load=4.0) == 8


def _openmp_threads() -> int | None:
    """The calling thread's OpenMP limit (per thread, unlike OpenBLAS's: threadpoolctl lets only one thread
    at a time set that one)."""
    from threadpoolctl import threadpool_info

    found = [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "openmp"]
    return min(found) if found else None


def test_a_job_runs_with_its_share_of_the_cores(monkeypatch):
    import sklearn.utils._openmp_helpers  # noqa: F401  (loads the OpenMP runtime whose threads the queue limits)

    monkeypatch.setattr(runtime.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(runtime.os, "getloadavg", lambda: (0.2, 0.2, 0.2))
    queue = jobs.app_queue(workers=2, release_memory=False)
    first_started, release = threading.Event(), threading.Event()
    seen = {}

    def first(report, cancel):
        seen["first"] = _openmp_threads()
        first_started.set()
        release.wait(10)
        return "first"

    def second(report, cancel):
        seen["second"] = _openmp_threads()
        return "second"

    a = queue.submit("a", first, session="s1")
    assert first_started.wait(10)
    b = queue.submit("b", second, session="s2")  # runs while the first one still does
    assert b.wait(10)
    release.set()
    assert a.wait(10)
    assert (a.threads, b.threads) == (2, 1)
    if seen["first"] is not None:  # OpenMP found: each job saw its own limit
        assert (seen["first"], seen["second"]) == (2, 1)


def test_a_busy_machine_gives_a_lone_job_one_thread(monkeypatch):
    monkeypatch.setattr(runtime.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(runtime.os, "getloadavg", lambda: (5.0, 5.0, 5.0))
    queue = jobs.app_queue(workers=1, release_memory=False)
    job = queue.submit("lone", lambda report, cancel: runtime.job_threads(), session="s")
    assert job.wait(10) and job.threads == 1


def test_job_threads_counts_the_running_jobs(monkeypatch):
    monkeypatch.setattr(runtime.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(runtime.os, "getloadavg", lambda: (0.1, 0.1, 0.1))
    queue = jobs.app_queue(workers=1, release_memory=False)
    job = queue.submit("asks", lambda report, cancel: runtime.job_threads(), session="s")
    assert job.wait(10) and job.result == 2 == job.threads  # alone on an idle 2-core machine: both cores


def test_a_job_running_elsewhere_holds_no_core(monkeypatch):
    monkeypatch.setattr(runtime.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(runtime.os, "getloadavg", lambda: (0.1, 0.1, 0.1))
    queue = jobs.app_queue(workers=1, release_memory=False)
    release = threading.Event()

    def remote(report, cancel):
        release.wait(10)
        return "remote"

    remote.runs_elsewhere = True
    far = queue.submit("far", remote, session="s1")
    near = queue.submit("near", lambda report, cancel: "near", session="s2")
    assert near.wait(10) and near.threads == 2  # the Dask job waits on a cluster, not on these cores
    release.set()
    assert far.wait(10) and far.threads is None


def test_a_job_runs_even_when_its_threads_cannot_be_limited(monkeypatch):
    import threadpoolctl

    def broken(*args, **kwargs):
        raise OSError("cannot load a threading library")

    monkeypatch.setattr(threadpoolctl, "threadpool_limits", broken)
    queue = jobs.app_queue(workers=1, release_memory=False)
    job = queue.submit("unlimited", lambda report, cancel: "ran", session="s")
    assert job.wait(10) and job.status == jobs.DONE and job.result == "ran"


def test_tensorflow_gets_the_queues_inter_op_threads_in_a_fresh_process():
    """runtime.configure_tensorflow, as the app's first training calls it, applies the queue's sizing (it used
    to set min(2, threads) inter-op threads whatever the queue said)."""
    import subprocess
    import sys

    code = ("from aecore import runtime; runtime.configure_tensorflow(); import tensorflow as tf; "
            "print(tf.config.threading.get_inter_op_parallelism_threads(), runtime.tensorflow_inter_threads())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                         env={**__import__("os").environ, "TF_CPP_MIN_LOG_LEVEL": "3"}).stdout.split()
    assert out[-2] == out[-1], out


def test_the_plain_queue_imports_no_tensorflow_and_runs_unlimited():
    """aecore.jobs is plain Python: a queue without hooks runs a job in a fresh process without importing
    TensorFlow, Keras, the training module or the runtime, and leaves the job's threads alone."""
    import subprocess
    import sys

    code = ("import sys; from aecore import jobs; queue = jobs.JobQueue(); "
            "job = queue.submit('k', lambda report, cancel: 7); assert job.wait(60) and job.result == 7; "
            "assert job.threads is None; "
            "print(sorted(m for m in ('tensorflow', 'keras', 'aecore.train', 'aecore.runtime') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_the_app_queue_uses_the_runtimes_hooks():
    queue = jobs.app_queue(workers=1, release_memory=False)
    assert queue.workers == 1
    assert queue.hooks.before_work is runtime.import_tensorflow
    assert queue.hooks.limit_threads is runtime.job_limits
    assert queue.hooks.release is runtime.release_training_graphs
    assert jobs.app_queue().workers == runtime.default_workers()


def test_two_workers_share_every_core_on_a_two_core_machine(monkeypatch):
    """A class of distinct models on 2 cores: two workers (one compiles or runs its Python while the other
    computes) sharing TensorFlow's process-wide pool of 2 intra-op threads, so a lone job still uses both
    cores (benchmarks/workers.py). Before: one worker, 2 threads."""
    monkeypatch.delenv("AELAB_WORKERS", raising=False)
    assert runtime.default_workers(cores=2) == 2
    assert runtime.tensorflow_threads(cores=2) == 2 and runtime.tensorflow_inter_threads(cores=2) == 2
    assert runtime.default_workers(cores=1) == 1 and runtime.tensorflow_threads(cores=1) == 1
    assert runtime.default_workers(cores=4) == 2 and runtime.tensorflow_threads(cores=4) == 4
    assert runtime.default_workers(cores=8) == 4 and runtime.tensorflow_threads(cores=8) == 2  # as before
    monkeypatch.setattr(runtime.os, "cpu_count", lambda: 2)
    assert jobs.app_queue(release_memory=False).workers == 2


def test_aelab_workers_still_decides(monkeypatch):
    monkeypatch.setenv("AELAB_WORKERS", "1")  # the side-by-side of benchmarks/classroom.py: yesterday's sizing
    assert runtime.default_workers(cores=2) == 1
    assert runtime.tensorflow_threads(cores=2) == 2 and runtime.tensorflow_inter_threads(cores=2) == 1
    monkeypatch.setenv("AELAB_WORKERS", "3")
    assert runtime.default_workers(cores=2) == 3 and runtime.tensorflow_inter_threads(cores=2) == 2
