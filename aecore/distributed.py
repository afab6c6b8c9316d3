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

Uploads never go to the cluster: anything trained or mapped on them stays in its session's process.
"""

from __future__ import annotations

import itertools
import os
import threading
import time
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
    """The Dask task: train ``experiment`` on ``dataset`` and save the model into the shared cache.

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
    future = client.submit(task, *args, key=key, pure=False)
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
    """The Dask task for a job with progress: ``run(arguments, report, cancel)`` on the worker, each report
    logged as the event ``encode(item)`` (plus its time and order) and Stop from the key's stop event.
    Returns what ``run`` returns (a stopped job's partial result)."""
    from distributed import get_worker

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
