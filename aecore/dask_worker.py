"""Warm Dask workers as the app warms its own process: ``dask worker ... --preload aecore.dask_worker``.

Dask imports a ``--preload`` module in each worker process and calls its ``dask_setup(worker)`` once the
worker listens, before it registers with the scheduler (an exception there is logged, the worker starts
anyway). ``dask_setup`` only queues the warm-up and returns: TensorFlow's import and configuration
(``aecore.runtime.import_tensorflow``), then the default model's XLA training step
(``aecore.train.compile_default_training_step``, kept in ``aecore.compiled_trainers.TRAINERS``), so the
first default training on the worker skips the ~1.3 s trace and compile, and the import too.

The warm-up runs on the worker's own task threads, ahead of any task: a training that arrives meanwhile
waits for it rather than importing Keras in a second thread at the same moment (the deadlock
``import_tensorflow`` describes) or compiling the same step a second time. Any task (a t-SNE map too)
sent in the worker's first seconds waits for the warm-up.
"""

from __future__ import annotations

import logging
import threading

log = logging.getLogger("aecore.dask_worker")
# Set when the warm-up has ended, compiled or not (the task threads are free from then on).
WARMED = threading.Event()


def import_tensorflow() -> None:
    from aecore.runtime import import_tensorflow as import_once

    try:
        import_once()
    except Exception:  # the worker still runs tasks; the first training will meet the same error
        log.exception("Importing TensorFlow ahead of the first task failed")


def warm_up() -> bool:
    """Import and configure TensorFlow, then compile the default model's training step. True when compiled;
    never raises (a missing data set or any failure is logged, and the worker goes on without)."""
    try:
        import_tensorflow()
        from aecore.train import compile_default_training_step

        return compile_default_training_step()
    except Exception:
        log.exception("Compiling the default model's training step ahead failed")
        return False
    finally:
        WARMED.set()


def dask_setup(worker) -> None:
    """Dask's preload hook: queue the warm-up on ``worker``'s task threads and return at once."""
    threads = worker.executors["default"]
    threads.submit(warm_up)
    # Every other task thread waits for the import too, so no task imports Keras alongside it.
    for _ in range(max(worker.state.nthreads - 1, 0)):
        threads.submit(import_tensorflow)
