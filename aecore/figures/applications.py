"""Figures of the Applications and Limits pages: arrays in, ``go.Figure`` out."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from aecore.figures import CLASS_COLOURS, _base_layout, mosaic

METHOD_COLOURS = {"your autoencoder": "#d62728", "autoencoder": "#e45756", "PCA": "#4c78a8", "JPEG": "#f58518", "JPEG (shared tables)": "#b279a2",
                  "PNG": "#54a24b", "gzip": "#72b7b2", "raw 8-bit": "#9d755d"}
SET_COLOURS = ("#4c78a8", "#e45756", "#f58518", "#54a24b", "#b279a2", "#9d755d", "#72b7b2")


def log_ticks(lo: float, hi: float) -> dict:
    """Readable tick values for a log axis spanning [lo, hi]: 1-2-5 steps, written out in full."""
    lo, hi = max(float(lo), 1e-9), max(float(hi), 1e-9)
    values = [m * 10.0 ** e for e in range(int(np.floor(np.log10(lo))) - 1, int(np.ceil(np.log10(hi))) + 1)
              for m in (1, 2, 5)]
    values = [v for v in values if lo / 1.5 <= v <= hi * 1.5]
    if len(values) > 9:
        values = [v for v in values if str(f"{v:g}").lstrip("0.").startswith(("1", "5"))] or values
    return dict(tickvals=values, ticktext=[f"{v:g}" for v in values])


def _rgb(images: np.ndarray) -> np.ndarray:
    """Grey (n, h, w) or colour (n, h, w, 3) images in [0, 1] as colour."""
    images = np.clip(np.asarray(images, dtype=np.float32), 0, 1)
    return np.repeat(images[..., None], 3, axis=-1) if images.ndim == 3 else images


def picture_rows(rows: Sequence[np.ndarray], row_titles: Sequence[str],
                 captions: Sequence[Sequence[str] | None] | None = None, image_px: int = 80,
                 title: str | None = None) -> go.Figure:
    """Rows of equally many grey or colour images in true colour (white gaps between images)."""
    n_rows = len(rows)
    captions = captions or [None] * n_rows
    fig = make_subplots(rows=n_rows, cols=1, vertical_spacing=0.25 / max(n_rows, 1) + 0.03,
                        subplot_titles=list(row_titles))
    for r, row in enumerate(rows, 1):
        images = _rgb(row)
        h, w = images.shape[1:3]
        grid = np.nan_to_num(mosaic(images, fill=1.0), nan=1.0)
        fig.add_trace(go.Image(z=(grid * 255).astype(np.uint8), hoverinfo="skip"), row=r, col=1)
        # the same ranges on every row (room for captions included), so images are equally large
        fig.update_xaxes(visible=False, range=[-0.5, grid.shape[1] - 0.5], row=r, col=1)
        fig.update_yaxes(visible=False, range=[h + 0.2 * h, -0.5], row=r, col=1)
        if captions[r - 1] is not None:
            for i, text in enumerate(captions[r - 1]):
                fig.add_annotation(x=i * (w + 2) + w / 2, y=h + 0.5, text=text, showarrow=False, yanchor="top",
                                   font=dict(size=13), row=r, col=1)
    fig.update_layout(height=int(n_rows * (image_px + 70) + (40 if title else 0)), plot_bgcolor="white")
    return _base_layout(fig, title, fig.layout.height)


def psnr_bars(values: dict[str, float], title: str | None = None, highlight: str | None = None) -> go.Figure:
    """Horizontal bars of PSNR in dB (higher is better), one per image version."""
    names = list(values)
    colours = ["#e45756" if n == highlight else "#4c78a8" for n in names]
    fig = go.Figure(go.Bar(x=[values[n] for n in names], y=names, orientation="h", marker_color=colours,
                           text=[f"{values[n]:.1f} dB" for n in names], textposition="inside",
                           insidetextanchor="end", textfont=dict(color="white", size=15),
                           hovertemplate="%{y}: %{x:.2f} dB<extra></extra>"))
    top = max(values.values()) if values else 1
    fig.update_xaxes(title="PSNR (dB, higher is better)", range=[0, top * 1.05])
    fig.update_yaxes(autorange="reversed")
    return _base_layout(fig, title, 90 + 55 * len(names))


def error_histograms(groups: dict[str, np.ndarray], threshold: float | None = None, title: str | None = None,
                     x_title: str = "reconstruction MSE of one image (log scale)") -> go.Figure:
    """Overlaid histograms of per-image errors on a log axis, as fractions of each group."""
    fig = go.Figure()
    everything = np.concatenate([np.asarray(v, float) for v in groups.values() if len(v)])
    lo, hi = np.log10(max(everything.min(), 1e-6)), np.log10(max(everything.max(), 1e-5))
    edges = np.linspace(lo, hi + 1e-9, 41)
    for i, (name, values) in enumerate(groups.items()):
        counts, _ = np.histogram(np.log10(np.maximum(values, 1e-6)), bins=edges)
        share = counts / max(len(values), 1)
        centres = 10 ** ((edges[:-1] + edges[1:]) / 2)
        fig.add_trace(go.Bar(x=centres, y=share, width=np.diff(10 ** edges), name=f"{name} ({len(values)})",
                             marker_color=SET_COLOURS[i % len(SET_COLOURS)], opacity=0.6,
                             hovertemplate=f"{name}<br>MSE ≈ %{{x:.4f}}<br>%{{y:.1%}} of the images<extra></extra>"))
    if threshold is not None:
        fig.add_vline(x=threshold, line=dict(color="black", dash="dash", width=2),
                      annotation_text=f"threshold {threshold:.4f}", annotation_position="top")
    fig.update_xaxes(title=x_title, type="log", **log_ticks(10 ** lo, 10 ** hi))
    fig.update_yaxes(title="share of the group's images", tickformat=".0%")
    _base_layout(fig, title, 460)
    fig.update_layout(barmode="overlay", legend=dict(orientation="h", y=-0.22, yanchor="top", x=0),
                      margin=dict(b=40))
    return fig


def roc_figure(curves: dict[str, tuple[np.ndarray, np.ndarray, float]],
               marker: tuple[float, float] | None = None, title: str | None = None) -> go.Figure:
    """ROC curves (true-positive against false-positive rate) with their AUC in the legend."""
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", line=dict(color="grey", dash="dot"),
                             name="guessing (AUC 0.5)", hoverinfo="skip"))
    for i, (name, (fpr, tpr, area)) in enumerate(curves.items()):
        fig.add_trace(go.Scatter(x=fpr, y=tpr, mode="lines", name=f"{name}: AUC {area:.3f}",
                                 line=dict(width=3, color=SET_COLOURS[(i + 1) % len(SET_COLOURS)]),
                                 hovertemplate="false alarms %{x:.1%}<br>detected %{y:.1%}<extra></extra>"))
    if marker is not None:
        fig.add_trace(go.Scatter(x=[marker[0]], y=[marker[1]], mode="markers", name="the threshold",
                                 marker=dict(size=14, color="black", symbol="x")))
    fig.update_xaxes(title="false-alarm rate (normal digits flagged)", range=[0, 1], tickformat=".0%")
    fig.update_yaxes(title="detection rate (anomalies flagged)", range=[0, 1.02], tickformat=".0%")
    fig.update_layout(legend=dict(x=0.45, y=0.05, bgcolor="rgba(255,255,255,0.8)"))
    return _base_layout(fig, title, 430)


def accuracy_figure(rows: Sequence[dict], title: str | None = None) -> go.Figure:
    """Grouped bars: test accuracy of logistic regression per feature set and number of labels."""
    fig = go.Figure()
    features = list(dict.fromkeys(r["features"] for r in rows))
    counts = list(dict.fromkeys(r["labels"] for r in rows))
    for i, name in enumerate(features):
        acc = {r["labels"]: r["accuracy"] for r in rows if r["features"] == name}
        fig.add_trace(go.Bar(x=[f"{c:,} labels" for c in counts], y=[acc.get(c) for c in counts], name=name,
                             marker_color=SET_COLOURS[i % len(SET_COLOURS)],
                             text=[f"{acc[c]:.1%}" if c in acc else "" for c in counts], textposition="outside",
                             hovertemplate=f"{name}<br>%{{x}}: %{{y:.1%}}<extra></extra>"))
    fig.update_yaxes(title="test accuracy", range=[0, 1.08], tickformat=".0%")
    fig.update_xaxes(title="labelled training images the classifier may use")
    _base_layout(fig, title, 460)
    fig.update_layout(barmode="group", legend=dict(orientation="h", y=-0.22, yanchor="top", x=0), margin=dict(b=40))
    return fig


def rate_distortion_figure(points: Sequence, metric: str = "mse", title: str | None = None) -> go.Figure:
    """Bytes per image (log) against test MSE (log) or PSNR; lossless methods as vertical lines."""
    fig = go.Figure()
    methods = list(dict.fromkeys(p.method for p in points if not p.lossless))
    symbols = {"float32": "circle", "float16": "diamond", "8-bit": "square"}
    for method in methods:
        mine = sorted((p for p in points if p.method == method), key=lambda p: p.bytes_per_image)
        colour = METHOD_COLOURS.get(method, "#333")
        if any(p.setting.endswith(tuple(symbols)) for p in mine):  # a code stored at several precisions
            for precision, symbol in symbols.items():
                sub = [p for p in mine if p.setting.endswith(precision)]
                if not sub:
                    continue
                fig.add_trace(go.Scatter(
                    x=[p.bytes_per_image for p in sub], y=[p.mse if metric == "mse" else p.psnr for p in sub],
                    mode="lines+markers", name=f"{method} code, {precision}", legendgroup=method,
                    line=dict(color=colour, dash={"float32": "solid", "float16": "dot", "8-bit": "dash"}[precision]),
                    marker=dict(symbol="star" if method == "your autoencoder" else symbol,
                                size=15 if method == "your autoencoder" else 10, color=colour),
                    text=[p.setting for p in sub],
                    hovertemplate=f"{method} %{{text}}<br>%{{x:.0f}} bytes<br>"
                                  + ("MSE %{y:.4f}" if metric == "mse" else "PSNR %{y:.1f} dB") + "<extra></extra>"))
        else:
            fig.add_trace(go.Scatter(
                x=[p.bytes_per_image for p in mine], y=[p.mse if metric == "mse" else p.psnr for p in mine],
                mode="lines+markers", name=method, line=dict(color=colour, width=3),
                marker=dict(size=9, color=colour), text=[p.setting for p in mine],
                hovertemplate=f"{method} %{{text}}<br>%{{x:.0f}} bytes<br>"
                              + ("MSE %{y:.4f}" if metric == "mse" else "PSNR %{y:.1f} dB") + "<extra></extra>"))
    for i, p in enumerate(p for p in points if p.lossless):
        colour = METHOD_COLOURS.get(p.method, "#333")
        # on a log axis a line shape takes the data value, but an annotation takes its log10
        fig.add_vline(x=p.bytes_per_image, line=dict(color=colour, dash="dashdot", width=2))
        fig.add_annotation(x=float(np.log10(p.bytes_per_image)), y=0.02 + 0.33 * (i % 3), xref="x", yref="paper",
                           text=f"{p.method}, lossless: {p.bytes_per_image:.0f} B", textangle=-90, showarrow=False,
                           xanchor="right", yanchor="bottom", font=dict(size=13, color=colour))
    sizes = [p.bytes_per_image for p in points]
    fig.update_xaxes(title="bytes per image (log scale)", type="log", **log_ticks(min(sizes), max(sizes)))
    if metric == "mse":
        errors = [p.mse for p in points if not p.lossless and p.mse > 0]
        fig.update_yaxes(title="test MSE per pixel (log scale, lower is better)", type="log",
                         **log_ticks(min(errors), max(errors)))
    else:
        fig.update_yaxes(title="test PSNR (dB, higher is better)")
    fig.update_layout(legend=dict(orientation="v", x=1.01, y=1))
    return _base_layout(fig, title, 520)


def error_boxes(groups: dict[str, np.ndarray], title: str | None = None) -> go.Figure:
    """One box per input set: per-image reconstruction MSE on a log axis."""
    fig = go.Figure()
    for i, (name, values) in enumerate(groups.items()):
        fig.add_trace(go.Box(y=np.maximum(np.asarray(values, float), 1e-6), name=name, boxpoints="outliers",
                             marker_color=SET_COLOURS[i % len(SET_COLOURS)], showlegend=False))
    everything = np.concatenate([np.maximum(np.asarray(v, float), 1e-6) for v in groups.values()])
    fig.update_yaxes(title="reconstruction MSE of one image (log scale)", type="log",
                     **log_ticks(everything.min(), everything.max()))
    fig.update_xaxes(title="images fed to the digit model")
    return _base_layout(fig, title, 420)


__all__ = ["picture_rows", "psnr_bars", "error_histograms", "roc_figure", "accuracy_figure",
           "rate_distortion_figure", "error_boxes", "CLASS_COLOURS"]
