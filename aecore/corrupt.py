"""Corruptions applied to samples in [0, 1]: the inputs of denoising and restoration models.

Every function is deterministic for a given seed and returns float32 in [0, 1].
"""

from __future__ import annotations

import numpy as np


def gaussian(x: np.ndarray, noise_std: float, seed: int = 0) -> np.ndarray:
    """Add Gaussian noise of standard deviation ``noise_std``, clipped back to [0, 1]."""
    rng = np.random.default_rng(seed)
    return np.clip(x + rng.normal(scale=noise_std, size=x.shape), 0.0, 1.0).astype(np.float32)


def salt_pepper(x: np.ndarray, fraction: float, seed: int = 0) -> np.ndarray:
    """Set ``fraction`` of the values to 0 or 1 (half each)."""
    rng = np.random.default_rng(seed)
    u = rng.random(x.shape)
    out = np.array(x, dtype=np.float32, copy=True)
    out[u < fraction / 2] = 1.0
    out[(u >= fraction / 2) & (u < fraction)] = 0.0
    return out


def masking(x: np.ndarray, fraction: float, seed: int = 0) -> np.ndarray:
    """Drop (set to 0) ``fraction`` of the values."""
    rng = np.random.default_rng(seed)
    return (x * (rng.random(x.shape) >= fraction)).astype(np.float32)


NOISE_FUNCTIONS = {"gaussian": gaussian, "salt_pepper": salt_pepper, "masking": masking}


def add_noise(x: np.ndarray, kind: str, level: float, seed: int = 0) -> np.ndarray:
    """Corrupt ``x`` with noise ``kind`` at ``level`` (σ or fraction); level 0 returns ``x``."""
    if level <= 0:
        return np.asarray(x, dtype=np.float32)
    if kind not in NOISE_FUNCTIONS:
        raise ValueError(f"Unknown noise kind '{kind}'. Choose one of: {', '.join(NOISE_FUNCTIONS)}.")
    return NOISE_FUNCTIONS[kind](x, level, seed)
