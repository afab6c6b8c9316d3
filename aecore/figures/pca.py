"""Figures for the PCA-versus-autoencoder page: arrays in, ``go.Figure`` out."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from aecore.figures import (CLASS_COLOURS, CLASS_MARKER_LINE, REFERENCE_GREY, SERIES_COLOURS, SERIES_SYMBOLS, _base_layout, error_captions, image_grid, log_range, log_ticks,
                            vertical_marker)

PCA_COLOUR = SERIES_COLOURS[0]
MSE_FLOOR = 1e-4  # the lowest MSE a log error axis shows: 40 dB PSNR, an error nobody can see
AE_COLOUR = SERIES_COLOURS[1]


def side_by_side(originals: np.ndarray, pca_rec: np.ndarray, ae_rec: np.ndarray, code_size: int,
                 pca_mse: Sequence[float], ae_mse: Sequence[float], labels: Sequence[str] | None = None) -> go.Figure:
    """Rows: original / PCA-k / autoencoder-k of the same test images, each with its MSE."""
    rows = [originals, np.clip(pca_rec, 0, 1), np.clip(ae_rec, 0, 1)]
    titles = ["original (test set)", f"PCA with {code_size} components", f"autoencoder with a {code_size}-number code"]
    captions = [list(labels) if labels is not None else None, error_captions(pca_mse), error_captions(ae_mse)]
    if len(originals) > 10:
        titles[1:] = [f"{t} (test MSE under each image)" for t in titles[1:]]
    return image_grid(rows, titles, captions)


def error_vs_code_size(pca_k: np.ndarray, pca_test: np.ndarray, pca_train: np.ndarray,
                       ae_k: Sequence[int], ae_test: Sequence[float], ae_train: Sequence[float],
                       current_k: int | None = None, log_y: bool = True, title: str | None = None) -> go.Figure:
    """Test (solid) and train (dotted) MSE against code size for PCA (every k) and the autoencoder sweep."""
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=pca_k, y=pca_test, mode="lines", name="PCA, test", line=dict(color=PCA_COLOUR, width=3),
                             hovertemplate="PCA-%{x}: test MSE %{y:.4f}<extra></extra>"))
    fig.add_trace(go.Scatter(x=pca_k, y=pca_train, mode="lines", name="PCA, train",
                             line=dict(color=PCA_COLOUR, dash="dot"),
                             hovertemplate="PCA-%{x}: train MSE %{y:.4f}<extra></extra>"))
    if len(ae_k):
        fig.add_trace(go.Scatter(x=list(ae_k), y=list(ae_test), mode="lines+markers", name="autoencoder, test",
                                 line=dict(color=AE_COLOUR, width=3), marker=dict(size=10),
                                 hovertemplate="AE, code %{x}: test MSE %{y:.4f}<extra></extra>"))
        fig.add_trace(go.Scatter(x=list(ae_k), y=list(ae_train), mode="lines+markers", name="autoencoder, train",
                                 line=dict(color=AE_COLOUR, dash="dot"), marker=dict(size=8, symbol="circle-open"),
                                 hovertemplate="AE, code %{x}: train MSE %{y:.4f}<extra></extra>"))
    all_k = [int(v) for v in pca_k] + [int(v) for v in ae_k] + ([int(current_k)] if current_k else []) or [1, 2]
    k_lo, k_hi = max(min(all_k), 1), max(max(all_k), 2)
    if current_k:
        vertical_marker(fig, current_k, f"sidebar: {current_k}", log_x=True, y=0.98)
    # Powers of two up to the largest code drawn, upright and in full; the range is set so nothing else
    # (a label, a marker) can stretch the axis.
    k_ticks = [2 ** i for i in range(0, int(np.ceil(np.log2(k_hi))) + 1)]
    fig.update_xaxes(title="code size k (numbers per image)", type="log", tickvals=k_ticks,
                     ticktext=[str(v) for v in k_ticks], tickangle=0, range=log_range(k_lo, k_hi, pad=0.05),
                     minor=dict(showgrid=False))
    errors = [float(v) for v in list(pca_test) + list(pca_train) + list(ae_test) + list(ae_train)
              if np.isfinite(v) and v > 0]
    y_axis = {}
    if log_y and errors:
        # PCA with every component rebuilds the data exactly (MSE ~1e-30, rounding noise): below MSE_FLOOR
        # (40 dB, no visible error) the curve leaves the chart instead of squeezing the rest into the top.
        bottom, top = max(min(errors), MSE_FLOOR), max(max(errors), MSE_FLOOR * 10)
        y_axis = dict(range=log_range(bottom, top, pad=0.08), **log_ticks(bottom, top))
    fig.update_yaxes(title="reconstruction MSE per pixel" + (" (log scale)" if log_y else ""),
                     type="log" if log_y else "linear", **y_axis)
    fig.update_layout(legend=dict(orientation="h", y=1.0, yanchor="bottom", x=0), hovermode="closest")
    _base_layout(fig, title, 460)
    fig.update_layout(margin=dict(t=100 if title else 60))  # room for the legend under the title
    return fig


def explained_variance(ratios: np.ndarray, current_k: int | None = None, title: str | None = None) -> go.Figure:
    """PCA's cumulative explained variance against the number of components, the current k marked."""
    cumulative = np.cumsum(ratios) * 100
    ks = np.arange(1, len(ratios) + 1)
    fig = go.Figure(go.Scatter(x=ks, y=cumulative, mode="lines", line=dict(color=PCA_COLOUR, width=3),
                               name="cumulative", hovertemplate="%{x} components: %{y:.1f} %<extra></extra>"))
    if current_k and current_k <= len(ratios):
        value = cumulative[current_k - 1]
        fig.add_trace(go.Scatter(x=[current_k], y=[value], mode="markers+text", marker=dict(size=12, color=AE_COLOUR),
                                 text=[f"k = {current_k}: {value:.0f} %"], textposition="bottom right",
                                 showlegend=False, hoverinfo="skip"))
    fig.update_xaxes(title="number of principal components")
    fig.update_yaxes(title="variance explained (%)", range=[0, 101])
    fig.update_layout(showlegend=False)
    return _base_layout(fig, title, 360)


def weight_images(images: np.ndarray, n_cols: int = 8, titles: Sequence[str] | None = None,
                  title: str | None = None, image_px: int = 70) -> go.Figure:
    """Signed patterns (components, weights) as a grid: red positive, blue negative, each scaled to its max."""
    images = np.asarray(images, dtype=np.float64)
    n, h, w = images.shape
    n_rows = int(np.ceil(n / n_cols))
    gap = max(1, h // 8)
    grid = np.full((n_rows * (h + gap) - gap, n_cols * (w + gap) - gap), np.nan)
    for i, image in enumerate(images):
        r, c = divmod(i, n_cols)
        scale = np.abs(image).max() or 1.0
        grid[r * (h + gap): r * (h + gap) + h, c * (w + gap): c * (w + gap) + w] = image / scale
    fig = go.Figure(go.Heatmap(z=grid, colorscale="RdBu", reversescale=True, zmin=-1, zmax=1, zmid=0,
                               showscale=False, hovertemplate="weight %{z:.2f} of its largest<extra></extra>"))
    if titles:
        for i, text in enumerate(titles[:n]):
            r, c = divmod(i, n_cols)
            fig.add_annotation(x=c * (w + gap) + w / 2 - 0.5, y=r * (h + gap) - 0.6, text=text, showarrow=False,
                               yanchor="bottom", font=dict(size=12))
    fig.update_yaxes(autorange="reversed", visible=False, scaleanchor="x")
    fig.update_xaxes(visible=False)
    fig.update_layout(plot_bgcolor="white")
    return _base_layout(fig, title, int(n_rows * (image_px + 22) + (60 if title else 20)))


def code_scatter(codes: np.ndarray, labels: np.ndarray, class_names: Sequence[str], x_title: str, y_title: str,
                 title: str | None = None) -> go.Figure:
    """2-D codes, one colour per class."""
    fig = go.Figure()
    for c, name in enumerate(class_names):
        mask = labels == c
        if mask.any():
            fig.add_trace(go.Scattergl(x=codes[mask, 0], y=codes[mask, 1], mode="markers", name=str(name),
                                       marker=dict(size=6, color=CLASS_COLOURS[c % len(CLASS_COLOURS)], opacity=0.75,
                                                   line=CLASS_MARKER_LINE),
                                       hovertemplate=f"class {name}<extra></extra>"))
    fig.update_xaxes(title=x_title)
    fig.update_yaxes(title=y_title)
    fig.update_layout(legend=dict(title="class", itemsizing="constant"))
    return _base_layout(fig, title, 440)


def manifold_3d(points: np.ndarray, position: np.ndarray, pca_rec: np.ndarray, ae_rec: np.ndarray,
                code_size: int, pca_mse: float, ae_mse: float) -> go.Figure:
    """Two 3-D scenes over the same test points: PCA's reconstruction and the autoencoder's."""
    fig = make_subplots(rows=1, cols=2, specs=[[{"type": "scene"}, {"type": "scene"}]], horizontal_spacing=0.02,
                        subplot_titles=[f"PCA, {code_size} component{'s' if code_size > 1 else ''}: MSE {pca_mse:.4f}",
                                        f"autoencoder, {code_size}-number code: MSE {ae_mse:.4f}"])
    for col, rec in ((1, pca_rec), (2, ae_rec)):
        fig.add_trace(go.Scatter3d(x=points[:, 0], y=points[:, 1], z=points[:, 2], mode="markers", name="data",
                                   marker=dict(size=2.5, color="#bbbbbb", opacity=0.6), showlegend=col == 1,
                                   hovertemplate="data point<extra></extra>"), row=1, col=col)
        fig.add_trace(go.Scatter3d(x=rec[:, 0], y=rec[:, 1], z=rec[:, 2], mode="markers", name="reconstruction",
                                   marker=dict(size=3.5, color=position, colorscale="Viridis", cmin=0,
                                               cmax=max(int(position.max()), 1)),
                                   showlegend=col == 1, hovertemplate="reconstruction<extra></extra>"), row=1, col=col)
    axes = dict(xaxis_title="x", yaxis_title="y", zaxis_title="z", aspectmode="cube")
    fig.update_layout(scene=axes, scene2=axes, legend=dict(orientation="h", y=-0.02, x=0.3))
    return _base_layout(fig, None, 520)


def _grid_shape(n: int) -> tuple[int, int]:
    rows = int(np.floor(np.sqrt(n)))
    while n % rows:
        rows -= 1
    cols = n // rows
    if cols > 4 * rows:  # awkward counts (primes): pad to a near-square grid
        rows = int(np.ceil(np.sqrt(n)))
        cols = int(np.ceil(n / rows))
    return rows, cols


def as_heat_map(values: np.ndarray, sample_shape: tuple[int, ...] | None = None) -> np.ndarray:
    """Any activation as a 2-D array: image-shaped when it has the sample's size, else a near-square tile."""
    values = np.asarray(values, dtype=np.float64)
    if sample_shape is not None and len(sample_shape) == 2 and values.size == np.prod(sample_shape):
        return values.reshape(sample_shape)
    flat = values.ravel()
    rows, cols = _grid_shape(len(flat))
    out = np.full(rows * cols, np.nan)
    out[: len(flat)] = flat
    return out.reshape(rows, cols)


def layer_strip(panels: Sequence[tuple[str, np.ndarray]], title: str | None = None, height: int = 250) -> go.Figure:
    """One small heat map per layer, left to right (each with its own colour range)."""
    n = len(panels)
    fig = make_subplots(rows=1, cols=n, subplot_titles=[name for name, _ in panels], horizontal_spacing=0.025)
    for i, (name, grid) in enumerate(panels, 1):
        finite = grid[np.isfinite(grid)]
        lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        fig.add_trace(go.Heatmap(z=grid, colorscale="Viridis", zmin=lo, zmax=hi if hi > lo else lo + 1,
                                 showscale=False, hovertemplate=f"{name}<br>value %{{z:.3f}}<extra></extra>"),
                      row=1, col=i)
        fig.update_yaxes(autorange="reversed", visible=False, scaleanchor=f"x{i if i > 1 else ''}", row=1, col=i)
        fig.update_xaxes(visible=False, row=1, col=i)
    fig.update_annotations(font=dict(size=13))
    fig.update_layout(plot_bgcolor="white")
    return _base_layout(fig, title, height)


def ae_layer_strip(sample: np.ndarray, activations: Sequence[tuple[str, np.ndarray]], input_dim: int,
                   sample_shape: tuple[int, ...] | None = None, title: str | None = None) -> go.Figure:
    """The input, then every layer's output (from ``inspect_model.layer_activations``) for one sample."""
    panels = [(f"input ({input_dim})", as_heat_map(sample, sample_shape))]
    for name, values in activations:
        label = name.replace("encoder · ", "").replace("decoder · ", "")
        panels.append((f"{label} ({values.size})", as_heat_map(values, sample_shape)))
    return layer_strip(panels, title=title)


def pca_layer_strip(sample: np.ndarray, code: np.ndarray, reconstruction: np.ndarray, input_dim: int,
                    sample_shape: tuple[int, ...] | None = None, title: str | None = None) -> go.Figure:
    """One sample, its PCA code and its PCA reconstruction (clipped to [0, 1])."""
    return layer_strip([(f"input ({input_dim})", as_heat_map(sample, sample_shape)),
                        (f"PCA code ({len(code)})", as_heat_map(code)),
                        (f"reconstruction ({input_dim})", as_heat_map(np.clip(reconstruction, 0, 1), sample_shape))],
                       title=title)


def transfer_curves(scratch: dict[str, Sequence[float]], transfer: dict[str, Sequence[float]],
                    n_images: int, title: str | None = None) -> go.Figure:
    """Validation (solid) and training (dotted) loss per epoch, from scratch and from pre-trained layers."""
    fig = go.Figure()
    for history, name, colour, symbol in ((scratch, "from scratch", REFERENCE_GREY, SERIES_SYMBOLS[0]),
                                          (transfer, "from the pre-trained encoder", SERIES_COLOURS[2],
                                           SERIES_SYMBOLS[2])):  # symbols: a cue besides colour
        for key, dash, suffix in (("val_loss", None, "validation"), ("loss", "dot", "training")):
            values = history.get(key) or []
            fig.add_trace(go.Scatter(x=list(range(1, len(values) + 1)), y=list(values), mode="lines+markers",
                                     name=f"{name}, {suffix}", line=dict(color=colour, dash=dash,
                                                                         width=3 if dash is None else 2),
                                     marker=dict(symbol=symbol, size=7)))
    fig.update_xaxes(title=f"epoch (each epoch = the same {n_images} images)")
    losses = [float(v) for h in (scratch, transfer) for key in ("loss", "val_loss") for v in (h.get(key) or [])
              if np.isfinite(v) and v > 0]
    fig.update_yaxes(title="loss (log scale)", type="log", **(log_ticks(min(losses), max(losses)) if losses else {}))
    fig.update_layout(legend=dict(orientation="h", y=1.0, yanchor="bottom", x=0))
    _base_layout(fig, title, 440)
    fig.update_layout(margin=dict(t=110 if title else 70))  # two legend rows under the title
    return fig


def angle_bars(angles_degrees: np.ndarray, title: str | None = None) -> go.Figure:
    """Principal angles between two subspaces, one bar each (0° = the same direction)."""
    angles = np.asarray(angles_degrees)
    fig = go.Figure(go.Bar(x=[f"{i}" for i in range(1, len(angles) + 1)], y=angles, marker_color=PCA_COLOUR,
                           text=[f"{a:.1f}°" for a in angles], textposition="outside",
                           hovertemplate="angle %{x}: %{y:.2f}°<extra></extra>"))
    fig.update_xaxes(title="principal angle (smallest first)")
    fig.update_yaxes(title="angle (degrees)", range=[0, max(90.0, float(angles.max()) * 1.15 if angles.size else 90)])
    return _base_layout(fig, title, 320)
