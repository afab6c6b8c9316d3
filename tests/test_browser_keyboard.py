"""Issue 15 part 7: pages walked by keyboard only in a real browser. Reconstructions: Tab to the sidebar's Train,
press Enter, Tab to the "Images" slider, change it with the arrow key and see the grid follow. Two runs: a slider,
two select boxes and the page's Train button, with a focus ring of at least 3:1 against the background. The
charts' one-line text descriptions (ui.theme) are checked on the way."""

from __future__ import annotations

import re
import shutil

import pytest

from tests.browser import ARTIFACTS, ROOT, open_page, open_ready, wait_idle

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
        sidebar = open_ready(page, f"{server_url}/reconstruction?data=digits-8x8&epochs=3")

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


# --- the Two runs page, every step by keyboard: a slider, two select boxes, the Train button --------------------
RING = """() => { const e = document.activeElement; const s = getComputedStyle(e);
  let bg = null; for (let n = e.parentElement; n && !bg; n = n.parentElement) {
    const c = getComputedStyle(n).backgroundColor; if (c && !c.endsWith(', 0)') && c !== 'transparent') bg = c; }
  return {shadow: s.boxShadow, outline: s.outlineStyle === 'none' ? null : s.outlineColor,
          background: bg || 'rgb(255, 255, 255)'}; }"""


def _rgba(text: str) -> tuple[list[float], float]:
    numbers = [float(v) for v in re.findall(r"[\d.]+", text)]
    return numbers[:3], (numbers[3] if len(numbers) > 3 else 1.0)


def ring_contrast(page) -> float:
    """Contrast (WCAG) of the focused element's focus ring, as composited, against the background around it."""
    from tests.test_accessibility import contrast

    found = page.evaluate(RING)
    ring_css = found["outline"] if found["outline"] else re.match(r"rgba?\([^)]*\)", found["shadow"] or "")
    assert ring_css, f"no focus ring drawn: {found}"
    ring_css = ring_css if isinstance(ring_css, str) else ring_css.group(0)
    (rgb, alpha), (bg, _) = _rgba(ring_css), _rgba(found["background"])
    blended = [alpha * c + (1 - alpha) * b for c, b in zip(rgb, bg)]  # a translucent ring over the background

    def hexed(c):
        return "#" + "".join(f"{round(v):02X}" for v in c)

    return contrast(hexed(blended), hexed(bg))


def test_two_runs_page_by_keyboard_only(server_url, browser):
    """Tab to the sidebar's epochs slider and lower it with an arrow key, pick the setting to vary and B's value in
    the page's select boxes by typing, press Train A and B with Space, and read both runs' results: no mouse."""
    page, errors = open_page(browser, PROJECTOR, timeout=30_000)  # Playwright's default
    try:
        # test_browser_ab trains these settings: in the whole suite the link loads the cached model on opening
        page.goto(f"{server_url}/ab_runs?data=digits-8x8&code=8&layers=1&nodes=32&epochs=3")
        sidebar, main = page.get_by_test_id("stSidebar"), page.get_by_test_id("stMain")
        main.get_by_role("button", name="Train A and B").wait_for(timeout=60_000)
        sidebar.get_by_text("Loading TensorFlow in the background…").wait_for(state="detached", timeout=120_000)
        wait_idle(page)

        epochs = _tab_to(page, lambda f: f["sidebar"] and f["label"] == "Epochs (at most)")
        assert epochs["value"] == "3" and epochs["visible"], epochs
        page.keyboard.press("ArrowLeft")
        page.wait_for_function(
            "() => { const e = document.activeElement; "
            "return e && (e.getAttribute('aria-valuenow') || e.value) === '2'; }")
        wait_idle(page)

        setting = _tab_to(page, lambda f: f["main"] and f["label"] == "Setting to vary")
        assert setting["visible"], setting
        page.keyboard.type("Loss")
        page.keyboard.press("Enter")
        main.get_by_text(re.compile(r"^Loss for B \(A has Binary cross-entropy")).wait_for(timeout=30_000)
        wait_idle(page)
        b_value = _tab_to(page, lambda f: f["main"] and (f["label"] or "").startswith("Loss for B"), limit=5)
        assert b_value["role"] == "combobox", b_value
        # B's value is the loss's one other choice, shown in the caption
        assert main.get_by_text("A: loss Binary cross-entropy · B: Mean squared error").count() == 1

        train = _tab_to(page, lambda f: f["main"] and f["tag"] == "BUTTON" and f["text"] == "Train A and B", limit=5)
        assert train["visible"], train
        ring = ring_contrast(page)
        assert ring >= 3.0, f"focus ring contrast {ring:.2f}:1 (WCAG 1.4.11 wants 3:1)"
        page.keyboard.press("Space")
        main.get_by_text(re.compile(r"Trained A \(loss Binary cross-entropy\) and B \(loss Mean squared error\) "
                                    r"for 2 epochs")).wait_for(timeout=180_000)
        wait_idle(page)
        for label in ("A: test MSE", "B: test MSE"):  # the page draws them just after the message
            main.get_by_test_id("stMetricLabel").filter(has_text=label).wait_for(timeout=30_000)
        description = main.get_by_test_id("stCaptionContainer").filter(
            has_text=re.compile(r"^Chart:\W+Loss per epoch, A"))
        description.wait_for(timeout=30_000)
        assert description.count() == 1
        assert not errors, errors
        assert page.locator("[data-testid='stException']").count() == 0

        # The picture for the README: the focus back on the page's button, the two runs' curves in the palette
        # (blue solid, vermillion dashed) and their text caption.
        _tab_to(page, lambda f: f["main"] and f["tag"] == "BUTTON" and f["text"] == "Train A and B", limit=120)
        main.get_by_role("button", name="Train A and B").evaluate("e => e.scrollIntoView({block: 'start'})")
        page.mouse.move(1270, 710)
        page.mouse.wheel(0, -24)  # the whole ring in the picture
        page.wait_for_timeout(800)
        page.screenshot(path=str(ARTIFACTS / "accessibility.png"))
        shutil.copyfile(ARTIFACTS / "accessibility.png", ROOT / "tests" / "screenshots" / "accessibility.png")
    except Exception:
        page.screenshot(path=str(ARTIFACTS / "keyboard-ab-failed.png"))
        raise
    finally:
        page.close()
