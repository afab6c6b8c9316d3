"""Issue 16 (projector 9, promises): the home page draws convolution blocks for the conv type and tells a
teacher to run `make warm` before class."""

import json

from aecore import architecture
from aecore.config import ModelConfig
from aecore.figures import family as family_figures
from tests.apphelpers import open_app, plotly_charts, set_sidebar, texts


def _rects(chart) -> list:
    return [s for s in json.loads(chart.proto.spec)["layout"].get("shapes", []) if s.get("type") == "rect"]


def test_home_draws_convolution_blocks_for_the_conv_type():
    at = open_app()
    assert "make warm" in texts(at)
    dense_rects = len(_rects(plotly_charts(at)[0]))
    set_sidebar(at, sidebar_kind="conv", sidebar_conv_depth=2, sidebar_conv_filters=16)
    spec = json.dumps(json.loads(plotly_charts(at)[0].proto.spec), ensure_ascii=False)
    assert "14×14×16" in spec and "7×7×32" in spec  # feature-map shapes, not the dense layers
    assert "conv 1" in spec and "deconv 1" in spec
    # each convolution block is a stack of feature maps: many more rectangles than one bar per layer
    assert len(_rects(plotly_charts(at)[0])) > dense_rects + 10
    weights = {m.label: m.value for m in at.metric}["Weights to learn"]
    expected = sum(layer.params for layer in architecture.conv_layers(ModelConfig(kind="conv", conv_depth=2,
                                                                                  conv_filters=16), (28, 28)))
    assert weights == f"{expected:,}"


def test_conv_diagram_stacks_at_most_six_maps_per_block():
    layers = architecture.conv_layers(ModelConfig(kind="conv", conv_depth=1, conv_filters=4), (8, 8))
    fig = family_figures.conv_architecture(layers)
    rects = [s for s in fig.layout.shapes if s.type == "rect"]
    # input 1 map, conv 1 4 maps, code bar, dense bar, output 1 map
    assert len(rects) == 1 + 4 + 1 + 1 + 1
