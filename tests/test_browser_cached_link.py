"""Real browser: a shared link to a model already in the disk cache shows the link's values in the sidebar.

Opening such a link loads the model at once; when the load ends, the sidebar's progress poll reruns the whole app,
and that run sends the sliders again without the link's values (Streamlit marks a value set from
``st.session_state`` once, in the run that set it). A slider whose code reaches the browser only after that run
used to be drawn at its minimum while the server kept the link's value (2 of 4 clean-clone CI runs on
2026-12-02). Holding the slider's code until that run has arrived makes the slow browser of those runs
deterministic.
"""

from __future__ import annotations

import re
import time

import pytest

from tests.browser import ARTIFACTS, wait_idle

pytestmark = pytest.mark.browser

PROJECTOR = {"width": 1280, "height": 720}
# Two models no other test trains, so this module's fresh server has them on disk, not in its memory.
LINKS = {
    "ab_runs": {"data": "digits-8x8", "code": "6", "layers": "1", "nodes": "32", "epochs": "2", "seed": "7"},
    "reconstruction": {"data": "digits-8x8", "code": "5", "layers": "2", "nodes": "64", "epochs": "2",
                       "seed": "7"},
}
SHOWN = {"Code size": "code", "Hidden layers (each side)": "layers", "Epochs (at most)": "epochs"}
SLIDERS = """() => Object.fromEntries([...document.querySelectorAll('[data-testid=stSidebar] [data-testid=stSlider]')]
  .map(s => [(s.querySelector('[data-testid=stWidgetLabel]') || {innerText: ''}).innerText.trim(),
             (s.querySelector('[data-testid=stSliderThumbValue]') || {innerText: null}).innerText]))"""


@pytest.fixture(scope="module")
def cached_links():
    """Train the links' models into the disk cache the test server reads (before the server starts)."""
    from aecore.data import load_dataset
    from aecore.trained import trained_model
    from ui import links

    for params in LINKS.values():
        experiment = links.from_params(params).experiment()
        trained_model(experiment, load_dataset(experiment.data))
    return LINKS


@pytest.fixture(scope="module")
def server_url(cached_links):
    from tests.browser import streamlit_server

    with streamlit_server() as url:
        yield url


def _open_with_slow_slider_code(page, url: str) -> None:
    """Open ``url`` holding back the sliders' JavaScript until the run after the cached model's load has reached
    the browser (its sidebar says "Loaded from the cache"), as a busy machine did."""
    held, arrived = [], []
    page.route(re.compile(r"/static/js/Slider\.[^/]*\.js$"), lambda route: held.append(route))
    page.on("websocket", lambda ws: ws.on(
        "framereceived", lambda frame: arrived.append(1)
        if isinstance(frame, bytes) and b"Loaded from the cache" in frame else None))
    page.goto(url)
    deadline = time.time() + 120
    while not (held and arrived) and time.time() < deadline:
        page.wait_for_timeout(100)
    assert arrived, "the cached model was not loaded on opening the link"
    for route in held:
        route.continue_()
    page.unroute(re.compile(r"/static/js/Slider\.[^/]*\.js$"))


@pytest.mark.parametrize("path", list(LINKS))
def test_a_link_to_a_cached_model_shows_its_values_on_the_sliders(server_url, browser, path):
    from urllib.parse import urlencode

    params = LINKS[path]
    context = browser.new_context(viewport=PROJECTOR)
    page = context.new_page()
    try:
        _open_with_slow_slider_code(page, f"{server_url}/{path}?{urlencode(params)}")
        sidebar = page.get_by_test_id("stSidebar")
        sidebar.get_by_text(re.compile("Loaded from the cache")).first.wait_for(timeout=60_000)
        sidebar.get_by_test_id("stSlider").first.wait_for(timeout=60_000)
        wait_idle(page)
        wanted = {label: params[name] for label, name in SHOWN.items()}
        shown = page.evaluate(SLIDERS)
        sidebar.get_by_test_id("stSlider").filter(has_text="Code size").scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / f"cached-link-{path}.png"))
        assert {label: shown.get(label) for label in wanted} == wanted, shown
        assert page.locator("[data-testid='stException']").count() == 0
    finally:
        context.close()
