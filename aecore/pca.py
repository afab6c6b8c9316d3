"""PCA, the app's one implementation: scikit-learn's exact solvers behind ``fit_pca``, and ``PCABaseline``,
the autoencoder's linear rival, with the fast error-by-k curve.

Every PCA in aecore goes through here (the PCA page, the Limits page's rate–distortion and honest-bits
coder, the feature extraction table, the drawing page's latent plane, the transfer experiment's PCA rows,
the latent page's PCA-2 map and the PCA-50 before t-SNE of the pixels).
"""

from __future__ import annotations

import numpy as np

PCA_MAX_COMPONENTS = 128


def flatten(x: np.ndarray) -> np.ndarray:
    """Samples as rows of numbers (n, features)."""
    x = np.asarray(x)
    return x.reshape(len(x), -1)


def fit_pca(x: np.ndarray, n_components: int | None = None):
    """scikit-learn's PCA with ``n_components`` (at most the samples or features), fitted on ``x`` in float64.

    Always exact: the eigenvectors of the d×d covariance when there are at least as many samples as
    features (5,000 × 784 pixels: much cheaper than an SVD of the data), a full SVD otherwise; never the
    randomized solver that "auto" picks for mnist-5k. Signs follow scikit-learn (each component's largest
    loading positive), so pictures of components do not flip between fits.
    """
    from sklearn.decomposition import PCA

    data = flatten(x).astype(np.float64)
    n, d = data.shape
    if n < 2:
        raise ValueError("PCA needs at least 2 samples.")
    k = min(n_components or d, n, d)
    return PCA(n_components=k, svd_solver="covariance_eigh" if n >= d else "full").fit(data)


class PCABaseline:
    """Principal component analysis with a scikit-learn-like interface, for samples of any shape.

    Fitted on flattened samples; ``inverse_transform`` gives samples back in their
    original shape. Components are nested, so one fit with many components serves
    every smaller k: ``transform(X, n_components=k)`` and ``inverse_transform`` of
    k codes are exactly PCA-k.

    Attributes
    ----------
    mean_ : (d,) mean sample
    components_ : (k, d) orthonormal principal directions, largest variance first
    explained_variance_ : (k,) variance of the training data along each component
    explained_variance_ratio_ : (k,) that variance as a fraction of the total
    """

    def __init__(self, n_components: int | None = PCA_MAX_COMPONENTS):
        self.n_components = n_components

    def fit(self, X: np.ndarray, y=None) -> "PCABaseline":
        X = np.asarray(X)
        fitted = fit_pca(X, self.n_components)
        self.sample_shape_ = tuple(X.shape[1:])
        self.mean_ = fitted.mean_
        self.components_ = fitted.components_
        self.explained_variance_ = fitted.explained_variance_
        self.explained_variance_ratio_ = fitted.explained_variance_ratio_
        self.n_components_ = int(fitted.n_components_)
        self.n_features_in_ = int(fitted.n_features_in_)
        return self

    def _k(self, n_components: int | None) -> int:
        k = self.n_components_ if n_components is None else int(n_components)
        if not 1 <= k <= self.n_components_:
            raise ValueError(f"Choose between 1 and {self.n_components_} components.")
        return k

    def transform(self, X: np.ndarray, n_components: int | None = None) -> np.ndarray:
        """Codes: coordinates along the first ``n_components`` components."""
        k = self._k(n_components)
        return (flatten(X).astype(np.float64) - self.mean_) @ self.components_[:k].T

    def inverse_transform(self, codes: np.ndarray) -> np.ndarray:
        """Samples (in their original shape) rebuilt from codes of any length up to ``n_components_``."""
        codes = np.asarray(codes, dtype=np.float64)
        k = self._k(codes.shape[1])
        out = codes @ self.components_[:k] + self.mean_
        return out.reshape((len(codes),) + self.sample_shape_).astype(np.float32)

    def reconstruct(self, X: np.ndarray, n_components: int | None = None) -> np.ndarray:
        return self.inverse_transform(self.transform(X, n_components))

    def mse_by_components(self, X: np.ndarray, max_components: int | None = None) -> np.ndarray:
        """Mean squared error per pixel of PCA-k on ``X`` for k = 1..max_components (one pass).

        Residual energy of PCA-k is ‖x − μ‖² minus the energy of the first k coordinates,
        because the components are orthonormal.
        """
        k = self._k(max_components)
        centred = flatten(X).astype(np.float64) - self.mean_
        total = (centred**2).sum(axis=1)
        codes = centred @ self.components_[:k].T
        residual = total[:, None] - np.cumsum(codes**2, axis=1)
        return np.clip(residual, 0, None).mean(axis=0) / centred.shape[1]
