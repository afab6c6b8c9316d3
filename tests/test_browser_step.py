"""Real browser: Slow motion takes Next 10 steps, plays a few more at its pace, pauses, and draws the loss of
every step and the batch with its reconstructions and |dL/dx| map."""

import re
import shutil

import pytest

from tests.browser import ARTIFACTS, ROOT, open_page, wait_idle

TINY = "data=digits-8x8&code=8&layers=1&nodes=32&batch=64"
VIEWPORT = {"width": 1280, "height": 720}  # the projector


def _steps(page) -> int:
    metric = page.get_by_test_id("stMetric").filter(has_text="Steps taken").first
    return int(re.search(r"(\d+)\s*$", metric.get_by_test_id("stMetricValue").inner_text()).group(1))


@pytest.mark.browser
def test_next_10_then_play_and_pause(browser, server_url):
    page, errors = open_page(browser, VIEWPORT)
    page.goto(f"{server_url}/step_mode?{TINY}")
    main = page.get_by_test_id("stMain")
    main.get_by_role("button", name="Next 10").wait_for(timeout=120_000)
    wait_idle(page)
    assert _steps(page) == 0
    # A click that lands while the server_url is still busy with the first page load (TensorFlow's import) can be
    # lost, as press_train notes for Train; a user presses again, and so does this.
    for attempt in range(3):
        main.get_by_role("button", name="Next 10").click()
        try:
            page.wait_for_function("() => document.body.innerText.includes('step 10 of 20 in this epoch')",
                                   timeout=25_000)
            break
        except Exception as exc:
            if attempt == 2:
                page.screenshot(path=str(ARTIFACTS / "step-mode-timeout.png"), full_page=True)
                raise AssertionError("Next 10 did not show 10 steps; the page shows:\n"
                                     + main.inner_text()[-2000:]) from exc
    wait_idle(page)
    assert _steps(page) == 10
    loss_chart = page.locator(".st-key-step_mode_loss .js-plotly-plot")
    loss_chart.wait_for()
    assert loss_chart.locator(".scatterlayer .trace .points path").count() == 10  # a point per step
    batch = page.locator(".st-key-step_mode_batch .js-plotly-plot")
    assert batch.locator(".heatmaplayer .hm").count() == 3  # images, rebuilt, |dL/dx|

    main.get_by_role("button", name="Play").click()
    main.get_by_role("button", name="Pause").wait_for()
    page.wait_for_function(
        "() => /step (1[3-9]|[2-9]\\d) of 20/.test(document.body.innerText)", timeout=30_000)  # steps while playing
    main.get_by_role("button", name="Pause").click()
    main.get_by_role("button", name="Play").wait_for()
    wait_idle(page)
    page.wait_for_timeout(1500)  # a step already under way when Pause was pressed may still land
    paused_at = _steps(page)
    assert paused_at >= 13
    page.wait_for_timeout(2500)
    assert _steps(page) == paused_at  # paused: no more steps
    assert main.get_by_role("button", name="Next batch").is_enabled()
    assert not errors, errors
    # The controls row at the top of the projector's view: the metrics, the loss chart and all three image rows.
    page.evaluate("() => document.querySelector('.st-key-step_mode_next').scrollIntoView({block: 'start'})")
    page.mouse.move(1270, 710)  # a chart under the pointer shows its tool bar over the picture
    page.wait_for_timeout(800)
    page.screenshot(path=str(ARTIFACTS / "step-mode.png"))
    page.evaluate("() => document.querySelector('.st-key-step_mode_batch').scrollIntoView({block: 'start'})")
    page.wait_for_timeout(500)
    page.screenshot(path=str(ARTIFACTS / "step-mode-batch.png"))
    shutil.copyfile(ARTIFACTS / "step-mode.png", ROOT / "tests" / "screenshots" / "step-mode.png")
    page.close()
