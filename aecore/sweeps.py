"""The code-size sweep: one autoencoder per code size, each a job keyed by its experiment.

Its models take the one path of every model (``aecore.trained``: memory, disk cache, else trained and saved);
a finished model's numbers are kept as a ``SweepPoint``.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass
from typing import Callable

from aecore import trained
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


def train_job(experiment: Experiment, dataset: Dataset) -> Callable:
    """A job function for one model of the sweep: ``aecore.trained``'s (the sidebar's Train), and its numbers
    kept as a ``SweepPoint`` once it has finished."""
    train = trained.train_job(experiment, dataset)

    def run(report, cancel):
        result = train(report, cancel)
        if result is not None and result.stopped != "cancelled":
            remember_point(experiment, SweepPoint.from_result(result))
        return result

    run.runs_elsewhere = getattr(train, "runs_elsewhere", False)  # a Dask training holds no local worker
    return run


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
    """One model per code size, one after another, each by ``aecore.trained``'s path (memory, disk, else
    trained and saved): for scripts and tests; the app runs them as jobs."""
    points = []
    for experiment in sweep_experiments(base, dataset.input_dim, code_sizes):
        if cancel is not None and cancel.is_set():
            break
        result = trained.trained_model(experiment, dataset, cancel=cancel, progress=progress)
        point = SweepPoint.from_result(result)
        remember_point(experiment, point)
        points.append(point)
    return points
