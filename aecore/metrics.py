"""Reconstruction metrics on samples scaled to [0, 1]."""

from __future__ import annotations

import numpy as np


def per_sample_mse(x: np.ndarray, reconstruction: np.ndarray) -> np.ndarray:
    """Mean squared error of each sample (one number per row)."""
    diff = np.asarray(x, dtype=np.float64) - np.asarray(reconstruction, dtype=np.float64)
    return (diff.reshape(len(diff), -1) ** 2).mean(axis=1)


def mse(x: np.ndarray, reconstruction: np.ndarray) -> float:
    return float(per_sample_mse(x, reconstruction).mean())


def psnr_from_mse(mse_value: float | np.ndarray, peak: float = 1.0):
    """Peak signal-to-noise ratio in dB. For a data set, pass the mean MSE (the usual convention)."""
    value = np.maximum(np.asarray(mse_value, dtype=np.float64), 1e-12)
    out = 10.0 * np.log10(peak**2 / value)
    return float(out) if out.ndim == 0 else out


def psnr(x: np.ndarray, reconstruction: np.ndarray) -> float:
    return psnr_from_mse(mse(x, reconstruction))
