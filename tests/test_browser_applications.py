"""Real browser: the Applications page's tabs are fragments (issue 18). Moving 'Opacity' redraws the watermark
preview in place: the page's top, the tabs and the sidebar stay, and nothing breaks in the browser."""

from __future__ import annotations

import pytest

from tests import shown_twice
from tests.browser import ARTIFACTS, goto_page, open_page, single, wait_idle

pytestmark = pytest.mark.browser


def test_opacity_redraws_the_watermark_preview_in_place(browser, server_url):
    page, errors = open_page(browser, {"width": 1440, "height": 1000}, prefix="page error: ")
    page.on("console", lambda msg: errors.append(msg.text) if "delta" in msg.text.lower() else None)
    page.goto(server_url)
    page.get_by_role("button", name="Train").wait_for(timeout=90_000)
    wait_idle(page)
    goto_page(page, server_url, "Applications")
    page.get_by_role("tab", name="Watermark removal").click()
    preview = single(page, ".st-key-applications_wm_preview .js-plotly-plot")
    before = preview.screenshot()
    opacity = page.locator(".st-key-applications_wm_opacity input[type='range']")
    # Each press draws a new figure: Streamlit keeps the old chart, hidden, until that run ends (single() waits for
    # it to go); never two on screen.
    shown_twice.watch(page, ["applications_wm_preview"])
    opacity.focus()
    for _ in range(3):  # 0.8 -> 0.5, one fragment rerun per press
        page.keyboard.press("ArrowLeft")
        page.wait_for_timeout(200)
    wait_idle(page)
    page.wait_for_timeout(500)
    assert opacity.input_value() == "0.5"
    after = single(page, ".st-key-applications_wm_preview .js-plotly-plot").screenshot()
    assert after != before, "the preview did not follow the opacity"
    assert shown_twice.seen(page) == []
    main = page.get_by_test_id("stMain")
    assert main.get_by_role("heading", name="Applications").is_visible()
    assert page.get_by_role("tab", name="Anomaly detection").is_visible()
    assert page.get_by_test_id("stSidebar").get_by_role("button", name="Train").is_visible()
    assert page.locator("[data-testid='stException']").count() == 0
    page.screenshot(path=str(ARTIFACTS / "applications-opacity.png"))
    assert not errors, errors
    page.close()
