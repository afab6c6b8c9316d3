"""PCA as the autoencoder's baseline, and the autoencoder behind PCA's interface.

``PCABaseline`` (``aecore.pca``) and ``AutoencoderReducer`` follow scikit-learn's shape (``fit`` returns
self, learned attributes end in ``_``, ``transform`` gives codes, ``inverse_transform`` decodes), so a
comparison is one loop over both. Here: the memoised PCA of a data set, its error-by-k curve, per-image
errors and the check against the published full-MNIST figures.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Callable

import numpy as np

from aecore import metrics
from aecore.config import DataConfig, Experiment, stable_hash
from aecore.data import Dataset
from aecore.pca import PCA_MAX_COMPONENTS, PCABaseline

# Published PCA test MSE on full MNIST (60,000 train / 10,000 test, pixels in [0, 1]).
PUBLISHED_MNIST_PCA_TEST_MSE = {2: 0.0557, 8: 0.0374, 16: 0.0269, 32: 0.0168, 64: 0.0090}

_pca_cache: dict[str, PCABaseline] = {}
_pca_lock = threading.Lock()


def fitted_pca(data_cfg: DataConfig, dataset: Dataset, max_components: int = PCA_MAX_COMPONENTS) -> PCABaseline:
    """PCA of a registered data set's training split, memoised by the data config's hash.

    Uploads (``upload_id`` set) are never memoised here: what derives from a user's upload stays with
    that user, so the caller keeps it.
    """
    if data_cfg.upload_id:
        return PCABaseline(max_components).fit(dataset.x_train)
    key = stable_hash(data_cfg, max_components)
    with _pca_lock:
        if key not in _pca_cache:
            _pca_cache[key] = PCABaseline(max_components).fit(dataset.x_train)
        return _pca_cache[key]


@dataclass(frozen=True)
class PCACurve:
    """PCA-k errors for k = 1..len(test_mse)."""

    code_sizes: np.ndarray
    test_mse: np.ndarray
    train_mse: np.ndarray


def pca_curve(pca: PCABaseline, dataset: Dataset, max_components: int | None = None) -> PCACurve:
    k = min(max_components or pca.n_components_, pca.n_components_)
    return PCACurve(np.arange(1, k + 1), pca.mse_by_components(dataset.x_test, k),
                    pca.mse_by_components(dataset.x_train, k))


def pca_test_errors(pca: PCABaseline, dataset: Dataset, k: int) -> np.ndarray:
    """Per-image test MSE of PCA-k (one number per test image)."""
    return metrics.per_sample_mse(dataset.x_test, pca.reconstruct(dataset.x_test, k))


def published_check(curve: PCACurve, tolerance: float = 0.05) -> list[tuple[int, float, float, float, bool]]:
    """(k, ours, published, ratio, within tolerance) against the published full-MNIST PCA figures."""
    rows = []
    for k, published in PUBLISHED_MNIST_PCA_TEST_MSE.items():
        if k <= len(curve.test_mse):
            ours = float(curve.test_mse[k - 1])
            rows.append((k, ours, published, ours / published, abs(ours / published - 1) <= tolerance))
    return rows


# --- the autoencoder behind the same interface --------------------------------------------------------

def arrays_dataset(x_train: np.ndarray, x_val: np.ndarray | None = None, x_test: np.ndarray | None = None,
                   name: str = "arrays", seed: int = 0) -> Dataset:
    """A ``Dataset`` around plain arrays (unlabelled); 10 % of ``x_train`` is held out if no ``x_val``."""
    x_train = np.asarray(x_train, dtype=np.float32)
    if x_val is None:
        order = np.random.default_rng(seed).permutation(len(x_train))
        n_val = max(1, len(x_train) // 10)
        x_val, x_train = x_train[order[:n_val]], x_train[order[n_val:]]
    x_test = x_val if x_test is None else np.asarray(x_test, dtype=np.float32)
    zeros = lambda a: np.zeros(len(a), dtype=np.int64)  # noqa: E731
    return Dataset(name, x_train, zeros(x_train), np.asarray(x_val, np.float32), zeros(x_val), x_test,
                   zeros(x_test), ("all",), is_image=x_train.ndim >= 3)


class AutoencoderReducer:
    """An autoencoder with PCA's interface: ``fit`` trains, ``transform`` encodes, ``inverse_transform`` decodes.

    Wraps ``aecore.train.train_autoencoder``; ``from_result`` wraps a model trained elsewhere (the app's
    sidebar model or a sweep job).
    """

    def __init__(self, experiment: Experiment | None = None):
        self.experiment = experiment or Experiment()

    @classmethod
    def from_result(cls, result) -> "AutoencoderReducer":
        reducer = cls(result.experiment)
        reducer._set(result)
        return reducer

    def _set(self, result) -> None:
        self.result_ = result
        self.n_components_ = result.experiment.model.code_size

    def fit(self, X: np.ndarray, y=None, X_val: np.ndarray | None = None,
            progress: Callable | None = None, cancel: threading.Event | None = None) -> "AutoencoderReducer":
        from aecore.train import train_autoencoder

        dataset = arrays_dataset(X, X_val, seed=self.experiment.train.seed)
        self._set(train_autoencoder(self.experiment, dataset, progress=progress, cancel=cancel))
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        return self.result_.encode(np.asarray(X, dtype=np.float32))

    def inverse_transform(self, codes: np.ndarray) -> np.ndarray:
        return self.result_.decode(np.asarray(codes, dtype=np.float32))

    def reconstruct(self, X: np.ndarray) -> np.ndarray:
        return self.result_.reconstruct(np.asarray(X, dtype=np.float32))
