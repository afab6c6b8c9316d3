"""Plotly figure builders: plain arrays in, ``go.Figure`` out (testable without a browser).

Shared builders live here; each page topic keeps its own in a submodule (aecore.figures.pca, ...).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from aecore.architecture import LayerSpec

FONT = dict(size=15)
TICK_FONT_PX = 14
# --- Colour-blind-safe palette (the single definition every figure module uses) -------------------------------
# Series (lines, bars, two models, methods): Okabe & Ito's palette ("Color Universal Design", 2008), only the
# members with at least 3:1 contrast against white (WCAG 1.4.11 for graphical objects), then two dark ones from
# Paul Tol's "muted" set (= plotly's ``Safe``) for the 6th and 7th series. Wherever two series must be told
# apart, figures also give a second cue from SERIES_DASHES / SERIES_SYMBOLS. tests/test_accessibility.py
# measures the contrasts and the distances under simulated colour blindness.
OKABE_ITO = {"orange": "#E69F00", "sky blue": "#56B4E9", "bluish green": "#009E73", "yellow": "#F0E442",
             "blue": "#0072B2", "vermillion": "#D55E00", "reddish purple": "#CC79A7", "black": "#000000"}
SERIES_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#000000", "#882255", "#332288")
SERIES_DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot", "solid")
SERIES_SYMBOLS = ("circle", "square", "diamond", "triangle-up", "x", "star", "cross")
REFERENCE_GREY = "#6B6B6B"  # reference lines ("noisy input", "from scratch", chance): 5.3:1 on white
# Ten digit classes: Okabe-Ito has only eight colours, and its yellow (1.3:1 on white) and black (used for
# highlights and rings) make poor class colours, so the six others are joined by four from plotly's Safe (Tol's
# muted) set: sand, indigo, wine and brown. Picked by searching Safe's 4-subsets for the largest minimum CIELAB
# distance between any two classes under normal, deuteranope and protanope vision (Machado et al. 2009
# matrices). The light ones are below 3:1 on white, so class markers carry a dark outline (CLASS_MARKER_LINE).
CLASS_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7",
                 "#56B4E9", "#DDCC77", "#332288", "#882255", "#661100")
CLASS_MARKER_LINE = dict(color="#262730", width=0.5)  # 14.8:1 on white: every point's edge is visible
PART_COLOURS = {"input": SERIES_COLOURS[0], "encoder": SERIES_COLOURS[2], "code": SERIES_COLOURS[1],
                "decoder": SERIES_COLOURS[3], "output": SERIES_COLOURS[0]}
ERROR_SCALE = [[0.0, "#ffffff"], [1.0, "#b40426"]]  # white = exact, red = wrong (|error| of 0.5 or more):
# a lightness ramp, so it reads the same to every kind of colour vision


# Presenter mode (a projector at 1280x720): no chart text below this size, in px.
PRESENTER_MIN_FONT_PX = 16
PRESENTER_FONT_SCALE = 1.25
PRESENTER_TEXT_COLOUR = "#262730"  # Streamlit's own grey chart text is too faint on a projector


def log_ticks(lo: float, hi: float) -> dict:
    """Readable tick values for a log axis spanning [lo, hi]: 1-2-5 steps, written out in full.

    Plotly's own log ticks label every minor step ("7 6 5 4 3 2 0.01 9 8..."); these are a few round numbers.
    """
    lo, hi = max(float(lo), 1e-9), max(float(hi), 1e-9)
    decades = range(int(np.floor(np.log10(lo))) - 1, int(np.ceil(np.log10(hi))) + 1)
    values = [m * 10.0 ** e for e in decades for m in (1, 2, 5)]
    values = [v for v in values if lo / 1.5 <= v <= hi * 1.5]
    if len(values) > 9:
        values = [v for v in values if str(f"{v:g}").lstrip("0.").startswith(("1", "5"))] or values
    if len(values) > 9:  # many decades: powers of ten only, every n-th one
        powers = [v for v in values if str(f"{v:g}").lstrip("0.").startswith("1")]
        values = powers[::int(np.ceil(len(powers) / 7))] or values
    return dict(tickvals=values, ticktext=[f"{v:g}" for v in values])


def log_range(lo: float, hi: float, pad: float = 0.06) -> list[float]:
    """An explicit log-axis range (log10 units, as plotly wants it) around [lo, hi], ``pad`` decades wide."""
    return [float(np.log10(max(lo, 1e-12))) - pad, float(np.log10(max(hi, 1e-12))) + pad]


def vertical_marker(fig: go.Figure, x: float, text: str, log_x: bool = False, colour: str = "grey",
                    dash: str = "dash", width: float = 2, y: float = 1.0, xanchor: str = "left",
                    font_size: int = 14) -> go.Figure:
    """A dashed vertical line at data value ``x`` with a label at its top.

    Not ``add_vline(annotation_text=...)``: on a log axis a line shape takes the data value but an annotation
    takes its log10, so plotly's helper puts the label at 10**x and stretches the axis to reach it.
    """
    fig.add_shape(type="line", x0=x, x1=x, y0=0, y1=1, xref="x", yref="paper",
                  line=dict(color=colour, dash=dash, width=width))
    fig.add_annotation(x=float(np.log10(x)) if log_x else x, y=y, xref="x", yref="paper", text=text,
                       showarrow=False, xanchor=xanchor, yanchor="bottom" if y >= 1 else "top",
                       xshift=4 if xanchor == "left" else (-4 if xanchor == "right" else 0),
                       font=dict(size=font_size, color=colour if colour != "grey" else "#444"))
    return fig


def error_captions(values: Sequence[float], prefix: str = "MSE ") -> list[str]:
    """Per-image error captions short enough not to run into each other: with more than 10 images in a row,
    three decimals and no prefix (the row title says what the numbers are)."""
    if len(values) > 10:
        return [f"{v:.3f}" for v in values]
    return [f"{prefix}{v:.4f}" for v in values]


def _scale_fonts(node, factor: float, minimum: float, in_font: bool = False) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "size" and in_font and isinstance(value, (int, float)):
                node[key] = max(float(value) * factor, minimum)
            elif key == "size" and in_font and isinstance(value, (list, tuple)):
                node[key] = [max(float(v) * factor, minimum) for v in value]
            else:
                _scale_fonts(value, factor, minimum, in_font=key.endswith("font"))
    elif isinstance(node, (list, tuple)):
        for item in node:
            _scale_fonts(item, factor, minimum, in_font=False)


def presenter_figure(fig, factor: float = PRESENTER_FONT_SCALE, minimum: float = PRESENTER_MIN_FONT_PX) -> go.Figure:
    """A copy of ``fig`` for a projector: every font scaled by ``factor`` and at least ``minimum`` px, dark text.

    Text that plotly would shrink to fit (bar labels inside bars) keeps the minimum size too. The figure
    passed in is left as it is (pages keep figures in a memo).
    """
    # Copy the figure (fast) and rebuild only its layout: building a figure from a dict validates every data
    # array again (~1 s for a 5,000-point map).
    out = go.Figure(fig)
    layout = out.layout.to_plotly_json()  # a deep copy
    font = dict(layout.get("font") or {})
    font["size"] = float(font.get("size") or 12)  # plotly's default
    font.setdefault("color", PRESENTER_TEXT_COLOUR)
    layout["font"] = font
    _scale_fonts(layout, factor, minimum)
    for trace in out.data:  # text drawn by the traces themselves (bar labels, marker text)
        for name in ("textfont", "insidetextfont", "outsidetextfont"):
            part = getattr(trace, name, None)
            if part is not None and part.size is not None:
                sizes = part.size
                part.size = ([max(float(v) * factor, minimum) for v in sizes] if isinstance(sizes, (list, tuple))
                             else max(float(sizes) * factor, minimum))
    size = font["size"]
    layout["uniformtext"] = dict(minsize=minimum, mode="show")

    def sized(part: dict, key: str, value: float) -> None:
        part[key] = dict(part.get(key) or {})
        part[key].setdefault("size", value)
        part[key].setdefault("color", font["color"])

    # Streamlit's chart theme gives tick labels, legends and titles its own small sizes and faint grey unless a
    # figure names them, so name every one.
    sized(layout, "legend", {})
    sized(layout["legend"], "font", size)
    if isinstance(layout["legend"].get("title"), dict):
        sized(layout["legend"]["title"], "font", size)
    if isinstance(layout.get("title"), dict) and layout["title"].get("text"):
        sized(layout["title"], "font", size * 1.3)
    axis_keys = [k for k in layout if k.startswith(("xaxis", "yaxis")) and isinstance(layout[k], dict)]
    if any(t.type not in ("scatter3d", "pie") for t in out.data):
        axis_keys = sorted(set(axis_keys) | {"xaxis", "yaxis"})
    for key in axis_keys:
        axis = layout[key] = dict(layout.get(key) or {})
        sized(axis, "tickfont", size)
        axis.setdefault("automargin", True)  # larger labels need room: let the margins grow with them
        if isinstance(axis.get("title"), dict):
            sized(axis["title"], "font", size)
    for scene in [k for k in layout if k.startswith("scene") and isinstance(layout[k], dict)]:
        for key in ("xaxis", "yaxis", "zaxis"):
            axis = layout[scene][key] = dict(layout[scene].get(key) or {})
            sized(axis, "tickfont", size)
    for annotation in layout.get("annotations") or []:
        sized(annotation, "font", size)
    out.layout = go.Layout(layout, skip_invalid=True)
    return out


def _base_layout(fig: go.Figure, title: str | None = None, height: int | None = None) -> go.Figure:
    fig.update_layout(font=FONT, margin=dict(l=10, r=10, t=50 if title else 20, b=10),
                      title=dict(text=title) if title else None, height=height)
    # Streamlit's chart theme draws tick labels and legends at 12 px unless a figure names a size.
    fig.update_xaxes(tickfont=dict(size=TICK_FONT_PX))
    fig.update_yaxes(tickfont=dict(size=TICK_FONT_PX))
    fig.update_layout(legend_font_size=TICK_FONT_PX)
    return fig


def mosaic(images: np.ndarray, gap: int = 2, fill: float = np.nan) -> np.ndarray:
    """Place images (n, h, w) side by side in one row with ``gap`` blank columns between them."""
    images = np.asarray(images, dtype=np.float32)
    n, h, w = images.shape[:3]
    out = np.full((h, n * w + (n - 1) * gap) + images.shape[3:], fill, dtype=np.float32)
    for i, image in enumerate(images):
        out[:, i * (w + gap): i * (w + gap) + w] = image
    return out


def as_images(x: np.ndarray, sample_shape: Sequence[int] | None = None) -> np.ndarray:
    """Samples as (n, h, w) grey images; flat square samples are folded back."""
    x = np.asarray(x)
    if sample_shape is not None and len(sample_shape) >= 2:
        return x.reshape((len(x),) + tuple(sample_shape))
    if x.ndim == 2:
        side = int(round(np.sqrt(x.shape[1])))
        return x.reshape(len(x), side, side)
    return x


def image_grid(rows: Sequence[np.ndarray], row_titles: Sequence[str],
               captions: Sequence[Sequence[str] | None] | None = None,
               error_rows: Sequence[bool] | None = None, title: str | None = None,
               image_px: int = 84) -> go.Figure:
    """Rows of equally many images; each row a heat map, captions under each image.

    ``error_rows`` marks rows drawn in a heat colour scale (absolute errors), the
    others in greys from 0 (black) to 1 (white).
    """
    n_rows = len(rows)
    error_rows = error_rows or [False] * n_rows
    captions = captions or [None] * n_rows
    fig = make_subplots(rows=n_rows, cols=1, vertical_spacing=0.25 / max(n_rows, 1) + 0.02,
                        subplot_titles=list(row_titles))
    n_cols = len(rows[0])
    caption_room = 1.0 if any(c is not None for c in captions) else 0.0
    notes = []
    for r, (row, is_error) in enumerate(zip(rows, error_rows), 1):
        images = np.asarray(row, dtype=np.float32)
        h, w = images.shape[1:3]
        grid = mosaic(images)
        colour = (dict(colorscale=ERROR_SCALE, zmin=0, zmax=0.5) if is_error
                  else dict(colorscale="Gray", zmin=0, zmax=1))
        fig.add_trace(go.Heatmap(z=grid, showscale=False, hovertemplate=(
            "|error| %{z:.2f}<extra></extra>" if is_error else "pixel %{z:.2f}<extra></extra>"), **colour),
            row=r, col=1)
        # One y extent for every row (caption room included): plotly counts annotations in an autorange,
        # so rows with captions would otherwise get smaller tiles than rows without on a wide screen.
        fig.update_yaxes(range=[h - 0.5 + caption_room, -0.5], showticklabels=False, ticks="", showgrid=False,
                         zeroline=False, scaleanchor=f"x{r if r > 1 else ''}", row=r, col=1)
        fig.update_xaxes(showticklabels=False, ticks="", showgrid=False, zeroline=False, row=r, col=1)
        if captions[r - 1] is not None:  # added in one go below: plotly copies all annotations on each add
            axis = "" if r == 1 else r
            notes += [dict(x=i * (w + 2) + w / 2, y=h + 0.5, text=text, showarrow=False, yanchor="top",
                           font=dict(size=13), xref=f"x{axis}", yref=f"y{axis}") for i, text in enumerate(captions[r - 1])]
    fig.update_layout(annotations=list(fig.layout.annotations) + notes)
    fig.update_layout(width=None, height=int(n_rows * (image_px + 70) + (40 if title else 0)),
                      plot_bgcolor="#d9d9d9")  # grey gaps frame both black digits and white error tiles
    fig = _base_layout(fig, title, fig.layout.height)
    if captions[-1] is not None:  # the bottom row's captions hang below its plot area, into the margin
        fig.update_layout(margin_b=32)
    return fig


def loss_curves(history: dict[str, Sequence[float]], loss_label: str = "loss",
                best_epoch: int | None = None, title: str | None = None) -> go.Figure:
    """Training and validation loss per epoch."""
    fig = go.Figure()
    names = {"loss": f"training {loss_label}", "val_loss": f"validation {loss_label}"}
    for key, name in names.items():
        values = history.get(key) or []
        if len(values):
            fig.add_trace(go.Scatter(x=list(range(1, len(values) + 1)), y=list(values), mode="lines+markers",
                                     name=name, line=dict(color=SERIES_COLOURS[key == "val_loss"],
                                                          dash=SERIES_DASHES[2 if key == "val_loss" else 0]),
                                     marker=dict(symbol=SERIES_SYMBOLS[key == "val_loss"])))
    if best_epoch:
        vertical_marker(fig, best_epoch, f"kept: epoch {best_epoch}", xanchor="center")
    epochs = max((len(history.get(key) or []) for key in names), default=0)
    fig.update_xaxes(title="epoch", rangemode="tozero", **(dict(dtick=1) if epochs <= 10 else {}))  # no "epoch 2.5"
    fig.update_yaxes(title=loss_label)
    fig.update_layout(legend=dict(orientation="h", y=-0.22, yanchor="top", x=0))
    return _base_layout(fig, title, 400)


def architecture(layers: Sequence[LayerSpec], title: str | None = None) -> go.Figure:
    """The autoencoder as bars whose heights follow each layer's width: the hourglass."""
    widest = max(layer.width for layer in layers)
    fig = go.Figure()
    for i, layer in enumerate(layers):
        height = 0.12 + 0.88 * np.sqrt(layer.width / widest)  # sqrt: a 2-number code stays visible
        fig.add_shape(type="rect", x0=i - 0.32, x1=i + 0.32, y0=-height / 2, y1=height / 2,
                      fillcolor=PART_COLOURS[layer.part], line=dict(width=0), opacity=0.9)
        fig.add_annotation(x=i, y=-0.62, text=f"<b>{layer.width:,}</b>", showarrow=False, font=dict(size=15))
        fig.add_annotation(x=i, y=0.62, text=layer.name, showarrow=False, font=dict(size=13))
        if i > 0:
            fig.add_annotation(x=i - 0.5, y=0, text="→", showarrow=False, font=dict(size=18, color="#555"))
    fig.add_trace(go.Scatter(x=list(range(len(layers))), y=[0] * len(layers), mode="markers",
                             marker=dict(opacity=0), hoverinfo="text",
                             text=[f"{l.name}: {l.width:,} numbers, {l.params:,} weights" for l in layers],
                             showlegend=False))
    fig.update_xaxes(visible=False, range=[-0.6, len(layers) - 0.4])
    fig.update_yaxes(visible=False, range=[-0.75, 0.75])
    fig.update_layout(plot_bgcolor="white")
    return _base_layout(fig, title, 300)


def histogram(values: np.ndarray, x_title: str, title: str | None = None, bins: int = 40) -> go.Figure:
    fig = go.Figure(go.Histogram(x=np.asarray(values), nbinsx=bins, marker_color=SERIES_COLOURS[0]))
    fig.update_xaxes(title=x_title)
    fig.update_yaxes(title="number of images")
    return _base_layout(fig, title, 320)


# --- A one-line text description of a chart (screen readers get no alt text from Streamlit charts) -------------
_KINDS = {"bar": "bars", "histogram": "histogram", "box": "box plot", "heatmap": "heat map", "image": "picture",
          "scatter3d": "3-D points", "pie": "pie", "contour": "contour map", "surface": "surface"}
_TAG = __import__("re").compile(r"<[^>]+>")


def _text(value) -> str:
    """Plain words from a plotly title/label (no HTML tags such as <b> or <br>)."""
    if value is None:
        return ""
    text = getattr(value, "text", value)
    if text is None:
        return ""
    return " ".join(_TAG.sub(" ", str(text)).split())


def _words(items: Sequence[str], limit: int = 5) -> str:
    items = list(dict.fromkeys(i for i in items if i))
    if len(items) > limit:
        items = items[:limit] + [f"{len(items) - limit} more"]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _kind(trace) -> str:
    kind = getattr(trace, "type", None) or "scatter"
    if kind in ("scatter", "scattergl"):
        mode = getattr(trace, "mode", None) or "lines+markers"
        return "lines" if "lines" in mode else "points" if "markers" in mode else "labels"
    return _KINDS.get(kind, kind)


def _size(trace) -> int:
    for key in ("x", "y", "z"):
        value = getattr(trace, key, None)
        if value is not None:
            try:
                return len(value) if getattr(trace, "type", "") not in ("heatmap", "image") else 0
            except TypeError:
                return 0
    return 0


def describe(fig, limit: int = 320) -> str:
    """One sentence saying what a plotly figure shows, from its title, axis titles and traces, e.g.
    "Chart: Loss per epoch — lines of training loss and validation loss; loss against epoch; 40 points."

    Shown as a caption under every chart (ui.theme) and usable as its accessible name.
    """
    layout = fig.layout
    title = _text(getattr(layout, "title", None))
    traces = [t for t in fig.data if getattr(t, "visible", True) is not False]
    named = [t for t in traces if getattr(t, "showlegend", None) is not False and _text(getattr(t, "name", None))]
    kinds = list(dict.fromkeys(_kind(t) for t in traces)) or ["empty"]
    parts = []
    if named:
        parts.append(f"{_words(kinds, 3)} of {_words([_text(t.name) for t in named])}")
    elif {"heat map", "picture"} >= set(kinds):
        labels = [_text(a.text) for a in (getattr(layout, "annotations", None) or ()) if _text(a.text)]
        parts.append("pictures" + (f" labelled {_words(labels, 4)}" if labels else ""))
    else:
        parts.append(_words(kinds, 3))
    x_title = _text(getattr(getattr(layout, "xaxis", None), "title", None))
    y_title = _text(getattr(getattr(layout, "yaxis", None), "title", None))
    if x_title and y_title:
        parts.append(f"{y_title} against {x_title}")
    elif x_title or y_title:
        parts.append(f"axis: {x_title or y_title}")
    points = sum(_size(t) for t in traces if _kind(t) in ("lines", "points", "3-D points", "bars"))
    if points:
        parts.append(f"{points:,} {'bars' if kinds == ['bars'] else 'points'}")
    sentence = (f"Chart: {title} — " if title else "Chart: ") + "; ".join(parts) + "."
    if len(sentence) > limit:
        sentence = sentence[: limit - 1].rstrip() + "…"
    return sentence

