"""Real browser: the latent-space page draws its map, shows the digit under the cursor and the clicked point."""

import re

from tests.browser import ARTIFACTS, goto_page, press_train, streamlit_server, wait_idle


def _save_state(page, name: str, events: list[str]) -> str:
    """What the page showed when a wait timed out: a screenshot, the text of the sidebar and the page, and
    the browser's errors (also returned, so that a CI log shows it)."""
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    text = "\n".join(events[-20:]) + "\n\n" + page.locator("body").inner_text(timeout=5_000)
    (ARTIFACTS / f"{name}.txt").write_text(text)
    return text


def test_hover_shows_the_digit_and_click_shows_its_reconstruction(browser):
    with streamlit_server() as url:
        page = browser.new_page(viewport={"width": 1440, "height": 1000})
        page.set_default_timeout(60_000)
        events: list[str] = []  # the browser's side of a failure
        page.on("pageerror", lambda error: events.append(f"page error: {error}"))
        page.on("console", lambda msg: events.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None)
        page.on("crash", lambda _: events.append("the page crashed"))
        page.goto(url)
        page.get_by_role("button", name="Train").wait_for(timeout=90_000)
        wait_idle(page)
        sidebar = page.get_by_test_id("stSidebar")
        sidebar.get_by_test_id("stSelectbox").filter(has_text="Data set").click()
        page.get_by_role("option", name="Digits 8×8 (offline)").click()
        wait_idle(page)
        goto_page(page, url, "Latent space (t-SNE)")
        press_train(page)
        # the page fills in (controls first) once the sidebar's job has a model
        thumb = page.locator(".st-key-latent_points input[type='range']")
        try:
            thumb.wait_for(state="attached", timeout=240_000)
        except Exception as exc:
            raise AssertionError("the page's controls never appeared; it showed:\n"
                                 + _save_state(page, "latent-no-controls", events)[-3000:]) from exc
        wait_idle(page)
        # fewer points keep the test quick: Home = the slider's minimum, then up a few steps
        thumb.focus()
        page.keyboard.press("Home")
        for _ in range(5):
            page.keyboard.press("ArrowRight")
        wait_idle(page)

        chart = page.locator(".st-key-latent_map .js-plotly-plot")
        points = chart.locator(".scatterlayer .trace .points path")
        try:
            points.first.wait_for(timeout=240_000)
        except Exception as exc:
            raise AssertionError("the map never appeared; the page showed:\n"
                                 + _save_state(page, "latent-no-map", events)[-3000:]) from exc
        wait_idle(page)
        page.wait_for_timeout(1500)  # plotly draws after the run; the hover component attaches within 0.5 s
        assert page.locator("[data-testid='stException']").count() == 0
        assert points.count() >= 500  # default 600 points after Home + 5 steps of 100

        tip = page.locator("[data-testid='latentHoverImage']")
        shown = False
        for i in range(0, 60, 7):  # hover a few points until one is not hidden under another
            box = points.nth(i).bounding_box()
            page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            page.wait_for_timeout(400)
            if tip.is_visible():
                shown = True
                break
        assert shown, "no hover image appeared"
        assert tip.evaluate("el => getComputedStyle(el).backgroundImage").startswith('url("data:image/png;base64,')
        assert re.fullmatch(r"\d+", tip.get_attribute("data-index") or "")
        assert page.locator(".hoverlayer .hovertext").count() >= 1  # plotly's own label next to the image
        page.screenshot(path=str(ARTIFACTS / "latent-hover.png"))
        tip_box = tip.bounding_box()
        assert tip_box["width"] >= 100 and tip_box["height"] >= 100

        # click the hovered point: original and reconstruction appear with the walk buttons
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.get_by_role("button", name="From here").wait_for(timeout=30_000)
        wait_idle(page)
        page.wait_for_timeout(1000)
        assert page.locator(".st-key-latent_clicked .js-plotly-plot").count() == 1
        page.screenshot(path=str(ARTIFACTS / "latent-clicked.png"))

        # pick it as the start of a walk: the strip switches to "two points picked on the map"
        page.get_by_role("button", name="From here").click()
        wait_idle(page)
        walk = page.locator(".st-key-latent_walk_mode")
        walk.scroll_into_view_if_needed()
        assert walk.get_by_role("radio", name="two points picked on the map").is_checked()
        page.wait_for_timeout(1000)
        page.screenshot(path=str(ARTIFACTS / "latent-walk.png"))
        assert page.locator("[data-testid='stException']").count() == 0
