"""Figures of the autoencoder-family page: arrays in, ``go.Figure`` out."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from aecore.figures import (PART_COLOURS, REFERENCE_GREY, SERIES_COLOURS, SERIES_DASHES, SERIES_SYMBOLS, _base_layout,
                            mosaic, vertical_marker)

MODEL_COLOURS = (SERIES_COLOURS[1], SERIES_COLOURS[0])  # the trained model, the model it is compared with
# ... and the second cue that tells them apart without colour: marker symbol (lines) and bar pattern
MODEL_SYMBOLS = (SERIES_SYMBOLS[0], SERIES_SYMBOLS[1])
MODEL_PATTERNS = ("", "/")


def _finish(fig: go.Figure, title: str | None, height: int) -> go.Figure:
    """Shared layout, with the legend under the plot (above it, it collides with the title)."""
    fig = _base_layout(fig, title, height)
    fig.update_layout(legend=dict(orientation="h", x=0, y=-0.22, yanchor="top"), margin=dict(b=100))
    return fig


def noise_sweep(levels: Sequence[float], psnr_input: Sequence[float],
                outputs: Sequence[tuple[str, Sequence[float]]], noise_label: str = "noise level",
                trained_level: float | None = None, title: str | None = None) -> go.Figure:
    """PSNR of the noisy input and of each model's output against the noise level."""
    fig = go.Figure()
    finite_in = [v if np.isfinite(v) else None for v in psnr_input]
    fig.add_trace(go.Scatter(x=list(levels), y=finite_in, mode="lines+markers", name="noisy input",
                             line=dict(color=REFERENCE_GREY, dash="dot"), marker=dict(symbol="x"),
                             connectgaps=False))
    for i, (name, values) in enumerate(outputs):
        fig.add_trace(go.Scatter(x=list(levels), y=list(values), mode="lines+markers", name=name,
                                 line=dict(color=MODEL_COLOURS[i % 2], width=3),
                                 marker=dict(symbol=MODEL_SYMBOLS[i % 2], size=9)))
    if trained_level is not None and trained_level > 0:
        fig.add_vline(x=trained_level, line=dict(color="grey", dash="dash"),
                      annotation_text=f"trained at {trained_level:g}", annotation_position="top right")
    fig.update_xaxes(title=noise_label, range=[-0.02, max(levels) + 0.02])
    fig.update_yaxes(title="PSNR against the clean image (dB, higher is better)")
    return _finish(fig, title, 460)


def activation_histograms(series: Sequence[tuple[str, np.ndarray]], title: str | None = None,
                          bins: int = 60) -> go.Figure:
    """Overlaid histograms of |code values| for several models, on a log count axis."""
    fig = go.Figure()
    top = max(float(np.abs(values).max()) for _, values in series) or 1.0
    for i, (name, values) in enumerate(series):
        fig.add_trace(go.Histogram(x=np.abs(np.asarray(values)).ravel(), name=name, opacity=0.6,
                                   xbins=dict(start=0, end=top, size=top / bins),
                                   marker=dict(color=MODEL_COLOURS[i % 2],
                                               pattern=dict(shape=MODEL_PATTERNS[i % 2]))))
    fig.update_layout(barmode="overlay")
    fig.update_xaxes(title="|code value| (activation of one code unit for one image)")
    # dtick=1 on a log axis: one labelled tick per power of ten, no minor numbers ("2 5 2 5") between them
    fig.update_yaxes(title="count (image × unit pairs, log scale)", type="log", dtick=1)
    return _finish(fig, title, 440)


def image_mosaic(images: np.ndarray, n_cols: int, captions: Sequence[str] | None = None,
                 title: str | None = None, colorscale: str = "Gray", zmin: float = 0.0, zmax: float = 1.0,
                 cell_px: int = 70, hover: str = "pixel %{z:.2f}") -> go.Figure:
    """Images (n, h, w) in a grid of ``n_cols`` columns, with an optional caption under each."""
    images = np.asarray(images, dtype=np.float32)
    n, h, w = images.shape[:3]
    n_rows = int(np.ceil(n / n_cols))
    pad = np.full((n_rows * n_cols - n, h, w), np.nan, dtype=np.float32)
    rows = np.concatenate([images, pad]).reshape(n_rows, n_cols, h, w)
    gap = max(1, h // 10)
    caption_gap = int(h * 0.45) if captions else gap
    blocks = []
    for r, row in enumerate(rows):
        blocks.append(mosaic(row, gap=gap))
        if r < n_rows - 1:
            blocks.append(np.full((caption_gap, blocks[-1].shape[1]), np.nan, dtype=np.float32))
    grid = np.concatenate(blocks, axis=0)
    fig = go.Figure(go.Heatmap(z=grid, colorscale=colorscale, zmin=zmin, zmax=zmax, showscale=False,
                               hovertemplate=hover + "<extra></extra>"))
    if captions:
        for i, text in enumerate(captions):
            r, c = divmod(i, n_cols)
            fig.add_annotation(x=c * (w + gap) + w / 2, y=r * (h + caption_gap) + h - 0.5, text=text,
                               showarrow=False, yanchor="top", font=dict(size=13))
    fig.update_yaxes(autorange="reversed", visible=False, scaleanchor="x")
    fig.update_xaxes(visible=False)
    fig.update_layout(plot_bgcolor="white")
    height = int(n_rows * cell_px * (1 + (0.45 if captions else 0.1)) + (60 if title else 20) + 20)
    return _base_layout(fig, title, height)


def filters(kernels: np.ndarray, title: str | None = None) -> go.Figure:
    """First-layer convolution kernels (kh, kw, in_channels, filters), first input channel, one tile each,
    in a diverging colour scale centred on 0 (red = the filter likes bright pixels there, blue = dark)."""
    kernels = np.asarray(kernels, dtype=np.float32)
    tiles = np.moveaxis(kernels[:, :, 0, :], -1, 0)  # (filters, kh, kw)
    limit = float(np.abs(tiles).max()) or 1.0
    n_cols = min(8, len(tiles))
    fig = image_mosaic(tiles, n_cols, captions=[f"filter {i + 1}" for i in range(len(tiles))], title=title,
                       colorscale="RdBu_r", zmin=-limit, zmax=limit, cell_px=80, hover="weight %{z:.3f}")
    fig.update_traces(showscale=True, colorbar=dict(title="weight", thickness=14))
    return fig


def sensitivity(stds: Sequence[float], series: Sequence[tuple[str, Sequence[float]]],
                y_title: str, title: str | None = None, marked_std: float | None = None) -> go.Figure:
    """Code change against perturbation size, one line per model."""
    fig = go.Figure()
    for i, (name, values) in enumerate(series):
        fig.add_trace(go.Scatter(x=list(stds), y=list(values), mode="lines+markers", name=name,
                                 line=dict(color=MODEL_COLOURS[i % 2], width=3, dash=SERIES_DASHES[i % 2]),
                                 marker=dict(symbol=MODEL_SYMBOLS[i % 2], size=9)))
    if marked_std is not None:
        vertical_marker(fig, marked_std, f"σ = {marked_std:g}", log_x=True, xanchor="right")
    fig.update_xaxes(title="σ of the Gaussian perturbation added to every pixel (pixel range 0–1)", type="log")
    fig.update_yaxes(title=y_title, rangemode="tozero")
    return _finish(fig, title, 440)


def vae_losses(history: dict[str, Sequence[float]], title: str | None = None) -> go.Figure:
    """Reconstruction loss (left axis) and KL divergence (right axis) per epoch, training and validation."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    styles = {"reconstruction_loss": ("reconstruction", SERIES_COLOURS[0], False, SERIES_SYMBOLS[0]),
              "kl_loss": ("KL divergence", SERIES_COLOURS[1], True, SERIES_SYMBOLS[1])}
    for key, (name, colour, secondary, symbol) in styles.items():
        for prefix, dash, suffix in (("", None, "training"), ("val_", "dot", "validation")):
            values = [v for v in (history.get(prefix + key) or []) if v is not None]
            if values:
                fig.add_trace(go.Scatter(x=list(range(1, len(values) + 1)), y=values, mode="lines+markers",
                                         name=f"{name} ({suffix})", line=dict(color=colour, dash=dash),
                                         marker=dict(symbol=symbol)),
                              secondary_y=secondary)
    fig.update_xaxes(title="epoch", rangemode="tozero")
    fig.update_yaxes(title="reconstruction loss (per pixel)", secondary_y=False, color=SERIES_COLOURS[0])
    # Plotly 6+ syncs an overlaying axis's ticks to the first axis by default, which gives odd values such as
    # 0.93 / 4.12 / 7.32: let it choose its own round ticks, and draw no second grid over the first.
    fig.update_yaxes(title="KL divergence (nats per image)", secondary_y=True, color=SERIES_COLOURS[1], rangemode="tozero",
                     tickmode="auto", nticks=6, showgrid=False)
    return _finish(fig, title, 440)


def manifold(images: np.ndarray, values: np.ndarray, title: str | None = None) -> go.Figure:
    """The decoded n × n grid of 2-D codes, with the code values on the axes."""
    images = np.asarray(images, dtype=np.float32)
    n, _, h, w = images.shape[:4]
    grid = images.transpose(0, 2, 1, 3).reshape(n * h, n * w)
    fig = go.Figure(go.Heatmap(z=grid, colorscale="Gray", zmin=0, zmax=1, showscale=False,
                               hovertemplate="pixel %{z:.2f}<extra></extra>"))
    ticks = [i * w + (w - 1) / 2 for i in range(n)]
    labels = [f"{v:.1f}" for v in values]
    fig.update_xaxes(title="code number 1", tickvals=ticks, ticktext=labels, showgrid=False)
    fig.update_yaxes(title="code number 2", tickvals=[i * h + (h - 1) / 2 for i in range(n)],
                     ticktext=labels[::-1], autorange="reversed", scaleanchor="x", showgrid=False)
    return _base_layout(fig, title, 640)


def bars(labels: Sequence[str], series: Sequence[tuple[str, Sequence[float]]], y_title: str,
         title: str | None = None, text_format: str = "{:.4f}") -> go.Figure:
    """Grouped bars: one group per label, one bar per model."""
    fig = go.Figure()
    for i, (name, values) in enumerate(series):
        fig.add_trace(go.Bar(x=list(labels), y=list(values), name=name,
                             marker=dict(color=MODEL_COLOURS[i % 2], pattern=dict(shape=MODEL_PATTERNS[i % 2])),
                             text=[text_format.format(v) for v in values], textposition="outside"))
    fig.update_yaxes(title=y_title, rangemode="tozero")
    fig.update_layout(barmode="group")
    return _finish(fig, title, 440)


PART_FILL = PART_COLOURS


def conv_architecture(layers: Sequence, title: str | None = None) -> go.Figure:
    """A convolutional autoencoder drawn as convolution blocks: each image-shaped layer is a stack of
    feature maps (one square per map, up to 6 drawn, side ∝ its height in pixels), vector layers (the code,
    the dense layer) are bars as in the dense diagram. ``layers``: ``aecore.architecture.LayerSpec`` list."""
    fig = go.Figure()
    images = [layer.shape for layer in layers if len(layer.shape) == 3]
    tallest = max((shape[0] for shape in images), default=1)
    widest_vector = max((layer.width for layer in layers if len(layer.shape) != 3), default=1)
    step = 1.0
    for i, layer in enumerate(layers):
        x = i * step
        colour = PART_FILL.get(layer.part, "#888888")
        if len(layer.shape) == 3:
            h, w, maps = layer.shape
            side = 0.18 + 0.5 * h / tallest
            drawn = min(maps, 6)
            shift = 0.045
            x_start = x - (side + shift * (drawn - 1)) / 2
            y_start = -(side + shift * (drawn - 1)) / 2
            for k in range(drawn):  # back to front: each map a little up and to the right of the one before
                x0, y0 = x_start + shift * (drawn - 1 - k), y_start + shift * (drawn - 1 - k)
                fig.add_shape(type="rect", x0=x0, x1=x0 + side * w / h, y0=y0, y1=y0 + side,
                              fillcolor=colour, line=dict(color="white", width=1.5), opacity=0.95)
            label = f"<b>{h}×{w}×{maps}</b>"
        else:
            height = 0.12 + 0.6 * np.sqrt(layer.width / widest_vector)
            fig.add_shape(type="rect", x0=x - 0.1, x1=x + 0.1, y0=-height / 2, y1=height / 2,
                          fillcolor=colour, line=dict(width=0), opacity=0.9)
            label = f"<b>{layer.width:,}</b>"
        fig.add_annotation(x=x, y=-0.62, text=label, showarrow=False, font=dict(size=15))
        fig.add_annotation(x=x, y=0.62, text=layer.name.split(" (")[0], showarrow=False, font=dict(size=14))
        if i > 0:
            fig.add_annotation(x=x - step / 2, y=0, text="→", showarrow=False, font=dict(size=18, color="#555"))
    fig.add_trace(go.Scatter(x=[i * step for i in range(len(layers))], y=[0] * len(layers), mode="markers",
                             marker=dict(opacity=0), hoverinfo="text", showlegend=False,
                             text=[f"{layer.name}: {layer.width:,} numbers, {layer.params:,} weights"
                                   for layer in layers]))
    fig.update_xaxes(visible=False, range=[-0.6, (len(layers) - 1) * step + 0.6])
    fig.update_yaxes(visible=False, range=[-0.75, 0.75])
    fig.update_layout(plot_bgcolor="white")
    fig = _base_layout(fig, title, 340)
    fig.update_layout(margin=dict(b=40))
    fig.add_annotation(text="each square is one feature map (at most 6 drawn); bars are plain lists of numbers",
                       xref="paper", yref="paper", x=0, y=-0.02, showarrow=False, xanchor="left", yanchor="top",
                       font=dict(size=13, color="#444"))
    return fig
