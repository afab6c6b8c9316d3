"""Applications and limits of autoencoders: restoration models, features, anomalies, compression.

Everything here is plain numpy / Keras / scikit-learn / Pillow (no Streamlit), so the pages, the
benchmark and the tests share one implementation:

- restoration models (watermark removal, super-resolution, colorization) and the anomaly model are
  described by an ``AppConfig`` whose stable hash keys their background job; ``run_application``
  trains one with ``aecore.train.train_autoencoder(..., inputs=...)`` and measures it;
- out-of-distribution image sets (letters drawn with Pillow, random noise, patches of scikit-learn's
  sample photos, Fashion-MNIST when cached);
- ROC curve and AUC, the feature-extraction accuracy table, and rate–distortion points for
  autoencoder codes, PCA codes, JPEG and lossless PNG / gzip.
"""

from __future__ import annotations

import colorsys
import gzip
import io
import threading
from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np

from aecore import corrupt, metrics
from aecore.config import DataConfig, Experiment, ModelConfig, TrainConfig, stable_hash
from aecore.data import Dataset, DatasetUnavailable, load_dataset
from aecore.metrics import auc, roc_curve  # noqa: F401  (the Applications page's ROC)
from aecore.pca import PCABaseline
from aecore.progress import Count

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


# --- out-of-distribution images -------------------------------------------------------------------

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def letters(n: int, shape: tuple[int, int] = (28, 28), seed: int = 0) -> tuple[np.ndarray, list[str]]:
    """``n`` capital letters drawn with Pillow's default font, white on black like MNIST digits.

    Each letter is scaled to fit a box of 20/28 of the image (as MNIST digits are) and centred by its
    centre of mass, with a random letter per image from ``seed``. Returns (images, the letters).
    """
    from PIL import Image, ImageDraw, ImageFont

    rng = np.random.default_rng(seed)
    font = ImageFont.load_default(size=64)
    chosen = [LETTERS[i] for i in rng.integers(0, len(LETTERS), n)]
    rendered: dict[str, np.ndarray] = {}
    h, w = int(shape[0]), int(shape[1])
    box = max(int(round(min(h, w) * 20 / 28)), 1)
    for letter in set(chosen):
        probe = Image.new("L", (1, 1))
        left, top, right, bottom = ImageDraw.Draw(probe).textbbox((0, 0), letter, font=font)
        glyph = Image.new("L", (right - left + 8, bottom - top + 8), 0)
        ImageDraw.Draw(glyph).text((4 - left, 4 - top), letter, fill=255, font=font)
        gw, gh = glyph.size
        scale = box / max(gw, gh)
        glyph = glyph.resize((max(int(round(gw * scale)), 1), max(int(round(gh * scale)), 1)),
                             Image.Resampling.LANCZOS)
        arr = np.asarray(glyph, dtype=np.float32) / 255.0
        canvas = np.zeros((h, w), np.float32)
        ys, xs = np.indices(arr.shape)
        total = arr.sum() or 1.0
        cy, cx = (ys * arr).sum() / total, (xs * arr).sum() / total
        top_y = int(np.clip(round(h / 2 - cy), 0, h - arr.shape[0]))
        top_x = int(np.clip(round(w / 2 - cx), 0, w - arr.shape[1]))
        canvas[top_y: top_y + arr.shape[0], top_x: top_x + arr.shape[1]] = arr
        rendered[letter] = canvas
    images = np.stack([rendered[c] for c in chosen]) if n else np.zeros((0, h, w), np.float32)
    return np.clip(images, 0, 1).astype(np.float32), chosen


def noise_images(n: int, shape: tuple[int, int] = (28, 28), seed: int = 0) -> np.ndarray:
    """Uniform random pixels in [0, 1]: nothing like any data set."""
    return np.random.default_rng(seed).random((n,) + tuple(shape)).astype(np.float32)


def photo_patches(n: int, shape: tuple[int, int] = (28, 28), seed: int = 0, patch: int = 84) -> np.ndarray:
    """Grey, textured square patches of scikit-learn's two bundled sample photos, shrunk to ``shape``.

    (scikit-image is not a dependency: its sample images would add a heavy package for two photos,
    and scikit-learn ships two real photographs already.)
    """
    from PIL import Image
    from sklearn.datasets import load_sample_images

    photos = [corrupt.to_grey(np.asarray(im, np.float32) / 255.0) for im in load_sample_images().images]
    rng = np.random.default_rng(seed)
    out = np.zeros((n,) + tuple(shape), np.float32)
    for i in range(n):
        photo = photos[i % len(photos)]
        for _ in range(20):  # skip flat patches (clear sky): they would be easy for any model
            y = int(rng.integers(0, photo.shape[0] - patch))
            x = int(rng.integers(0, photo.shape[1] - patch))
            if photo[y: y + patch, x: x + patch].std() > 0.08:
                break
        crop = Image.fromarray(np.ascontiguousarray(photo[y: y + patch, x: x + patch]), mode="F")
        out[i] = np.asarray(crop.resize((shape[1], shape[0]), Image.Resampling.BOX))
    return np.clip(out, 0, 1)


FASHION_FILES = ("train-labels-idx1-ubyte.gz", "train-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz",
                 "t10k-images-idx3-ubyte.gz")


def fashion_cached() -> bool:
    """Whether Fashion-MNIST is already in the keras cache (so loading it needs no network)."""
    from aecore.data import keras_datasets_dir

    folder = keras_datasets_dir() / "fashion-mnist"
    return all((folder / name).exists() for name in FASHION_FILES)


def fashion_images(n: int, shape: tuple[int, int] = (28, 28), seed: int = 0) -> np.ndarray:
    """Fashion-MNIST test images. Never downloads: raises ``DatasetUnavailable`` when it is not cached."""
    if not fashion_cached():
        # No server path here: users see this message.
        raise DatasetUnavailable(
            "Fashion-MNIST has not been downloaded on this server, and this page does not download it. Pick "
            "Fashion-MNIST once as the data set in the sidebar (the server needs internet for that) to add "
            "clothing to this comparison.")
    data = load_dataset(DataConfig(name="fashion-mnist"))
    idx = np.random.default_rng(seed).choice(len(data.x_test), size=min(n, len(data.x_test)), replace=False)
    images = data.x_test[idx]
    return images if tuple(images.shape[1:]) == tuple(shape) else corrupt.resize_images(images, shape, "box")


def digit_images(n: int, shape: tuple[int, int] = (28, 28), seed: int = 0) -> np.ndarray:
    """MNIST digits (the offline 5k sample): out of distribution for a model trained on anything else."""
    data = load_dataset(DataConfig())
    idx = np.random.default_rng(seed).choice(len(data.x_test), size=min(n, len(data.x_test)), replace=False)
    images = data.x_test[idx]
    return images if tuple(images.shape[1:]) == tuple(shape) else corrupt.resize_images(images, shape, "box")


OOD_LABELS = {"letters": "Letters (Pillow font)", "noise": "Random noise", "photos": "Photo patches",
              "fashion": "Fashion-MNIST", "digits": "MNIST digits"}


def ood_sets(shape: tuple[int, int], n: int = 300, seed: int = 0, trained_on: str = "mnist-5k",
             ) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """Out-of-distribution image sets for a model trained on ``trained_on``, resized to ``shape``.

    Returns (name → images, name → why it is missing). Fashion-MNIST is used only when it is already
    in the keras cache; digits are out of distribution only for a model not trained on digits.
    """
    sets: dict[str, np.ndarray] = {}
    missing: dict[str, str] = {}
    sets["letters"] = letters(n, shape, seed)[0]
    sets["noise"] = noise_images(n, shape, seed)
    sets["photos"] = photo_patches(n, shape, seed)
    if trained_on not in ("fashion-mnist",):
        try:
            sets["fashion"] = fashion_images(n, shape, seed)
        except DatasetUnavailable as exc:
            missing["fashion"] = str(exc)
    if trained_on not in ("mnist-5k", "mnist", "digits-8x8"):
        sets["digits"] = digit_images(n, shape, seed)
    return sets, missing


# --- detection (its ROC curve and AUC: aecore.metrics) -------------------------------------------------

def detection_rates(normal_scores: np.ndarray, anomaly_scores: np.ndarray, threshold: float) -> tuple[float, float]:
    """(false-alarm rate on normal samples, detection rate on anomalies) when flagging ``score > threshold``."""
    return float(np.mean(np.asarray(normal_scores) > threshold)), float(np.mean(np.asarray(anomaly_scores) > threshold))


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


# --- feature extraction --------------------------------------------------------------------------

def logistic_accuracy(train_x: np.ndarray, train_y: np.ndarray, test_x: np.ndarray, test_y: np.ndarray,
                      seed: int = 0) -> float:
    """Test accuracy of a standardised multinomial logistic regression."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=300, C=0.5, random_state=seed))
    clf.fit(train_x.reshape(len(train_x), -1), train_y)
    return float(clf.score(test_x.reshape(len(test_x), -1), test_y))


def label_subset(y: np.ndarray, n: int | None, seed: int = 0) -> np.ndarray:
    """Indices of ``n`` labelled training samples, stratified by class (all of them for ``None``)."""
    if n is None or n >= len(y):
        return np.arange(len(y))
    from sklearn.model_selection import train_test_split

    idx, _ = train_test_split(np.arange(len(y)), train_size=n, stratify=y, random_state=seed)
    return np.sort(idx)


def feature_accuracy_table(features: dict[str, tuple[np.ndarray, np.ndarray]], y_train: np.ndarray,
                           y_test: np.ndarray, label_counts: tuple[int | None, ...] = (100, 1000, None),
                           seed: int = 0, report: Callable | None = None) -> list[dict]:
    """Test accuracy of logistic regression on each feature set with each number of labels.

    ``features``: name → (train features, test features). Returns one row per (features, labels):
    {"features", "dimensions", "labels", "accuracy"}.
    """
    rows = []
    for count in label_counts:
        idx = label_subset(y_train, count, seed)
        for name, (train_f, test_f) in features.items():
            acc = logistic_accuracy(train_f[idx], y_train[idx], test_f, y_test, seed)
            rows.append({"features": name, "dimensions": int(np.prod(train_f.shape[1:])),
                         "labels": len(idx), "accuracy": acc})
            if report is not None:
                total = len(label_counts) * len(features)
                report(Count(len(rows), total, f"Fitted {len(rows)} of {total} classifiers: {name} with "
                                               f"{len(idx):,} labels…", partial=rows[-1]))
    return rows


def pca_codes(x_train: np.ndarray, x_test: np.ndarray, k: int):
    """PCA with ``k`` components fitted on ``x_train``: (train codes, test codes, fitted PCA)."""
    pca = PCABaseline(k).fit(x_train)
    return pca.transform(x_train), pca.transform(x_test), pca


def feature_extraction(result, dataset: Dataset, label_counts: tuple[int | None, ...] = (100, 1000, None),
                       seed: int = 0, report: Callable | None = None) -> list[dict]:
    """Accuracy table: raw pixels, PCA codes of the code's size and the autoencoder's codes."""
    codes_train = result.encode(dataset.x_train).reshape(len(dataset.x_train), -1)
    codes_test = result.encode(dataset.x_test).reshape(len(dataset.x_test), -1)
    k = codes_train.shape[1]
    pca_train, pca_test, _ = pca_codes(dataset.x_train, dataset.x_test, k)
    features = {"raw pixels": (dataset.flat(dataset.x_train), dataset.flat(dataset.x_test)),
                f"PCA ({pca_train.shape[1]} numbers)": (pca_train, pca_test),
                f"autoencoder code ({k} numbers)": (codes_train, codes_test)}
    return feature_accuracy_table(features, dataset.y_train, dataset.y_test, label_counts, seed, report)


# --- rate–distortion -------------------------------------------------------------------------------

@dataclass(frozen=True)
class RDPoint:
    """One way of storing the test images: bytes per image against the error it leaves."""

    method: str  # "autoencoder", "PCA", "JPEG", "JPEG (shared tables)", "PNG", "gzip", "raw 8-bit"
    setting: str  # e.g. "16 numbers, float16" or "quality 50"
    bytes_per_image: float
    mse: float

    @property
    def psnr(self) -> float:
        return float(metrics.psnr_from_mse(self.mse))

    @property
    def lossless(self) -> bool:
        return self.method in ("PNG", "gzip", "raw 8-bit")


def to_uint8(image: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(np.asarray(image, np.float64) * 255.0), 0, 255).astype(np.uint8)


def jpeg_encode(image: np.ndarray, quality: int, streamtype: int = 0) -> bytes:
    """A grey image in [0, 1] as a JPEG file (Pillow, 8-bit). ``streamtype`` 2 leaves out the tables
    (an "abbreviated" stream: the tables are shared by every image, like a decoder's weights)."""
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(to_uint8(image), mode="L").save(buf, format="JPEG", quality=int(quality), streamtype=streamtype)
    return buf.getvalue()


def jpeg_decode(data: bytes) -> np.ndarray:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as im:
        return np.asarray(im.convert("L"), dtype=np.float32) / 255.0


def png_encode(image: np.ndarray) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(to_uint8(image), mode="L").save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def jpeg_points(x: np.ndarray, qualities=(5, 10, 20, 30, 50, 75, 90)) -> list[RDPoint]:
    """JPEG at each quality: the whole file, and the same stream without its (shareable) tables."""
    points = []
    for q in qualities:
        sizes, shared, decoded = [], [], []
        for image in x:
            data = jpeg_encode(image, q)
            sizes.append(len(data))
            shared.append(len(jpeg_encode(image, q, streamtype=2)))
            decoded.append(jpeg_decode(data))
        mse = metrics.mse(x, np.asarray(decoded))
        points.append(RDPoint("JPEG", f"quality {q}", float(np.mean(sizes)), mse))
        points.append(RDPoint("JPEG (shared tables)", f"quality {q}", float(np.mean(shared)), mse))
    return points


def lossless_points(x: np.ndarray) -> list[RDPoint]:
    """Lossless references: raw 8-bit pixels, gzip of them, PNG (the error is 8-bit rounding only)."""
    q = [to_uint8(image) for image in x]
    mse = metrics.mse(x, np.asarray(q, np.float32) / 255.0)
    return [RDPoint("raw 8-bit", "1 byte per pixel", float(np.mean([a.size for a in q])), mse),
            RDPoint("gzip", "level 9", float(np.mean([len(gzip.compress(a.tobytes(), 9, mtime=0)) for a in q])), mse),
            RDPoint("PNG", "optimised", float(np.mean([len(png_encode(image)) for image in x])), mse)]


CODE_PRECISIONS = (("float32", 4.0), ("float16", 2.0), ("8-bit", 1.0))


def quantise_codes(codes: np.ndarray, precision: str, reference: np.ndarray | None = None) -> np.ndarray:
    """Codes as they come back after storing them at ``precision``.

    "8-bit" maps each code number's range (taken from ``reference``, the training codes: shared side
    information like the decoder) onto 256 levels.
    """
    codes = np.asarray(codes, np.float32)
    if precision == "float32":
        return codes
    if precision == "float16":
        return codes.astype(np.float16).astype(np.float32)
    if precision != "8-bit":
        raise ValueError(f"Unknown precision '{precision}'.")
    ref = codes if reference is None else np.asarray(reference, np.float32)
    lo, hi = ref.min(axis=0), ref.max(axis=0)
    step = np.where(hi > lo, (hi - lo) / 255.0, 1.0)
    levels = np.clip(np.rint((codes - lo) / step), 0, 255)
    return (lo + levels * step).astype(np.float32)


def code_points(method: str, encode: Callable, decode: Callable, x: np.ndarray, x_reference: np.ndarray,
                label: str = "") -> list[RDPoint]:
    """Points for a code at float32, float16 and 8-bit: bytes = numbers × bytes per number."""
    codes, reference = np.asarray(encode(x), np.float32), np.asarray(encode(x_reference), np.float32)
    numbers = int(np.prod(codes.shape[1:]))
    points = []
    for precision, nbytes in CODE_PRECISIONS:
        rebuilt = np.clip(np.asarray(decode(quantise_codes(codes, precision, reference))).reshape(x.shape), 0, 1)
        points.append(RDPoint(method, f"{label or numbers} numbers, {precision}", numbers * nbytes,
                              metrics.mse(x, rebuilt)))
    return points


def pca_points(x_train: np.ndarray, x: np.ndarray, sizes=(2, 4, 8, 16, 32, 64)) -> list[RDPoint]:
    pca = PCABaseline(max(sizes)).fit(x_train)  # nested components: one fit serves every size
    points = []
    for k in sizes:
        k = min(k, pca.n_components_)
        points += code_points("PCA", lambda a, k=k: pca.transform(a, k), pca.inverse_transform, x, x_train)
    return points


def rate_distortion(x: np.ndarray, x_train: np.ndarray, autoencoders: list[tuple[str, object]] | None = None,
                    pca_sizes=(2, 4, 8, 16, 32, 64), jpeg_qualities=(5, 10, 20, 30, 50, 75, 90)) -> list[RDPoint]:
    """Every method's points on the images ``x`` (PCA and the autoencoders learnt from ``x_train``).

    ``autoencoders``: (method name, model) pairs, the model having ``encode``/``decode`` (a
    TrainResult); models sharing a name form one curve (e.g. "autoencoder" for a code-size sweep,
    "your autoencoder" for the session's model).
    """
    points = []
    for method, model in autoencoders or []:
        points += code_points(method, model.encode, model.decode, x, x_train)
    points += pca_points(x_train, x, pca_sizes)
    points += jpeg_points(x, jpeg_qualities)
    points += lossless_points(x)
    return points


def decoder_bytes(model) -> int:
    """Size of a model's decoder weights at float32: side information shared by every image."""
    return int(sum(int(np.prod(w.shape)) for w in model.decoder.get_weights()) * 4)


def smallest_size(points: list[RDPoint], max_mse: float) -> dict[str, RDPoint]:
    """Per method, the fewest bytes per image that keep the MSE at or below ``max_mse``."""
    best: dict[str, RDPoint] = {}
    for p in points:
        if p.mse <= max_mse and (p.method not in best or p.bytes_per_image < best[p.method].bytes_per_image):
            best[p.method] = p
    return best


def train_code_size_sweep(data: str = "mnist-5k", code_sizes=(4, 8, 16, 32, 64), epochs: int | None = None,
                          seed: int = 0, report: Callable | None = None,
                          cancel: threading.Event | None = None) -> dict[int, object]:
    """The sidebar's default model at the code sizes that compress this data (for the rate–distortion curve):
    the very experiments of the PCA page's sweep (``epochs`` None: the default training), each found in
    memory or the disk cache when trained before, else trained and saved."""
    from aecore.sweeps import sweep_experiments, trained_model
    from aecore.train import TrainingCancelled

    dataset = load_dataset(DataConfig(name=data))
    train_cfg = TrainConfig(seed=seed) if epochs is None else TrainConfig(epochs=epochs, seed=seed)
    # 64 numbers do not compress 8×8 digits: sweep_experiments keeps the sizes below the input's
    experiments = sweep_experiments(Experiment(DataConfig(name=data), train=train_cfg), dataset.input_dim,
                                    tuple(code_sizes))
    results = {}
    for i, experiment in enumerate(experiments):
        if cancel is not None and cancel.is_set():
            break
        try:
            result = trained_model(experiment, dataset, cancel=cancel)
        except TrainingCancelled:
            break
        if result.stopped == "cancelled":  # a partial model is neither kept nor shown
            break
        results[experiment.model.code_size] = result
        if report is not None:
            report(Count(i + 1, len(experiments), f"Trained {i + 1} of {len(experiments)} models (code size "
                                                   f"{experiment.model.code_size})…", partial=result))
    return results
