"""A classroom on one server: shared jobs, a fair bounded queue, private uploads, the disk cache on the page."""

import threading
import time
import types

import pytest
from streamlit.testing.v1 import AppTest

from aecore import jobs, runtime, train
from apphelpers import APP, TINY_SETTINGS, set_sidebar, texts


@pytest.fixture
def classroom(tmp_path, monkeypatch):
    """A fresh process-wide queue (one worker), an empty disk cache, and a count of real trainings."""
    monkeypatch.setenv("AELAB_CACHE_DIR", str(tmp_path / "cache"))
    queue = jobs.JobQueue(workers=1)
    monkeypatch.setattr(jobs, "_default_queue", queue)
    trained = []
    real = train.train_autoencoder

    def counting(experiment, *args, **kwargs):
        trained.append(experiment.key())
        return real(experiment, *args, **kwargs)

    monkeypatch.setattr(train, "train_autoencoder", counting)
    gate = threading.Event()
    yield types.SimpleNamespace(queue=queue, trained=trained, gate=gate)
    gate.set()


def student(name: str, **settings) -> AppTest:
    """One browser session of the real app, with its own session id."""
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["ae_session_id"] = name
    at.run()
    assert not at.exception, at.exception
    return set_sidebar(at, **{**TINY_SETTINGS, **settings})


def press_train(at: AppTest) -> jobs.Job:
    at.button(key="sidebar_train").click().run()
    assert not at.exception, at.exception
    return at.session_state["ae_job"]


def progress_text(at: AppTest) -> str:
    return " ".join(p.text for p in at.get("progress"))


def block_worker(room) -> jobs.Job:
    """Occupy the only worker until room.gate is set, so later jobs wait in the queue."""
    blocker = room.queue.submit("teacher-demo", lambda report, cancel: room.gate.wait(60), label="demo",
                                estimate_seconds=8)
    for _ in range(100):
        if blocker.status == jobs.RUNNING:
            break
        time.sleep(0.01)
    return blocker


def test_two_sessions_same_settings_train_once(classroom):
    block_worker(classroom)
    alice, bob = student("alice", sidebar_seed=11), student("bob", sidebar_seed=11)
    job_a = press_train(alice)
    job_b = press_train(bob)
    assert job_b is job_a and job_a.attached == {"alice", "bob"}
    assert "1 job ahead of yours" in progress_text(bob)
    classroom.gate.set()
    assert job_a.wait(60) and job_a.status == jobs.DONE
    for at in (alice, bob):
        at.run()
        assert not at.exception
        assert "Test MSE" in texts(at)
    assert classroom.trained == [job_a.key]  # exactly one training for both sessions
    assert "Shared: another session asked for these exact settings" in texts(bob)
    carol = student("carol", sidebar_seed=11)  # arrives after it finished: served from memory at once
    assert press_train(carol) is job_a and classroom.trained == [job_a.key]


def test_two_settings_run_one_after_the_other_with_queue_position(classroom):
    block_worker(classroom)
    alice, bob = student("alice", sidebar_seed=21), student("bob", sidebar_seed=22)
    job_a, job_b = press_train(alice), press_train(bob)
    assert job_a is not job_b
    assert classroom.queue.position(job_a) == 1 and classroom.queue.position(job_b) == 2
    assert "1 job ahead of yours" in progress_text(alice)
    assert "2 jobs ahead of yours" in progress_text(bob)
    wait_a, wait_b = classroom.queue.wait_estimate(job_a), classroom.queue.wait_estimate(job_b)
    assert 0 < wait_a < wait_b
    classroom.gate.set()
    assert job_a.wait(60) and job_b.wait(60)
    assert job_a.status == job_b.status == jobs.DONE
    assert job_a.finished <= job_b.started  # one worker: one after the other, in arrival order
    assert classroom.trained == [job_a.key, job_b.key]


def test_uploaded_data_model_is_private_to_its_session(classroom, digits):
    upload = types.SimpleNamespace(dataset=digits, upload_id="same-bytes-123")
    sessions = []
    for name in ("alice", "bob"):  # both upload the very same file
        at = AppTest.from_file(APP, default_timeout=60)
        at.session_state["ae_session_id"] = name
        at.session_state["ae_uploads"] = {"class-photos": upload}
        at.run()
        sessions.append(set_sidebar(at, **{**TINY_SETTINGS, "sidebar_dataset": "class-photos"}))
    job_a = press_train(sessions[0])
    assert job_a.wait(60) and job_a.status == jobs.DONE and job_a.owner == "alice"
    job_b = press_train(sessions[1])
    assert job_b is not job_a and job_b.owner == "bob"  # never offered to another session
    assert job_b.wait(60) and len(classroom.trained) == 2
    assert classroom.queue.find(job_a.key) is None  # not findable without being its owner
    from aecore import cache

    assert cache.default_cache().entries() == []  # and never written to disk
    assert classroom.queue.forget_owner("alice") == 1  # the session ended: its model is dropped
    assert classroom.queue.find(job_a.key, owner="alice") is None
    assert classroom.queue.find(job_b.key, owner="bob") is job_b


def test_a_restarted_server_loads_from_the_disk_cache(classroom, monkeypatch):
    alice = student("alice", sidebar_seed=31)
    first = press_train(alice)
    assert first.wait(60) and first.source == "run"
    monkeypatch.setattr(jobs, "_default_queue", jobs.JobQueue(workers=1))  # memory gone, disk kept
    bob = student("bob", sidebar_seed=31)
    again = press_train(bob)
    assert again is not first and again.wait(30)
    assert again.status == jobs.DONE and again.from_cache
    bob.run()
    assert "Loaded from the cache" in texts(bob)
    assert classroom.trained == [first.key]  # trained once, before the "restart"


def test_fair_queue_serves_every_session_in_turn():
    queue = jobs.JobQueue(workers=1)
    gate, order = threading.Event(), []

    def work(name):
        def run(report, cancel):
            gate.wait(10)
            order.append(name)
        return run

    queue.submit("hold", work("hold"))
    time.sleep(0.05)
    for i in range(3):  # one eager student queues three sweeps...
        queue.submit(f"a{i}", work(f"a{i}"), session="a", estimate_seconds=5)
    late = queue.submit("b0", work("b0"), session="b", estimate_seconds=5)  # ...then another asks once
    assert queue.position(late) == 2  # after the running job and a0, not after all of a's
    assert queue.wait_estimate(late) == pytest.approx(queue.wait_estimate(queue.find("a1")) - 5, abs=0.5)
    gate.set()
    for key in ("a0", "a1", "a2", "b0"):
        assert queue.find(key).wait(10)
    assert order == ["hold", "a0", "b0", "a1", "a2"]


def test_closed_tab_cancels_a_job_only_when_nobody_else_watches():
    queue = jobs.JobQueue(workers=1)
    gate = threading.Event()
    running = queue.submit("shared", lambda r, c: gate.wait(10), session="s1")
    queued = queue.submit("solo", lambda r, c: 1, session="s1")
    queue.submit("shared", None, session="s2")
    for _ in range(100):
        if running.status == jobs.RUNNING:
            break
        time.sleep(0.01)
    connected = {"s1": True, "s2": True}
    watcher = jobs.SessionWatcher(queue, connected.get, grace=5, forget_after=60)
    connected["s1"] = False  # s1 closed its tab
    watcher.check(now=100.0)
    assert queued.status == jobs.QUEUED  # within the grace period a reload could still come back
    watcher.check(now=106.0)
    assert queued.status == jobs.CANCELLED  # s1 was the only one waiting for it
    assert running.status == jobs.RUNNING and running.attached == {"s2"}  # s2 still watches this one
    connected["s2"] = False
    watcher.check(now=107.0)
    watcher.check(now=113.0)
    assert running.cancel_event.is_set()
    gate.set()
    assert running.wait(5) and running.status == jobs.CANCELLED


def test_a_quick_cache_load_does_not_wait_behind_training():
    queue = jobs.JobQueue(workers=1)
    gate = threading.Event()
    queue.submit("long-training", lambda r, c: gate.wait(10))
    loaded = queue.submit("cached", lambda r, c: "trained", quick=lambda r, c: "from disk")
    assert loaded.wait(5) and loaded.result == "from disk" and loaded.from_cache
    missing = queue.submit("not-cached", lambda r, c: "trained", quick=lambda r, c: None)
    time.sleep(0.2)
    assert missing.status == jobs.QUEUED and queue.position(missing) == 1  # a miss joins the queue
    gate.set()
    assert missing.wait(5) and missing.result == "trained" and not missing.from_cache


def test_worker_count_and_tensorflow_threads_follow_the_cores(monkeypatch):
    monkeypatch.delenv("AELAB_WORKERS", raising=False)
    # 2 cores: two workers sharing TensorFlow's pool of 2 intra-op threads (benchmarks/workers.py)
    assert runtime.default_workers(cores=2) == 2 and runtime.tensorflow_threads(cores=2) == 2
    assert runtime.default_workers(cores=8) == 4 and runtime.tensorflow_threads(cores=8) == 2
    assert runtime.default_workers(cores=1) == 1 and runtime.tensorflow_threads(cores=1) == 1
    monkeypatch.setenv("AELAB_WORKERS", "1")
    assert runtime.default_workers(cores=2) == 1 and runtime.tensorflow_threads(cores=2) == 2
