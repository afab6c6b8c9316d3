"""Real browser, a small Streamlit app of its own: what Streamlit (1.67) shows of the run before while a run lasts.
The app's charts rely on it (tests/shown_twice.py, pages/directions.py, pages/latent_space.py):

- a chart whose figure changed is a new element (st.plotly_chart hashes the figure into its id, even with a key):
  the old one stays in the page, hidden, until the run ends: two ``.js-plotly-plot`` match, one is shown;
- a block without a key (a fragment's, a plain container) that moves up one place, because something drawn above it
  in the run before is not drawn in this one, stays where it was, shown and faded, until the run ends: two charts
  on screen;
- a block after a container of its own for what comes and goes keeps its place: one chart."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request

import pytest

from tests.browser import free_port

pytestmark = pytest.mark.browser

APP = '''
import time
import plotly.graph_objects as go
import streamlit as st

value = st.slider("value", 0, 10, 5)
with st.container():  # what comes and goes, in a place of its own
    if st.checkbox("note in its own place"):
        st.info("a note in its own place")
with st.container():  # a block without a key, like a fragment's
    st.plotly_chart(go.Figure(go.Bar(x=[1, 2], y=[value, 10 - value])), key="kept")
if st.checkbox("note above"):
    st.info("a note above the next block")
with st.container():
    st.plotly_chart(go.Figure(go.Bar(x=[1, 2], y=[value, 10 - value])), key="moved")
time.sleep(2)  # a busy server: the run ends well after its charts were sent
st.write("end of the run")
'''

CHARTS = """(key) => [...document.querySelectorAll(`.st-key-${key} .js-plotly-plot`)].map(
    e => e.getClientRects().length ? 'shown' : 'hidden')"""


@pytest.fixture(scope="module")
def small_app(tmp_path_factory):
    script = tmp_path_factory.mktemp("streamlit_app") / "app.py"
    script.write_text(APP)
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port),
                             "--server.address", "127.0.0.1", "--server.headless", "true"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(url + "/_stcore/health", timeout=2):
                    break
            except OSError:
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


def test_what_stays_on_the_page_while_a_run_lasts(browser, small_app):
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    page.goto(small_app)
    end = page.get_by_text("end of the run")
    end.wait_for(timeout=30_000)

    def during_and_after(action) -> tuple[dict, dict]:
        page.wait_for_timeout(300)
        action()
        page.wait_for_timeout(1200)  # the run has sent its charts and sleeps
        during = {key: sorted(page.evaluate(CHARTS, key)) for key in ("kept", "moved")}
        page.wait_for_timeout(3000)  # the run has ended
        after = {key: sorted(page.evaluate(CHARTS, key)) for key in ("kept", "moved")}
        return during, after

    slider = page.get_by_role("slider")
    during, after = during_and_after(lambda: (slider.focus(), page.keyboard.press("ArrowRight")))
    assert during == {"kept": ["hidden", "shown"], "moved": ["hidden", "shown"]}  # new figures
    assert after == {"kept": ["shown"], "moved": ["shown"]}

    for box in ("note in its own place", "note above"):  # both notes on, then off again
        during_and_after(lambda: page.get_by_text(box, exact=True).click())
    during, after = during_and_after(lambda: page.get_by_text("note in its own place", exact=True).click())
    assert during == {"kept": ["shown"], "moved": ["shown"]}
    during, after = during_and_after(lambda: page.get_by_text("note above", exact=True).click())
    assert during["moved"] == ["shown", "shown"]  # the block moved up: its old place stays on screen
    assert after == {"kept": ["shown"], "moved": ["shown"]}
    page.close()
