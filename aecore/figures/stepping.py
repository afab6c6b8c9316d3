"""Slow-motion figures: the loss of every step, and one batch with its reconstructions and gradient map."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import plotly.graph_objects as go

from aecore.figures import _base_layout, as_images, image_grid, vertical_marker

GRADIENT_SCALE = "YlOrRd"  # heat: pale yellow = the loss barely depends on the pixel, dark red = most


def step_losses(losses: Sequence[float], steps_per_epoch: int, loss_label: str = "loss",
                title: str | None = None) -> go.Figure:
    """The training loss of every batch (before its update), with the epochs' starts marked."""
    steps = list(range(1, len(losses) + 1))
    fig = go.Figure(go.Scatter(x=steps, y=list(losses), mode="lines+markers" if len(losses) <= 60 else "lines",
                               name=f"batch {loss_label}", marker=dict(size=6),
                               hovertemplate="step %{x}: %{y:.4f}<extra></extra>"))
    if steps_per_epoch > 0:
        for start in range(steps_per_epoch + 1, len(losses) + 1, steps_per_epoch):
            epoch = (start - 1) // steps_per_epoch + 1
            if epoch <= 12:  # more labels would pile up
                vertical_marker(fig, start - 0.5, f"epoch {epoch}", xanchor="left")
    fig.update_xaxes(title="step (one batch)", rangemode="tozero",
                     **(dict(dtick=1) if len(losses) <= 12 else {}))
    fig.update_yaxes(title=loss_label)
    fig.update_layout(showlegend=False)
    return _base_layout(fig, title, 360)


def batch_view(images: np.ndarray, reconstructions: np.ndarray, gradients: np.ndarray,
               sample_shape: Sequence[int] | None = None, captions: Sequence[str] | None = None,
               image_px: int = 64) -> go.Figure:
    """Three rows: the batch's images, their reconstructions (greys, 0 black to 1 white) and |dL/dx| in a heat
    scale from 0 to the largest value in the batch."""
    rows = [as_images(images, sample_shape), as_images(np.clip(reconstructions, 0, 1), sample_shape),
            as_images(gradients, sample_shape)]
    fig = image_grid(rows, ["batch images", "reconstructions (after this step)",
                            "|dL/dx|: where the loss depends most on a pixel"],
                     captions=[None, None, list(captions) if captions is not None else None],
                     error_rows=[False, False, True], image_px=image_px)
    top = float(np.max(gradients)) if np.size(gradients) else 0.0
    fig.data[2].update(colorscale=GRADIENT_SCALE, zmin=0.0, zmax=top if top > 0 else 1.0,
                       hovertemplate="|dL/dx| %{z:.3g}<extra></extra>")
    return fig
