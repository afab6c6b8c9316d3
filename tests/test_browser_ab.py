"""Real browser: "Two runs side by side" trains A and B in step and draws both loss curves on one chart."""

import shutil

import pytest

from tests.browser import ARTIFACTS, ROOT, open_page, wait_idle

TINY = "data=digits-8x8&code=8&layers=1&nodes=32&epochs=3"
VIEWPORT = {"width": 1280, "height": 720}  # the projector


@pytest.mark.browser
def test_two_runs_show_both_curves_images_and_difference(browser, server_url):
    page, errors = open_page(browser, VIEWPORT)
    page.goto(f"{server_url}/ab_runs?{TINY}")
    page.get_by_role("button", name="Train A and B").wait_for(timeout=90_000)
    wait_idle(page)
    # the default: vary the code size, A = 8 (from the link), B = the next choice, 16
    main = page.get_by_test_id("stMain")
    assert main.get_by_text("A: code size 8 · B: 16").count() == 1
    page.get_by_role("button", name="Train A and B").click()
    done = main.get_by_text("for 3 epochs each, in step")
    try:
        done.wait_for(timeout=240_000)
    except Exception as exc:
        page.screenshot(path=str(ARTIFACTS / "ab-runs-timeout.png"), full_page=True)
        raise AssertionError("the A/B runs never finished; the page shows:\n"
                             + main.inner_text()[-2000:]) from exc
    wait_idle(page)
    chart = page.locator(".st-key-ab_runs_chart .js-plotly-plot")
    chart.wait_for()
    traces = chart.locator(".scatterlayer .trace")
    assert traces.count() == 4  # A and B, training and validation
    legend = chart.locator(".legend").text_content()
    assert "A (code size 8)" in legend and "B (code size 16)" in legend
    # both curves have a point per epoch
    assert chart.locator(".scatterlayer .trace").nth(0).locator(".points path").count() == 3
    assert chart.locator(".scatterlayer .trace").nth(2).locator(".points path").count() == 3
    page.locator(".st-key-ab_runs_images .js-plotly-plot").wait_for()
    page.locator(".st-key-ab_runs_map .js-plotly-plot").wait_for()
    assert main.get_by_text("B: test MSE").count() == 1
    assert not errors, errors
    chart.scroll_into_view_if_needed()
    page.evaluate("() => document.querySelector('.st-key-ab_runs_chart').scrollIntoView({block: 'start'})")
    page.wait_for_timeout(500)
    page.screenshot(path=str(ARTIFACTS / "ab-runs.png"))
    page.evaluate("() => document.querySelector('.st-key-ab_runs_images').scrollIntoView({block: 'start'})")
    page.wait_for_timeout(500)
    page.screenshot(path=str(ARTIFACTS / "ab-runs-images.png"))
    shutil.copyfile(ARTIFACTS / "ab-runs.png", ROOT / "tests" / "screenshots" / "ab-runs.png")
    page.close()
