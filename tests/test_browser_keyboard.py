"""Issue 15 part 7: one page walked by keyboard only in a real browser. Tab to the sidebar's Train, press Enter,
Tab to the Reconstructions page's "Images" slider, change it with the arrow key and see the grid follow. The
chart's one-line text description (ui.theme) is checked on the way."""

from __future__ import annotations

import re

import pytest

from tests.browser import ARTIFACTS, wait_idle

pytestmark = pytest.mark.browser

PROJECTOR = {"width": 1280, "height": 720}
FOCUSED = """() => { const e = document.activeElement; if (!e) return null;
  return {tag: e.tagName, role: e.getAttribute('role'), label: e.getAttribute('aria-label'),
          text: (e.innerText || '').trim().slice(0, 60), type: e.getAttribute('type'),
          value: e.getAttribute('aria-valuenow') || e.value,
          sidebar: !!e.closest('[data-testid="stSidebar"]'), main: !!e.closest('[data-testid="stMain"]'),
          visible: e.matches(':focus-visible')}; }"""


def _tab_to(page, wanted, limit: int = 80) -> dict:
    """Press Tab until the focused element satisfies ``wanted``; returns it (fails after ``limit`` presses)."""
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        seen.append(focused and (focused["role"] or focused["tag"], focused["label"] or focused["text"]))
        if focused and wanted(focused):
            return focused
    raise AssertionError(f"not reached by Tab; focus went through {seen}")


def test_reconstructions_page_by_keyboard_only(server_url, browser):
    context = browser.new_context(viewport=PROJECTOR)
    page = context.new_page()
    try:
        # The link holds the settings (small data, few epochs); from here on only the keyboard is used.
        page.goto(f"{server_url}/reconstruction?data=digits-8x8&epochs=3")
        sidebar = page.get_by_test_id("stSidebar")
        sidebar.get_by_role("button", name="Train").wait_for(timeout=30_000)
        sidebar.get_by_text("Loading TensorFlow in the background…").wait_for(state="detached", timeout=120_000)
        wait_idle(page)

        train = _tab_to(page, lambda f: f["sidebar"] and f["tag"] == "BUTTON" and f["text"] == "Train")
        assert train["visible"], train  # a visible focus ring, not just DOM focus
        page.keyboard.press("Enter")
        sidebar.get_by_text(re.compile(r"Trained for|Loaded from the cache")).first.wait_for(timeout=180_000)
        wait_idle(page)

        main = page.get_by_test_id("stMain")
        grid = main.get_by_test_id("stPlotlyChart").first
        grid.wait_for(timeout=60_000)
        mse_labels = grid.locator("text.annotation-text", has_text=re.compile(r"^MSE "))
        assert mse_labels.count() == 10
        # the chart's text description sits right under it (screen readers get no alt text from the chart)
        description = main.get_by_test_id("stCaptionContainer").filter(has_text=re.compile(r"^Chart:\W+pictures"))
        assert description.count() >= 1 and "reconstruction" in description.first.inner_text()

        slider = _tab_to(page, lambda f: f["main"] and (f["label"] == "Images" or f["role"] == "slider"))
        assert slider["value"] == "10", slider
        page.keyboard.press("ArrowRight")
        page.wait_for_function(
            "() => { const e = document.activeElement; return e && (e.getAttribute('aria-valuenow') || e.value) === '11'; }")
        wait_idle(page)

        assert page.locator("[data-testid='stException']").count() == 0
        page.screenshot(path=str(ARTIFACTS / "keyboard.png"))
    except Exception:
        page.screenshot(path=str(ARTIFACTS / "keyboard-failed.png"))
        raise
    finally:
        context.close()
