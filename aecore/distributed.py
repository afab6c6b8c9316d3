"""Training and t-SNE maps on a Dask distributed cluster, when ``$AELAB_DASK_SCHEDULER`` names its scheduler.

Without the variable nothing here runs (and Dask is never imported): the in-process queue of
``aecore.jobs`` trains every model and draws every map. With it, the app's job for a training only
*relays* a Dask task:

- The Dask key is the experiment's key, so identical requests from any app server (any Dask client)
  share one run: the scheduler runs a key once while some client still holds it.
- Progress reaches the app through Dask's events: the worker logs every epoch (epoch, losses, elapsed,
  preview) to the scheduler under a topic named after the key; every app server relaying that key reads
  the topic and turns the epochs back into ``EpochReport`` items on its Job.
- Stop sets a ``distributed.Event`` named after the key; a thread on the worker watches it and sets the
  ``threading.Event`` that train_autoencoder's Keras callback reads between batches.
- The worker saves the finished model into the disk cache, whose directory every worker and app server
  must share (the app sends its ``$AELAB_CACHE_DIR`` path); the app loads it from there. A stopped
  (partial) model, which the cache refuses, comes back through the task's result instead.
- A worker that dies mid-job: the scheduler runs the task again on another worker (Dask's own retry,
  up to ``distributed.scheduler.allowed-failures`` times); past that, the job fails with one clear
  message (``killed_message``) and pressing Train submits it afresh.

t-SNE maps (``aecore.embed``'s job functions, given a ``cluster_key``) go the same way, through the generic
``run_remote``: the Dask key is the
map's job key, frames and finished snapshot maps come back as events, Stop sets the same kind of event and
the finished ``LatentMap`` (or the stopped, partial one) comes back as the task's result. A code map's
codes and reconstructions are computed in the app, which holds the model; the worker gets the codes.

Built-in data sets travel by name: a task's arguments carry a small ``DataRef`` (the ``DataConfig``, which
images of it, a fingerprint) in place of the data set or any large array that is part of one this process
loaded (a map's images and labels; never codes, which the app computes), and the worker loads the data set
itself with ``aecore.data.load_dataset`` (memoised per worker process). Pickling the arrays into every task
cost seconds per job (15 MB for mnist-5k). A worker that cannot load it fails the job with one message
(``DatasetUnavailable``) saying what to do.

Uploads never go to the cluster: anything trained or mapped on them stays in its session's process (and
``load_dataset`` never holds one, so no reference can name one).
"""

from __future__ import annotations

import hashlib
import itertools
import os
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

ENV = "AELAB_DASK_SCHEDULER"
POLL_SECONDS = 0.25  # how often the relay reads the progress events and the future's state
CONNECT_TIMEOUT = 10.0  # seconds to reach the scheduler before the job fails with a clear message

_clients: dict[str, Any] = {}
_clients_lock = threading.Lock()


def scheduler_address() -> str | None:
    """The scheduler's address from ``$AELAB_DASK_SCHEDULER`` (e.g. ``tcp://10.0.0.5:8786``), else None."""
    return os.environ.get(ENV, "").strip() or None


def enabled() -> bool:
    """Whether trainings go to a Dask cluster (the variable is set)."""
    return scheduler_address() is not None


def stop_name(key: str) -> str:
    """Name of the ``distributed.Event`` that stops the run of ``key``."""
    return f"aelab-stop-{key}"


def progress_name(key: str) -> str:
    """Topic of the Dask events carrying the epochs of the runs of ``key``."""
    return f"aelab-progress-{key}"


def get_client(address: str | None = None):
    """One ``distributed.Client`` per scheduler address for this process (created on first use)."""
    address = address or scheduler_address()
    if not address:
        raise RuntimeError(f"{ENV} is not set: there is no Dask scheduler to send the job to.")
    with _clients_lock:
        client = _clients.get(address)
        if client is not None and client.status in ("running", "connecting"):
            return client
        from distributed import Client

        try:
            client = Client(address, set_as_default=False, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError) as exc:
            raise RuntimeError(
                f"Could not reach the Dask scheduler at {address} ({type(exc).__name__}). Check that it is "
                f"running and that {ENV} names it, or unset {ENV} to train on this server.") from exc
        _clients[address] = client
        return client


def close_clients() -> None:
    """Close this process's clients (tests, shutdown)."""
    with _clients_lock:
        for client in _clients.values():
            try:
                client.close()
            except Exception:
                pass
        _clients.clear()


def killed_message(attempts: int | None = None, what: str = "training this model", again: str = "Press Train",
                   smaller: str = "a smaller model") -> str:
    tries = f" {attempts} times" if attempts else ""
    return (f"The Dask worker {what} stopped{tries} before it finished (it crashed, ran out of memory or was "
            f"shut down). {again} to try again; if it fails again, choose {smaller} or ask the teacher to "
            "check the workers.")


# -- built-in data sets by name -----------------------------------------------------------------------------------
REFERENCE_MIN_BYTES = 64 * 1024  # smaller arrays travel as they are: naming them saves nothing worth a check

_fingerprints: dict[str, str] = {}  # by DataConfig key, in the app and on each worker


@dataclass(frozen=True)
class DataRef:
    """A built-in data set (``points`` = 0) or part ``part`` (0 the images, 1 the labels) of its
    ``aecore.data.point_pool(dataset, points)``, named instead of sent; ``fingerprint`` is the app's copy's, so a
    worker whose copy differs says so rather than train or map on other data."""

    config: Any  # aecore.config.DataConfig
    fingerprint: str
    points: int = 0
    part: int = 0


def _fingerprint(config, dataset) -> str:
    import numpy as np

    key = config.key()
    if key not in _fingerprints:  # 24 ms for mnist-5k (measured), once per process
        digest = hashlib.blake2b(digest_size=16)
        for array in (dataset.x_train, dataset.y_train, dataset.x_val, dataset.y_val, dataset.x_test, dataset.y_test):
            array = np.ascontiguousarray(array)
            digest.update(f"{array.dtype.str}{array.shape}".encode())
            digest.update(array.data)
        _fingerprints[key] = digest.hexdigest()
    return _fingerprints[key]


def _pool_reference(array, loaded: list) -> DataRef | None:
    """A reference to ``array`` when it equals the images or labels of ``aecore.data.point_pool`` of a loaded data set."""
    import numpy as np

    from aecore.data import point_pool, pool_size

    for config, dataset in loaded:
        n = len(array)
        if not 0 < n <= pool_size(dataset):
            continue
        for part, first in ((0, dataset.x_test), (1, dataset.y_test)):
            if array.shape[1:] != first.shape[1:] or array.dtype != first.dtype or not len(first):
                continue
            if not np.array_equal(array[0], first[0]):  # cheap rejection before building the pool
                continue
            if np.array_equal(array, point_pool(dataset, n)[part]):
                return DataRef(config, _fingerprint(config, dataset), n, part)
    return None


def by_reference(value: Any, loaded: list | None = None) -> Any:
    """``value`` (a task's arguments: tuples, lists and dicts of anything) with every built-in data set this
    process loaded, and every large array that is part of one, replaced by a ``DataRef``."""
    import numpy as np

    from aecore.data import Dataset, loaded_datasets

    if isinstance(value, (Dataset, np.ndarray)) and loaded is None:
        loaded = loaded_datasets()
    if isinstance(value, Dataset):
        for config, dataset in loaded:
            if dataset is value:
                return DataRef(config, _fingerprint(config, dataset))
        return value  # not from load_dataset (an upload, a subset): sent as it is
    if isinstance(value, np.ndarray):
        if value.nbytes < REFERENCE_MIN_BYTES:
            return value
        return _pool_reference(value, loaded) or value
    if isinstance(value, (tuple, list)) and type(value) in (tuple, list):
        return type(value)(by_reference(item, loaded) for item in value)
    if isinstance(value, dict) and type(value) is dict:
        return {key: by_reference(item, loaded) for key, item in value.items()}
    return value


def unavailable_message(name: str, reason: str) -> str:
    return (f"The Dask worker could not load the data set {name} ({reason}), so this job cannot run on the "
            "cluster. Ask the teacher to make it available on every worker (downloaded once, or its file copied "
            "into Keras's data-set folder there: see the README), or choose an offline data set "
            "(mnist-5k, digits-8x8).")


def resolve(value: Any) -> Any:
    """On the worker: ``value`` with every ``DataRef`` replaced by what it names, loaded here."""
    if isinstance(value, DataRef):
        from aecore.data import DatasetUnavailable, load_dataset

        name = value.config.name
        try:
            dataset = load_dataset(value.config)
        except Exception as exc:  # offline and not saved here, a damaged file, a name this version lacks
            raise DatasetUnavailable(unavailable_message(name, type(exc).__name__)) from None
        if _fingerprint(value.config, dataset) != value.fingerprint:
            raise DatasetUnavailable(
                f"The Dask worker's copy of the data set {name} differs from the app server's, so this job "
                "cannot run on the cluster. Ask the teacher to install the same version of the app and its "
                "libraries on every worker and the app server.")
        if not value.points:
            return dataset
        from aecore.data import point_pool

        return point_pool(dataset, value.points)[value.part]
    if isinstance(value, (tuple, list)) and type(value) in (tuple, list):
        return type(value)(resolve(item) for item in value)
    if isinstance(value, dict) and type(value) is dict:
        return {key: resolve(item) for key, item in value.items()}
    return value


# -- on the worker ---------------------------------------------------------------------------------------------
def _report_dict(report) -> dict:
    preview = None if report.preview is None else {"shape": list(report.preview.shape),
                                                   "values": report.preview.ravel().tolist()}
    return {"epoch": int(report.epoch), "epochs": int(report.epochs),
            "logs": {k: float(v) for k, v in (report.logs or {}).items()},
            "elapsed": float(report.elapsed), "preview": preview, "time": time.time()}


def _watch_stop(key: str) -> tuple[threading.Event, threading.Event]:
    """On the worker: log this run (who ran what, for the dashboard and the tests: one run per key when
    shared) and start a thread that sets the returned ``cancel`` when the key's stop event is set. Set the
    returned ``finished`` when the task ends."""
    from distributed import Event, get_client as worker_client, get_worker

    get_worker().log_event("aelab-runs", {"key": key, "pid": os.getpid()})
    stop = Event(stop_name(key), client=worker_client())  # cleared by whoever submits the key (_relay)
    cancel, finished = threading.Event(), threading.Event()

    def watch() -> None:  # one scheduler round trip per POLL, never one per batch or iteration
        while not finished.is_set():
            try:
                if stop.wait(timeout=POLL_SECONDS):
                    cancel.set()
                    return
            except Exception:  # the scheduler is going away: the task ends with it
                time.sleep(POLL_SECONDS)

    threading.Thread(target=watch, name=f"aelab-stop-{key[:8]}", daemon=True).start()
    return cancel, finished


def train_task(experiment, dataset, cache_directory: str, key: str) -> dict:
    """The Dask task: train ``experiment`` on ``dataset`` (a ``Dataset`` or the ``DataRef`` naming it) and save
    the model into the shared cache.

    Returns ``{"saved": True, ...}`` when the model is in the cache (trained now or before), else
    ``{"saved": False, "result": {...}}`` with the TrainResult's fields (a stopped, partial model).
    """
    import dataclasses

    from distributed import get_worker

    from aecore.cache import DEFAULT_MAX_MB, DiskCache
    from aecore.train import train_autoencoder

    max_mb = float(os.environ.get("AELAB_CACHE_MAX_MB", DEFAULT_MAX_MB))
    disk = DiskCache(cache_directory, max_bytes=int(max_mb * 2**20))
    if disk.contains(experiment):  # trained meanwhile (by another run of the same key)
        return {"saved": True, "source": "cache", "worker": os.getpid()}
    dataset = resolve(dataset)
    worker = get_worker()
    cancel, finished = _watch_stop(key)
    seq = itertools.count()
    try:
        result = train_autoencoder(experiment, dataset, cancel=cancel, progress=lambda report: worker.log_event(
            progress_name(key), {**_report_dict(report), "seq": next(seq)}))
    finally:
        finished.set()
    if disk.save(result):
        return {"saved": True, "source": "run", "worker": os.getpid(), "test_mse": result.test_mse}
    fields = {f.name: getattr(result, f.name) for f in dataclasses.fields(result) if f.name != "_lock"}
    return {"saved": False, "result": fields, "worker": os.getpid()}


# -- in the app --------------------------------------------------------------------------------------------------
def _epoch_report(item: dict):
    import numpy as np

    from aecore.train import EpochReport

    preview = item.get("preview")
    if preview is not None:
        preview = np.asarray(preview["values"], dtype=np.float32).reshape(preview["shape"])
    return EpochReport(item["epoch"], item["epochs"], item["logs"], item["elapsed"], preview)


def _relay(client, key: str, task: Callable, args: tuple, decode: Callable[[dict], Any],
           report: Callable[[Any], None], cancel: threading.Event, killed: Callable[[int | None], str]):
    """Submit ``task(*args)`` under the Dask key ``key`` and wait for it, handing every progress event of
    this run to ``report`` (through ``decode``) and a set ``cancel`` to the task's stop event.

    Returns the task's result, or None when it was stopped before its first progress event (the cluster's
    slot is freed, nothing is kept). Raises what the task raised, and ``RuntimeError(killed(attempts))``
    when the workers running it died more often than the scheduler allows.
    """
    from distributed import Event
    from distributed.scheduler import KilledWorker

    stop = Event(stop_name(key), client=client)
    # A new request wants this key to run: a Stop left from an earlier run (or pressed by another server on
    # the run this request now shares) must not end it.
    stop.clear()
    future = client.submit(task, *by_reference(args), key=key, pure=False)
    seen: tuple | None = None
    stop_sent = False
    submitted = time.time()

    def relay() -> None:
        nonlocal seen
        try:
            events = client.get_events(progress_name(key))
        except Exception:  # the scheduler is busy or reconnecting: next poll
            return
        for _, item in events:  # oldest first; events of earlier runs of this key are skipped
            if not isinstance(item, dict) or item.get("time", 0) < submitted - 1.0:
                continue
            mark = (item["time"], item.get("seq", 0))
            if seen is None or mark > seen:
                seen = mark
                report(decode(item))

    try:
        while not future.done():
            relay()
            if cancel.is_set() and not stop_sent:
                stop_sent = True
                stop.set()
                if seen is None:  # not started (or nothing reported yet): nothing to keep, free the slot
                    future.cancel()
            time.sleep(POLL_SECONDS)
        relay()
        if future.cancelled():
            return None
        try:
            return future.result()
        except KilledWorker as exc:
            attempts = getattr(exc, "allowed_failures", None)
            raise RuntimeError(killed(attempts + 1 if isinstance(attempts, int) else None)) from None
    finally:
        future.release()


def run_training(experiment, dataset, report: Callable[[Any], None], cancel: threading.Event,
                 address: str | None = None, cache_directory: str | None = None, client=None):
    """Train ``experiment`` on the cluster, relaying progress to ``report`` and ``cancel`` to the worker.

    Blocks until the run ends; returns the TrainResult (loaded from the shared disk cache when complete).
    Raises what the training raised (``ValueError``, ``TrainingDiverged``, ``TrainingCancelled``) and
    ``RuntimeError`` with a clear message when the scheduler cannot be reached or the workers died.
    """
    from aecore import cache
    from aecore.train import TrainingCancelled, TrainResult

    client = client or get_client(address)
    disk = cache.DiskCache(cache_directory) if cache_directory else cache.default_cache()
    key = experiment.key()
    outcome = _relay(client, key, train_task, (experiment, dataset, str(disk.directory), key), _epoch_report,
                     report, cancel, killed_message)
    if outcome is None:
        raise TrainingCancelled("Stopped before the first epoch finished: there is no model to show yet.")
    if outcome.get("saved"):
        result = disk.load(experiment)
        if result is None:
            raise RuntimeError(
                f"The worker saved the model into {disk.directory}, but this server cannot read it there: every "
                "worker and app server must share that folder (AELAB_CACHE_DIR, same path everywhere).")
        return result
    return TrainResult(**outcome["result"])


def train_fn(experiment, dataset, address: str | None = None) -> Callable:
    """A job function ``fn(report, cancel)`` for ``aecore.jobs`` that trains on the cluster.

    It is marked ``runs_elsewhere``: the queue runs it on its own thread rather than in a local worker
    slot, since it only waits for the cluster.
    """
    def run(report, cancel):
        return run_training(experiment, dataset, report, cancel, address=address)

    run.runs_elsewhere = True
    return run


# -- any job with progress (t-SNE maps, see aecore.embed.map_on_cluster) --------------------------------------
def remote_task(run: Callable, arguments: Any, key: str, encode: Callable[[Any], dict]):
    """The Dask task for a job with progress: ``run(arguments, report, cancel)`` on the worker (``DataRef``s in
    ``arguments`` loaded here first), each report
    logged as the event ``encode(item)`` (plus its time and order) and Stop from the key's stop event.
    Returns what ``run`` returns (a stopped job's partial result)."""
    from distributed import get_worker

    arguments = resolve(arguments)
    worker = get_worker()
    cancel, finished = _watch_stop(key)
    seq = itertools.count()

    def report(item) -> None:
        worker.log_event(progress_name(key), {**encode(item), "time": time.time(), "seq": next(seq)})

    try:
        return run(arguments, report, cancel)
    finally:
        finished.set()


def run_remote(key: str, run: Callable, arguments: Any, encode: Callable[[Any], dict], decode: Callable[[dict], Any],
               report: Callable[[Any], None], cancel: threading.Event, killed: Callable[[int | None], str],
               address: str | None = None, client=None):
    """Run ``remote_task(run, arguments, key, encode)`` on the cluster under the Dask key ``key``, relaying its
    reports (through ``decode``) to ``report`` and ``cancel`` to the worker. ``run`` and ``encode`` travel to
    the worker, so they are module-level functions (or partials of them). Blocks until it ends; returns the
    result, or None when stopped before the worker began. Raises what the job raised, and
    ``RuntimeError(killed(attempts))`` when the workers died, or one with a clear message when the
    scheduler cannot be reached."""
    client = client or get_client(address)
    return _relay(client, key, remote_task, (run, arguments, key, encode), decode, report, cancel, killed)
