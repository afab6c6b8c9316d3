"""Training on a Dask cluster (aecore.distributed): a LocalCluster of two worker processes, digits-8x8."""

import os
import signal
import threading
import time

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")

from aecore import distributed as remote  # noqa: E402
from aecore import embed  # noqa: E402
from aecore import jobs  # noqa: E402
from aecore.data import point_pool  # noqa: E402
from aecore.cache import DiskCache  # noqa: E402
from aecore.train import TrainingCancelled, train_autoencoder  # noqa: E402


@pytest.fixture(scope="module")
def cluster(warmed_local_cluster):
    # One TensorFlow thread per worker process: two workers share the two cores once.
    with warmed_local_cluster(2, env={"AELAB_WORKERS": "2", "OMP_NUM_THREADS": "1"}) as cluster:
        yield cluster


def _experiment(tiny_experiment, seed, **train):
    return tiny_experiment.replace(train=tiny_experiment.train.replace(seed=seed, **train))


def test_result_equals_in_process_and_arrives_through_the_shared_cache(client, digits, tiny_experiment, tmp_path):
    exp = _experiment(tiny_experiment, seed=101, epochs=4)
    local = train_autoencoder(exp, digits)
    reports = []
    result = remote.run_training(exp, digits, reports.append, threading.Event(), client=client,
                                 cache_directory=str(tmp_path))
    assert DiskCache(tmp_path).contains(exp)  # saved by the worker, loaded from there
    assert result.stopped == "completed" and result.epochs_run == 4
    # Same seed, same model: equal within 10 %. NOT bit for bit: in-process gave 0.061024 run after run, while
    # runs on LocalCluster workers gave 0.0607, 0.0609, 0.0623 and 0.0643 (measured 2026-12-02; the cause,
    # something in the worker process that changes a seeded training, is not found yet).
    assert result.test_mse == pytest.approx(local.test_mse, rel=0.1)
    assert np.allclose(result.history["loss"], local.history["loss"], rtol=0.1)
    assert reports and reports[-1].epoch == 4 and reports[-1].epochs == 4
    assert [r.epoch for r in reports] == sorted(r.epoch for r in reports)
    assert result.reconstruct(digits.x_test[:3]).shape == digits.x_test[:3].shape


def test_two_clients_share_one_run(cluster, digits, tiny_experiment, tmp_path):
    exp = _experiment(tiny_experiment, seed=102, epochs=30, batch_size=16)
    results, errors = {}, []

    def ask(name):
        try:
            with distributed.Client(cluster.scheduler_address, set_as_default=False) as c:
                results[name] = remote.run_training(exp, digits, lambda r: None, threading.Event(), client=c,
                                                    cache_directory=str(tmp_path))
        except Exception as exc:  # pragma: no cover - shown by the assert below
            errors.append(exc)

    threads = [threading.Thread(target=ask, args=(name,)) for name in ("a", "b")]
    for t in threads:
        t.start()
        time.sleep(0.5)
    for t in threads:
        t.join(120)
    assert not errors and set(results) == {"a", "b"}
    assert results["a"].test_mse == results["b"].test_mse
    with distributed.Client(cluster.scheduler_address, set_as_default=False) as c:
        runs = [msg for _, msg in c.get_events("aelab-runs") if msg["key"] == exp.key()]
    assert len(runs) == 1  # one training served both clients


def test_stop_cancels_through_the_dask_event(client, digits, tiny_experiment, tmp_path):
    exp = _experiment(tiny_experiment, seed=103, epochs=300, batch_size=16)
    cancel, reports = threading.Event(), []

    def progress(report):
        reports.append(report)
        if report.epoch >= 2:
            cancel.set()

    started = time.perf_counter()
    result = remote.run_training(exp, digits, progress, cancel, client=client, cache_directory=str(tmp_path))
    assert result.stopped == "cancelled" and 2 <= result.epochs_run < 20
    assert time.perf_counter() - started < 60
    assert not DiskCache(tmp_path).contains(exp)  # a partial model is never shared through the cache
    assert result.reconstruct(digits.x_test[:2]).shape == digits.x_test[:2].shape  # but its session gets it


def test_stop_before_it_starts_leaves_nothing(client, digits, tiny_experiment, tmp_path):
    exp = _experiment(tiny_experiment, seed=104, epochs=300, batch_size=16)
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(TrainingCancelled):
        remote.run_training(exp, digits, lambda r: None, cancel, client=client, cache_directory=str(tmp_path))
    # The same key trains normally afterwards (the stop event does not linger).
    short = _experiment(tiny_experiment, seed=104, epochs=2)
    result = remote.run_training(short, digits, lambda r: None, threading.Event(), client=client,
                                 cache_directory=str(tmp_path))
    assert result.stopped == "completed"


class _KilledFuture:
    """A Dask future whose task the scheduler gave up on after its workers kept dying."""

    def done(self):
        return True

    def cancelled(self):
        return False

    def result(self):
        from distributed.scheduler import KilledWorker

        raise KilledWorker("k", None, 3)

    def release(self):
        pass


def test_workers_killed_past_the_allowed_failures_give_a_clear_message(client, monkeypatch):
    monkeypatch.setattr(client, "submit", lambda *a, **k: _KilledFuture())
    from aecore.config import DataConfig, Experiment

    with pytest.raises(RuntimeError, match="Press Train to try again"):
        remote.run_training(Experiment(DataConfig(name="digits-8x8")), None, lambda r: None, threading.Event(),
                            client=client)


def test_the_queue_relays_dask_jobs_without_taking_a_local_slot(cluster, digits, tiny_experiment, tmp_path,
                                                                 monkeypatch):
    monkeypatch.setenv("AELAB_DASK_SCHEDULER", cluster.scheduler_address)
    monkeypatch.setenv("AELAB_CACHE_DIR", str(tmp_path))
    queue = jobs.JobQueue(workers=1, release_memory=False)
    release = threading.Event()
    blocker = queue.submit("local", lambda report, cancel: release.wait(60))
    exp = _experiment(tiny_experiment, seed=106, epochs=3)
    job = queue.submit(exp.key(), remote.train_fn(exp, digits), about=exp)
    assert job.wait(90), job.status  # done while the only local slot is still busy
    assert blocker.status == jobs.RUNNING
    release.set()
    assert job.status == jobs.DONE and job.result.epochs_run == 3 and job.reports
    assert DiskCache(tmp_path).contains(exp)


def test_without_the_variable_nothing_goes_to_dask(monkeypatch, digits, tiny_experiment):
    from aecore import sweeps, trained

    monkeypatch.delenv("AELAB_DASK_SCHEDULER", raising=False)
    for job in (trained.train_job, sweeps.train_job):  # the sidebar's Train and the PCA page's sweep
        assert not getattr(job(tiny_experiment, digits), "runs_elsewhere", False)
    monkeypatch.setenv("AELAB_DASK_SCHEDULER", "tcp://127.0.0.1:1")
    for job in (trained.train_job, sweeps.train_job):
        assert getattr(job(tiny_experiment, digits), "runs_elsewhere", False)


def test_importing_the_module_imports_neither_dask_nor_tensorflow():
    import subprocess
    import sys

    code = ("import sys, aecore.distributed as d; "
            "print(d.enabled(), 'distributed' in sys.modules, 'tensorflow' in sys.modules)")
    env = {k: v for k, v in os.environ.items() if k != "AELAB_DASK_SCHEDULER"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60,
                         cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert out.stdout.split() == ["False", "False", "False"], out.stderr


# -- t-SNE maps ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def map_inputs(digits):
    from aecore.config import DataConfig, Experiment, ModelConfig, TrainConfig

    exp = Experiment(DataConfig(name="digits-8x8"), ModelConfig(code_size=8, n_hidden_layers=1, first_layer_nodes=32),
                     TrainConfig(epochs=3, batch_size=64, early_stopping=False, seed=110))
    result = train_autoencoder(exp, digits)
    x, y, _, _ = point_pool(digits, 400)
    return result, x, y


def test_a_code_map_on_the_cluster_equals_in_process(cluster, map_inputs, monkeypatch):
    from aecore import embed

    result, x, y = map_inputs
    local_frames, remote_frames = [], []
    local = embed.code_map_job(result, x, y, 20, 300, 0)(local_frames.append, threading.Event())
    monkeypatch.setenv("AELAB_DASK_SCHEDULER", cluster.scheduler_address)
    job = embed.code_map_job(result, x, y, 20, 300, 0, cluster_key="test-map-codes")
    assert job.runs_elsewhere
    remote_map = job(remote_frames.append, threading.Event())
    assert remote_map.complete and remote_map.method == local.method == "t-SNE of the codes"
    # the same codes, neighbours, start and threads: the same map, bit for bit, and the same figures
    assert np.array_equal(remote_map.embedding, local.embedding)
    assert np.array_equal(remote_map.codes, local.codes) and np.array_equal(remote_map.labels, y)
    assert (remote_map.trust, remote_map.trust_pixels, remote_map.knn) == (local.trust, local.trust_pixels, local.knn)
    assert np.array_equal(remote_map.reconstructions, local.reconstructions)  # made here, from the model
    # the frames came back through Dask's events, in order, ending with the final map
    assert all(isinstance(f, embed.EmbedFrame) for f in remote_frames)
    assert [f.iteration for f in remote_frames] == sorted(f.iteration for f in remote_frames)
    assert remote_frames[-1].phase == "done" and np.array_equal(remote_frames[-1].embedding, local.embedding)
    assert len(remote_frames) >= 3 and remote_frames[0].phase == "start"


def test_pixel_and_snapshot_maps_on_the_cluster_equal_in_process(client, map_inputs, digits):
    from aecore import embed

    result, x, y = map_inputs
    local = embed.pixel_maps_job(x, y, 20, 300, 0)(lambda f: None, threading.Event())
    remote_maps = embed.map_on_cluster("test-map-pixels", "pixels", dict(x=x, labels=y, perplexity=20, iterations=300,
                                                                    seed=0), lambda f: None, threading.Event(),
                                 client=client)
    for name in ("pixels", "pca"):
        assert np.array_equal(remote_maps[name].embedding, local[name].embedding)
        assert (remote_maps[name].trust, remote_maps[name].knn) == (local[name].trust, local[name].knn)
    snapshots = result.code_snapshots[:2]
    local = embed.snapshot_maps_job(snapshots, digits.y_test, 15, 100, 0)(lambda m: None, threading.Event())
    reported = []
    remote_snaps = embed.map_on_cluster("test-map-snapshots", "snapshots", dict(
        snapshots=snapshots, labels=digits.y_test, perplexity=15, iterations=100, seed=0), reported.append,
        threading.Event(), client=client)
    assert [m[0] for m in remote_snaps] == [r.partial[0] for r in reported] == [m[0] for m in local]
    assert all(np.array_equal(a[1], b[1]) and a[2] == b[2] for a, b in zip(remote_snaps, local))
    assert all(np.array_equal(a.partial[1], b[1]) for a, b in zip(reported, local))  # each map as it finished
    assert [(r.done, r.total) for r in reported] == [(1, 2), (2, 2)]


def test_stop_ends_a_map_on_the_cluster_through_the_dask_event(client, map_inputs, digits):
    result, _, _ = map_inputs
    codes = result.code_snapshots[0][1]
    # ten maps of the same codes: each takes a while, so Stop lands in the middle of the series
    snapshots = [(epoch, codes) for epoch in range(1, 11)]
    cancel, reported = threading.Event(), []

    def report(item):
        reported.append(item)
        cancel.set()  # Stop once the first map is back

    started = time.perf_counter()
    maps = embed.map_on_cluster("test-map-stop", "snapshots", dict(snapshots=snapshots, labels=digits.y_test,
                                                              perplexity=15, iterations=1000, seed=0),
                          report, cancel, client=client)
    assert 1 <= len(maps) < 10 and len(reported) == len(maps)  # stopped part way, what was done comes back
    assert time.perf_counter() - started < 60
    # Stop before a worker began: nothing comes back, and the key maps normally afterwards
    stopped = threading.Event()
    stopped.set()
    assert embed.map_on_cluster("test-map-stop-early", "snapshots", dict(snapshots=snapshots, labels=digits.y_test,
                                                                    perplexity=15, iterations=100, seed=0),
                          lambda item: None, stopped, client=client) is None
    assert len(embed.map_on_cluster("test-map-stop-early", "snapshots", dict(
        snapshots=snapshots[:1], labels=digits.y_test, perplexity=15, iterations=100, seed=0), lambda item: None,
        threading.Event(), client=client)) == 1


def test_two_clients_share_one_map(cluster, map_inputs):
    result, x, y = map_inputs
    codes = np.asarray(result.encode(x))
    arguments = dict(codes=codes, x=x, labels=y, perplexity=20, iterations=300, seed=0)
    results, errors = {}, []

    def ask(name):
        try:
            with distributed.Client(cluster.scheduler_address, set_as_default=False) as c:
                results[name] = embed.map_on_cluster("test-map-shared", "codes", arguments, lambda f: None,
                                               threading.Event(), client=c)
        except Exception as exc:  # pragma: no cover - shown by the assert below
            errors.append(exc)

    threads = [threading.Thread(target=ask, args=(name,)) for name in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors and set(results) == {"a", "b"}
    assert np.array_equal(results["a"].embedding, results["b"].embedding)
    with distributed.Client(cluster.scheduler_address, set_as_default=False) as c:
        runs = [msg for _, msg in c.get_events("aelab-runs") if msg["key"] == "test-map-shared"]
    assert len(runs) == 1  # one t-SNE served both clients


def test_a_map_whose_workers_died_gives_a_clear_message(client, monkeypatch):
    monkeypatch.setattr(client, "submit", lambda *a, **k: _KilledFuture())
    with pytest.raises(RuntimeError, match="drawing this map stopped 4 times.*Press Try again"):
        embed.map_on_cluster("test-map-dead", "pixels", {}, lambda f: None, threading.Event(), client=client)
    with pytest.raises(ValueError, match="Unknown kind of map"):
        embed.map_on_cluster("test-map-dead", "umap", {}, lambda f: None, threading.Event(), client=client)


def test_maps_go_to_the_cluster_only_with_a_key_and_the_variable(monkeypatch, map_inputs):
    from aecore import embed

    result, x, y = map_inputs
    snapshots = result.code_snapshots[:1]

    def elsewhere(**kw):
        return [getattr(job, "runs_elsewhere", False) for job in (
            embed.code_map_job(result, x, y, 20, 300, 0, **kw), embed.pixel_maps_job(x, y, 20, 300, 0, **kw),
            embed.snapshot_maps_job(snapshots, y, 20, 300, 0, **kw))]

    monkeypatch.delenv("AELAB_DASK_SCHEDULER", raising=False)
    assert elsewhere() == elsewhere(cluster_key="k") == [False] * 3
    monkeypatch.setenv("AELAB_DASK_SCHEDULER", "tcp://127.0.0.1:1")
    assert elsewhere() == [False] * 3  # no key (an upload's map): this process
    assert elsewhere(cluster_key="k") == [True] * 3


# Last: the killed worker's replacement imports TensorFlow again, which would slow the tests after it.
def test_a_worker_killed_mid_job_is_retried_on_another(client, digits, tiny_experiment, tmp_path):
    exp = _experiment(tiny_experiment, seed=105, epochs=40, batch_size=16)
    reports, outcome = [], {}

    def run():
        try:
            outcome["result"] = remote.run_training(exp, digits, reports.append, threading.Event(), client=client,
                                                    cache_directory=str(tmp_path))
        except Exception as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    deadline = time.time() + 90
    while not reports and time.time() < deadline:
        time.sleep(0.05)
    assert reports, "no epoch reported"
    busy = [w for w, keys in client.processing().items() if exp.key() in keys]
    assert len(busy) == 1
    pid = client.run(os.getpid, workers=busy)[busy[0]]
    os.kill(pid, signal.SIGKILL)
    thread.join(180)
    assert "error" not in outcome, outcome.get("error")
    result = outcome["result"]
    assert result.stopped == "completed" and result.epochs_run == 40
    epochs = [r.epoch for r in reports]
    assert any(b <= a for a, b in zip(epochs, epochs[1:]))  # progress restarted with the retry
