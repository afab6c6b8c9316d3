"""Figures of the Applications and Limits pages: arrays in, ``go.Figure`` out."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from aecore.figures import (CLASS_COLOURS, REFERENCE_GREY, SERIES_COLOURS, SERIES_DASHES, SERIES_SYMBOLS,
                            _base_layout, log_range, log_ticks, mosaic, vertical_marker)

# Colour-blind-safe series colours (aecore.figures.SERIES_COLOURS), each with a second cue: marker symbol for
# methods, bar pattern for overlaid/grouped sets, dash for curves.
METHOD_COLOURS = {"your autoencoder": SERIES_COLOURS[1], "autoencoder": SERIES_COLOURS[3], "PCA": SERIES_COLOURS[0],
                  "JPEG": SERIES_COLOURS[4], "JPEG (shared tables)": SERIES_COLOURS[5], "PNG": SERIES_COLOURS[2],
                  "gzip": SERIES_COLOURS[6], "raw 8-bit": REFERENCE_GREY}
METHOD_SYMBOLS = {"your autoencoder": "star", "autoencoder": "diamond", "PCA": "circle", "JPEG": "square",
                  "JPEG (shared tables)": "triangle-up", "PNG": "cross", "gzip": "x", "raw 8-bit": "circle-open"}
SET_COLOURS = SERIES_COLOURS
SET_PATTERNS = ("", "/", "\\", "x", ".", "+", "-")


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
    colours = [SERIES_COLOURS[1] if n == highlight else SERIES_COLOURS[0] for n in names]
    # text inside a bar at >= 4.5:1: black on vermillion (5.4:1), white on blue (5.2:1); the highlighted bar is
    # also hatched, a cue besides its colour
    fig = go.Figure(go.Bar(x=[values[n] for n in names], y=names, orientation="h",
                           marker=dict(color=colours, pattern=dict(shape=["/" if n == highlight else ""
                                                                          for n in names])),
                           text=[f"{values[n]:.1f} dB" for n in names], textposition="inside",
                           insidetextanchor="end",
                           textfont=dict(color=["#000000" if n == highlight else "#FFFFFF" for n in names], size=15),
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
                             marker=dict(color=SET_COLOURS[i % len(SET_COLOURS)],
                                         pattern=dict(shape=SET_PATTERNS[i % len(SET_PATTERNS)])), opacity=0.6,
                             hovertemplate=f"{name}<br>MSE ≈ %{{x:.4f}}<br>%{{y:.1%}} of the images<extra></extra>"))
    if threshold is not None:
        vertical_marker(fig, threshold, f"threshold {threshold:.4f}", log_x=True, colour="black", xanchor="center")
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
    fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", line=dict(color=REFERENCE_GREY, dash="dot"),
                             name="guessing (AUC 0.5)", hoverinfo="skip"))
    for i, (name, (fpr, tpr, area)) in enumerate(curves.items()):
        fig.add_trace(go.Scatter(x=fpr, y=tpr, mode="lines", name=f"{name}: AUC {area:.3f}",
                                 line=dict(width=3, color=SET_COLOURS[(i + 1) % len(SET_COLOURS)],
                                           dash=SERIES_DASHES[i % len(SERIES_DASHES)]),
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
                             marker=dict(color=SET_COLOURS[i % len(SET_COLOURS)],
                                         pattern=dict(shape=SET_PATTERNS[i % len(SET_PATTERNS)])),
                             text=[f"{acc[c]:.1%}" if c in acc else "" for c in counts], textposition="outside",
                             hovertemplate=f"{name}<br>%{{x}}: %{{y:.1%}}<extra></extra>"))
    fig.update_yaxes(title="test accuracy", range=[0, 1.08], tickformat=".0%")
    fig.update_xaxes(title="labelled training images the classifier may use")
    _base_layout(fig, title, 460)
    fig.update_layout(barmode="group", legend=dict(orientation="h", y=-0.22, yanchor="top", x=0), margin=dict(b=40))
    return fig


PRECISION_DASH = {"float32": "solid", "float16": "dot", "8-bit": "dash"}
RD_MSE_FLOOR = 1e-6  # about the error of rounding pixels to 8 bits


def rate_distortion_figure(points: Sequence, metric: str = "mse", title: str | None = None) -> go.Figure:
    """Bytes per image (log) against test MSE (log) or PSNR; lossless methods as vertical lines.

    One legend entry per method (a code's three precisions share it: the line style tells them apart, and
    the legend's title says how); the lossless lines are labelled upright in the top margin, one row each,
    so labels of nearby lines never run into each other.
    """
    fig = go.Figure()
    methods = list(dict.fromkeys(p.method for p in points if not p.lossless))
    symbols = {"float32": "circle", "float16": "diamond", "8-bit": "square"}
    value = (lambda p: p.mse) if metric == "mse" else (lambda p: p.psnr)
    hover_value = "MSE %{y:.4f}" if metric == "mse" else "PSNR %{y:.1f} dB"
    any_codes = False
    for method in methods:
        mine = sorted((p for p in points if p.method == method), key=lambda p: p.bytes_per_image)
        colour = METHOD_COLOURS.get(method, "#333")
        star = method == "your autoencoder"
        if any(p.setting.endswith(tuple(symbols)) for p in mine):  # a code stored at several precisions
            any_codes = True
            shown = False
            for precision, symbol in symbols.items():
                sub = [p for p in mine if p.setting.endswith(precision)]
                if not sub:
                    continue
                fig.add_trace(go.Scatter(
                    x=[p.bytes_per_image for p in sub], y=[value(p) for p in sub], mode="lines+markers",
                    name=f"{method} code", legendgroup=method, showlegend=not shown,
                    line=dict(color=colour, dash=PRECISION_DASH[precision]),
                    marker=dict(symbol="star" if star else symbol, size=15 if star else 10, color=colour),
                    text=[p.setting for p in sub],
                    hovertemplate=f"{method} %{{text}}<br>%{{x:.0f}} bytes<br>{hover_value}<extra></extra>"))
                shown = True
        else:
            fig.add_trace(go.Scatter(
                x=[p.bytes_per_image for p in mine], y=[value(p) for p in mine], mode="lines+markers", name=method,
                line=dict(color=colour, width=3),
                marker=dict(size=9, color=colour, symbol=METHOD_SYMBOLS.get(method, "circle")), text=[p.setting for p in mine],
                hovertemplate=f"{method} %{{text}}<br>%{{x:.0f}} bytes<br>{hover_value}<extra></extra>"))
    lossless = sorted((p for p in points if p.lossless), key=lambda p: p.bytes_per_image)
    for i, p in enumerate(lossless):
        colour = METHOD_COLOURS.get(p.method, "#333")
        fig.add_shape(type="line", x0=p.bytes_per_image, x1=p.bytes_per_image, y0=0, y1=1, xref="x", yref="paper",
                      line=dict(color=colour, dash="dashdot", width=2))
        # one row per line (the smallest at the top), each label ending at its line; on a log axis an
        # annotation takes log10 of the value
        fig.add_annotation(x=float(np.log10(p.bytes_per_image)), y=1.0 + 0.065 * (len(lossless) - 1 - i) + 0.01,
                           xref="x", yref="paper", text=f"{p.method} (lossless) {p.bytes_per_image:.0f} B",
                           showarrow=False, xanchor="right", yanchor="bottom", font=dict(size=13, color=colour))
    sizes = [p.bytes_per_image for p in points]
    fig.update_xaxes(title="bytes per image (log scale)", type="log", tickangle=0,
                     **log_ticks(min(sizes), max(sizes)))
    if metric == "mse":
        # Below 8-bit rounding (MSE ~1e-6, what even the lossless files keep) nothing is visible: a full-rank
        # PCA's ~1e-13 would otherwise squeeze every other curve into the top of the chart.
        errors = [max(p.mse, RD_MSE_FLOOR) for p in points if not p.lossless and p.mse > 0]
        fig.update_yaxes(title="test MSE per pixel (log scale, lower is better)", type="log",
                         range=log_range(min(errors), max(errors), pad=0.1), **log_ticks(min(errors), max(errors)))
    else:
        fig.update_yaxes(title="test PSNR (dB, higher is better)")
    legend_title = "method" + ("<br>code lines: solid float32,<br>dotted float16, dashed 8-bit" if any_codes else "")
    fig.update_layout(legend=dict(orientation="v", x=1.01, y=1, title=dict(text=legend_title, font=dict(size=13))))
    _base_layout(fig, title, 540)
    fig.update_layout(margin=dict(t=(50 if title else 20) + 22 * len(lossless)))
    return fig


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
