"""Turn a drawing (an RGBA canvas) into a digit the way MNIST's digits were made.

MNIST's recipe (LeCun et al.): the digit is size-normalised to fit a 20×20 box keeping its aspect ratio
(anti-aliasing gives grey levels), then placed in a 28×28 frame so that its centre of mass sits at the
centre of the frame. A model trained on MNIST has only ever seen digits prepared that way, so a drawing
must be prepared the same way before it is encoded.
"""

from __future__ import annotations

import numpy as np

from aecore.corrupt import to_grey

FRAME = 28  # MNIST images are 28×28...
BOX = 20  # ...with the digit scaled to fit 20×20 inside
INK_THRESHOLD = 0.05  # a pixel with less ink than this is background when finding the bounding box


def ink_from(rgba: np.ndarray) -> np.ndarray:
    """Ink in [0, 1] (1 = full stroke) from an RGBA or RGB or grey image of any background.

    Transparent pixels count as background. A light background (black pen on white paper) is inverted,
    so the digit is always light on dark, like MNIST.
    """
    image = np.asarray(rgba, dtype=np.float32)
    if image.ndim == 2:
        grey = image / (255.0 if image.max() > 1.0 else 1.0)
        alpha = np.ones_like(grey)
    elif image.ndim == 3 and image.shape[2] in (3, 4):
        scale = 255.0 if image.max() > 1.0 else 1.0
        grey = to_grey(image / scale, peak=None)  # clipped below, after any inversion
        alpha = image[..., 3] / scale if image.shape[2] == 4 else np.ones_like(grey)
    else:
        raise ValueError(f"Expected an image of shape (h, w), (h, w, 3) or (h, w, 4), got {image.shape}.")
    opaque = alpha > 0.5
    if opaque.mean() > 0.5:
        # Mostly opaque: a painted background. Its colour (the median of the border) is "no ink".
        border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
        if np.median(border) > 0.5:
            grey = 1.0 - grey
        return np.clip(grey * alpha, 0.0, 1.0)
    # Mostly transparent: the strokes are the opaque pixels, whatever their colour.
    return np.clip(alpha, 0.0, 1.0)


def bounding_box(ink: np.ndarray, threshold: float = INK_THRESHOLD) -> tuple[int, int, int, int] | None:
    """(top, bottom, left, right), bottom and right exclusive, of the pixels with ink; None if blank."""
    rows = np.flatnonzero((ink > threshold).any(axis=1))
    cols = np.flatnonzero((ink > threshold).any(axis=0))
    if len(rows) == 0:
        return None
    return int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1


def center_of_mass(image: np.ndarray) -> tuple[float, float]:
    """(row, column) of the ink's centre of mass, in pixel coordinates."""
    total = float(image.sum())
    if total <= 0:
        return (image.shape[0] - 1) / 2, (image.shape[1] - 1) / 2
    rows, cols = np.indices(image.shape)
    return float((rows * image).sum() / total), float((cols * image).sum() / total)


def _resize(image: np.ndarray, height: int, width: int) -> np.ndarray:
    from PIL import Image

    resized = Image.fromarray(image.astype(np.float32), mode="F").resize(
        (width, height), Image.Resampling.LANCZOS)
    return np.clip(np.asarray(resized, dtype=np.float32), 0.0, 1.0)


def mnist_style(rgba: np.ndarray, frame: int = FRAME, box: int = BOX) -> np.ndarray | None:
    """The drawing as an MNIST digit: (frame, frame) float32 in [0, 1], or None for a blank canvas.

    Steps: grey (light ink on dark), crop to the bounding box, scale the longer side to ``box`` pixels
    keeping the aspect ratio, paste in the middle of a ``frame``×``frame`` image, then shift so that the
    centre of mass is at the frame's centre. The brightest pixel is scaled to 1, as in MNIST.
    """
    from scipy import ndimage

    ink = ink_from(rgba)
    found = bounding_box(ink)
    if found is None or ink.max() < 0.2:
        return None
    top, bottom, left, right = found
    crop = ink[top:bottom, left:right]
    h, w = crop.shape
    scale = box / max(h, w)
    new_h, new_w = max(1, round(h * scale)), max(1, round(w * scale))
    digit = _resize(crop, new_h, new_w)
    out = np.zeros((frame, frame), dtype=np.float32)
    y0, x0 = (frame - new_h) // 2, (frame - new_w) // 2
    out[y0:y0 + new_h, x0:x0 + new_w] = digit
    cy, cx = center_of_mass(out)
    centre = frame / 2  # where MNIST's centres of mass sit: (14.0, 14.0) on average, measured on mnist-5k
    out = ndimage.shift(out, (centre - cy, centre - cx), order=1, mode="constant", cval=0.0)
    out = np.clip(out, 0.0, 1.0)
    peak = out.max()
    return (out / peak).astype(np.float32) if peak > 0 else None


def fit_to_shape(digit: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """An MNIST-style 28×28 digit resampled to a data set's image shape (e.g. 8×8 for digits-8x8)."""
    shape = tuple(shape)
    if shape == digit.shape:
        return digit.astype(np.float32)
    if len(shape) != 2:
        raise ValueError(f"A drawing can only feed a model of 2-D images, not samples of shape {shape}.")
    from PIL import Image

    # BOX averages whole blocks of pixels: how the 8×8 digits were made from their 32×32 bitmaps.
    small = Image.fromarray(digit.astype(np.float32), mode="F").resize((shape[1], shape[0]), Image.Resampling.BOX)
    small = np.clip(np.asarray(small, dtype=np.float32), 0.0, 1.0)
    peak = small.max()
    return small / peak if peak > 0 else small


def prepare(rgba: np.ndarray, shape: tuple[int, ...] = (FRAME, FRAME)) -> np.ndarray | None:
    """A drawing ready for a model of images of ``shape``: MNIST's recipe at 28×28; for other sizes the
    digit fills most of a 32×32 frame (like the UCI 8×8 digits) before being averaged down."""
    shape = tuple(shape)
    if shape == (FRAME, FRAME):
        return mnist_style(rgba)
    digit = mnist_style(rgba, frame=32, box=28)
    return None if digit is None else fit_to_shape(digit, shape)


class LatentPlane:
    """A 2-D view of codes: the codes themselves when they have 1 or 2 numbers, else their first two
    principal components (fitted on the codes given, e.g. the test set's)."""

    def __init__(self, codes: np.ndarray):
        codes = np.asarray(codes, dtype=np.float64).reshape(len(codes), -1)
        self.code_size = codes.shape[1]
        self.pca_ = None
        if self.code_size > 2:
            from aecore.pca import fit_pca

            self.pca_ = fit_pca(codes, 2)
            share = self.pca_.explained_variance_ratio_ * 100
            self.axis_titles = (f"principal component 1 of the codes ({share[0]:.0f}% of their variance)",
                                f"principal component 2 ({share[1]:.0f}% of their variance)")
        elif self.code_size == 2:
            self.axis_titles = ("code number 1", "code number 2")
        else:
            self.axis_titles = ("code number 1", "(nothing: the code has 1 number)")

    def transform(self, codes: np.ndarray) -> np.ndarray:
        codes = np.asarray(codes, dtype=np.float64).reshape(len(codes), -1)
        if self.pca_ is not None:
            return self.pca_.transform(codes)
        if self.code_size == 1:
            return np.column_stack([codes[:, 0], np.zeros(len(codes))])
        return codes


def nearest(codes: np.ndarray, code: np.ndarray, k: int = 6) -> np.ndarray:
    """Indices of the ``k`` codes closest (Euclidean) to ``code``, closest first."""
    codes = np.asarray(codes, dtype=np.float64).reshape(len(codes), -1)
    distances = np.linalg.norm(codes - np.asarray(code, dtype=np.float64).reshape(1, -1), axis=1)
    return np.argsort(distances)[:k]


AGREEING_NEIGHBOURS = 0.75  # at least 6 of 8 closest test codes share a label: the drawing sits in a group
TYPICAL_ERROR_QUANTILE = 0.99  # rebuilt worse than 99 % of the test digits: unlike anything it was trained on


def neighbour_verdict(neighbour_labels: list[str], error: float, test_errors: np.ndarray,
                      agree: float = AGREEING_NEIGHBOURS,
                      typical_quantile: float = TYPICAL_ERROR_QUANTILE) -> tuple[bool, str, int]:
    """Whether a drawing looks like the training data to the model: (digit_like, majority label, its votes).

    Digit-like means both: the closest test codes mostly share one label (``agree`` of them), and the drawing
    is rebuilt no worse than the ``typical_quantile`` of the test images' reconstruction errors. Only then
    does "similar digits get similar codes" describe what the page shows.
    """
    labels = list(neighbour_labels)
    majority = max(dict.fromkeys(labels), key=labels.count)  # ties: the closest label first
    votes = labels.count(majority)
    test_errors = np.asarray(test_errors, dtype=np.float64)
    typical = bool(len(test_errors) == 0 or error <= float(np.quantile(test_errors, typical_quantile)))
    return bool(votes >= agree * len(labels) and typical), majority, votes
