"""The Draw a digit page: a drawing (as the canvas sends it) is encoded, decoded and placed on the code map."""

import base64
import io

import numpy as np
from PIL import Image

from tests.apphelpers import go_to, open_app, plotly_charts, texts, train


def canvas_state(rgba: np.ndarray) -> dict:
    """What streamlit-drawable-canvas stores for its key when return_image_data=True: a PNG data URL."""
    buffer = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buffer, format="PNG")
    url = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
    return {"drawing": {"raw": {"objects": [], "background": "#000000"}, "data": url}, "backgroundFit": None}


def test_draw_page_encodes_a_drawing_and_places_it_on_the_code_map():
    at = open_app()
    go_to(at, "pages/draw.py")
    assert "No model yet" in texts(at)
    train(at)  # digits-8x8, code of 8 numbers
    go_to(at, "pages/draw.py")
    assert "Draw a digit on the black canvas" in texts(at)
    charts = plotly_charts(at)
    assert len(charts) == 1  # the code map of the test set, before anything is drawn
    assert "test images" in charts[0].proto.spec

    one = np.zeros((280, 280, 4), np.uint8)
    one[..., 3] = 255
    one[40:240, 125:155, :3] = 255  # a "1"
    at.session_state["draw_canvas"] = canvas_state(one)
    at.run()
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    error = float(metrics["Reconstruction MSE"])
    assert 0 <= error < 0.5
    assert metrics["Test digits rebuilt better"].endswith("%")
    assert "The code: 8 numbers" in texts(at)
    charts = plotly_charts(at)
    assert len(charts) == 5  # drawing and reconstruction, its error, code bars, closest test images, code map
    assert '"your drawing"' in charts[-1].proto.spec  # the star on the map
    assert '"|error|' in charts[1].proto.spec and "#b40426" in charts[1].proto.spec  # the red error scale
    assert "code number" in charts[2].proto.spec

    text = texts(at)
    # the verdict under the closest codes follows what they show (issue 16: not "similar digits..." for any scribble)
    assert ("similar digits get similar codes" in text) != ("unlike the digits the model was trained on" in text)

    blob = np.zeros((280, 280, 4), np.uint8)
    blob[..., 3] = 255
    blob[20:260, 20:260, :3] = 255  # a filled square: nothing like a digit
    at.session_state["draw_canvas"] = canvas_state(blob)
    at.run()
    assert not at.exception, at.exception
    text = texts(at)
    assert "unlike the digits the model was trained on" in text
    assert "similar digits get similar codes" not in text

    at.session_state["draw_canvas"] = canvas_state(np.zeros((280, 280, 4), np.uint8))  # cleared canvas
    at.run()
    assert not at.exception, at.exception
    assert len(plotly_charts(at)) == 1


def test_the_pen_and_the_canvas_rerun_only_their_part(monkeypatch):
    """Issue 18: a pen move (and so a stroke, in the same st.fragment) reruns the canvas and what is drawn from
    it, not the sidebar or the page's top."""
    from fragments import move
    from ui import sidebar

    at = open_app()
    train(at)
    go_to(at, "pages/draw.py")
    page_runs = []
    real_sidebar = sidebar.draw_sidebar
    monkeypatch.setattr(sidebar, "draw_sidebar", lambda *a, **k: page_runs.append(1) or real_sidebar(*a, **k))
    assert move(at, at.slider(key="draw_pen"), 24), "the pen is not inside a fragment"
    assert not at.exception, at.exception
    assert page_runs == [] and not at.title
    assert [str(c.key) for c in plotly_charts(at)] == ["draw_latent_map"]
    assert at.slider(key="draw_pen").value == 24
