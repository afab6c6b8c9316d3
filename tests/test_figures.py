"""Figure builders: log axes that fit their data, markers where they belong, captions that fit, presenter sizes."""

import math
from types import SimpleNamespace

import numpy as np
import pytest

from aecore import figures
from aecore.figures import applications as F
from aecore.figures import pca as pca_figures

pytestmark = pytest.mark.unit


def _sweep_chart(current_k=16):
    k = np.arange(1, 129)
    test = 0.06 * np.exp(-k / 40) + 0.005
    return pca_figures.error_vs_code_size(k, test, test * 0.9, [2, 4, 8, 16, 32, 64],
                                          [0.05, 0.04, 0.03, 0.02, 0.015, 0.012],
                                          [0.04, 0.03, 0.02, 0.01, 0.008, 0.006], current_k=current_k,
                                          title="Reconstruction error against code size (lower is better)")


def test_the_sidebar_marker_sits_at_its_code_size_and_the_curves_fill_the_chart():
    fig = _sweep_chart(16)
    # The dashed line is a shape in data units; its label an annotation in log10 units (plotly's rule for log
    # axes). Before the fix the label sat at 10**16 and stretched the axis so every curve used ~13 % of it.
    line = [s for s in fig.layout.shapes if s.type == "line"]
    assert len(line) == 1 and line[0].x0 == line[0].x1 == 16
    label = next(a for a in fig.layout.annotations if a.text == "sidebar: 16")
    assert label.x == pytest.approx(math.log10(16))
    lo, hi = fig.layout.xaxis.range  # set, so nothing can stretch it
    assert lo <= math.log10(1) and hi >= math.log10(128)
    assert hi - lo < math.log10(128) + 0.2  # the data (k = 1...128) spans almost the whole axis
    assert fig.layout.xaxis.tickangle == 0
    assert list(fig.layout.xaxis.ticktext) == ["1", "2", "4", "8", "16", "32", "64", "128"]


def test_log_axes_have_a_few_round_tick_labels_not_every_minor_step():
    fig = _sweep_chart()
    values = list(fig.layout.yaxis.tickvals)
    assert 2 <= len(values) <= 9
    assert list(fig.layout.yaxis.ticktext) == [f"{v:g}" for v in values]
    assert all(f"{v:g}".lstrip("0.").startswith(("1", "2", "5")) for v in values)
    transfer = pca_figures.transfer_curves({"loss": [0.08, 0.05, 0.04], "val_loss": [0.09, 0.06, 0.05]},
                                           {"loss": [0.06, 0.04, 0.03], "val_loss": [0.07, 0.05, 0.04]}, 200)
    assert transfer.layout.yaxis.tickvals and len(transfer.layout.yaxis.tickvals) <= 9


def test_a_threshold_on_a_log_histogram_does_not_stretch_the_axis():
    rng = np.random.default_rng(0)
    fig = F.error_histograms({"normal": rng.uniform(0.005, 0.05, 200), "odd": rng.uniform(0.02, 0.1, 50)},
                             threshold=0.03)
    label = next(a for a in fig.layout.annotations if a.text.startswith("threshold"))
    assert label.x == pytest.approx(math.log10(0.03))
    assert fig.layout.shapes[0].x0 == 0.03


def _rd_points():
    P = SimpleNamespace
    pts = []
    for method, sizes in (("your autoencoder", (16,)), ("autoencoder", (4, 8, 16, 32, 64)), ("PCA", (2, 8, 32))):
        for k in sizes:
            for precision, nbytes in (("float32", 4), ("float16", 2), ("8-bit", 1)):
                pts.append(P(method=method, setting=f"{k} numbers, {precision}", bytes_per_image=k * nbytes,
                             mse=0.05 / k ** 0.5, psnr=10 * math.log10(k ** 0.5 / 0.05), lossless=False))
    for q in (5, 20, 50, 90):
        for method, extra in (("JPEG", 300), ("JPEG (shared tables)", 0)):
            pts.append(P(method=method, setting=f"quality {q}", bytes_per_image=extra + 4 * q, mse=0.01 / q,
                         psnr=20 + q / 5, lossless=False))
    for method, size in (("raw 8-bit", 784), ("gzip", 694), ("PNG", 633)):  # close together, as on photos
        pts.append(P(method=method, setting="", bytes_per_image=size, mse=1e-6, psnr=59.0, lossless=True))
    return pts


@pytest.mark.parametrize("metric", ["mse", "psnr"])
def test_rate_distortion_has_one_legend_entry_per_method_and_upright_lossless_labels(metric):
    fig = F.rate_distortion_figure(_rd_points(), metric, title="Bytes per image against error")
    in_legend = [t.name for t in fig.data if t.showlegend is not False]
    assert in_legend == ["your autoencoder code", "autoencoder code", "PCA code", "JPEG", "JPEG (shared tables)"]
    assert "float16" in fig.layout.legend.title.text  # the line styles are explained once
    labels = [a for a in fig.layout.annotations if "lossless" in a.text]
    assert len(labels) == 3
    assert all(not a.textangle for a in labels)  # upright, not rotated
    assert len({round(a.y, 3) for a in labels}) == 3  # one row each: nearby lines' labels cannot overlap
    assert all(a.y > 1 for a in labels)  # above the plot, clear of the curves
    for a in labels:  # on a log axis an annotation takes log10 of its value, the line its value
        size = float(a.text.split()[-2])
        assert a.x == pytest.approx(math.log10(size), abs=0.01)
        assert any(s.x0 == pytest.approx(size, abs=0.5) for s in fig.layout.shapes)
    assert fig.layout.xaxis.tickangle == 0


def test_per_image_captions_stay_short_with_many_images():
    assert figures.error_captions([0.0709, 0.0678]) == ["MSE 0.0709", "MSE 0.0678"]
    many = figures.error_captions(np.full(16, 0.0709))
    assert many == ["0.071"] * 16
    rng = np.random.default_rng(0)
    images = rng.random((16, 28, 28))
    fig = pca_figures.side_by_side(images, images, images, 8, np.full(16, 0.07), np.full(16, 0.05),
                                   labels=[f"label {i % 10}" for i in range(16)])
    assert "MSE under each image" in fig.layout.annotations[1].text
    # At 16 images on a 1,200 px wide chart each tile has ~75 px; a caption at the presenter's size must fit.
    pitch_px = 1200 / 16
    mse_captions = [a for a in fig.layout.annotations[3:] if not a.text.startswith("label")]
    assert len(mse_captions) == 32
    for a in mse_captions:
        assert len(a.text) * 0.6 * figures.PRESENTER_MIN_FONT_PX * 1.25 < pitch_px, a.text


def test_presenter_figure_enlarges_every_text_and_leaves_the_original_alone():
    rng = np.random.default_rng(0)
    images = rng.random((4, 8, 8))
    grid = figures.image_grid([images, images], ["original", "absolute error (white = exact, red = wrong)"],
                              captions=[[f"label {i}" for i in range(4)], figures.error_captions(np.full(4, 0.05))],
                              error_rows=[False, True])
    big = figures.presenter_figure(grid)
    assert big.layout.font.size >= 16
    sizes = [a.font.size for a in big.layout.annotations]
    assert sizes and min(sizes) >= 16
    assert [a.font.size for a in grid.layout.annotations][-1] == 13  # the memoised original is unchanged
    bars = figures.presenter_figure(F.psnr_bars({"noisy": 9.4, "denoised": 15.5}))
    assert bars.data[0].textfont.size >= 16 and bars.layout.uniformtext.minsize == 16
    chart = figures.presenter_figure(_sweep_chart())
    assert chart.layout.font.size >= 16 and chart.layout.xaxis.range == _sweep_chart().layout.xaxis.range
    plain = figures.presenter_figure(figures.histogram(np.arange(10.0), "x"))
    assert plain.layout.font.size >= 16 and plain.layout.font.color


def test_an_exact_pca_at_full_rank_does_not_squash_the_error_axis():
    """digits-8x8 has 64 pixels: PCA with 64 components rebuilds it to rounding noise (MSE ~1e-30). The axis
    stops at 40 dB (MSE 1e-4) with a handful of labels, instead of 20 overlapping ones down to 1e-30."""
    k = np.arange(1, 65)
    test = np.where(k < 60, 0.06 * np.exp(-k / 12), 1e-31)
    fig = pca_figures.error_vs_code_size(k, test, test * 0.9, [8], [0.09], [0.088], current_k=8)
    lo, hi = fig.layout.yaxis.range
    assert lo == pytest.approx(math.log10(pca_figures.MSE_FLOOR), abs=0.1) and hi >= math.log10(0.09)
    assert 2 <= len(fig.layout.yaxis.tickvals) <= 8
    assert min(fig.layout.yaxis.tickvals) >= pca_figures.MSE_FLOOR / 1.5
    wide = figures.log_ticks(1e-9, 0.1)
    assert len(wide["tickvals"]) <= 8 and wide["ticktext"][-1] == "0.1"


def test_rate_distortion_error_axis_stops_at_8_bit_rounding():
    points = _rd_points() + [SimpleNamespace(method="PCA", setting="64 numbers, float32", bytes_per_image=256,
                                             mse=1e-13, psnr=130.0, lossless=False)]
    fig = F.rate_distortion_figure(points, "mse")
    lo, hi = fig.layout.yaxis.range
    assert lo == pytest.approx(math.log10(F.RD_MSE_FLOOR), abs=0.2) and hi > math.log10(max(p.mse for p in points))
    assert len(fig.layout.yaxis.tickvals) <= 9


@pytest.mark.app
def test_presenter_mode_sends_projector_sized_charts_and_only_for_that_session():
    """Through the real entry point: with presenter mode on, the chart the page sends has every font at
    16 px or more; another session without it gets the normal sizes (the hook is per call, per session)."""
    import json

    from tests.apphelpers import open_app, plotly_charts

    presenter = open_app()
    presenter.session_state["sidebar_presenter"] = True
    presenter.run()
    normal = open_app()

    def font_sizes(at):
        spec = json.loads(plotly_charts(at)[0].proto.spec)
        layout = spec["layout"]
        sizes = [layout["font"]["size"], layout["xaxis"]["tickfont"]["size"]]
        sizes += [a["font"]["size"] for a in layout.get("annotations", []) if "font" in a]
        return sizes

    assert min(font_sizes(presenter)) >= figures.PRESENTER_MIN_FONT_PX
    assert min(font_sizes(normal)) < figures.PRESENTER_MIN_FONT_PX


def test_sensitivity_marker_label_sits_at_its_sigma_on_the_log_axis():
    """On a log axis an annotation's x is log10 of the value: plotly's add_vline put 'σ = 0.1' at 10**0.1."""
    import math

    from aecore.figures import family

    fig = family.sensitivity([0.01, 0.1, 1.0], [("a", [1, 2, 3]), ("b", [1, 1, 1])], "change", marked_std=0.1)
    labels = [a for a in fig.layout.annotations if "σ = 0.1" in (a.text or "")]
    assert len(labels) == 1
    assert math.isclose(labels[0].x, math.log10(0.1))
    assert fig.layout.shapes[0].x0 == 0.1


def test_the_bottom_rows_captions_have_room_below_the_grid():
    import numpy as np

    from aecore import figures

    images = np.zeros((4, 8, 8))
    with_captions = figures.image_grid([images, images], ["a", "b"], captions=[None, ["0.1"] * 4])
    without = figures.image_grid([images, images], ["a", "b"])
    assert with_captions.layout.margin.b >= 13 + 16  # one 13 px caption line and its gap
    assert without.layout.margin.b < with_captions.layout.margin.b
