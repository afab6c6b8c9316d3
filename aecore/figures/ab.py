"""Figures of two runs side by side (A/B): both loss curves on one chart, the images through both models, and
where their reconstructions differ."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import plotly.graph_objects as go

from aecore.figures import _base_layout, as_images, image_grid

# Okabe–Ito blue and vermillion: told apart with every common colour-vision deficiency; the dash style and
# marker shape are the second, non-colour cue.
A_COLOUR = "#0072B2"
B_COLOUR = "#D55E00"
STYLES = {"A": dict(colour=A_COLOUR, dash="solid", symbol="circle"),
          "B": dict(colour=B_COLOUR, dash="dash", symbol="square")}
DIFFERENCE_SCALE = "Cividis"  # perceptually uniform and colour-blind safe


def ab_loss_curves(history_a: dict[str, Sequence[float]], history_b: dict[str, Sequence[float]],
                   name_a: str, name_b: str, loss_label: str = "loss", epochs: int | None = None,
                   title: str | None = None) -> go.Figure:
    """Training (thick) and validation (thin, open markers) loss of A (blue, solid, circles) and B
    (vermillion, dashed, squares) per epoch, on one chart."""
    fig = go.Figure()
    for side, history, name in (("A", history_a, name_a), ("B", history_b, name_b)):
        style = STYLES[side]
        for key, what, width, open_ in (("loss", "training", 3, False), ("val_loss", "validation", 1.5, True)):
            values = list(history.get(key) or [])
            if not values:
                continue
            fig.add_trace(go.Scatter(
                x=list(range(1, len(values) + 1)), y=values, mode="lines+markers", name=f"{name}: {what}",
                line=dict(color=style["colour"], dash=style["dash"], width=width),
                marker=dict(symbol=style["symbol"] + ("-open" if open_ else ""), size=8 if not open_ else 7,
                            color=style["colour"]),
                hovertemplate=f"{side} {what}, epoch %{{x}}: %{{y:.4f}}<extra></extra>"))
    shown = max((len(h.get("loss") or []) for h in (history_a, history_b)), default=0)
    last = max(epochs or 0, shown, 1)
    fig.update_xaxes(title="epoch", range=[0.5, last + 0.5], **(dict(dtick=1) if last <= 12 else {}))
    fig.update_yaxes(title=loss_label)
    fig.update_layout(legend=dict(orientation="h", y=-0.22, yanchor="top", x=0))
    return _base_layout(fig, title, 420)


def ab_images(originals: np.ndarray, rec_a: np.ndarray, rec_b: np.ndarray, name_a: str, name_b: str,
              targets: np.ndarray | None = None, inputs_a: np.ndarray | None = None,
              inputs_b: np.ndarray | None = None, image_px: int = 64) -> go.Figure:
    """The same test images, what A and B make of them (with each image's MSE) and |A − B| per pixel.
    ``inputs_a`` / ``inputs_b``: what each model saw, when that differs from the clean images (noise)."""
    targets = originals if targets is None else targets
    rows, titles, captions, errors = [as_images(originals)], ["test images"], [None], [False]
    for inputs, name in ((inputs_a, name_a), (inputs_b, name_b)):
        if inputs is not None:
            rows.append(as_images(np.clip(inputs, 0, 1)))
            titles.append(f"what {name} sees")
            captions.append(None)
            errors.append(False)
    for rec, name in ((rec_a, name_a), (rec_b, name_b)):
        rows.append(as_images(np.clip(rec, 0, 1)))
        titles.append(f"{name}: MSE under each image")
        mse = ((np.asarray(targets, dtype=np.float64) - rec).reshape(len(rec), -1) ** 2).mean(axis=1)
        captions.append([f"{v:.3f}" for v in mse])  # no prefix: small tiles sit close together
        errors.append(False)
    diff = np.abs(np.asarray(rec_a, dtype=np.float32) - np.asarray(rec_b, dtype=np.float32))
    rows.append(as_images(diff))
    titles.append("|A − B| (white: the same, red: they differ)")
    captions.append(None)
    errors.append(True)
    return image_grid(rows, titles, captions=captions, error_rows=errors, image_px=image_px)


def difference_map(rec_a: np.ndarray, rec_b: np.ndarray, title: str | None = None) -> go.Figure:
    """Mean |A − B| per pixel over all the test images: where the two models draw differently."""
    diff = np.abs(np.asarray(rec_a, dtype=np.float64) - np.asarray(rec_b, dtype=np.float64))
    mean = as_images(diff).mean(axis=0)
    fig = go.Figure(go.Heatmap(z=mean, colorscale=DIFFERENCE_SCALE, zmin=0,
                               colorbar=dict(title=dict(text="mean |A − B|", side="right"), thickness=14),
                               hovertemplate="row %{y}, column %{x}: %{z:.3f}<extra></extra>"))
    fig.update_yaxes(autorange="reversed", scaleanchor="x", showticklabels=False, ticks="", showgrid=False,
                     zeroline=False)
    fig.update_xaxes(showticklabels=False, ticks="", showgrid=False, zeroline=False)
    return _base_layout(fig, title, 330)
