"""Figures of the Draw a digit page: the code of one drawing, and where it lands among the test codes."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import plotly.graph_objects as go

from aecore.figures import CLASS_COLOURS, CLASS_MARKER_LINE, SERIES_COLOURS, _base_layout


def code_bars(code: np.ndarray, title: str | None = None) -> go.Figure:
    """One bar per code number: the compressed representation of a single input."""
    code = np.asarray(code, dtype=np.float32).ravel()
    numbers = np.arange(1, len(code) + 1)
    colours = [SERIES_COLOURS[1] if v >= 0 else SERIES_COLOURS[0] for v in code]  # the sign is also the bar's side
    fig = go.Figure(go.Bar(x=numbers, y=code, marker_color=colours,
                           hovertemplate="code number %{x}: %{y:.3f}<extra></extra>"))
    fig.update_xaxes(title="code number (position in the code)", tickmode="auto" if len(code) > 32 else "linear",
                     range=[0.4, len(code) + 0.6])
    fig.update_yaxes(title="value (no unit)", zeroline=True, zerolinecolor="#888")
    return _base_layout(fig, title, 320)


def latent_map(coords: np.ndarray, labels: np.ndarray, class_names: Sequence[str], axis_titles: tuple[str, str],
               point: np.ndarray | None = None, point_label: str = "your drawing",
               title: str | None = None) -> go.Figure:
    """Test codes as a 2-D scatter coloured by class, with one input marked by a large star."""
    coords = np.asarray(coords, dtype=np.float32)
    labels = np.asarray(labels)
    fig = go.Figure()
    for c, name in enumerate(class_names):
        mask = labels == c
        if not mask.any():
            continue
        fig.add_trace(go.Scattergl(x=coords[mask, 0], y=coords[mask, 1], mode="markers", name=str(name),
                                   marker=dict(size=6, opacity=0.6, color=CLASS_COLOURS[c % len(CLASS_COLOURS)],
                                               line=CLASS_MARKER_LINE),
                                   hovertemplate=f"test image of class {name}<extra></extra>"))
    if point is not None:
        point = np.asarray(point, dtype=np.float32).ravel()
        fig.add_trace(go.Scatter(x=[point[0]], y=[point[1]], mode="markers+text", name=point_label,
                                 text=[point_label], textposition="top center", textfont=dict(size=16),
                                 marker=dict(symbol="star", size=24, color="black", line=dict(color="white", width=2)),
                                 hovertemplate=f"{point_label}<extra></extra>"))
    fig.update_xaxes(title=axis_titles[0])
    fig.update_yaxes(title=axis_titles[1])
    fig.update_layout(legend=dict(title="class", itemsizing="constant"))
    return _base_layout(fig, title, 520)
