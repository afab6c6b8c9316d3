"""Real browser at the projector size (1280x720): presenter mode enlarges chart text and keeps the key captions;
per-image captions do not run into each other at 16 images; explanation text passes WCAG AA contrast."""

import re

import pytest

from tests.browser import ARTIFACTS, press_train, streamlit_server, wait_idle

pytestmark = pytest.mark.browser

TINY = "data=digits-8x8&code=8&layers=1&nodes=32&epochs=3"
VIEWPORT = {"width": 1280, "height": 720}

CHART_TEXT = """() => Array.from(document.querySelectorAll('.js-plotly-plot svg text'))
  .filter(t => t.textContent.trim() && t.getBoundingClientRect().width > 0)
  .map(t => ({text: t.textContent.trim(), px: parseFloat(getComputedStyle(t).fontSize)}))"""

# Caption boxes of the reconstruction grid, one list per row (same y), left to right.
CAPTION_BOXES = """() => {
  const chart = document.querySelector('.stPlotlyChart .js-plotly-plot');
  const rows = {};
  chart.querySelectorAll('g.annotation text.annotation-text').forEach(t => {
    const text = t.textContent.trim();
    if (!/^(label )?\\d+$|^(MSE )?\\d\\.\\d+$/.test(text)) return;
    const r = t.getBoundingClientRect();
    const key = Math.round(r.top);
    (rows[key] = rows[key] || []).push({text, left: r.left, right: r.right});
  });
  return Object.values(rows).map(row => row.sort((a, b) => a.left - b.left));
}"""

CAPTION_COLOURS = """() => Array.from(document.querySelectorAll('[data-testid=stCaptionContainer]'))
  .filter(c => c.getBoundingClientRect().height > 0 && c.textContent.trim())
  .map(c => {
    let bg = 'rgba(0, 0, 0, 0)', el = c;
    while (el && /rgba\\(0, 0, 0, 0\\)|transparent/.test(bg)) { bg = getComputedStyle(el).backgroundColor; el = el.parentElement; }
    let alpha = 1;
    for (let e = c.querySelector('p') || c; e; e = e.parentElement) alpha *= parseFloat(getComputedStyle(e).opacity);
    return {text: c.textContent.trim().slice(0, 40), fg: getComputedStyle(c.querySelector('p') || c).color, bg, alpha};
  })"""


def _luminance(rgb: list[float]) -> float:
    r, g, b = [v / 255 for v in rgb]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def _rgb(css: str) -> list[float]:
    return [float(v) for v in re.findall(r"[\d.]+", css)[:3]]


def _contrast(fg: str, bg: str, alpha: float = 1.0) -> float:
    """WCAG contrast of text ``fg`` drawn with opacity ``alpha`` on ``bg``."""
    back = _rgb(bg if "rgba(0, 0, 0, 0)" not in bg else "rgb(255, 255, 255)")
    seen = [f * alpha + b * (1 - alpha) for f, b in zip(_rgb(fg), back)]
    a, b = _luminance(seen), _luminance(back)
    return (max(a, b) + 0.05) / (min(a, b) + 0.05)


def _show_16_images(page) -> None:
    slider = page.get_by_test_id("stMain").get_by_test_id("stSlider").filter(has_text="Images").get_by_role("slider")
    slider.focus()
    page.keyboard.press("End")
    wait_idle(page)
    page.wait_for_function("() => document.querySelectorAll('.stPlotlyChart g.annotation').length >= 32",
                           timeout=30_000)
    page.wait_for_timeout(800)


def _assert_captions_do_not_overlap(page) -> None:
    rows = page.evaluate(CAPTION_BOXES)
    assert len(rows) >= 2 and all(len(row) == 16 for row in rows), [[c["text"] for c in row] for row in rows]
    for row in rows:
        for a, b in zip(row, row[1:]):
            assert a["right"] <= b["left"], f"{a['text']!r} runs into {b['text']!r}"


def _assert_captions_readable(page) -> None:
    colours = page.evaluate(CAPTION_COLOURS)
    assert colours
    for c in colours:
        assert _contrast(c["fg"], c["bg"], c["alpha"]) >= 4.5, c


def _sweep_chart(page):
    chart = page.locator(".stPlotlyChart").filter(has_text="Reconstruction error against code size").first
    chart.scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    return chart


def _open(page, url: str, path: str, ready: str) -> None:
    page.goto(url + path)
    page.get_by_test_id("stMain").get_by_text(ready).first.wait_for(timeout=120_000)
    wait_idle(page)
    page.wait_for_timeout(1500)


def test_presenter_mode_at_projector_size(browser):
    with streamlit_server() as url:
        page = browser.new_page(viewport=VIEWPORT)
        page.goto(url + f"/training?{TINY}")
        page.get_by_role("button", name="Train").wait_for(timeout=120_000)
        wait_idle(page)
        press_train(page)
        page.get_by_test_id("stSidebar").get_by_text(re.compile("Trained for|Loaded from the cache")).first \
            .wait_for(timeout=180_000)
        wait_idle(page)

        # Presenter off: 16 reconstructions with their captions apart; captions in an AA grey.
        _open(page, url, f"/reconstruction?{TINY}", "Test PSNR")
        _show_16_images(page)
        _assert_captions_do_not_overlap(page)
        _assert_captions_readable(page)
        normal = page.evaluate(CHART_TEXT)
        assert min(t["px"] for t in normal) < 16  # the normal sizes: presenter mode has something to do
        page.screenshot(path=str(ARTIFACTS / "presenter-off-reconstruction.png"))
        _open(page, url, f"/pca_vs_ae?{TINY}", "Reconstruction error against code size")
        page.screenshot(path=str(ARTIFACTS / "presenter-off-pca.png"), full_page=False)
        _sweep_chart(page).screenshot(path=str(ARTIFACTS / "presenter-off-pca-sweep-chart.png"))

        # Presenter on (a new session from a link, the model from the cache): every chart text >= 16 px, and
        # the key captions are still there.
        for path, ready, name in ((f"/reconstruction?{TINY}&present=1", "Test PSNR", "reconstruction"),
                                  (f"/pca_vs_ae?{TINY}&present=1", "Error against code size", "pca"),
                                  (f"/training?{TINY}&present=1", "Loss per epoch", "training")):
            _open(page, url, path, ready)
            if name == "reconstruction":
                _show_16_images(page)
                _assert_captions_do_not_overlap(page)
                key = page.locator(".js-plotly-plot svg text").filter(has_text="white = exact")
                assert key.count() == 1 and key.is_visible()
                assert page.get_by_test_id("stCaptionContainer").filter(has_text="PSNR").first.is_visible()
            if name == "training":
                floor = page.get_by_test_id("stMain").get_by_test_id("stCaptionContainer").filter(
                    has_text="cross-entropy")
                assert floor.count() >= 1 and floor.first.is_visible()
                px = floor.first.evaluate("c => parseFloat(getComputedStyle(c.querySelector('p') || c).fontSize)")
                assert px >= 18
            _assert_captions_readable(page)
            texts = page.evaluate(CHART_TEXT)
            assert texts, name
            small = [t for t in texts if t["px"] < 16]
            assert not small, (name, small[:10])
            assert page.locator("[data-testid='stException']").count() == 0
            page.screenshot(path=str(ARTIFACTS / f"presenter-on-{name}.png"))
            if name == "pca":
                _sweep_chart(page).screenshot(path=str(ARTIFACTS / "presenter-on-pca-sweep-chart.png"))
