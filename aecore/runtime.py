"""What running TensorFlow jobs in this process needs, outside the plain job queue (aecore.jobs).

- TensorFlow's import, once and one thread at a time (``import_tensorflow``), and the pandas/PIL import
  probe that must happen in the page thread first (``import_modules_drawing_code_probes``).
- Thread sizing: workers per machine, TensorFlow's intra/inter-op pools, and each job's share of the cores
  for BLAS/OpenMP (``threads_for``, ``job_threads``, ``job_limits``).
- Releasing what dropped models' traced train steps leave in TensorFlow (``release_training_graphs``).

The queue calls these through its hooks (``jobs.app_queue`` wires them in); this module never imports the
queue, and imports TensorFlow only inside the functions that need it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import types

log = logging.getLogger("aecore.runtime")


# --- thread sizing ---------------------------------------------------------------------------------------

def default_workers(cores: int | None = None) -> int:
    """Training workers for this machine: ``$AELAB_WORKERS``, else one per two cores and at least two.

    One job alone leaves cores idle while it builds, traces and XLA-compiles its step (~1.3 s, mostly one
    thread) and between its epochs; a second job computes meanwhile. 8 distinct trainings through the queue
    on 2 cores: two workers sharing TensorFlow's 2 intra-op threads finished them sooner than one worker
    (benchmarks/workers.py, results in benchmarks/results/classroom.md).
    """
    env = os.environ.get("AELAB_WORKERS", "").strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    cores = cores or os.cpu_count() or 1
    return 1 if cores < 2 else max(2, cores // 2)


def tensorflow_threads(workers: int | None = None, cores: int | None = None) -> int:
    """Intra-op threads: TensorFlow's pool is one per process, shared by the workers' ops.

    With one or two workers every core: a lone job (one student, the first model of a lesson) still runs its
    ops on both cores of a 2-core machine, and two jobs at once take their shards from the same pool instead
    of each being held to one thread (measured on 2 cores only). More workers: each one's share, as before.
    """
    cores = cores or os.cpu_count() or 1
    workers = workers or default_workers(cores)
    return cores if workers <= 2 else max(1, cores // workers)


def tensorflow_inter_threads(workers: int | None = None, cores: int | None = None) -> int:
    """Inter-op threads: one per worker, each running its job's ops one after another.

    A second inter-op thread per job ran two ops at once, each on every intra-op thread: twice as many
    threads as cores, so under load one op's shard waited for a core while the rest of the op waited for
    it (benchmarks/contention.py). Two workers need two, or their jobs take turns on one thread.
    """
    cores = cores or os.cpu_count() or 1
    return max(1, min(workers or default_workers(cores), cores))


def busy_machine(cores: int | None = None, load: float | None = None) -> bool:
    """Whether more threads want the cores than there are (the last minute's load average above them)."""
    cores = cores or os.cpu_count() or 1
    load = os.getloadavg()[0] if load is None else load
    return load > cores + 0.5


def threads_for(running: int, cores: int | None = None, load: float | None = None) -> int:
    """Threads each of ``running`` jobs may use for its own parallel loops (t-SNE, BLAS, OpenMP).

    The cores shared by the jobs actually running, and one when the machine is already busier than its
    cores: threads that split every step of a loop wait for each other, and under load one of them is
    always waiting for a core (t-SNE of 2,000 points at load 7-10: 17.9 s on two threads, 7.0 s on one).
    """
    cores = cores or os.cpu_count() or 1
    if busy_machine(cores, load):
        return 1
    return max(1, cores // max(running, 1))


_running_lock = threading.Lock()
_running = 0  # jobs inside job_limits now (the queue's running jobs that hold a share of the cores)


def job_threads() -> int:
    """Threads the calling job may use now: its share of the cores among the jobs running here."""
    with _running_lock:
        running = _running
    return threads_for(max(running, 1))


@contextlib.contextmanager
def _counted(limits):
    global _running
    with _running_lock:
        _running += 1
    try:
        with limits:
            yield
    finally:
        with _running_lock:
            _running -= 1


def job_limits(running: int) -> tuple[int, contextlib.AbstractContextManager]:
    """The queue's thread hook: a job starting among ``running`` jobs gets ``threads_for(running)`` threads,
    and BLAS/OpenMP are limited to them while it runs."""
    threads = threads_for(running)
    return threads, _counted(_thread_limits(threads))


def _thread_limits(threads: int):
    """BLAS and OpenMP limited to ``threads`` while a job runs (threadpoolctl). OpenMP's limit belongs to the
    calling thread (the job's); OpenBLAS's is process-wide, and threadpoolctl lets one living thread (the
    first worker to set it) control it."""
    from threadpoolctl import threadpool_limits  # scikit-learn's own dependency

    try:
        return threadpool_limits(limits=threads)
    except Exception:  # a library threadpoolctl cannot drive must not stop the job: run it unlimited
        log.exception("could not limit the job's threads")
        return contextlib.nullcontext()


# --- importing and configuring TensorFlow ---------------------------------------------------------------

_tf_lock = threading.Lock()
_tf_imported = threading.Event()


def import_modules_drawing_code_probes() -> None:
    """Import pandas and PIL.Image in the calling thread, before any background thread may.

    plotly looks them up in ``sys.modules`` while it builds any figure, and TensorFlow's import (and
    scikit-learn's) pulls them in. Imported first by a background thread, a page drawing a chart at that
    moment met a half-initialised module ("partially initialized module 'pandas' has no attribute
    'Series'") and the page broke. Call it from the thread that starts background work (0.2 s, once).
    """
    import pandas  # noqa: F401
    import PIL.Image  # noqa: F401


def import_tensorflow() -> None:
    """Import TensorFlow and Keras (and configure them) once, one thread at a time.

    Two threads importing Keras at the same moment fail with "cannot import name ... from partially
    initialized module" (seen when Train was pressed while the app's start-up warm-up was importing it).
    The app's queue calls it before every job (its ``before_work`` hook): a job that imported Keras on its
    own while the app's warm-up thread was starting the same import deadlocked the two (_DeadlockError /
    "partially initialized module", 2 of 4 fresh starts with an immediate Train). The app's warm-up goes
    through the same lock.
    """
    if _tf_imported.is_set():
        return
    with _tf_lock:
        if not _tf_imported.is_set():
            ensure_tensorflow_configured()
            import aecore.models  # noqa: F401  (Keras itself and the custom layers' registry)

            _tf_imported.set()


def configure_tensorflow(threads: int | None = None) -> None:
    """Match TensorFlow's thread pools to the cores (call before the first model is built)."""
    import tensorflow as tf

    # The job queue's workers together use every core once (1 worker × 2 threads on 2 cores), and each worker
    # runs its ops one after another (tensorflow_inter_threads says why).
    threads = threads or tensorflow_threads()
    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(tensorflow_inter_threads())
    except RuntimeError:
        pass  # already initialised: keep the settings in force


_configured = threading.Event()


def ensure_tensorflow_configured() -> None:
    if not _configured.is_set():
        configure_tensorflow()
        _configured.set()


# --- releasing what a dropped model's training left in TensorFlow ------------------------------------------
#
# Every traced Keras train step passes its gradients through tf.distribute's ``all_reduce``, which in graph
# mode wraps them in ``tf.custom_gradient``. That registers a gradient function under a new name
# ("CustomGradient-<n>") in TensorFlow's process-wide gradient registry and never unregisters it; the
# function's closure holds the step's tensors, so the whole traced train step (its FuncGraph with ~1,200
# Operations, the optimizer's cond branches) outlives the model: ~7-11 MB per trained-and-dropped model,
# whatever gc.collect() or keras.backend.clear_session() do. TensorFlow bug tensorflow/tensorflow#97697
# (still in TF 2.21). The mitigation below drops only the entries whose graph belonged to a model that is
# gone: a FuncGraph keeps weak references to the variables it uses, and once all of them are dead (the
# model, its optimizer and its metrics were collected) nothing can run or differentiate that graph again.

def _custom_gradient_graph(entry) -> object | None:
    """The graph whose tensors a registered graph-mode custom gradient holds, or None when not found."""
    fn = entry.get("type") if isinstance(entry, dict) else None
    seen: set[int] = set()
    stack = [fn]
    while stack:  # the registered function -> tape_grad_fn -> lists of the forward pass's tensors
        obj = stack.pop()
        if id(obj) in seen or len(seen) > 32:
            continue
        seen.add(id(obj))
        for cell in getattr(obj, "__closure__", None) or ():
            try:
                value = cell.cell_contents
            except ValueError:  # an empty cell
                continue
            if isinstance(value, types.FunctionType):
                stack.append(value)
            elif isinstance(value, (list, tuple)):
                for item in value:
                    graph = getattr(item, "graph", None)
                    if graph is not None and hasattr(graph, "_weak_variables"):
                        return graph
    return None


def _orphaned(graph) -> bool:
    refs = getattr(graph, "_weak_variables", None)
    return bool(refs) and all(ref() is None for ref in refs)


def release_training_graphs() -> int:
    """Unregister TensorFlow custom gradients whose traced graph belongs to a model that no longer exists.

    Returns how many were dropped; their graphs are freed by the next ``gc.collect()``. Safe to call at
    any time from any thread: entries of live models (all of whose variables still exist) are kept.
    Does nothing (returns 0) if TensorFlow is not loaded or its internals look different.
    """
    import sys

    ops = sys.modules.get("tensorflow.python.framework.ops")
    registry = getattr(getattr(ops, "_gradient_registry", None), "_registry", None)
    if not isinstance(registry, dict):
        return 0
    dropped = 0
    try:
        for name, entry in registry.copy().items():
            if not (isinstance(name, str) and name.startswith("CustomGradient-")):
                continue
            graph = _custom_gradient_graph(entry)
            if graph is not None and _orphaned(graph):
                if registry.pop(name, None) is not None:
                    dropped += 1
    except Exception:  # internals changed: keep the registry as it is rather than break training
        return dropped
    return dropped
