"""Issue 18: a figure derived once per server (ui.shared) is also serialised once: st.plotly_chart asks every
figure for ``to_dict()`` on every rerun, a deep copy of all its data (10+ ms for a 2,000-point map)."""

from __future__ import annotations

import numpy as np
import plotly.basedatatypes
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from aecore.config import DataConfig
from aecore.figures import applications as app_figures
from aecore.figures import latent as latent_figures


def latent_map() -> go.Figure:
    rng = np.random.default_rng(0)
    n = 600
    splits = np.array(["test"] * 400 + ["validation"] * 200)
    return latent_figures.latent_map(rng.normal(size=(n, 2)), rng.integers(0, 10, n), [str(c) for c in range(10)],
                                     splits=splits, split_index=np.arange(n), highlight=[3, 7], title="map")


def picture_rows() -> go.Figure:
    images = np.linspace(0, 1, 6 * 8 * 8).reshape(6, 8, 8)
    return app_figures.picture_rows([images, images[::-1]], ["test images", "reconstruction"],
                                    [None, [f"MSE {e:.3f}" for e in range(6)]], image_px=62)


def error_boxes() -> go.Figure:
    rng = np.random.default_rng(1)
    return app_figures.error_boxes({"test": rng.random(50), "letters": rng.random(50) + 1}, title="errors")


FIGURES = [latent_map, picture_rows, error_boxes]


class ToDictCalls:
    """Counts plotly's own (deep-copying) ``to_dict``."""

    def __init__(self, monkeypatch):
        self.count = 0
        original = plotly.basedatatypes.BaseFigure.to_dict

        def counted(fig):
            self.count += 1
            return original(fig)

        monkeypatch.setattr(plotly.basedatatypes.BaseFigure, "to_dict", counted)


@pytest.mark.parametrize("make", FIGURES, ids=[f.__name__ for f in FIGURES])
def test_a_sent_figure_gives_the_same_json(make):
    from ui.shared import SentFigure, sent_once

    fig = sent_once(make())
    assert isinstance(fig, SentFigure)
    assert pio.to_json(fig, validate=False) == pio.to_json(make(), validate=False)


@pytest.mark.parametrize("change", [
    lambda f: f.update_layout(height=300),
    lambda f: setattr(f.layout.title, "text", "another title"),
    lambda f: setattr(f.data[0].marker, "size", 3),
    lambda f: f.update_traces(opacity=0.5),
    lambda f: f.add_trace(go.Scatter(x=[1], y=[2])),
    lambda f: setattr(f, "data", f.data[:1]),
    lambda f: f.add_annotation(x=1, y=1, text="a"),
    lambda f: f.update_xaxes(title="x"),
], ids=["update_layout", "layout_attribute", "trace_attribute", "update_traces", "add_trace", "drop_traces",
        "add_annotation", "update_xaxes"])
def test_a_changed_sent_figure_sends_its_change(change):
    from ui.shared import sent_once

    sent, plain = sent_once(latent_map()), latent_map()
    change(sent)
    change(plain)
    assert pio.to_json(sent, validate=False) == pio.to_json(plain, validate=False)


def test_a_shared_figure_is_serialised_once_for_every_session_and_rerun(monkeypatch):
    """Before: each of the two sessions' reruns deep-copied the figure again (four copies here)."""
    from ui import shared

    shared.server_store().clear()
    made = []

    def make():
        made.append(1)
        return latent_map()

    copies = ToDictCalls(monkeypatch)
    data = DataConfig(name="digits-8x8")
    sent = []
    for _session in range(2):
        for _rerun in range(2):
            fig = shared.derive("test_figures", ("map", 1), make, data=data)
            sent.append(pio.to_json(fig, validate=False))  # what st.plotly_chart does with it
    assert len(made) == 1 and copies.count == 1
    assert len(set(sent)) == 1 and sent[0] == pio.to_json(latent_map(), validate=False)


def test_results_other_than_figures_come_back_as_they_are():
    from ui import shared

    shared.server_store().clear()
    value = np.arange(3)
    assert shared.derive("test_values", ("array",), lambda: value, data=DataConfig(name="digits-8x8")) is value


def test_copies_of_a_sent_figure_are_those_of_the_plain_figure():
    """Presenter mode and the export page copy a figure (go.Figure(fig)) before changing it: the shared one keeps
    its dict, and the copies are the same as copies of a plain figure."""
    from aecore import export
    from aecore.figures import presenter_figure
    from ui.shared import sent_once

    sent = sent_once(latent_map())
    before = pio.to_json(sent, validate=False)
    for copy in (presenter_figure, export.for_export):
        assert pio.to_json(copy(sent), validate=False) == pio.to_json(copy(latent_map()), validate=False)
    assert pio.to_json(sent, validate=False) == before
