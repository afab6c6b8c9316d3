"""Real browser: after a tiny training, the Directions page draws the two groups, the digits along the
direction, the moved image and its consistency figures; the slider moves the image (decoded live)."""

import shutil

import pytest

from tests.browser import ARTIFACTS, ROOT, press_train, single, wait_idle

TINY = "data=digits-8x8&code=8&layers=1&nodes=64&epochs=25&batch=32"  # trained enough to decode digits
VIEWPORT = {"width": 1280, "height": 720}  # the projector


@pytest.mark.browser
def test_directions_page_in_a_browser(browser, server_url):
    page = browser.new_page(viewport=VIEWPORT)
    page.set_default_timeout(60_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
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
