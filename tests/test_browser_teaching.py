"""Real browser: a shared link restores the sidebar; presenter mode; drawing a digit with the mouse."""

import re

from tests.browser import ARTIFACTS, goto_page, press_train, streamlit_server, wait_idle

TINY = "data=digits-8x8&code=8&layers=1&nodes=32&epochs=3"


def _sidebar_values(page) -> dict:
    sidebar = page.get_by_test_id("stSidebar")
    selects = {}
    for box in sidebar.get_by_test_id("stSelectbox").all():
        label = box.get_by_test_id("stWidgetLabel").inner_text().strip()
        lines = [line.strip() for line in box.inner_text().split("\n") if line.strip() and line.strip() != label]
        selects[label] = lines[0] if lines else box.locator("input").first.input_value()
    sliders = {s.get_by_test_id("stWidgetLabel").inner_text().strip():
               s.get_by_role("slider").get_attribute("aria-valuetext")
               for s in sidebar.get_by_test_id("stSlider").all() if s.get_by_role("slider").count()}
    return {**selects, **sliders}


def test_shared_links_presenter_mode_and_drawing(browser):
    with streamlit_server() as url:
        page = browser.new_page(viewport={"width": 1440, "height": 1000})
        # A fresh server whose first request is a page URL (a shared link, tabs reconnecting after a
        # restart): the page still runs through app.py, with the sidebar and the app's navigation.
        page.goto(url + "/training")
        page.get_by_role("button", name="Train").wait_for(timeout=120_000)
        assert page.get_by_test_id("stSidebarNav").get_by_text("What is an autoencoder?").count() == 1
        wait_idle(page)

        # A preset link: the selector and every control it names show its values.
        page.goto(url + "/?preset=denoise")
        page.get_by_role("button", name="Train").wait_for(timeout=60_000)
        wait_idle(page)
        values = _sidebar_values(page)
        assert values["Lesson preset"] == "3 · Denoising at σ = 0.5"
        assert values["Autoencoder type"] == "Denoising"
        assert values["Noise level (σ)"] == "0.50"
        assert values["Code size"] == "16"
        page.screenshot(path=str(ARTIFACTS / "teaching-01-preset-link.png"))

        # A custom link to a page: its settings, on that page; moving a slider updates the URL.
        page.goto(url + f"/export?{TINY}&act=tanh")
        page.get_by_role("button", name="Train").wait_for(timeout=60_000)
        wait_idle(page)
        values = _sidebar_values(page)
        assert values["Data set"] == "Digits 8×8 (offline)"
        assert values["Code size"] == "8" and values["Hidden layers (each side)"] == "1"
        assert values["Epochs (at most)"] == "3" and values["Activation"] == "tanh"
        assert values["Lesson preset"] == "Custom (your own settings)"
        assert page.get_by_test_id("stMain").get_by_text("Export and share").count() >= 1
        code_slider = page.get_by_test_id("stSidebar").get_by_test_id("stSlider").filter(has_text="Code size") \
            .get_by_role("slider")
        code_slider.focus()
        page.keyboard.press("ArrowRight")
        wait_idle(page)
        page.wait_for_function("() => window.location.search.includes('code=9')", timeout=30_000)

        # Train the tiny model, then draw a 7 with the mouse on the Draw a digit page.
        press_train(page)
        page.get_by_test_id("stMain").get_by_text("Downloads").wait_for(timeout=180_000)
        wait_idle(page)
        assert "code=9" in page.get_by_test_id("stMain").locator("code").first.inner_text()
        goto_page(page, url, "Draw a digit")
        canvas = page.locator("canvas").last
        canvas.wait_for(timeout=30_000)
        page.wait_for_timeout(1000)
        box = canvas.bounding_box()
        assert box["width"] >= 250
        x0, y0 = box["x"], box["y"]
        page.mouse.move(x0 + 70, y0 + 60)
        page.mouse.down()
        for t in range(21):
            page.mouse.move(x0 + 70 + t * 7, y0 + 60)
        for t in range(21):
            page.mouse.move(x0 + 210 - t * 4, y0 + 60 + t * 9)
        page.mouse.up()
        page.get_by_test_id("stMain").get_by_text("Reconstruction MSE").wait_for(timeout=60_000)
        wait_idle(page)
        page.wait_for_timeout(1000)
        assert page.locator("[data-testid='stException']").count() == 0
        assert page.locator(".js-plotly-plot").count() >= 4
        page.screenshot(path=str(ARTIFACTS / "teaching-02-draw.png"))

        # Presenter mode from a link, in a new session: sidebar folded, the cached model shown at once.
        page.goto(url + f"/reconstruction?{TINY}&act=tanh&code=9&present=1")  # the model trained above
        try:
            page.get_by_test_id("stMain").get_by_text("Test PSNR").wait_for(timeout=120_000)
        finally:
            page.screenshot(path=str(ARTIFACTS / "teaching-03-presenter.png"))
        wait_idle(page)
        page.wait_for_timeout(1500)
        assert page.get_by_test_id("stExpandSidebarButton").is_visible()  # the sidebar is folded away
        # Not trained again: from the disk cache, or from the job the first session ran (still in memory).
        reused = re.compile("Loaded from the cache|Shared: another session asked for these exact settings")
        assert page.get_by_test_id("stSidebar").get_by_text(reused).count() >= 1
        title_px = page.evaluate("() => parseFloat(getComputedStyle(document.querySelector("
                                 "'[data-testid=stMain] h1')).fontSize)")
        assert title_px > 50  # larger than the normal 44 px title
        assert page.locator("[data-testid='stException']").count() == 0
        page.screenshot(path=str(ARTIFACTS / "teaching-03-presenter.png"))
