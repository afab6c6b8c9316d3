"""Real browser: after a tiny training, the Directions page draws the two groups, the digits along the
direction, the moved image and its consistency figures; the slider moves the image (decoded live)."""

import re
import shutil

import pytest

from tests import shown_twice
from tests.browser import ARTIFACTS, ROOT, open_page, press_train, single, streamlit_server, wait_idle

TINY = "data=digits-8x8&code=8&layers=1&nodes=64&epochs=25&batch=32"  # trained enough to decode digits
VIEWPORT = {"width": 1280, "height": 720}  # the projector
# No early stopping, mnist-5k, 200 epochs in batches of 16 (45,000 steps), a seed of its own: it trains long enough
# for the page to draw the model of an epoch before the final one (the test stops it). The 100 epochs of digits-8x8 it
# had trained could end first: in CI the page never drew an epoch's model (17:1x UTC 2026-12-03; 200 such epochs took
# 7.5 s then), and likely the lost "Stopped by you" of 15:0x was a training ended before Stop was pressed.
LONG = "data=mnist-5k&epochs=200&batch=16&es=0&seed=1515"  # the default model
CHARTS = ("directions_groups", "directions_walk", "directions_moved", "directions_cosines")
PROVISIONAL = "This page redraws with the final model when training ends."


@pytest.mark.browser
def test_directions_page_in_a_browser(browser, server_url):
    page, errors = open_page(browser, VIEWPORT)
    page.goto(f"{server_url}/directions?{TINY}")
    page.get_by_role("button", name="Train").wait_for(timeout=90_000)
    wait_idle(page)
    press_train(page)
    main = page.get_by_test_id("stMain")
    main.get_by_text("Held-out accuracy", exact=True).wait_for(timeout=180_000)
    wait_idle(page)
    for key in ("directions_groups", "directions_walk", "directions_moved", "directions_cosines"):
        single(page, f".st-key-{key} .js-plotly-plot", timeout=120_000)
    assert main.get_by_text("upright 1s").count() > 0
    assert main.get_by_text("its code plus +1.00 × the direction").count() == 1

    # the keyboard moves the slider, and the page decodes the moved image again
    slider = main.get_by_role("slider").last  # "How far along the direction"
    slider.focus()
    for _ in range(4):
        slider.press("ArrowLeft")
    page.wait_for_function("() => document.body.innerText.includes('its code plus +0.00 × the direction')",
                           timeout=30_000)
    wait_idle(page)
    for _ in range(6):
        slider.press("ArrowRight")
    page.wait_for_function("() => document.body.innerText.includes('its code plus +1.50 × the direction')",
                           timeout=30_000)
    wait_idle(page)
    assert not errors, errors
    assert main.get_by_text("Traceback").count() == 0

    page.get_by_role("heading", name="2 · Digits decoded along the direction").evaluate(
        "h => h.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(800)
    page.screenshot(path=str(ARTIFACTS / "directions.png"))
    page.get_by_role("heading", name="4 · How consistent is the direction?").evaluate(
        "h => h.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(800)
    page.screenshot(path=str(ARTIFACTS / "directions-consistency.png"))
    shutil.copyfile(ARTIFACTS / "directions.png", ROOT / "tests" / "screenshots" / "directions.png")
    page.close()


@pytest.mark.browser
def test_the_final_model_redraws_each_chart_in_its_place(browser):
    # A server of its own, with a limit that lets it start LONG before a first training has measured the machine.
    with streamlit_server(env={"AELAB_MAX_JOB_SECONDS": "3000"}) as server_url:
        _final_model_redraws_each_chart_in_its_place(browser, server_url)


def _final_model_redraws_each_chart_in_its_place(browser, server_url: str) -> None:
    """While the model trains, the page shows the model of its last epoch under a note; when the training ends
    the note goes and the page redraws with the final model, each chart in its place. Before, the sections moved
    up into the note's place, and the charts drawn with the epoch's model stayed on screen, faded, under the new
    ones until that run ended: two of each at once (CI, 08:2x). Seen here only when that run is slow (1 of 5 runs
    before the fix); tests/test_page_places.py checks the places themselves."""
    page, errors = open_page(browser, VIEWPORT)
    page.goto(f"{server_url}/directions?{LONG}")
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_role("button", name="Train").wait_for(timeout=90_000)
    wait_idle(page)
    press_train(page)
    main = page.get_by_test_id("stMain")
    try:
        main.get_by_text(PROVISIONAL).first.wait_for(timeout=180_000)
        page.locator(".st-key-directions_cosines .js-plotly-plot").first.wait_for(timeout=120_000)
        wait_idle(page)
        shown_twice.watch(page, CHARTS)
    finally:
        if sidebar.get_by_role("button", name="Stop").is_enabled():
            sidebar.get_by_role("button", name="Stop").click()
    sidebar.get_by_text(re.compile(r"Stopped by you after \d+ completed epoch")).first.wait_for(timeout=120_000)
    main.get_by_text(PROVISIONAL).wait_for(state="detached", timeout=60_000)
    wait_idle(page)
    page.wait_for_timeout(1500)
    for key in CHARTS:
        single(page, f".st-key-{key} .js-plotly-plot")
    assert shown_twice.seen(page) == []
    assert not errors, errors
    page.evaluate("() => window.scrollTo(0, 0)")  # the note gone, section 1 under the introduction
    page.mouse.move(1270, 710)
    page.wait_for_timeout(800)
    page.screenshot(path=str(ARTIFACTS / "directions-final-model.png"))
    page.close()
