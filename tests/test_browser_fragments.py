"""Issue 18 in a real browser: a page control inside an st.fragment still redraws its figure (the browser sends
a fragment rerun), the rest of the page and the sidebar stay as they were, and a sidebar change afterwards
still reruns the whole page with the moved value kept."""

from __future__ import annotations

import re

import pytest

from tests.browser import ARTIFACTS, open_ready, wait_idle

pytestmark = pytest.mark.browser


def test_reconstructions_images_slider_redraws_its_fragment(server_url, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        sidebar = open_ready(page, f"{server_url}/reconstruction?data=digits-8x8&epochs=3")
        sidebar.get_by_role("button", name="Train").click()
        sidebar.get_by_text(re.compile(r"Trained for|Loaded from the cache")).first.wait_for(timeout=180_000)
        wait_idle(page)

        main = page.get_by_test_id("stMain")
        grid = main.get_by_test_id("stPlotlyChart").first
        grid.wait_for(timeout=60_000)
        assert grid.locator("text.annotation-text", has_text=re.compile(r"^MSE \d\.\d{4}$")).count() == 10
        charts = main.get_by_test_id("stPlotlyChart").count()

        images = main.get_by_role("slider").first
        images.focus()
        page.keyboard.press("ArrowRight")
        # past 10 images the captions under the reconstructions are bare numbers ("0.020"; "MSE 0.0201" up to 10)
        page.wait_for_function(
            "() => [...document.querySelectorAll('[data-testid=\"stPlotlyChart\"]')[0]"
            ".querySelectorAll('text.annotation-text')].filter(t => /^\\d\\.\\d{3}$/.test(t.textContent))"
            ".length === 11", timeout=30_000)
        wait_idle(page)
        assert main.get_by_test_id("stPlotlyChart").count() == charts  # the histogram outside it is still there
        assert sidebar.get_by_role("button", name="Train").is_visible()
        assert page.locator("[data-testid='stException']").count() == 0

        # A sidebar change reruns the whole page: the outdated-model warning appears, the moved value stays.
        epochs = sidebar.get_by_role("slider", name=re.compile("Epochs")).first
        epochs.focus()
        page.keyboard.press("ArrowRight")
        main.get_by_text("The sidebar changed since this model was trained").wait_for(timeout=30_000)
        wait_idle(page)
        assert main.get_by_test_id("stSliderThumbValue").first.inner_text() == "11"
        assert grid.locator("text.annotation-text", has_text=re.compile(r"^\d\.\d{3}$")).count() == 11
        assert page.locator("[data-testid='stException']").count() == 0
        page.screenshot(path=str(ARTIFACTS / "fragments.png"))
    except Exception:
        page.screenshot(path=str(ARTIFACTS / "fragments-failed.png"))
        raise
    finally:
        context.close()
