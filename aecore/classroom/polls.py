"""Predict, then reveal: built-in questions tied to claims the app can measure, and their measurements.

Each built-in question has answers and a function that turns measured numbers into the revealed answer
(a sentence with the numbers, and which answer was right). The numbers come from the app itself: PCA
fitted on the data, the class's own models, the data's pixels.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np


@dataclass(frozen=True)
class Question:
    key: str
    text: str
    options: tuple[str, ...]
    needs: str  # what the reveal measures, shown to the teacher before asking


@dataclass(frozen=True)
class Answer:
    text: str
    correct: int | None  # index of the right option; None when the measurement is missing


QUESTIONS = (
    Question("pca64", "With a code of 64 numbers, who has the lower test error on mnist-5k: PCA or the autoencoder?",
             ("PCA", "The autoencoder", "About the same (within 5%)"),
             "PCA-64 on mnist-5k, and the best model of the class with a code of 64 on mnist-5k."),
    Question("copy_noise", "Will an over-complete autoencoder (no bottleneck) copy random noise it never saw?",
             ("Yes: it copies the noise", "No: it answers with digits", "Partly"),
             "An over-complete model of the class (from the model cache) on 200 images of random noise."),
    Question("bce_floor", "Can binary cross-entropy on MNIST go down to 0 with a big enough model?",
             ("Yes, with enough capacity and epochs", "No: it stops near 0.06", "It can go below 0"),
             "The entropy of mnist-5k's grey pixels: the lowest binary cross-entropy any model can reach."),
)
BY_KEY = {q.key: q for q in QUESTIONS}


def answer_pca64(pca_mse: float, ae_points: Sequence) -> Answer:
    """``ae_points``: board points with a code of 64 on mnist-5k (any type)."""
    if not ae_points:
        return Answer(f"PCA-64 has a test MSE of {pca_mse:.4f} on mnist-5k. Nobody in the class has trained an "
                      "autoencoder with a code of 64 on mnist-5k yet: set the code size to 64, train, then reveal "
                      "again.", None)
    best = min(ae_points, key=lambda p: p.test_mse)
    ratio = best.test_mse / pca_mse
    if abs(ratio - 1) <= 0.05:
        correct, verdict = 2, "about the same"
    elif ratio < 1:
        correct, verdict = 1, "the autoencoder wins"
    else:
        correct, verdict = 0, "PCA wins"
    return Answer(f"Measured: PCA-64 test MSE {pca_mse:.4f}; the class's best autoencoder with a code of 64 "
                  f"({len(ae_points)} trained) {best.test_mse:.4f}, {ratio:.2f}× PCA's: {verdict}.", correct)


def noise_copy_error(reconstruct, n_images: int = 200, shape: tuple[int, ...] = (784,), seed: int = 0) -> tuple[float, float]:
    """(MSE of the model's output against uniform random noise, MSE of a constant grey guess): a model that
    copies the noise scores far below the grey guess."""
    rng = np.random.default_rng(seed)
    noise = rng.random((n_images,) + tuple(shape)).astype(np.float32)
    out = np.asarray(reconstruct(noise), dtype=np.float64).reshape(noise.shape)
    copy_mse = float(((out - noise) ** 2).mean())
    grey_mse = float(((noise - 0.5) ** 2).mean())  # ≈ 1/12
    return copy_mse, grey_mse


def answer_copy_noise(copy_mse: float | None, grey_mse: float | None, model_name: str = "") -> Answer:
    if copy_mse is None or grey_mse is None:
        return Answer("Nobody in the class has an over-complete model in the model cache yet: choose the "
                      "over-complete type in the sidebar, train it, then reveal again.", None)
    share = copy_mse / grey_mse
    if share < 0.25:
        correct, verdict = 0, "it copies the noise: with no bottleneck it learned the identity"
    elif share < 0.75:
        correct, verdict = 2, "it partly copies the noise"
    else:
        correct, verdict = 1, "it does not copy the noise"
    named = f" ({model_name})" if model_name else ""
    return Answer(f"Measured on 200 images of random noise: the over-complete model{named} misses them by an MSE of "
                  f"{copy_mse:.4f}, against {grey_mse:.4f} for a plain grey guess ({share:.0%}): {verdict}.", correct)


def bce_floor(x: np.ndarray) -> float:
    """The mean binary cross-entropy of a perfect reconstruction: the entropy of the pixels' grey levels."""
    p = np.clip(np.asarray(x, dtype=np.float64), 1e-7, 1 - 1e-7)
    return float(np.mean(-(p * np.log(p) + (1 - p) * np.log(1 - p))))


def answer_bce_floor(floor: float) -> Answer:
    return Answer(f"Measured on mnist-5k's test images: even a perfect copy scores a binary cross-entropy of "
                  f"{floor:.3f} (the entropy of the grey pixels), so no model gets to 0. Judge models by MSE and PSNR.",
                  1)
