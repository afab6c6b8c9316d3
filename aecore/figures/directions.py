"""Figures of directions in the code space: the two groups, digits decoded along a direction, the spread of
per-pair differences."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import plotly.graph_objects as go

from aecore.figures import _base_layout, as_images, image_grid, vertical_marker


def amount_caption(amount: float) -> str:
    """How a step along the direction is labelled: A's mean at 0, B's at 1."""
    if amount == 0:
        return "A"
    if amount == 1:
        return "B"
    return f"{amount:g}"


def groups(images_a: np.ndarray, images_b: np.ndarray, name_a: str, name_b: str,
           sample_shape: Sequence[int] | None = None, per_row: int = 10) -> go.Figure:
    """Up to ``per_row`` images of each group, one row each (a short row is padded with blanks)."""
    rows = []
    for images in (images_a, images_b):
        shown = as_images(np.asarray(images)[:per_row], sample_shape)
        if len(shown) < per_row:
            pad = np.full((per_row - len(shown),) + shown.shape[1:], np.nan, dtype=np.float32)
            shown = np.concatenate([shown.astype(np.float32), pad])
        rows.append(shown)
    return image_grid(rows, [f"A: {name_a} ({len(images_a)} images)", f"B: {name_b} ({len(images_b)} images)"],
                      image_px=60)


def walk_strip(images: np.ndarray, amounts: Sequence[float], sample_shape: Sequence[int] | None = None,
               title: str | None = None) -> go.Figure:
    """Images decoded along the direction, captioned with how far along it they are (A = 0, B = 1)."""
    return image_grid([as_images(images, sample_shape)], ["decoded from mean of A + t × (mean of B − mean of A)"],
                      captions=[[f"t = {amount_caption(t)}" for t in amounts]], title=title)


def moved(original: np.ndarray, reconstruction: np.ndarray, moved_image: np.ndarray, amount: float,
          sample_shape: Sequence[int] | None = None) -> go.Figure:
    """The chosen image, its reconstruction, and its code moved ``amount`` along the direction, decoded."""
    images = as_images(np.stack([np.asarray(original), np.asarray(reconstruction), np.asarray(moved_image)]),
                       sample_shape)
    return image_grid([images], ["chosen image · its reconstruction · moved along the direction"],
                      captions=[["image", "rebuilt", f"moved {amount:+.2f}"]], image_px=120)


def cosine_histogram(cosines: np.ndarray, title: str | None = None) -> go.Figure:
    """Histogram of the per-pair differences' cosine similarities to the direction, with their mean marked."""
    cosines = np.asarray(cosines, dtype=float)
    fig = go.Figure(go.Histogram(x=cosines, xbins=dict(start=-1, end=1.0001, size=0.1),
                                 marker_color="#0072B2", hovertemplate="cosine %{x}: %{y} pairs<extra></extra>"))
    fig.update_xaxes(range=[-1, 1], title="cosine of a pair's difference to the direction")
    fig.update_yaxes(title="pairs")
    vertical_marker(fig, float(cosines.mean()), f"mean {cosines.mean():.2f}", colour="#D55E00")
    vertical_marker(fig, 0.0, "unrelated", xanchor="right")
    return _base_layout(fig, title, 300)
