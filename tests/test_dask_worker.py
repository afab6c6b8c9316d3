"""The Dask worker preload (aecore.dask_worker): workers compile the default model's step as they start."""

import logging
import sys
import threading
import time
import types

import pytest

distributed = pytest.importorskip("distributed")

from aecore import distributed as remote  # noqa: E402
from aecore import dask_worker  # noqa: E402
from aecore.config import Experiment  # noqa: E402

WARM_UP_SECONDS = 180  # TensorFlow's import and the compile in a fresh process, on a busy 2-core machine


def _warm_up_ended() -> bool:
    from aecore.dask_worker import WARMED

    return WARMED.is_set()


def _default_trainers_compiled() -> dict:
    """On the worker: compiled trainers by kind (the default architecture's, any other's)."""
    from aecore.compiled_trainers import TRAINERS
    from aecore.config import Experiment

    default = sum(n for key, n in TRAINERS.compiled.items() if key[0] == Experiment().model)
    return {"default": default, "other": sum(TRAINERS.compiled.values()) - default}


@pytest.fixture(scope="module")
def preloaded_cluster():
    # Spawned workers re-run the parent's __main__ (app.py after an AppTest): see test_distributed.cluster.
    real_main = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    cluster = distributed.LocalCluster(n_workers=1, processes=True, threads_per_worker=1, dashboard_address=None,
                                       silence_logs=40, preload=["aecore.dask_worker"])
    yield cluster
    remote.close_clients()
    cluster.close()
    sys.modules["__main__"] = real_main


def test_a_preloaded_worker_compiles_the_default_step_before_any_training(preloaded_cluster, mnist5k, tmp_path):
    with distributed.Client(preloaded_cluster.scheduler_address, set_as_default=False) as client:
        deadline = time.time() + WARM_UP_SECONDS
        # client.run runs on the worker's event loop, beside the warm-up on its task thread.
        while not all(client.run(_warm_up_ended).values()) and time.time() < deadline:
            time.sleep(0.5)
        (compiled,) = client.run(_default_trainers_compiled).values()
        assert compiled == {"default": 1, "other": 0}, "the worker did not compile the default step by itself"
        result = remote.run_training(Experiment(), mnist5k, lambda report: None, threading.Event(), client=client,
                                     cache_directory=str(tmp_path))
        assert result.stopped == "completed"
        (after,) = client.run(_default_trainers_compiled).values()
    assert after == {"default": 1, "other": 0}  # the training took the warmed trainer: no new step


class _FakeWorker:
    """What dask_setup uses of a Worker: its task threads."""

    def __init__(self, nthreads: int):
        from distributed.threadpoolexecutor import ThreadPoolExecutor

        self.executors = {"default": ThreadPoolExecutor(nthreads)}
        self.state = types.SimpleNamespace(nthreads=nthreads)


def test_setup_returns_at_once_and_tasks_wait_for_the_import(monkeypatch):
    imported, compiled = threading.Event(), threading.Event()

    def slow_import():
        time.sleep(1.0)
        imported.set()

    monkeypatch.setattr("aecore.runtime.import_tensorflow", slow_import)
    monkeypatch.setattr("aecore.train.compile_default_training_step", lambda: compiled.set() or True)
    worker = _FakeWorker(nthreads=2)
    started = time.perf_counter()
    dask_worker.dask_setup(worker)
    assert time.perf_counter() - started < 0.5  # the worker goes on starting while the warm-up runs
    assert not imported.is_set()
    # Tasks queued now, one per thread: each starts only once TensorFlow is imported.
    tasks = [worker.executors["default"].submit(imported.is_set) for _ in range(2)]
    assert [task.result(timeout=30) for task in tasks] == [True, True]
    assert compiled.wait(30)
    worker.executors["default"].shutdown()


def test_without_the_data_set_the_warm_up_logs_and_goes_on(monkeypatch, caplog):
    from aecore.data import DatasetUnavailable

    def offline(cfg):
        raise DatasetUnavailable("mnist-5k needs a download and there is no network")

    monkeypatch.setattr("aecore.data.load_dataset", offline)
    with caplog.at_level(logging.WARNING):
        assert dask_worker.warm_up() is False
    assert "no network" in caplog.text and "not compiled" in caplog.text
