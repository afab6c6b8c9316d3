"""Analyses that show what makes each member of the autoencoder family different.

Every function takes plain arrays and callables (``encode``, ``decode``, ``reconstruct``: arrays in,
arrays out, e.g. a ``TrainResult``'s methods), so they work for any type and are testable without
Streamlit.

- denoising: ``noise_sweep`` (PSNR of the input and of the output across noise levels 0–1)
- sparse: ``sparsity_stats`` and ``unit_codes`` (decode a one-hot code: what each unit stands for)
- contractive: ``code_sensitivity`` (how far codes move under a fixed input perturbation)
- variational: ``sample_prior``, ``manifold_grid``, ``interpolate``
- over-complete: ``noise_images`` and ``identity_test`` (does it copy inputs it never saw the like of?)
- companions: ``companion`` gives the second model each comparison needs
- convolutional: ``conv_macs`` and ``estimate_train_seconds`` (a time estimate before training)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from aecore import corrupt, metrics
from aecore.architecture import conv_macs  # noqa: F401  (part of this module's API)
from aecore.config import Experiment, ModelConfig

Array = np.ndarray
Fn = Callable[[Array], Array]

NOISE_LEVELS = tuple(round(v, 2) for v in np.linspace(0.0, 1.0, 11))
SENSITIVITY_STD = 0.05  # the fixed perturbation: Gaussian, σ = 0.05 of the pixel range
SENSITIVITY_STDS = (0.01, 0.02, 0.05, 0.1, 0.2)
ACTIVE_FRACTION_OF_MAX = 0.01  # a code unit is "active" for an image above 1% of the largest activation


# --- denoising ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class NoiseSweep:
    kind: str
    levels: tuple[float, ...]
    psnr_input: tuple[float, ...]  # noisy input vs clean; inf at level 0
    psnr_output: tuple[float, ...]  # model output vs clean


def noise_sweep(reconstruct: Fn, x_clean: Array, kind: str = "gaussian",
                levels: Sequence[float] = NOISE_LEVELS, seed: int = 0) -> NoiseSweep:
    """PSNR (dB) of the corrupted input and of the model's output, against the clean images, at each level.

    All levels are reconstructed in one call (one model lock, one predict).
    """
    x_clean = np.asarray(x_clean, dtype=np.float32)
    noisy = [corrupt.add_noise(x_clean, kind, float(level), seed + i) for i, level in enumerate(levels)]
    outputs = np.asarray(reconstruct(np.concatenate(noisy)))
    outputs = outputs.reshape((len(levels),) + x_clean.shape)
    psnr_in = tuple(float("inf") if level <= 0 else metrics.psnr(x_clean, x) for level, x in zip(levels, noisy))
    psnr_out = tuple(metrics.psnr(x_clean, out) for out in outputs)
    return NoiseSweep(kind, tuple(float(v) for v in levels), psnr_in, psnr_out)


# --- sparse -------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SparsityStats:
    mean_activation: float  # mean |code value|
    fraction_active: float  # share of (image, unit) pairs above the threshold
    threshold: float  # ACTIVE_FRACTION_OF_MAX × the largest |code value|
    active_per_image: float  # mean number of active units per image
    dead_units: int  # units never active on these images


def sparsity_stats(codes: Array, fraction_of_max: float = ACTIVE_FRACTION_OF_MAX) -> SparsityStats:
    """How sparse codes are: a unit counts as active for an image when |value| > ``fraction_of_max`` × max|value|."""
    magnitude = np.abs(np.asarray(codes, dtype=np.float64)).reshape(len(codes), -1)
    threshold = fraction_of_max * float(magnitude.max()) if magnitude.size else 0.0
    active = magnitude > threshold
    return SparsityStats(float(magnitude.mean()), float(active.mean()), threshold,
                         float(active.sum(axis=1).mean()), int((~active.any(axis=0)).sum()))


def sparsity_claim(stats: SparsityStats, baseline: SparsityStats | None = None) -> tuple[str, str]:
    """The sparse section's headline and its first sentence, chosen from the measured numbers, so the page
    never claims silence its own figures contradict.

    "Most code units stay silent" only when fewer than half the (image, unit) pairs are active. Otherwise
    (an L1 penalty on a linear code, measured on mnist-5k: 95 % active at weight 1e-3) the true story is
    that the activations shrink, with the sizes to show it.
    """
    active = f"{100 * stats.fraction_active:.0f}%"
    if stats.fraction_active < 0.5:
        headline = "Sparse: most code units stay silent"
        sentence = (f"Only {active} of the (image, unit) pairs are active: each image is described by about "
                    f"{stats.active_per_image:.1f} units, the rest stay (nearly) zero.")
    else:
        headline = "Sparse: the penalty shrinks the code"
        sentence = (f"Most units still respond to most images ({active} of the (image, unit) pairs are active), "
                    "but their values are pulled toward zero")
        if baseline is not None and stats.mean_activation > 0:
            ratio = baseline.mean_activation / stats.mean_activation
            sentence += (f": mean |activation| {stats.mean_activation:.2f} against {baseline.mean_activation:.2f} "
                         f"without the penalty, {ratio:.1f}× {'smaller' if ratio >= 1 else 'larger'}")
        else:
            sentence += f" (mean |activation| {stats.mean_activation:.2f})"
        sentence += (". On this model's code the penalty shrinks values rather than switching units off; a "
                     "stronger weight shrinks them further.")
    return headline, sentence


def unit_codes(codes: Array, quantile: float = 0.99) -> Array:
    """One-hot codes, one per unit, each set to that unit's typical strong value (the ``quantile`` of its
    |activation| on ``codes``, with its sign): decoding them shows what each unit adds to an image."""
    codes = np.asarray(codes, dtype=np.float32)
    n_units = codes.shape[1]
    out = np.zeros((n_units, n_units), dtype=np.float32)
    for unit in range(n_units):
        values = codes[:, unit]
        strong = np.quantile(np.abs(values), quantile)
        sign = np.sign(values[np.argmax(np.abs(values))]) or 1.0
        out[unit, unit] = sign * strong if strong > 0 else 1.0
    return out


# --- contractive --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Sensitivity:
    perturbation_std: float
    mean_change: float  # mean ‖code(x + δ) − code(x)‖ over the images
    code_spread: float  # mean ‖code(x) − mean code‖: how far apart codes of different images are
    relative_change: float  # mean_change / code_spread: scale-free, fair across models


def perturbation(shape: tuple[int, ...], std: float = SENSITIVITY_STD, seed: int = 0) -> Array:
    """The fixed input perturbation δ (same for every model compared)."""
    return np.random.default_rng(seed).normal(scale=std, size=shape).astype(np.float32)


def code_sensitivity(encode: Fn, x: Array, std: float = SENSITIVITY_STD, seed: int = 0) -> Sensitivity:
    """How far codes move when every input gets the same small Gaussian perturbation δ (σ = ``std``)."""
    x = np.asarray(x, dtype=np.float32)
    both = np.asarray(encode(np.concatenate([x, x + perturbation(x.shape, std, seed)])))
    codes, moved = both[: len(x)].reshape(len(x), -1), both[len(x):].reshape(len(x), -1)
    change = float(np.linalg.norm(moved - codes, axis=1).mean())
    spread = float(np.linalg.norm(codes - codes.mean(axis=0), axis=1).mean())
    return Sensitivity(float(std), change, spread, change / max(spread, 1e-12))


def sensitivity_curve(encode: Fn, x: Array, stds: Sequence[float] = SENSITIVITY_STDS,
                      seed: int = 0) -> list[Sensitivity]:
    return [code_sensitivity(encode, x, std, seed) for std in stds]


# --- variational --------------------------------------------------------------------------------------------

def sample_prior(decode: Fn, code_size: int, n: int = 16, seed: int = 0) -> Array:
    """Decode ``n`` codes drawn from the prior N(0, I): new images the model was never shown."""
    codes = np.random.default_rng(seed).standard_normal((n, code_size)).astype(np.float32)
    return np.asarray(decode(codes))


def manifold_grid(decode: Fn, n: int = 15, span: float = 0.95, code_size: int = 2) -> tuple[Array, Array]:
    """Decode an n × n grid of codes spaced by the prior's quantiles (from 1 − span to span) along code
    numbers 1 and 2; any further code numbers stay at 0, the prior's mean.

    Returns (images of shape (n, n, ...), the grid's values along each code axis)."""
    from scipy.stats import norm

    values = norm.ppf(np.linspace(1 - span, span, n)).astype(np.float32)
    z1, z2 = np.meshgrid(values, values[::-1])  # rows top to bottom: second code number falls
    codes = np.zeros((n * n, max(code_size, 2)), dtype=np.float32)
    codes[:, 0], codes[:, 1] = z1.ravel(), z2.ravel()
    images = np.asarray(decode(codes))
    return images.reshape((n, n) + images.shape[1:]), values


def interpolate(encode: Fn, decode: Fn, x_from: Array, x_to: Array, steps: int = 9) -> tuple[Array, Array]:
    """Decode codes on the straight line between the codes of two images. Returns (images, fractions)."""
    codes = np.asarray(encode(np.stack([x_from, x_to]).astype(np.float32)))
    fractions = np.linspace(0.0, 1.0, steps, dtype=np.float32)
    line = (1 - fractions)[:, None] * codes[0] + fractions[:, None] * codes[1]
    return np.asarray(decode(line.astype(np.float32))), fractions


def kl_divergence(mean: Array, log_var: Array) -> Array:
    """KL(N(mean, exp(log_var)) ‖ N(0, I)) of each sample, in nats (≥ 0)."""
    mean, log_var = np.asarray(mean, dtype=np.float64), np.asarray(log_var, dtype=np.float64)
    return -0.5 * (1 + log_var - mean**2 - np.exp(log_var)).sum(axis=1)


# --- over-complete ------------------------------------------------------------------------------------------

def noise_images(shape: tuple[int, ...], n: int = 200, seed: int = 0) -> Array:
    """Images of uniform random pixels: nothing like the training data."""
    return np.random.default_rng(seed).random((n,) + tuple(shape)).astype(np.float32)


def data_noise_images(x_train: Array, n: int = 200, seed: int = 0) -> Array:
    """Random images with the training data's per-pixel mean and pixel-to-pixel covariance (a Gaussian fit,
    clipped to [0, 1]): blurry random blobs where digits have ink, not digits. They live in the same
    directions of pixel space the model was trained on, so a model that learned to copy copies them."""
    x = np.asarray(x_train, dtype=np.float64).reshape(len(x_train), -1)
    mean = x.mean(axis=0)
    variances, directions = np.linalg.eigh(np.cov(x, rowvar=False))
    scales = np.sqrt(np.clip(variances, 0, None))
    z = np.random.default_rng(seed).standard_normal((n, len(scales)))
    images = np.clip(mean + (z * scales) @ directions.T, 0.0, 1.0)
    return images.reshape((n,) + tuple(np.shape(x_train)[1:])).astype(np.float32)


@dataclass(frozen=True)
class IdentityTest:
    noise_mse: float  # reconstruction error on random-noise images
    data_mse: float  # reconstruction error on real test images

    @property
    def noise_psnr(self) -> float:
        return metrics.psnr_from_mse(self.noise_mse)

    @property
    def ratio(self) -> float:
        """Noise error over data error: near 1 = it copies anything (the identity); large = it learned the data."""
        return self.noise_mse / max(self.data_mse, 1e-12)


def identity_test(reconstruct: Fn, noise: Array, x_test: Array) -> IdentityTest:
    out = np.asarray(reconstruct(np.concatenate([noise, x_test]).astype(np.float32)))
    return IdentityTest(metrics.mse(noise, out[: len(noise)]), metrics.mse(x_test, out[len(noise):]))


# --- second models for comparisons --------------------------------------------------------------------------

@dataclass(frozen=True)
class Companion:
    experiment: Experiment
    label: str  # what the second model is, e.g. "without the sparsity penalty"
    why: str


def undercomplete_code_size(input_dim: int) -> int:
    return int(min(32, max(2, input_dim // 8)))


def companion(experiment: Experiment, input_dim: int) -> Companion | None:
    """The model each type is compared against: the same settings with its one distinctive ingredient removed."""
    model, train = experiment.model, experiment.train

    def same(model_cfg: ModelConfig, **train_changes) -> Experiment:
        return experiment.replace(model=model_cfg.canonical(), train=train.replace(**train_changes))

    if model.kind == "sparse":
        return Companion(same(model.replace(kind="dense")), "same model, no sparsity penalty",
                         "Same layers and training, sparsity weight 0.")
    if model.kind == "contractive":
        return Companion(same(model.replace(kind="dense")), "same model, no contractive penalty",
                         "Same layers and training, contractive weight 0.")
    if model.kind == "overcomplete":
        code = undercomplete_code_size(input_dim)
        return Companion(same(model.replace(kind="dense", code_size=code)), f"under-complete, code of {code}",
                         f"Same training, the sidebar's hidden layers and a {code}-number bottleneck.")
    if train.noise_level > 0 and model.kind in ("denoising", "conv", "dense"):
        plain = model.replace(kind="dense") if model.kind == "denoising" else model
        return Companion(same(plain, noise_level=0.0), "same model trained on clean images",
                         "Same layers, trained with fit(x, x): it never saw noise.")
    if model.kind == "conv":
        return Companion(same(ModelConfig(code_size=model.code_size, activation=model.activation,
                                          loss=model.loss, l2_weight=model.l2_weight)),
                         f"dense 256-128-{model.code_size}", "The default dense model with the same code size.")
    return None


# --- convolutional: cost and time estimate ------------------------------------------------------------------

# Measured on this 2-core machine (benchmarks/family.py, 2026-11-22): seconds per training image per epoch,
# a fixed part (batching, dense layers, optimiser) plus a part proportional to the forward multiply-adds
# (training costs about three forward passes).
SECONDS_PER_IMAGE = 1.5e-4
SECONDS_PER_MAC = 1.1e-10


def estimate_train_seconds(cfg: ModelConfig, sample_shape: tuple[int, ...], n_train: int, epochs: int) -> float:
    """Rough upper estimate of training time on this machine (early stopping may end sooner)."""
    if cfg.kind != "conv":
        return epochs * n_train * SECONDS_PER_IMAGE + 3
    return epochs * n_train * (SECONDS_PER_IMAGE + SECONDS_PER_MAC * conv_macs(cfg, sample_shape)) + 3
