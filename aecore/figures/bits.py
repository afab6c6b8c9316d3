"""Figures of the Limits page's "honest bits" view: bits per pixel against test MSE."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import plotly.graph_objects as go

from aecore import bits as B
from aecore.figures import _base_layout, log_range, log_ticks, vertical_marker

# Okabe–Ito (colour-blind safe); every series also has its own marker and line style
STYLE = {"your autoencoder": ("#D55E00", "star", "solid"), "autoencoder": ("#CC79A7", "diamond", "dot"),
         "PCA": ("#0072B2", "circle", "dash"), "JPEG": ("#E69F00", "square", "longdash"),
         "PNG": ("#009E73", "line-ns", "dashdot")}
MSE_FLOOR = 1e-6  # about the error of rounding pixels to 8 bits


def bits_figure(points: Sequence[B.BitsPoint], chosen_bits: int | None = None, target_mse: float | None = None,
                title: str | None = None, height: int = 500) -> go.Figure:
    """Bits per pixel (log) against test MSE (log): your autoencoder over bit depths (the chosen depth
    ringed), the best of PCA and of a code-size sweep over sizes × depths, JPEG over qualities, PNG as a
    vertical line; a dotted horizontal line at the matched MSE."""
    fig = go.Figure()
    lossy = [p for p in points if not p.lossless]
    for method in dict.fromkeys(p.method for p in lossy):
        mine = [p for p in lossy if p.method == method]
        # one curve per method: its best measured points (PCA: over sizes × bit depths)
        shown = mine if method in ("your autoencoder", "JPEG") else B.frontier(mine)
        shown = sorted(shown, key=lambda p: p.bits_per_pixel)
        colour, symbol, dash = STYLE.get(method, ("#333333", "circle", "solid"))
        label = {"PCA": "PCA (best size × bits)", "autoencoder": "AE sweep (best size × bits)"}.get(method, method)
        fig.add_trace(go.Scatter(
            x=[p.bits_per_pixel for p in shown], y=[max(p.mse, MSE_FLOOR) for p in shown], mode="lines+markers",
            name=label, line=dict(color=colour, dash=dash, width=3),
            marker=dict(symbol=symbol, size=13 if method == "your autoencoder" else 9, color=colour),
            text=[p.setting for p in shown],
            hovertemplate=f"{method} %{{text}}<br>%{{x:.3f}} bits per pixel<br>MSE %{{y:.4f}}<extra></extra>"))
        if method == "your autoencoder" and chosen_bits is not None:
            pick = [p for p in mine if p.bits == chosen_bits]
            if pick:
                fig.add_trace(go.Scatter(
                    x=[pick[0].bits_per_pixel], y=[max(pick[0].mse, MSE_FLOOR)], mode="markers",
                    name=f"{chosen_bits} bits per number", marker=dict(symbol="circle-open", size=24,
                                                                       color=colour, line=dict(width=3)),
                    hovertemplate=f"your choice: {chosen_bits} bits per number<extra></extra>"))
    for p in points:
        if p.lossless:
            colour = STYLE["PNG"][0]
            vertical_marker(fig, p.bits_per_pixel, f"PNG (lossless) {p.bits_per_pixel:.2f}", log_x=True,
                            colour=colour, dash="dashdot", xanchor="right")
    if target_mse is not None:
        fig.add_hline(y=target_mse, line=dict(color="#555555", dash="dot", width=2))
        fig.add_annotation(x=0.0, xref="paper", y=float(np.log10(target_mse)), yref="y", yanchor="bottom",
                           xanchor="left", showarrow=False, text=f"matched MSE {target_mse:.4f}",
                           font=dict(size=14, color="#444444"))
    xs = [p.bits_per_pixel for p in points if p.bits_per_pixel > 0]
    errors = [max(p.mse, MSE_FLOOR) for p in lossy]
    fig.update_xaxes(title="bits per pixel (log scale; fewer is better)", type="log", tickangle=0,
                     **log_ticks(min(xs), max(xs)))
    fig.update_yaxes(title="test MSE per pixel (log; lower is better)", type="log",
                     range=log_range(min(errors), max(errors), pad=0.1), **log_ticks(min(errors), max(errors)))
    fig.update_layout(legend=dict(orientation="v", x=1.01, y=1))
    return _base_layout(fig, title, height)
