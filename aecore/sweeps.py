"""The code-size sweep: one autoencoder per code size, each a job keyed by its experiment.

Every model, wherever it is asked for, takes one path: a finished job of this process (memory), else the
disk cache, else trained and saved (``trained_model``; ``train_job`` and ``load_job`` are the same steps as
job functions ``fn(report, cancel)``). A finished model's numbers are kept as a ``SweepPoint``.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass
from typing import Callable

from aecore.config import Experiment
from aecore.data import Dataset

SWEEP_CODE_SIZES = (2, 4, 8, 16, 32, 64)


@dataclass(frozen=True)
class SweepPoint:
    """One trained model of the sweep, as numbers (cheap to keep and to store)."""

    code_size: int
    test_mse: float
    train_mse: float
    seconds: float
    epochs_run: int
    experiment_key: str

    @classmethod
    def from_result(cls, result) -> "SweepPoint":
        return cls(result.experiment.model.code_size, float(result.test_mse), float(result.train_mse),
                   float(result.seconds), int(result.epochs_run), result.experiment.key())


def sweep_code_sizes(input_dim: int, code_sizes: tuple[int, ...] = SWEEP_CODE_SIZES) -> tuple[int, ...]:
    """The sweep's code sizes that compress this data (an under-complete code is smaller than the input)."""
    return tuple(k for k in code_sizes if k < input_dim)


def sweep_experiments(base: Experiment, input_dim: int,
                      code_sizes: tuple[int, ...] = SWEEP_CODE_SIZES) -> list[Experiment]:
    """``base`` with only the code size changed, once per code size (each keys its own cached job)."""
    return [base.replace(model=base.model.replace(code_size=k).canonical())
            for k in sweep_code_sizes(input_dim, code_sizes)]


def train_job(experiment: Experiment, dataset: Dataset):
    """A job function training ``experiment``: the same work (and result) as the sidebar's Train."""

    def run(report, cancel):
        from aecore import cache
        from aecore.train import train_autoencoder

        result = train_autoencoder(experiment, dataset, progress=report, cancel=cancel)
        cache.default_cache().save(result)  # refuses partial models and uploads by itself
        if result.stopped != "cancelled":
            remember_point(experiment, SweepPoint.from_result(result))
        return result

    return run


def load_job(experiment: Experiment):
    """A ``quick`` job function: the model from the disk cache (None when it is not there)."""

    def load(report, cancel):
        from aecore import cache

        return cache.default_cache().load(experiment)

    return load


def trained_model(experiment: Experiment, dataset: Dataset, cancel: threading.Event | None = None):
    """The model of ``experiment`` by the path every model takes: a finished job of this process (memory),
    else the disk cache, else trained here and saved (for code that already runs inside a job, e.g. a
    sweep: its models are then the very ones the sidebar and the PCA page train and find)."""
    from aecore import jobs

    job = jobs.default_queue().find(experiment.key())
    if job is not None and job.status == jobs.DONE and getattr(job.result, "experiment", None) == experiment \
            and job.result.stopped != "cancelled":
        return job.result
    return load_job(experiment)(None, cancel) or train_job(experiment, dataset)(None, cancel)


def on_disk(experiment: Experiment) -> bool:
    from aecore import cache

    return cache.default_cache().contains(experiment)


_points: dict[str, SweepPoint] = {}
_points_lock = threading.Lock()


def remember_point(experiment: Experiment, point: SweepPoint) -> None:
    """Keep a finished sweep model's numbers by its experiment key (on disk for registered data sets)."""
    with _points_lock:
        _points[experiment.key()] = point
    if not experiment.data.upload_id:
        from aecore import cache

        cache.default_cache().save_derived("sweep-point-" + experiment.key(), asdict(point))


def known_point(experiment: Experiment) -> SweepPoint | None:
    """A sweep model's numbers if it was trained before (this process or an earlier one)."""
    key = experiment.key()
    with _points_lock:
        if key in _points:
            return _points[key]
    if experiment.data.upload_id:
        return None
    from aecore import cache

    stored = cache.default_cache().load_derived("sweep-point-" + key)
    try:
        point = SweepPoint(**stored)
    except TypeError:
        return None
    with _points_lock:
        _points[key] = point
    return point


def run_sweep(base: Experiment, dataset: Dataset, code_sizes: tuple[int, ...] = SWEEP_CODE_SIZES,
              progress: Callable | None = None, cancel: threading.Event | None = None) -> list[SweepPoint]:
    """Train one model per code size, one after another (scripts and tests; the app runs them as jobs)."""
    from aecore.train import train_autoencoder

    points = []
    for experiment in sweep_experiments(base, dataset.input_dim, code_sizes):
        if cancel is not None and cancel.is_set():
            break
        result = train_autoencoder(experiment, dataset, progress=progress, cancel=cancel)
        point = SweepPoint.from_result(result)
        remember_point(experiment, point)
        points.append(point)
    return points
