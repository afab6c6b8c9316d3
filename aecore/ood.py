"""Out-of-distribution images and how often a threshold flags them.

Letters drawn with Pillow, random noise, patches of scikit-learn's sample photos, Fashion-MNIST when
cached and MNIST digits: inputs unlike a model's training data (the anomaly model's test sets and the
Limits page's). The ROC curve and AUC over every threshold are ``aecore.metrics``'.
"""

from __future__ import annotations

import numpy as np

from aecore import corrupt
from aecore.config import DataConfig
from aecore.data import DatasetUnavailable, load_dataset


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
