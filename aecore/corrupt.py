"""Corruptions applied to samples in [0, 1]: the inputs of denoising and restoration models.

Every function is deterministic for a given seed and returns float32 in [0, 1].
"""

from __future__ import annotations

import numpy as np

from aecore.config import NOISE_KINDS


def corrupted(x, kind: str, level: float, draw, xp=np):
    """The one definition of each noise: ``x`` corrupted by ``kind`` at ``level`` (σ or fraction).

    ``draw`` holds one random value per value of ``x``: standard normal for "gaussian", uniform in [0, 1)
    for the others. ``xp`` is numpy, or ``keras.ops`` for tensors: the trainer adds its training noise
    with these same formulas inside its tf.data pipeline (``aecore.train.training_noise``).
    """
    if kind == "gaussian":  # noise of standard deviation ``level``, clipped back to [0, 1]
        return xp.clip(x + level * draw, 0.0, 1.0)
    if kind == "salt_pepper":  # ``level`` of the values set to 1 or 0, half each
        return xp.where(draw < level / 2, 1.0, xp.where(draw < level, 0.0, x))
    if kind == "masking":  # ``level`` of the values dropped (set to 0)
        return xp.where(draw < level, 0.0, x)
    raise ValueError(f"Unknown noise kind '{kind}'. Choose one of: {', '.join(NOISE_KINDS)}.")


def add_noise(x: np.ndarray, kind: str, level: float, seed: int = 0) -> np.ndarray:
    """Corrupt ``x`` with noise ``kind`` at ``level`` (σ or fraction); level 0 returns ``x``."""
    if level <= 0:
        return np.asarray(x, dtype=np.float32)
    if kind not in NOISE_KINDS:
        raise ValueError(f"Unknown noise kind '{kind}'. Choose one of: {', '.join(NOISE_KINDS)}.")
    x = np.asarray(x)
    rng = np.random.default_rng(seed)
    draw = rng.standard_normal(x.shape) if kind == "gaussian" else rng.random(x.shape)
    return np.asarray(corrupted(x, kind, level, draw), dtype=np.float32)


# --- watermarks and down-sampling (inputs of the restoration applications) ---------------------------

WATERMARK_KINDS = ("text", "logo", "lines")
WATERMARK_LABELS = {"text": "Text (“AE”)", "logo": "Logo (ring and star)", "lines": "Crossing lines"}
WATERMARK_POSITIONS = ("top-left", "top-right", "bottom-left", "bottom-right", "centre", "random")
_ANCHORS = {"top-left": (0.0, 0.0), "top-right": (0.0, 1.0), "bottom-left": (1.0, 0.0),
            "bottom-right": (1.0, 1.0), "centre": (0.5, 0.5)}
RESAMPLING = ("nearest", "box", "bilinear", "bicubic", "lanczos")


def _resample(name: str):
    from PIL import Image

    if name not in RESAMPLING:
        raise ValueError(f"Unknown resampling '{name}'. Choose one of: {', '.join(RESAMPLING)}.")
    return getattr(Image.Resampling, name.upper())


def watermark_mask(kind: str, shape: tuple[int, int] = (28, 28), text: str = "AE") -> np.ndarray:
    """The watermark alone as coverage in [0, 1] (float32, ``shape``), drawn at the top-left corner.

    Drawn with Pillow at 8× the resolution and reduced with area averaging, so edges are anti-aliased.
    Text and logo cover about half the image's width; crossing lines span the whole image (their
    position does not matter).
    """
    from PIL import Image, ImageDraw, ImageFont

    if kind not in WATERMARK_KINDS:
        raise ValueError(f"Unknown watermark '{kind}'. Choose one of: {', '.join(WATERMARK_KINDS)}.")
    h, w = int(shape[0]), int(shape[1])
    scale = 8
    H, W = h * scale, w * scale
    canvas = Image.new("L", (W, H), 0)
    draw = ImageDraw.Draw(canvas)
    if kind == "text":
        font = ImageFont.load_default(size=max(int(H * 0.22), 8))
        left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
        box = Image.new("L", (right - left + 4, bottom - top + 4), 0)
        ImageDraw.Draw(box).text((2 - left, 2 - top), text, fill=255, font=font)
        box = box.resize((int(W * 0.5), int(H * 0.36)), Image.Resampling.LANCZOS)
        canvas.paste(box, (0, 0))
    elif kind == "logo":
        size = int(W * 0.46)
        draw.ellipse((0, 0, size, size), outline=255, width=max(scale * 2, 2))
        cx = cy = size / 2
        points = []
        for i in range(10):  # five-pointed star inside the ring
            radius = size * (0.36 if i % 2 == 0 else 0.15)
            angle = -np.pi / 2 + i * np.pi / 5
            points.append((cx + radius * np.cos(angle), cy + radius * np.sin(angle)))
        draw.polygon(points, fill=255)
    else:  # two diagonals and a horizontal line across the whole image
        width = max(int(scale * 1.2), 1)
        draw.line((0, 0, W, H), fill=255, width=width)
        draw.line((0, H, W, 0), fill=255, width=width)
        draw.line((0, int(H * 0.7), W, int(H * 0.7)), fill=255, width=width)
    small = canvas.resize((w, h), Image.Resampling.BOX)
    return np.asarray(small, dtype=np.float32) / 255.0


def _shift(mask: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """``mask`` moved down by ``dy`` and right by ``dx`` pixels (either may be negative), zero-filled."""
    h, w = mask.shape
    out = np.zeros_like(mask)
    ys, yd = (slice(0, h - dy), slice(dy, h)) if dy >= 0 else (slice(-dy, h), slice(0, h + dy))
    xs, xd = (slice(0, w - dx), slice(dx, w)) if dx >= 0 else (slice(-dx, w), slice(0, w + dx))
    out[yd, xd] = mask[ys, xs]
    return out


def watermark_offsets(kind: str, shape: tuple[int, int], position: str, n: int, seed: int = 0,
                      jitter: int = 1) -> np.ndarray:
    """Where each of ``n`` watermarks goes: (n, 2) shifts (rows, columns) of the top-left mark."""
    h, w = int(shape[0]), int(shape[1])
    base = watermark_mask(kind, (h, w))
    rows, cols = np.flatnonzero(base.max(axis=1) > 0), np.flatnonzero(base.max(axis=0) > 0)
    mh, mw = (rows[-1] + 1, cols[-1] + 1) if len(rows) else (h, w)
    rng = np.random.default_rng(seed)
    if kind == "lines":  # spans the image: only the jitter moves it
        anchors = np.zeros((n, 2))
    elif position == "random":
        anchors = rng.uniform(0, 1, size=(n, 2))
    else:
        anchors = np.broadcast_to(np.array(_ANCHORS[position], dtype=float), (n, 2))
    margin = 0 if kind == "lines" else 1
    offsets = np.rint(margin + anchors * np.array([max(h - mh - 2 * margin, 0), max(w - mw - 2 * margin, 0)]))
    if jitter:
        offsets = offsets + rng.integers(-jitter, jitter + 1, size=(n, 2))
    return np.clip(offsets, -(h - 1), h - 1).astype(int)


def watermark(x: np.ndarray, kind: str = "text", opacity: float = 0.6, position: str = "top-left",
              seed: int = 0, jitter: int = 1, text: str = "AE") -> np.ndarray:
    """Stamp a white watermark on every image: ``(1 − opacity·m)·x + opacity·m``, m the mark's coverage.

    ``x`` holds grey images (n, h, w) or colour images (n, h, w, 3) in [0, 1]. ``position`` is a
    corner, "centre" or "random" (anywhere, per image); each image's mark also moves by up to
    ``jitter`` pixels, drawn from ``seed``. Returns float32 in [0, 1].
    """
    if position not in WATERMARK_POSITIONS:
        raise ValueError(f"Unknown position '{position}'. Choose one of: {', '.join(WATERMARK_POSITIONS)}.")
    if not 0 <= opacity <= 1:
        raise ValueError("The watermark's opacity must be between 0 and 1.")
    x = np.asarray(x, dtype=np.float32)
    if x.ndim not in (3, 4):
        raise ValueError(f"Watermarks need images (n, h, w) or (n, h, w, 3); got shape {x.shape}.")
    base = watermark_mask(kind, x.shape[1:3], text=text)
    offsets = watermark_offsets(kind, x.shape[1:3], position, len(x), seed, jitter)
    cache: dict[tuple[int, int], np.ndarray] = {}
    masks = np.zeros((len(x),) + base.shape, np.float32)
    for i, (dy, dx) in enumerate(offsets):
        key = (int(dy), int(dx))
        if key not in cache:
            cache[key] = _shift(base, *key)
        masks[i] = cache[key]
    alpha = opacity * masks
    if x.ndim == 4:
        alpha = alpha[..., None]
    return np.clip((1.0 - alpha) * x + alpha, 0.0, 1.0).astype(np.float32)


def resize_images(x: np.ndarray, size: tuple[int, int], resample: str = "bicubic") -> np.ndarray:
    """Resize every image (n, h, w) or (n, h, w, 3) in [0, 1] to ``size`` = (height, width) with Pillow.

    Works in 32-bit float, so nothing is rounded to 8 bits; the result is clipped back to [0, 1].
    """
    from PIL import Image

    x = np.asarray(x, dtype=np.float32)
    method = _resample(resample)
    target = (int(size[1]), int(size[0]))  # Pillow wants (width, height)
    if x.ndim == 3:
        out = [np.asarray(Image.fromarray(im, mode="F").resize(target, method)) for im in x]
    elif x.ndim == 4:
        out = [np.stack([np.asarray(Image.fromarray(np.ascontiguousarray(im[..., c]), mode="F")
                                    .resize(target, method)) for c in range(im.shape[-1])], axis=-1) for im in x]
    else:
        raise ValueError(f"Resizing needs images (n, h, w) or (n, h, w, c); got shape {x.shape}.")
    shape = (len(x), int(size[0]), int(size[1])) + x.shape[3:]
    return np.clip(np.asarray(out, dtype=np.float32).reshape(shape), 0.0, 1.0)


def downsample(x: np.ndarray, factor: int = 2, resample: str = "bicubic", down_resample: str = "box") -> np.ndarray:
    """Shrink images by ``factor`` (28×28 → 14×14 for 2, → 7×7 for 4) and scale them back up.

    The shrink averages pixel areas (``down_resample``, box by default: what a coarser sensor sees);
    the way back up uses ``resample``. Returns float32 in [0, 1] of the input's shape.
    """
    x = np.asarray(x, dtype=np.float32)
    if factor < 1:
        raise ValueError("The down-sampling factor must be at least 1.")
    h, w = x.shape[1:3]
    small = resize_images(x, (max(h // factor, 1), max(w // factor, 1)), down_resample)
    return resize_images(small, (h, w), resample)


# ITU-R 601 luma, the weights of Pillow's convert("L") (which also rounds to 8 bits: this does not).
LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)


def to_grey(x: np.ndarray, peak: float | None = 1.0) -> np.ndarray:
    """The one grey conversion: colour (…, 3), or (…, 4) with its alpha ignored, to grey (…) as float32.

    Clipped to [0, ``peak``] (1 for values in [0, 1], 255 for 8-bit ones) against round-off; ``peak=None``
    leaves values of any range as they are.
    """
    x = np.asarray(x, dtype=np.float32)
    if x.ndim == 0 or x.shape[-1] not in (3, 4):
        raise ValueError(f"Grey conversion needs colour values (…, 3) or (…, 4); got shape {x.shape}.")
    # Channel by channel, not a matrix product: its rounding differed between (…, 3) and (…, 4) layouts.
    grey = x[..., 0] * LUMA[0] + x[..., 1] * LUMA[1] + x[..., 2] * LUMA[2]
    return grey if peak is None else np.clip(grey, 0.0, peak)
