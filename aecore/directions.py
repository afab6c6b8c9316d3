"""Directions in the code space: the difference of two groups' mean codes, and how consistent it is.

Two groups of images (slanted and upright 1s, thin and thick 0s, two digit classes...) give two clouds of
codes. The difference of their means is a *direction*: adding it to a code should turn an image of the first
kind into one of the second. Whether it means anything is measured two ways:

- ``pair_cosines``: each image of A paired with an image of B; the cosine similarity of every per-pair
  difference to the mean direction. Near 1: every pair differs the same way; near 0: the mean hides a spread.
- ``held_out``: each group split in half at random; the direction found on one half is tested on the other:
  the fraction of held-out codes whose projection on it falls on their own group's side of the midpoint
  (projection accuracy; 0.5 is chance), and the cosine similarity between the directions of the two halves
  (1: both halves find the same direction; about 0 for two random groups). Averaged over several splits.
  (The fraction of held-out codes that a step along the direction brings closer to the other group is not
  used: for random groups it sits well below one half, since a step of any length adds its square to the
  distance, so it has no clean chance level.)

Numpy only; decoding goes through the caller's ``decode`` (a trained result's decoder).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

SLANT = "slant"
INK = "ink"
MEASURES = (SLANT, INK)


# --- measures of images ----------------------------------------------------------------------------------

def _as_images(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 2:
        side = int(round(np.sqrt(x.shape[1])))
        x = x.reshape(len(x), side, side)
    return x.reshape(x.shape[:3])


def slant(x: np.ndarray) -> np.ndarray:
    """Slant of each image from its second-order moments: how far the ink's column moves per row, i.e.
    ``-mu11 / mu02`` (positive leans right, like "/"; 0 is upright). ``x``: (n, h, w) or (n, h*w)."""
    images = _as_images(x)
    n, h, w = images.shape
    rows, cols = np.mgrid[0:h, 0:w].astype(np.float64)
    mass = images.sum(axis=(1, 2)) + 1e-12
    mean_r = (images * rows).sum(axis=(1, 2)) / mass
    mean_c = (images * cols).sum(axis=(1, 2)) / mass
    dr = rows[None] - mean_r[:, None, None]
    dc = cols[None] - mean_c[:, None, None]
    mu11 = (images * dr * dc).sum(axis=(1, 2)) / mass
    mu02 = (images * dr * dr).sum(axis=(1, 2)) / mass
    # rows grow downwards: a stroke leaning right has its column fall as the row grows
    return -mu11 / (mu02 + 1e-12)


def ink(x: np.ndarray) -> np.ndarray:
    """Amount of ink of each image: its mean grey level (0 empty, 1 all white strokes)."""
    images = _as_images(x)
    return images.mean(axis=(1, 2))


def measure(x: np.ndarray, name: str) -> np.ndarray:
    """``slant`` (as its size: slanted either way counts) or ``ink`` of each image."""
    if name == SLANT:
        return np.abs(slant(x))
    if name == INK:
        return ink(x)
    raise ValueError(f"Unknown measure {name!r}: choose one of {', '.join(MEASURES)}.")


def groups_by_measure(x: np.ndarray, labels: np.ndarray, label: int, name: str,
                      fraction: float = 1 / 3) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the images of class ``label`` lowest (group A) and highest (group B) in ``measure`` —
    the bottom and top ``fraction`` of that class (at least 2 each when the class has 4 images)."""
    members = np.flatnonzero(np.asarray(labels) == label)
    if len(members) < 4:
        raise ValueError(f"Class {label} has only {len(members)} test images: at least 4 are needed.")
    values = measure(np.asarray(x)[members], name)
    order = members[np.argsort(values, kind="stable")]
    k = max(2, int(round(len(members) * fraction)))
    k = min(k, len(members) // 2)
    return order[:k], order[-k:][::-1]


def groups_by_class(labels: np.ndarray, label_a: int, label_b: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the images of class ``label_a`` (group A) and of ``label_b`` (group B)."""
    if label_a == label_b:
        raise ValueError("Pick two different classes.")
    labels = np.asarray(labels)
    return np.flatnonzero(labels == label_a), np.flatnonzero(labels == label_b)


# --- the direction and its consistency -------------------------------------------------------------------

def flat(codes: np.ndarray) -> np.ndarray:
    codes = np.asarray(codes, dtype=np.float64)
    return codes.reshape(len(codes), -1)


def direction(codes_a: np.ndarray, codes_b: np.ndarray) -> np.ndarray:
    """Mean code of B minus mean code of A (flattened codes)."""
    a, b = flat(codes_a), flat(codes_b)
    if len(a) == 0 or len(b) == 0:
        raise ValueError("Each group needs at least one image.")
    return b.mean(axis=0) - a.mean(axis=0)


def _cosine(rows: np.ndarray, vector: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(rows, axis=1) * np.linalg.norm(vector)
    return (rows @ vector) / np.maximum(norms, 1e-12)


def pair_cosines(codes_a: np.ndarray, codes_b: np.ndarray, seed: int = 0) -> np.ndarray:
    """Cosine similarity to the mean direction of each per-pair difference ``b_j - a_i``: the groups are
    shuffled and paired one to one (the larger group's extra images are paired again, cycling)."""
    a, b = flat(codes_a), flat(codes_b)
    rng = np.random.default_rng(seed)
    n = max(len(a), len(b))
    ia = np.resize(rng.permutation(len(a)), n)
    ib = np.resize(rng.permutation(len(b)), n)
    return _cosine(b[ib] - a[ia], direction(a, b))


@dataclass(frozen=True)
class Consistency:
    """How consistent a direction is (see the module's docstring)."""

    n_a: int
    n_b: int
    length: float  # norm of the direction
    spread: float  # mean distance of a code from its group's mean (the scale the length compares to)
    cosine_mean: float  # mean cosine of per-pair differences to the direction
    cosine_positive: float  # fraction of pairs whose difference points the direction's way (cosine > 0)
    held_out_accuracy: float  # projection accuracy on held-out halves (0.5 is chance)
    halves_cosine: float  # cosine similarity of the directions found on the two halves of each split
    splits: int


def held_out(codes_a: np.ndarray, codes_b: np.ndarray, splits: int = 20,
             seed: int = 0) -> tuple[float, float]:
    """(projection accuracy, cosine between the halves' directions) of directions found on random halves, tested on the other
    halves (see the module's docstring), averaged over ``splits`` random splits."""
    a, b = flat(codes_a), flat(codes_b)
    if len(a) < 2 or len(b) < 2:
        raise ValueError("The held-out check needs at least 2 images in each group.")
    rng = np.random.default_rng(seed)
    accuracies, cosines = [], []
    for _ in range(splits):
        pa, pb = rng.permutation(len(a)), rng.permutation(len(b))
        ha, hb = len(a) // 2, len(b) // 2
        fit_a, test_a = a[pa[:ha]], a[pa[ha:]]
        fit_b, test_b = b[pb[:hb]], b[pb[hb:]]
        mean_a, mean_b = fit_a.mean(axis=0), fit_b.mean(axis=0)
        d = mean_b - mean_a
        middle = (mean_a + mean_b) / 2 @ d
        right = np.concatenate([test_a @ d < middle, test_b @ d >= middle])
        accuracies.append(right.mean())
        other = test_b.mean(axis=0) - test_a.mean(axis=0)
        cosines.append(float(_cosine(other[None], d)[0]))
    return float(np.mean(accuracies)), float(np.mean(cosines))


def consistency(codes_a: np.ndarray, codes_b: np.ndarray, splits: int = 20, seed: int = 0) -> Consistency:
    """Every consistency figure of the direction from A to B."""
    a, b = flat(codes_a), flat(codes_b)
    d = direction(a, b)
    cosines = pair_cosines(a, b, seed=seed)
    spread = float(np.mean(np.concatenate([np.linalg.norm(a - a.mean(axis=0), axis=1),
                                           np.linalg.norm(b - b.mean(axis=0), axis=1)])))
    accuracy, halves = held_out(a, b, splits=splits, seed=seed)
    return Consistency(n_a=len(a), n_b=len(b), length=float(np.linalg.norm(d)), spread=spread,
                       cosine_mean=float(cosines.mean()), cosine_positive=float((cosines > 0).mean()),
                       held_out_accuracy=accuracy, halves_cosine=halves, splits=splits)


# --- decoding along the direction ------------------------------------------------------------------------

WALK_AMOUNTS = (-0.5, 0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0)  # 0: mean of A, 1: mean of B


def walk_codes(start: np.ndarray, d: np.ndarray, amounts=WALK_AMOUNTS) -> np.ndarray:
    """Codes ``start + t * d`` for each amount ``t`` (shape (len(amounts),) + start's shape)."""
    start = np.asarray(start, dtype=np.float64)
    d = np.asarray(d, dtype=np.float64).reshape(start.shape)
    return np.stack([start + t * d for t in amounts]).astype(np.float32)


def walk(decode: Callable[[np.ndarray], np.ndarray], codes_a: np.ndarray, codes_b: np.ndarray,
         amounts=WALK_AMOUNTS) -> np.ndarray:
    """Decoded images along the direction, from the mean code of A (amount 0) to that of B (1) and beyond."""
    a = np.asarray(codes_a, dtype=np.float64)
    b = np.asarray(codes_b, dtype=np.float64)
    d = b.mean(axis=0) - a.mean(axis=0)
    return np.asarray(decode(walk_codes(a.mean(axis=0), d, amounts)))


def move(decode: Callable[[np.ndarray], np.ndarray], code: np.ndarray, d: np.ndarray,
         amount: float) -> np.ndarray:
    """One image decoded from ``code + amount * d``."""
    return np.asarray(decode(walk_codes(code, d, (amount,))))[0]


def random_baseline(codes_a: np.ndarray, codes_b: np.ndarray, shuffles: int = 5, splits: int = 20,
                    seed: int = 0) -> Consistency:
    """The figures of ``consistency`` for the same codes shuffled into two random groups of the same sizes,
    averaged over ``shuffles`` shuffles: what "no direction at all" scores on these images (one shuffle alone
    varies a lot: its halves' cosine ranged 0.2-0.5 on mnist-5k codes)."""
    a, b = flat(codes_a), flat(codes_b)
    pooled = np.concatenate([a, b])
    rng = np.random.default_rng(seed)
    runs = []
    for i in range(shuffles):
        order = rng.permutation(len(pooled))
        runs.append(consistency(pooled[order[:len(a)]], pooled[order[len(a):]], splits=splits, seed=seed + i))
    mean = {name: float(np.mean([getattr(r, name) for r in runs]))
            for name in ("length", "spread", "cosine_mean", "cosine_positive", "held_out_accuracy", "halves_cosine")}
    return Consistency(n_a=len(a), n_b=len(b), splits=splits, **mean)
