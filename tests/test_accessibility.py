"""Everyone can read it (issue 15, part 7): a colour-blind-safe palette, WCAG AA contrast, a text description of
every chart. The figures measured here are the ones the README quotes."""

from __future__ import annotations

import inspect
import itertools
import math
import tomllib
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import plotly.graph_objects as go
import pytest

from aecore import figures
from aecore.architecture import LayerSpec
from aecore.figures import applications, drawing, family, latent, pca

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[1]
WHITE = "#FFFFFF"


# --- colour science (WCAG 2.x relative luminance; Machado, Oliveira & Fernandes 2009 at severity 1.0) ----------
def _linear(colour: str) -> np.ndarray:
    c = np.array([int(colour.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4)])
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def contrast(a: str, b: str = WHITE) -> float:
    la, lb = (float(np.dot([0.2126, 0.7152, 0.0722], _linear(c))) for c in (a, b))
    hi, lo = max(la, lb), min(la, lb)
    return (hi + 0.05) / (lo + 0.05)


CVD = {
    "normal": np.eye(3),
    "deuteranopia": np.array([[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                              [-0.011820, 0.042940, 0.968881]]),
    "protanopia": np.array([[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                            [-0.003882, -0.048116, 1.051998]]),
    "tritanopia": np.array([[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602],
                            [0.004733, 0.691367, 0.303900]]),
}


def _lab(linear_rgb: np.ndarray) -> np.ndarray:
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ np.clip(
        linear_rgb, 0, 1)
    xyz = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def delta_e(a: str, b: str, vision: str) -> float:
    """CIE76 colour difference between a and b as someone with ``vision`` sees them."""
    m = CVD[vision]
    return float(np.linalg.norm(_lab(m @ _linear(a)) - _lab(m @ _linear(b))))


def min_distance(colours, visions=("normal", "deuteranopia", "protanopia", "tritanopia")):
    return min((delta_e(a, b, v), a, b, v) for a, b in itertools.combinations(colours, 2) for v in visions)


def test_colour_science_matches_known_values():
    assert contrast("#000000") == pytest.approx(21.0)
    assert contrast("#777777") == pytest.approx(4.48, abs=0.01)  # the classic "just fails AA" grey
    # red and green, told apart with normal vision, nearly merge for a deuteranope: the simulation works
    assert delta_e("#FF0000", "#00AA00", "normal") > 80
    assert delta_e("#FF0000", "#00AA00", "deuteranopia") < 0.5 * delta_e("#FF0000", "#00AA00", "normal")


# --- the palette ------------------------------------------------------------------------------------------------
def test_class_colours_stay_distinct_under_colour_blindness():
    assert len(set(figures.CLASS_COLOURS)) == 10
    worst = min_distance(figures.CLASS_COLOURS)
    assert worst[0] >= 15, worst  # measured 16.1 (tritanopia); 17.9 over normal, deuteranopia, protanopia
    assert min_distance(figures.CLASS_COLOURS, ("normal", "deuteranopia", "protanopia"))[0] >= 17
    # the old palette (matplotlib's tab10) fails the same check: its green and orange merge for a deuteranope
    tab10 = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
             "#17becf")
    assert min_distance(tab10)[0] < 10


def test_series_colours_distinct_and_visible_on_white():
    worst = min_distance(figures.SERIES_COLOURS)
    assert worst[0] >= 15, worst  # measured 17.0 (blue and bluish green for a tritanope)
    for colour in figures.SERIES_COLOURS + (figures.REFERENCE_GREY,):
        assert contrast(colour) >= 3.0, colour  # WCAG 1.4.11: graphical objects 3:1
    for colour in family.MODEL_COLOURS + tuple(applications.METHOD_COLOURS.values()) + tuple(
            figures.PART_COLOURS.values()):
        assert colour in figures.SERIES_COLOURS + (figures.REFERENCE_GREY,), colour
    assert set(figures.CLASS_COLOURS) >= {figures.OKABE_ITO[n] for n in ("orange", "blue", "vermillion")}


def test_class_markers_have_a_visible_edge():
    """Light class colours (sky blue, sand) are under 3:1 on white: each class marker has a dark outline."""
    assert contrast(figures.CLASS_MARKER_LINE["color"]) >= 3.0
    assert figures.CLASS_MARKER_LINE["width"] > 0
    rng = np.random.default_rng(0)
    points, labels = rng.normal(size=(40, 2)), np.arange(40) % 10
    names = [str(i) for i in range(10)]
    for fig in (latent.latent_map(points, labels, names), pca.code_scatter(points, labels, names, "a", "b"),
                drawing.latent_map(points, labels, names, ("a", "b"))):
        for trace in fig.data[:10]:
            colour = trace.marker.color
            assert colour in figures.CLASS_COLOURS
            if contrast(colour) < 3.0:
                assert trace.marker.line.color == figures.CLASS_MARKER_LINE["color"]
                assert trace.marker.line.width > 0


def _cue(trace) -> tuple:
    line = getattr(trace, "line", None)
    marker = getattr(trace, "marker", None)
    pattern = getattr(marker, "pattern", None) if marker is not None else None
    return (getattr(line, "dash", None) if line is not None else None,
            getattr(marker, "symbol", None) if marker is not None else None,
            getattr(pattern, "shape", None) if pattern is not None else None)


@pytest.mark.parametrize("fig", [
    figures.loss_curves({"loss": [1, 0.5], "val_loss": [1.1, 0.6]}),
    family.noise_sweep([0, 0.2], [20, 10], [("denoising", [25, 20]), ("plain", [24, 12])]),
    family.sensitivity([0.01, 0.1], [("a", [1, 2]), ("b", [2, 3])], "change"),
    family.bars(["x", "y"], [("a", [1, 2]), ("b", [2, 3])], "mse"),
    family.activation_histograms([("a", np.ones(10)), ("b", np.zeros(10) + 0.5)]),
    family.vae_losses({"reconstruction_loss": [1, 0.5], "kl_loss": [3, 4]}),
    pca.transfer_curves({"loss": [1, 0.5], "val_loss": [1, 0.6]}, {"loss": [0.8, 0.4], "val_loss": [0.9, 0.5]}, 100),
    applications.error_histograms({"digits": np.full(5, 0.01), "letters": np.full(5, 0.05)}),
    applications.accuracy_figure([{"features": "pixels", "labels": 10, "accuracy": 0.5},
                                  {"features": "codes", "labels": 10, "accuracy": 0.7}]),
    applications.roc_figure({"a": (np.array([0, 1]), np.array([0, 1]), 0.5),
                             "b": (np.array([0, 0.5, 1]), np.array([0, 0.9, 1]), 0.8)}),
], ids=["loss", "noise_sweep", "sensitivity", "bars", "activations", "vae", "transfer", "err_hist", "accuracy",
        "roc"])
def test_two_series_differ_by_more_than_colour(fig):
    named = [t for t in fig.data if t.showlegend is not False and t.name and "guessing" not in t.name]
    assert len(named) >= 2
    cues = [_cue(t) for t in named]
    assert len(set(cues)) == len(cues), cues  # every legend entry has its own dash / symbol / pattern


# --- contrast of text ---------------------------------------------------------------------------------------------
def _theme() -> dict:
    return tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())["theme"]


def _over(colour: str, ground: str, alpha: float) -> str:
    """``colour`` at ``alpha`` opacity drawn over ``ground`` (browsers blend in sRGB)."""
    rgb = [alpha * int(colour.lstrip("#")[i:i + 2], 16) + (1 - alpha) * int(ground.lstrip("#")[i:i + 2], 16)
           for i in (0, 2, 4)]
    return "#" + "".join(f"{round(v):02X}" for v in rgb)


def test_focus_ring_of_streamlits_red_is_too_faint():
    """The ring Streamlit draws from a primary colour of #D6243A (this app's before) measured 2.31:1 in the browser."""
    assert contrast(_over("#D6243A", WHITE, 0.5)) == pytest.approx(2.31, abs=0.01)


def test_theme_text_contrast_meets_aa():
    theme = _theme()
    bg, sidebar = theme["backgroundColor"], theme["secondaryBackgroundColor"]
    assert contrast(WHITE, theme["primaryColor"]) >= 4.5  # a primary button's white label (measured 10.89)
    assert contrast(theme["primaryColor"], sidebar) >= 3.0  # the primary colour as a mark (slider, selection)
    for ground in (bg, sidebar):  # the focus ring: the primary colour at 50 % opacity (measured in Chromium)
        assert contrast(_over(theme["primaryColor"], ground, 0.5), ground) >= 3.0, ground
    for text in (theme["textColor"], theme["linkColor"]):
        assert contrast(text, bg) >= 4.5 and contrast(text, sidebar) >= 4.5, text
    from ui.theme import TEXT_GREY

    assert contrast(TEXT_GREY, bg) >= 4.5 and contrast(TEXT_GREY, sidebar) >= 4.5
    assert contrast(figures.PRESENTER_TEXT_COLOUR) >= 4.5


def test_text_on_bars_meets_aa():
    fig = applications.psnr_bars({"noisy": 12.0, "yours": 20.0}, highlight="yours")
    bar = fig.data[0]
    for fill, text in zip(bar.marker.color, bar.textfont.color):
        assert contrast(text, fill) >= 4.5, (text, fill)


# --- a text description of every chart ------------------------------------------------------------------------------
def _layers():
    return [LayerSpec("input", 64, 0, "input"), LayerSpec("dense", 32, 2080, "encoder"), LayerSpec("code", 2, 66, "code"),
            LayerSpec("dense", 32, 96, "decoder"), LayerSpec("output", 64, 2112, "output")]


def _conv_layers():
    return [LayerSpec("input", 64, 0, "input", (8, 8, 1)), LayerSpec("conv", 128, 80, "encoder", (4, 4, 8)),
            LayerSpec("code", 4, 516, "code"), LayerSpec("output", 64, 600, "output", (8, 8, 1))]


def _rd_points():
    P = SimpleNamespace
    pts = [P(method="PCA", setting=f"{k} numbers, float32", bytes_per_image=4 * k, mse=0.05 / k, psnr=20 + k,
             lossless=False) for k in (2, 8)]
    pts += [P(method="JPEG", setting=f"quality {q}", bytes_per_image=300 + q, mse=0.01 / q, psnr=20 + q,
              lossless=False) for q in (5, 50)]
    return pts + [P(method="PNG", setting="", bytes_per_image=600, mse=1e-6, psnr=59.0, lossless=True)]


IMAGES = np.random.default_rng(1).random((4, 8, 8)).astype(np.float32)
CODES = np.random.default_rng(2).normal(size=(20, 2))
LABELS = np.arange(20) % 10
NAMES = [str(i) for i in range(10)]
CALLS = {
    "architecture": lambda: figures.architecture(_layers()),
    "histogram": lambda: figures.histogram(np.arange(10.0), "value", "Values"),
    "image_grid": lambda: figures.image_grid([IMAGES, IMAGES], ["original", "reconstruction"]),
    "loss_curves": lambda: figures.loss_curves({"loss": [1, 0.5], "val_loss": [1.1, 0.6]}, title="Loss per epoch"),
    "presenter_figure": lambda: figures.presenter_figure(figures.histogram(np.arange(10.0), "value")),
    "vertical_marker": lambda: figures.vertical_marker(figures.histogram(np.arange(10.0), "value"), 3, "here"),
    "ae_layer_strip": lambda: pca.ae_layer_strip(IMAGES[0].ravel(), [("code", np.ones(2))], 64, (8, 8)),
    "angle_bars": lambda: pca.angle_bars(np.array([10.0, 20.0])),
    "code_scatter": lambda: pca.code_scatter(CODES, LABELS, NAMES, "PC 1", "PC 2"),
    "error_vs_code_size": lambda: pca.error_vs_code_size(np.array([1, 2, 4]), np.array([0.1, 0.05, 0.02]),
                                                          np.array([0.09, 0.04, 0.01]), [2], [0.06], [0.05]),
    "explained_variance": lambda: pca.explained_variance(np.array([0.5, 0.3, 0.2]), 2),
    "layer_strip": lambda: pca.layer_strip([("input", IMAGES[0])]),
    "manifold_3d": lambda: pca.manifold_3d(np.random.default_rng(3).normal(size=(30, 3)), np.linspace(0, 1, 30),
                                           np.zeros((30, 3)), np.zeros((30, 3)), 1, 0.1, 0.05),
    "pca_layer_strip": lambda: pca.pca_layer_strip(IMAGES[0].ravel(), np.ones(2), IMAGES[0].ravel(), 64, (8, 8)),
    "side_by_side": lambda: pca.side_by_side(IMAGES, IMAGES, IMAGES, 2, [0.1] * 4, [0.1] * 4),
    "transfer_curves": lambda: pca.transfer_curves({"loss": [1, 0.5]}, {"loss": [0.8, 0.4]}, 100),
    "weight_images": lambda: pca.weight_images(IMAGES, 2),
    "knn_over_epochs": lambda: latent.knn_over_epochs([1, 2], [50.0, 70.0], 2),
    "latent_map": lambda: latent.latent_map(CODES, LABELS, NAMES, title="t-SNE map"),
    "original_and_reconstruction": lambda: latent.original_and_reconstruction(IMAGES[0], IMAGES[1], "MSE 0.1"),
    "walk_strip": lambda: latent.walk_strip(IMAGES, "A", "B"),
    "activation_histograms": lambda: family.activation_histograms([("a", np.ones(10)), ("b", np.zeros(10))]),
    "bars": lambda: family.bars(["x"], [("a", [1.0])], "mse"),
    "conv_architecture": lambda: family.conv_architecture(_conv_layers()),
    "filters": lambda: family.filters(np.random.default_rng(4).normal(size=(3, 3, 1, 4))),
    "image_mosaic": lambda: family.image_mosaic(IMAGES, 2),
    "manifold": lambda: family.manifold(np.stack([IMAGES[:2]] * 2), np.array([-1.0, 1.0])),
    "noise_sweep": lambda: family.noise_sweep([0, 0.2], [20, 10], [("denoising", [25, 20])]),
    "sensitivity": lambda: family.sensitivity([0.01, 0.1], [("a", [1, 2])], "change"),
    "vae_losses": lambda: family.vae_losses({"reconstruction_loss": [1, 0.5], "kl_loss": [3, 4]}),
    "accuracy_figure": lambda: applications.accuracy_figure([{"features": "pixels", "labels": 10, "accuracy": 0.5}]),
    "error_boxes": lambda: applications.error_boxes({"digits": np.full(5, 0.01)}),
    "error_histograms": lambda: applications.error_histograms({"digits": np.full(5, 0.01)}, 0.02),
    "picture_rows": lambda: applications.picture_rows([IMAGES], ["original"]),
    "psnr_bars": lambda: applications.psnr_bars({"noisy": 12.0, "yours": 20.0}, highlight="yours"),
    "rate_distortion_figure": lambda: applications.rate_distortion_figure(_rd_points()),
    "roc_figure": lambda: applications.roc_figure({"a": (np.array([0, 1]), np.array([0, 1]), 0.5)}),
    "code_bars": lambda: drawing.code_bars(np.array([0.5, -0.2])),
    "drawing.latent_map": lambda: drawing.latent_map(CODES, LABELS, NAMES, ("z1", "z2"), point=np.zeros(2)),
}


def _builders():
    found = set()
    for module in (figures, pca, latent, family, applications, drawing):
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if fn.__module__ == module.__name__ and not name.startswith("_") and "Figure" in str(
                    inspect.signature(fn).return_annotation):
                found.add(f"drawing.{name}" if module is drawing and name == "latent_map" else name)
    return found


def test_every_figure_builder_is_described():
    assert _builders() <= set(CALLS), sorted(_builders() - set(CALLS))  # a new builder: add it to CALLS


@pytest.mark.parametrize("name", sorted(CALLS))
def test_figure_description_is_one_sentence(name):
    fig = CALLS[name]()
    assert isinstance(fig, go.Figure)
    sentence = figures.describe(fig)
    assert sentence.startswith("Chart:") and sentence.endswith((".", "…"))
    assert len(sentence) > len("Chart: ") + 5 and "\n" not in sentence and "<" not in sentence
    assert len(sentence) <= 320


def test_description_names_title_axes_and_series():
    fig = figures.loss_curves({"loss": [1, 0.5, 0.3], "val_loss": [1.1, 0.6, 0.4]}, title="Loss per epoch")
    assert figures.describe(fig) == ("Chart: Loss per epoch — lines of training loss and validation loss; "
                                     "loss against epoch; 6 points.")
    grid = figures.image_grid([IMAGES, IMAGES], ["original", "reconstruction"])
    assert "pictures" in figures.describe(grid) and "reconstruction" in figures.describe(grid)
    many = latent.latent_map(CODES, LABELS, [f"class {i}" for i in range(10)])
    assert "5 more" in figures.describe(many) and "20 points" in figures.describe(many)


def test_caption_shows_hostile_trace_names_as_text():
    from ui import safe_text

    fig = go.Figure(go.Scatter(x=[1], y=[1], name="[Log in](https://evil.example) <b>x</b>"))
    caption = safe_text.plain(figures.describe(fig), limit=None)
    assert "](" not in caption and "\\[" in caption
