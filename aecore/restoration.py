"""The Applications page's models: watermark removal, super-resolution, colorization and anomaly detection.

Each is a small dense autoencoder described by an ``AppConfig`` whose stable hash keys its background job;
``run_application`` trains one with ``aecore.train.train_autoencoder(..., inputs=...)`` and measures it
(PSNR against the clean images, over the watermark's pixels, and the anomaly model's errors on
``aecore.ood``'s sets). Plain numpy / Keras / Pillow (no Streamlit).
"""

from __future__ import annotations

import colorsys
import threading
from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np

from aecore import corrupt, metrics
from aecore.config import DataConfig, Experiment, ModelConfig, TrainConfig, stable_hash
from aecore.data import Dataset, load_dataset
from aecore.ood import ood_sets

TASKS = ("watermark", "superres", "colour", "anomaly")
TASK_LABELS = {"watermark": "Watermark removal", "superres": "Super-resolution", "colour": "Colorization",
               "anomaly": "Anomaly detection"}
COLOUR_RULES = ("class", "random")
COLOUR_RULE_LABELS = {"class": "by digit class (learnable from the shape)",
                      "random": "random per image (cannot be inferred)"}


# --- configuration -------------------------------------------------------------------------------

@dataclass(frozen=True)
class AppConfig:
    """One application model: its task, the task's settings, and a small dense autoencoder.

    Fields a task does not use are reset by ``canonical()`` so equal models share one cache key.
    """

    task: str = "watermark"
    data: str = "mnist-5k"
    # One wide hidden layer and a large code: restoring strokes needs detail that the sidebar's default
    # 784-256-128-16 model throws away (measured on mnist-5k, text watermark: 784-512-128 gains +1.3 dB
    # where 784-256-128-64 loses 1.7 dB against the marked input). Anomaly detection uses the small code.
    code_size: int = 128
    n_hidden_layers: int = 1
    first_layer_nodes: int = 512
    epochs: int = 20
    seed: int = 0
    # watermark
    watermark_kind: str = "text"
    opacity: float = 0.8
    position: str = "top-left"
    unseen_position: str = "bottom-right"
    # super-resolution
    factor: int = 2
    resample: str = "bicubic"
    # colorization
    colour_rule: str = "class"
    # anomaly detection: the digit class left out of training (-1: none)
    held_out_digit: int = 7

    def canonical(self) -> "AppConfig":
        d = AppConfig()
        changes: dict[str, object] = {}
        if self.task != "watermark":
            changes.update(watermark_kind=d.watermark_kind, opacity=d.opacity, position=d.position,
                           unseen_position=d.unseen_position)
        if self.task != "superres":
            changes.update(factor=d.factor, resample=d.resample)
        if self.task != "colour":
            changes.update(colour_rule=d.colour_rule)
        if self.task != "anomaly":
            changes.update(held_out_digit=d.held_out_digit)
        return replace(self, **changes)

    def key(self) -> str:
        return stable_hash("application", self.canonical())

    def validate(self) -> None:
        if self.task not in TASKS:
            raise ValueError(f"Unknown application '{self.task}'.")
        if self.watermark_kind not in corrupt.WATERMARK_KINDS:
            raise ValueError(f"Unknown watermark '{self.watermark_kind}'.")
        if not 0 < self.opacity <= 1:
            raise ValueError("The watermark's opacity must be above 0 and at most 1.")
        for pos in (self.position, self.unseen_position):
            if pos not in corrupt.WATERMARK_POSITIONS:
                raise ValueError(f"Unknown watermark position '{pos}'.")
        if self.factor not in (2, 4):
            raise ValueError("Down-sample by 2 (to 14×14) or by 4 (to 7×7).")
        if self.resample not in corrupt.RESAMPLING:
            raise ValueError(f"Unknown resampling '{self.resample}'.")
        if self.colour_rule not in COLOUR_RULES:
            raise ValueError(f"Unknown colour rule '{self.colour_rule}'.")
        if not -1 <= self.held_out_digit <= 9:
            raise ValueError("The held-out digit must be 0 to 9 (or none).")

    def experiment(self) -> Experiment:
        """The autoencoder and its training (the sidebar's defaults, with this code size and epochs)."""
        return Experiment(DataConfig(name=self.data),
                          ModelConfig(code_size=self.code_size, n_hidden_layers=self.n_hidden_layers,
                                      first_layer_nodes=self.first_layer_nodes),
                          TrainConfig(epochs=self.epochs, seed=self.seed))


def code_size_choices(input_dim: int, small: bool = False) -> tuple[int, ...]:
    """Code sizes offered for images of ``input_dim`` pixels (always below it: under-complete)."""
    sizes = (4, 8, 16, 32, 64) if small else (32, 64, 128, 256)
    allowed = tuple(c for c in sizes if c < input_dim)
    return allowed if len(allowed) >= 2 else tuple(c for c in (2, 4, 8, 16, 32, 64) if c < input_dim)[-4:]


def default_code_size(input_dim: int, small: bool = False) -> int:
    """128 numbers for restoration (16 for anomalies) where that still compresses, else the largest allowed."""
    wanted = 16 if small else 128
    choices = code_size_choices(input_dim, small)
    return wanted if wanted in choices else max(c for c in choices if c <= wanted) if min(choices) <= wanted \
        else min(choices)


# --- coloured digits -----------------------------------------------------------------------------

STROKE_LUMA, BACKGROUND_LUMA = 0.7, 0.12


def _with_luma(rgb: np.ndarray, target: float) -> np.ndarray:
    """``rgb`` (…, 3) shifted to grey level ``target``: scaled down toward black or mixed toward white."""
    rgb = np.asarray(rgb, dtype=np.float32)
    luma = corrupt.to_grey(rgb, peak=None)[..., None]
    darker = rgb * target / np.maximum(luma, 1e-6)
    lighter = rgb + (target - luma) / np.maximum(1.0 - luma, 1e-6) * (1.0 - rgb)
    return np.clip(np.where(luma > target, darker, lighter), 0.0, 1.0)


def _hue_pair(hues: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    strokes = np.array([colorsys.hsv_to_rgb(h, 0.9, 1.0) for h in hues], np.float32).reshape(-1, 3)
    backgrounds = np.array([colorsys.hsv_to_rgb((h + 0.5) % 1.0, 0.9, 1.0) for h in hues], np.float32).reshape(-1, 3)
    return _with_luma(strokes, STROKE_LUMA), _with_luma(backgrounds, BACKGROUND_LUMA)


def class_colours(n_classes: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Stroke and background colour (each (n_classes, 3) in [0, 1]) of every class.

    Hues are spread round the colour wheel (backgrounds take the opposite hue), and every stroke has
    the same grey level (0.7), every background another (0.12): the grey version of a coloured digit is
    the same whatever its colours, so only the digit's *shape* can tell a model which colours it had.
    """
    return _hue_pair(np.arange(n_classes) / n_classes)


def colourize(x: np.ndarray, labels: np.ndarray, rule: str = "class", seed: int = 0) -> np.ndarray:
    """Colour grey images (n, h, w): ``background·(1 − g) + stroke·g`` for grey level g.

    ``rule`` "class": the colours follow the digit's class (a model can infer them from the shape);
    "random": each image gets a random stroke and background hue (no image content predicts them).
    Returns float32 (n, h, w, 3) in [0, 1].
    """
    x = np.asarray(x, dtype=np.float32)
    labels = np.asarray(labels)
    if rule == "class":
        strokes, backgrounds = class_colours(max(int(labels.max()) + 1 if len(labels) else 10, 10))
        stroke, background = strokes[labels], backgrounds[labels]
    elif rule == "random":
        stroke, background = _hue_pair(np.random.default_rng(seed).random(len(x)))
    else:
        raise ValueError(f"Unknown colour rule '{rule}'. Choose one of: {', '.join(COLOUR_RULES)}.")
    g = x[..., None]
    out = background[:, None, None, :] * (1.0 - g) + stroke[:, None, None, :] * g
    return np.clip(out, 0.0, 1.0).astype(np.float32)


def colour_dataset(dataset: Dataset, rule: str = "class", seed: int = 0) -> Dataset:
    """The data set with every image coloured (samples (h, w, 3)); labels and splits unchanged."""
    return Dataset(
        name=f"{dataset.name} coloured ({rule})",
        x_train=colourize(dataset.x_train, dataset.y_train, rule, seed),
        y_train=dataset.y_train,
        x_val=colourize(dataset.x_val, dataset.y_val, rule, seed + 1),
        y_val=dataset.y_val,
        x_test=colourize(dataset.x_test, dataset.y_test, rule, seed + 2),
        y_test=dataset.y_test,
        class_names=dataset.class_names,
        description=f"{dataset.description} Coloured {COLOUR_RULE_LABELS[rule]}.",
        is_image=True,
    )


# --- running an application model ----------------------------------------------------------------

@dataclass
class AppResult:
    """A trained application model and its measurements on the test split."""

    config: AppConfig
    train: object  # aecore.train.TrainResult
    inputs: np.ndarray  # what the model saw (test split)
    outputs: np.ndarray  # what it produced
    targets: np.ndarray  # the clean test images
    labels: np.ndarray
    psnr_input: float  # corrupted input against the target (for colour: grey copied to 3 channels)
    psnr_model: float
    baseline_name: str = ""
    baseline: np.ndarray | None = None
    psnr_baseline: float | None = None
    unseen_inputs: np.ndarray | None = None  # watermark at a position never seen in training
    unseen_outputs: np.ndarray | None = None
    psnr_unseen_input: float | None = None
    psnr_unseen_model: float | None = None
    # watermark: PSNR over the pixels the mark changed (where removal shows), and over all the other pixels
    # (where the input was already exact, so any change the model makes there, e.g. blur, is a loss)
    psnr_mark_input: float | None = None
    psnr_mark_model: float | None = None
    psnr_outside_model: float | None = None
    mark_fraction: float | None = None  # share of the pixels the mark changed
    # anomaly detection: per-image MSE of the normal test digits and of each anomaly set
    normal_scores: np.ndarray | None = None
    anomaly_scores: dict[str, np.ndarray] = field(default_factory=dict)
    anomaly_images: dict[str, np.ndarray] = field(default_factory=dict)
    anomaly_outputs: dict[str, np.ndarray] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def per_image_psnr_gain(self) -> np.ndarray:
        mse_in = metrics.per_sample_mse(self.targets, _comparable(self.inputs, self.targets))
        mse_out = metrics.per_sample_mse(self.targets, self.outputs)
        return metrics.psnr_from_mse(mse_out) - metrics.psnr_from_mse(mse_in)


def _comparable(inputs: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Grey inputs broadcast to colour targets (a grey image *is* a colour image with equal channels)."""
    if inputs.shape != targets.shape and targets.ndim == inputs.ndim + 1:
        return np.repeat(inputs[..., None], targets.shape[-1], axis=-1)
    return inputs


def _psnr(targets: np.ndarray, images: np.ndarray) -> float:
    return float(metrics.psnr(targets, _comparable(images, targets)))


MARK_CHANGE = 1e-3  # a pixel belongs to the mark when the mark changed it by more than this


def mark_region(inputs: np.ndarray, targets: np.ndarray, threshold: float = MARK_CHANGE) -> np.ndarray:
    """Boolean mask of the pixels a corruption changed (the watermark's pixels, image by image)."""
    return np.abs(np.asarray(inputs, np.float32) - np.asarray(targets, np.float32)) > threshold


def region_psnr(targets: np.ndarray, images: np.ndarray, region: np.ndarray) -> float:
    """PSNR (dB) over the pixels in ``region`` only (all images pooled); inf when they match exactly."""
    region = np.asarray(region, bool)
    if not region.any():
        return float("nan")
    diff = np.asarray(images, np.float64)[region] - np.asarray(targets, np.float64)[region]
    return float(metrics.psnr_from_mse(float(np.mean(diff ** 2))))


def prepare(cfg: AppConfig, dataset: Dataset) -> tuple[Dataset, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """The data set to train on (its samples are the targets) and the model's inputs for each split."""
    s = cfg.seed
    if cfg.task == "watermark":
        mark = lambda x, k: corrupt.watermark(x, cfg.watermark_kind, cfg.opacity, cfg.position, seed=s + k)  # noqa: E731
        return dataset, (mark(dataset.x_train, 0), mark(dataset.x_val, 1), mark(dataset.x_test, 2))
    if cfg.task == "superres":
        low = lambda x: corrupt.downsample(x, cfg.factor, cfg.resample)  # noqa: E731
        return dataset, (low(dataset.x_train), low(dataset.x_val), low(dataset.x_test))
    if cfg.task == "colour":
        coloured = colour_dataset(dataset, cfg.colour_rule, s)
        return coloured, (corrupt.to_grey(coloured.x_train), corrupt.to_grey(coloured.x_val),
                          corrupt.to_grey(coloured.x_test))
    # anomaly: train on the normal classes only; the held-out digit becomes an anomaly set
    keep = lambda y: y != cfg.held_out_digit  # noqa: E731
    normal = Dataset(f"{dataset.name} without {cfg.held_out_digit}", dataset.x_train[keep(dataset.y_train)],
                     dataset.y_train[keep(dataset.y_train)], dataset.x_val[keep(dataset.y_val)],
                     dataset.y_val[keep(dataset.y_val)], dataset.x_test[keep(dataset.y_test)],
                     dataset.y_test[keep(dataset.y_test)], dataset.class_names, dataset.description)
    return normal, (normal.x_train, normal.x_val, normal.x_test)


def run_application(cfg: AppConfig, report: Callable | None = None, cancel: threading.Event | None = None,
                    dataset: Dataset | None = None, n_ood: int = 300) -> AppResult:
    """Train the application model ``cfg`` describes and measure it (the body of its background job)."""
    import time

    from aecore.train import train_autoencoder

    cfg = cfg.canonical()
    cfg.validate()
    start = time.perf_counter()
    dataset = dataset if dataset is not None else load_dataset(DataConfig(name=cfg.data))
    if not dataset.is_square_image:
        raise ValueError(f"The applications need images; '{dataset.name}' holds {dataset.sample_shape} samples.")
    train_set, inputs = prepare(cfg, dataset)
    trained = train_autoencoder(cfg.experiment(), train_set, progress=report, cancel=cancel, inputs=inputs)
    targets, test_in = train_set.x_test, inputs[2]
    outputs = np.clip(trained.test_reconstruction, 0, 1)
    result = AppResult(cfg, trained, test_in, outputs, targets, train_set.y_test,
                       psnr_input=_psnr(targets, test_in), psnr_model=_psnr(targets, outputs))
    if cfg.task == "watermark":
        unseen = corrupt.watermark(targets, cfg.watermark_kind, cfg.opacity, cfg.unseen_position, seed=cfg.seed + 3)
        result.unseen_inputs = unseen
        result.unseen_outputs = np.clip(trained.reconstruct(unseen), 0, 1)
        result.psnr_unseen_input = _psnr(targets, unseen)
        result.psnr_unseen_model = _psnr(targets, result.unseen_outputs)
        region = mark_region(test_in, targets)
        result.mark_fraction = float(region.mean())
        result.psnr_mark_input = region_psnr(targets, test_in, region)
        result.psnr_mark_model = region_psnr(targets, outputs, region)
        result.psnr_outside_model = region_psnr(targets, outputs, ~region)
    elif cfg.task == "superres":
        h, w = targets.shape[1:3]
        small = corrupt.resize_images(targets, (h // cfg.factor, w // cfg.factor), "box")
        result.baseline_name = "bicubic up-sampling"
        result.baseline = corrupt.resize_images(small, (h, w), "bicubic")
        result.psnr_baseline = _psnr(targets, result.baseline)
    elif cfg.task == "anomaly":
        result.normal_scores = trained.per_image_test_mse
        sets, result.missing = ood_sets(dataset.sample_shape[:2], n_ood, cfg.seed, trained_on=cfg.data)
        if cfg.held_out_digit >= 0:
            sets = {"held_out": dataset.x_test[dataset.y_test == cfg.held_out_digit], **sets}
        for name, images in sets.items():
            rebuilt = np.clip(trained.reconstruct(images), 0, 1)
            result.anomaly_images[name] = images
            result.anomaly_outputs[name] = rebuilt
            result.anomaly_scores[name] = metrics.per_sample_mse(images, rebuilt)
    result.seconds = time.perf_counter() - start
    return result
