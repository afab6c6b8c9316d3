"""aecore.pca: the one PCA (scikit-learn's exact solvers) behind the PCA page, the Limits page's
rate–distortion, the feature-extraction table and the drawing page's latent plane."""

import numpy as np
import pytest

from aecore import compression, drawing, features, metrics
from aecore.pca import PCABaseline, fit_pca

pytestmark = pytest.mark.unit


def closed_form(x_train, k):
    """(mean, top-k right singular vectors) by numpy's SVD of the centred data."""
    flat = x_train.reshape(len(x_train), -1).astype(np.float64)
    mean = flat.mean(axis=0)
    return mean, np.linalg.svd(flat - mean, full_matrices=False)[2][:k]


@pytest.fixture(scope="module")
def wide():
    """600 images of 28×28 (fewer images than pixels, as mnist-5k has under ten per pixel): where
    scikit-learn's "auto" solver is randomized."""
    rng = np.random.default_rng(0)
    basis = rng.normal(size=(40, 784)) * np.geomspace(1, 0.05, 40)[:, None]
    x = rng.normal(size=(600, 40)) @ basis + 0.02 * rng.normal(size=(600, 784))
    return ((x - x.min()) / (x.max() - x.min())).reshape(600, 28, 28).astype(np.float32)


@pytest.mark.parametrize("n", [600, 100])  # covariance route and SVD route
def test_fit_pca_is_exact_with_deterministic_signs(wide, n):
    x = wide[:n]
    mean, vt = closed_form(x, 16)
    fitted = fit_pca(x, 16)
    signs = np.sign(vt[np.arange(16), np.abs(vt).argmax(axis=1)])
    np.testing.assert_allclose(fitted.components_, vt * signs[:, None], atol=1e-8)
    np.testing.assert_allclose(fitted.mean_, mean, atol=1e-12)
    assert fit_pca(x, 10_000).n_components_ == min(x.shape[0], 784)
    with pytest.raises(ValueError, match="at least 2"):
        fit_pca(x[:1], 2)


def test_every_pca_user_is_exact(wide):
    x_train, x = wide[:500], wide[500:]
    mean, vt = closed_form(x_train, 16)
    exact = np.clip(((x.reshape(len(x), -1) - mean) @ vt.T @ vt + mean), 0, 1)
    float32 = [p for p in compression.pca_points(x_train, x, sizes=(16,)) if p.setting.endswith("float32")]
    assert float32[0].mse == pytest.approx(metrics.mse(x.reshape(len(x), -1), exact), rel=1e-6)
    train_codes, test_codes, pca = features.pca_codes(x_train, x, 16)
    np.testing.assert_allclose(np.abs(test_codes), np.abs((x.reshape(len(x), -1) - mean) @ vt.T), atol=1e-8)
    plane = drawing.LatentPlane(train_codes)
    np.testing.assert_allclose(np.abs(plane.transform(train_codes)), np.abs(train_codes[:, :2]), atol=1e-8)


def test_error_by_k_curve_matches_reconstructions(wide):
    pca = PCABaseline(20).fit(wide[:500])
    curve = pca.mse_by_components(wide[500:])
    for k in (1, 7, 20):
        assert curve[k - 1] == pytest.approx(metrics.mse(wide[500:], pca.reconstruct(wide[500:], k)), rel=1e-6)


def test_the_latent_maps_and_honest_bits_use_the_one_pca(wide):
    """embed's PCA-2 and PCA-50 and bits' PCA coder are aecore.pca's fit, signs included (they had their own
    eigendecompositions, the maps' signs as LAPACK returned them)."""
    from aecore import bits, embed

    x = wide[:600]
    mean, vt = closed_form(x, 50)
    signs = np.sign(vt[np.arange(50), np.abs(vt).argmax(axis=1)])
    exact = (x.reshape(len(x), -1).astype(np.float64) - mean) @ (vt * signs[:, None]).T
    np.testing.assert_allclose(embed.pca_2d(x), exact[:, :2], atol=1e-5)
    np.testing.assert_allclose(embed.reduce_for_tsne(x), exact, atol=1e-8)
    components, basis_mean = bits.pca_basis(x, 8)
    np.testing.assert_allclose(components, vt[:8] * signs[:8, None], atol=1e-8)
    np.testing.assert_allclose(basis_mean, mean, atol=1e-12)


def test_no_other_decomposition_in_aecore():
    """PCA lives in aecore.pca: no other module eigendecomposes or factorises data itself."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "aecore"
    allowed = {
        ("inspect_model.py", "np.linalg.svd(qa.T @ qb"),  # principal angles between two subspaces, not a PCA
        ("family.py", "np.linalg.eigh(np.cov("),  # a covariance square root to sample random images
    }
    found = set()
    for path in root.rglob("*.py"):
        if path.name == "pca.py":
            continue
        for line in path.read_text().splitlines():
            if re.search(r"linalg\.(eigh?|svd)\(|sklearn\.decomposition", line):
                found.add((path.name, next((snippet for name, snippet in allowed
                                            if name == path.name and snippet in line), line.strip())))
    assert found <= allowed, found - allowed
