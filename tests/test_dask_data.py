"""Built-in data sets go to Dask workers by name (aecore.distributed.DataRef): the task carries the DataConfig,
the worker loads the data set itself; a worker that cannot gives the job one clear message."""

import pickle
import threading

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")

from aecore import distributed as remote  # noqa: E402
from aecore import embed, jobs  # noqa: E402
from aecore.data import point_pool  # noqa: E402
from aecore.train import train_autoencoder  # noqa: E402

SMALL = 64 * 1024  # bytes: every ndarray a task carries stays below (digits-8x8 alone is 500 kB)


def _set_worker_data(name: str, how: str) -> None:
    """On the worker: make data set ``name`` "offline" (its loader fails as without network), "different"
    (another copy than the app's), or "restore" it; and forget what this process loaded of it."""
    from dataclasses import replace

    from aecore import data
    from aecore import distributed as remote

    saved = data.__dict__.setdefault("_specs_before_test", {})
    saved.setdefault(name, data.DATASETS[name])
    spec = saved[name]

    def offline():
        raise data.DatasetUnavailable("Could not load it: no network (simulated by the test).")

    def different():
        X, y, names = spec.loader()[:3]
        return X[::-1].copy(), y[::-1].copy(), names

    data.DATASETS[name] = {"offline": replace(spec, loader=offline), "different": replace(spec, loader=different),
                           "restore": spec}[how]
    for key in [key for key, cfg in getattr(data, "_configs", {}).items() if cfg.name == name]:
        data._cache.pop(key, None)
        remote._fingerprints.pop(key, None)


@pytest.fixture(scope="module")
def cluster(warmed_local_cluster):
    with warmed_local_cluster(1) as cluster:
        yield cluster


@pytest.fixture
def submitted(client, monkeypatch):
    """The positional arguments of every task submitted through ``client`` (submitted for real)."""
    calls = []
    real = client.submit

    def spy(task, *args, **kwargs):
        calls.append(args)
        return real(task, *args, **kwargs)

    monkeypatch.setattr(client, "submit", spy)
    return calls


def _arrays(value):
    if isinstance(value, np.ndarray):
        yield value
    elif isinstance(value, (tuple, list)):
        for item in value:
            yield from _arrays(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _arrays(item)
    elif hasattr(value, "__dict__"):  # a Dataset sent whole
        yield from _arrays(vars(value))


def _carries_no_data(args) -> None:
    assert max((a.nbytes for a in _arrays(args)), default=0) < SMALL
    assert len(pickle.dumps(args)) < SMALL


def test_a_training_sends_the_data_set_by_name_and_equals_in_process(client, submitted, digits, tiny_experiment,
                                                                     tmp_path):
    exp = tiny_experiment.replace(train=tiny_experiment.train.replace(seed=201, epochs=4))
    local = train_autoencoder(exp, digits)
    result = remote.run_training(exp, digits, lambda r: None, threading.Event(), client=client,
                                 cache_directory=str(tmp_path))
    (args,) = submitted
    _carries_no_data(args)
    assert isinstance(args[1], remote.DataRef) and args[1].config == exp.data
    assert result.stopped == "completed" and result.epochs_run == 4
    # within 10 % as in tests/test_distributed.py (a seeded training differs a little on a worker)
    assert result.test_mse == pytest.approx(local.test_mse, rel=0.1)


@pytest.fixture(scope="module")
def mapped(digits):
    from aecore.config import DataConfig, Experiment, ModelConfig, TrainConfig

    exp = Experiment(DataConfig(name="digits-8x8"), ModelConfig(code_size=8, n_hidden_layers=1, first_layer_nodes=32),
                     TrainConfig(epochs=2, batch_size=64, early_stopping=False, seed=210))
    x, y, _, _ = point_pool(digits, 600)  # 150 kB of images: test set, then validation
    return train_autoencoder(exp, digits), x, y


def test_maps_send_the_images_by_name_and_equal_in_process(cluster, submitted, client, mapped, monkeypatch):
    result, x, y = mapped
    local_codes = embed.code_map_job(result, x, y, 20, 250, 0)(lambda f: None, threading.Event())
    local_pixels = embed.pixel_maps_job(x, y, 20, 250, 0)(lambda f: None, threading.Event())
    monkeypatch.setattr(remote, "get_client", lambda address=None: client)
    monkeypatch.setenv("AELAB_DASK_SCHEDULER", cluster.scheduler_address)
    codes = embed.code_map_job(result, x, y, 20, 250, 0, cluster_key="test-data-codes")(lambda f: None,
                                                                                         threading.Event())
    pixels = embed.pixel_maps_job(x, y, 20, 250, 0, cluster_key="test-data-pixels")(lambda f: None,
                                                                                   threading.Event())
    assert len(submitted) == 2
    for args in submitted:
        _carries_no_data(args)
    code_arguments = submitted[0][1]
    assert isinstance(code_arguments["x"], remote.DataRef) and code_arguments["x"].points == 600
    assert isinstance(code_arguments["codes"], np.ndarray)  # computed here, where the model is: sent
    assert np.array_equal(codes.embedding, local_codes.embedding) and codes.trust_pixels == local_codes.trust_pixels
    for name in ("pixels", "pca"):
        assert np.array_equal(pixels[name].embedding, local_pixels[name].embedding)
        assert pixels[name].knn == local_pixels[name].knn


def test_arrays_not_from_a_loaded_data_set_are_sent_as_they_are(digits):
    x, _, _, _ = point_pool(digits, 600)
    moved = x.copy()
    moved[5, 0, 0] += 0.5  # one pixel off: not the data set's any more
    subset = type(digits)(**{**vars(digits), "x_train": digits.x_train[:100], "y_train": digits.y_train[:100]})
    args = remote.by_reference((subset, {"x": moved, "kept": x}))
    assert args[0] is subset and args[1]["x"] is moved
    assert isinstance(args[1]["kept"], remote.DataRef)
    assert np.array_equal(remote.resolve(args[1]["kept"]), x)


def test_a_worker_that_cannot_load_the_data_set_gives_one_clear_message(cluster, client, digits, tiny_experiment,
                                                                       mapped, tmp_path, monkeypatch):
    monkeypatch.setenv("AELAB_DASK_SCHEDULER", cluster.scheduler_address)
    monkeypatch.setenv("AELAB_CACHE_DIR", str(tmp_path))
    queue = jobs.JobQueue(workers=1, release_memory=False)
    _, x, y = mapped

    def failed(key, fn) -> str:
        job = queue.submit(key, fn)
        assert job.wait(120), job.status
        assert job.status == jobs.FAILED and job.error, (job.status, job.error)
        assert "Traceback" not in job.error and "\n" not in job.error
        return job.error

    exp = tiny_experiment.replace(train=tiny_experiment.train.replace(seed=202, epochs=2))
    try:
        client.run(_set_worker_data, "digits-8x8", "offline")
        for error in (failed(exp.key(), remote.train_fn(exp, digits)),
                      failed("test-data-offline-map", embed.pixel_maps_job(x, y, 20, 250, 0,
                                                                           cluster_key="test-data-offline-map"))):
            assert error.startswith("The Dask worker could not load the data set digits-8x8 (DatasetUnavailable)")
            assert "Ask the teacher" in error and "choose an offline data set" in error
        client.run(_set_worker_data, "digits-8x8", "different")
        queue.forget(exp.key())
        assert "differs from the app server's" in failed(exp.key(), remote.train_fn(exp, digits))
    finally:
        client.run(_set_worker_data, "digits-8x8", "restore")
    queue.forget(exp.key())
    job = queue.submit(exp.key(), remote.train_fn(exp, digits))
    assert job.wait(120) and job.status == jobs.DONE and job.result.epochs_run == 2
