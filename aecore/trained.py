"""Every trained model takes one path, wherever it is asked for (the sidebar's Train, the PCA page's sweep, the
Limits page, ``python -m aecore warm``, scripts): a finished job of this process (memory), else the disk cache,
else trained (on the Dask cluster when ``$AELAB_DASK_SCHEDULER`` names one) and saved for everyone.

``train_job`` and ``load_job`` are those steps as job functions ``fn(report, cancel)`` for the queue (the
queue keeps finished jobs in memory); ``trained_model`` takes the whole path in the calling thread, for code
that already runs inside a job.
"""

from __future__ import annotations

import threading
from typing import Callable

from aecore.config import Experiment
from aecore.data import Dataset


def train_job(experiment: Experiment, dataset: Dataset) -> Callable:
    """A job function that trains ``experiment`` and saves the model to the disk cache (which refuses partial
    models and anything trained on an upload by itself)."""
    from aecore import distributed

    if distributed.enabled() and not experiment.data.upload_id:  # the worker saves it to the shared cache
        return distributed.train_fn(experiment, dataset)

    def run(report, cancel):
        from aecore import cache
        from aecore.train import train_autoencoder

        result = train_autoencoder(experiment, dataset, progress=report, cancel=cancel)
        cache.default_cache().save(result)
        return result

    return run


def load_job(experiment: Experiment) -> Callable:
    """A ``quick`` job function: the model from the disk cache (None when it is not there)."""

    def load(report, cancel):
        from aecore import cache

        return cache.default_cache().load(experiment)

    return load


def on_disk(experiment: Experiment, owner: str | None = None) -> bool:
    """Whether the disk cache holds a model for ``experiment`` (never for a session's private job)."""
    from aecore import cache

    return owner is None and cache.default_cache().contains(experiment)


def trained_model(experiment: Experiment, dataset: Dataset, cancel: threading.Event | None = None,
                  progress: Callable | None = None):
    """The model of ``experiment`` by the one path: memory, disk, else trained here and saved."""
    from aecore import jobs

    job = jobs.default_queue().find(experiment.key())
    if job is not None and job.status == jobs.DONE and getattr(job.result, "experiment", None) == experiment \
            and job.result.stopped != "cancelled":
        return job.result
    cancel = cancel if cancel is not None else threading.Event()
    return (load_job(experiment)(None, cancel)
            or train_job(experiment, dataset)(progress or (lambda report: None), cancel))
