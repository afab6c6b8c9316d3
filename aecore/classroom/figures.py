"""Figures of the class: the board, the poll histogram, the class latent map (plain values in, go.Figure out).

Plotly renders a subset of HTML in hover labels and texts (``<a href>``, ``<b>``, ``<br>``), so every
nickname goes through ``html_text`` (escaped, cut short) and into ``customdata``, never into a template.
"""

from __future__ import annotations

import html
from typing import Sequence

import numpy as np
import plotly.graph_objects as go

from aecore.classroom.board import AXIS_SETTINGS, LOG_AXES, METRICS, describe
from aecore.config import KIND_LABELS, MODEL_KINDS
from aecore.figures import CLASS_COLOURS, _base_layout, log_range, log_ticks

KIND_COLOURS = dict(zip(MODEL_KINDS, ("#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#b279a2", "#9d755d")))
PCA_COLOUR = "#333333"


def html_text(value: object, limit: int = 40) -> str:
    """A user's string for a plotly label: one line, cut to ``limit`` characters, HTML-escaped."""
    text = " ".join(str(value).split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return html.escape(text, quote=True).replace("%", "&#37;")


def board_scatter(points: Sequence, x_setting: str = "model.code_size", y_metric: str = "test_mse",
                  pca_curve: tuple[np.ndarray, np.ndarray] | None = None, title: str | None = None,
                  highlight: Sequence[int] = ()) -> go.Figure:
    """One marker per trained model of the class, coloured by type; PCA's test error as a line when given.

    ``pca_curve`` is (code sizes, test MSE) and is drawn only when the x axis is the code size.
    ``highlight``: ids of points to ring (the challenge's leaders). Each marker's customdata is the point id.
    """
    fig = go.Figure()
    shown_y = [float(getattr(p, y_metric)) for p in points]
    if pca_curve is not None and x_setting == "model.code_size":
        ks, mse = np.asarray(pca_curve[0], dtype=float), np.asarray(pca_curve[1], dtype=float)
        # Up to twice the largest code on the board (PCA with every component is exact: an error of 0 would
        # stretch the axis over ten decades and squash the class's points).
        largest = max([float(p.settings.get(x_setting) or 1) for p in points] + [8.0])
        keep = ks <= min(2 * largest, len(ks) - 1)
        ks, mse = ks[keep], mse[keep]
        y = mse if y_metric == "test_mse" else 10 * np.log10(1.0 / np.maximum(mse, 1e-12))
        shown_y += [float(v) for v in y]
        fig.add_trace(go.Scatter(x=ks, y=y, mode="lines", name="PCA (same test images)",
                                 line=dict(color=PCA_COLOUR, width=2, dash="dash"),
                                 hovertemplate="PCA with %{x} components: %{y:.4f}<extra></extra>"))
    by_kind: dict[str, list] = {}
    for p in points:
        by_kind.setdefault(str(p.settings.get("model.kind", "dense")), []).append(p)
    for kind, group in by_kind.items():
        xs = [p.settings.get(x_setting) for p in group]
        ys = [getattr(p, y_metric) for p in group]
        custom = [[p.id, html_text(p.nickname), html_text(describe(p.settings), 80), html_text(p.data)]
                  for p in group]
        rings = [2.5 if p.id in set(highlight) else 0.5 for p in group]
        fig.add_trace(go.Scatter(
            x=xs, y=ys, mode="markers", name=KIND_LABELS.get(kind, kind), customdata=custom,
            marker=dict(size=14, color=KIND_COLOURS.get(kind, "#888888"), opacity=0.85,
                        line=dict(color="black", width=rings)),
            hovertemplate="%{customdata[1]}<br>%{customdata[2]}<br>data: %{customdata[3]}<br>"
                          + f"{METRICS[y_metric].split(' (')[0]}: " + "%{y:.4f}<extra></extra>"))
    fig.update_xaxes(title=AXIS_SETTINGS.get(x_setting, x_setting), type="log" if x_setting in LOG_AXES else "linear")
    if x_setting == "model.code_size":
        xs = [float(p.settings.get(x_setting) or 1) for p in points] or [1.0, 64.0]
        ticks = [2 ** i for i in range(0, 11) if 2 ** i <= max(max(xs), 2) * 2]
        fig.update_xaxes(tickvals=ticks, ticktext=[str(t) for t in ticks], tickangle=0)
    fig.update_yaxes(title=METRICS[y_metric], type="log" if y_metric == "test_mse" else "linear")
    finite = [v for v in shown_y if np.isfinite(v) and v > 0]
    if y_metric == "test_mse" and finite:
        fig.update_yaxes(range=log_range(min(finite), max(finite), pad=0.1), **log_ticks(min(finite), max(finite)))
    fig.update_layout(legend=dict(title="type", orientation="h", y=1.0, yanchor="bottom", x=0), hovermode="closest",
                      clickmode="event+select")
    _base_layout(fig, title, 440)
    fig.update_layout(margin=dict(t=90 if title else 50))
    return fig


def poll_histogram(options: Sequence[str], counts: Sequence[int], title: str | None = None) -> go.Figure:
    """Votes per answer (answers are the teacher's text: escaped)."""
    labels = [html_text(o, 40) for o in options]
    fig = go.Figure(go.Bar(x=list(counts), y=labels, orientation="h", marker_color="#4c78a8",
                           text=[str(c) for c in counts], textposition="outside",
                           hovertemplate="%{y}: %{x} votes<extra></extra>"))
    fig.update_yaxes(autorange="reversed", automargin=True)
    fig.update_xaxes(title="votes", rangemode="tozero", dtick=max(1, int(np.ceil(max(list(counts) + [1]) / 8))))
    return _base_layout(fig, title, 120 + 50 * len(options))


def drawings_map(background: np.ndarray, labels: np.ndarray, class_names: Sequence[str],
                 axis_titles: tuple[str, str], drawings: np.ndarray, nicknames: Sequence[str],
                 title: str | None = None) -> go.Figure:
    """The class's drawings (stars, nickname on hover) over the test codes of the class's model."""
    background = np.asarray(background, dtype=np.float32)
    labels = np.asarray(labels)
    fig = go.Figure()
    for c, name in enumerate(class_names):
        mask = labels == c
        if mask.any():
            fig.add_trace(go.Scattergl(x=background[mask, 0], y=background[mask, 1], mode="markers",
                                       name=html_text(name, 20),
                                       marker=dict(size=5, opacity=0.35, color=CLASS_COLOURS[c % len(CLASS_COLOURS)]),
                                       hoverinfo="skip"))
    drawings = np.asarray(drawings, dtype=np.float32).reshape(-1, 2)
    if len(drawings):
        fig.add_trace(go.Scatter(x=drawings[:, 0], y=drawings[:, 1], mode="markers", name="class drawings",
                                 customdata=[[html_text(n)] for n in nicknames],
                                 marker=dict(symbol="star", size=20, color="black", line=dict(color="white", width=2)),
                                 hovertemplate="drawn by %{customdata[0]}<extra></extra>"))
    fig.update_xaxes(title=axis_titles[0])
    fig.update_yaxes(title=axis_titles[1])
    fig.update_layout(legend=dict(title="class", itemsizing="constant"))
    return _base_layout(fig, title, 480)
