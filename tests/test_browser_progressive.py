"""Real browser: while a training runs, Reconstructions shows the model of the last finished epoch, says so at
the top, and redraws with the final model when the training ends (issue 14, progressive results)."""

import re
import shutil

import pytest

from tests.browser import ARTIFACTS, ROOT, open_page, open_ready, press_train, streamlit_server, wait_idle

# MNIST 5k's default model for 200 epochs in batches of 16, no early stopping: minutes of training (on a server
# of its own whose time limit allows it), so the page is opened and looked at while it surely runs; Stop ends
# it. A seed of its own: no model another test cached.
LONG = "epochs=200&batch=16&es=0&seed=1414"
VIEWPORT = {"width": 1280, "height": 720}  # the projector


@pytest.mark.browser
def test_reconstructions_show_the_provisional_model_while_training_runs(browser):
    with streamlit_server(env={"AELAB_MAX_JOB_SECONDS": "3000"}) as server_url:
        _provisional_then_final(browser, server_url)


def _provisional_then_final(browser, server_url: str) -> None:
    page, errors = open_page(browser, VIEWPORT)
    sidebar = open_ready(page, f"{server_url}/reconstruction?{LONG}")
    main = page.get_by_test_id("stMain")
    press_train(page)
    try:
        # Drawn before the first epoch: it says what comes, then redraws by itself once the first epoch is done.
        label = main.get_by_text(re.compile(r"Provisional: the model after epoch \d+ of 200\. This page redraws "
                                            r"with the final model when training ends\."))
        try:
            label.wait_for(timeout=180_000)
        except Exception as exc:
            page.screenshot(path=str(ARTIFACTS / "progressive-timeout.png"), full_page=True)
            raise AssertionError("no provisional model; the page shows:\n" + main.inner_text()[-2000:]) from exc
        wait_idle(page)
        grid = page.locator(".js-plotly-plot").first
        grid.wait_for()
        assert grid.locator(".heatmaplayer .hm").count() >= 2  # the test images and their reconstructions
        assert main.get_by_test_id("stMetric").filter(has_text="Test MSE").count() == 1
        assert sidebar.get_by_text(re.compile(r"Epoch \d+ of 200")).count()  # still training
        # The label at the top of the view, the metrics and both image rows under it.
        page.evaluate("() => document.querySelector('[data-testid=\"stAlert\"]').scrollIntoView({block: 'start'})")
        page.mouse.move(1270, 710)  # no chart tool bar over the picture
        page.wait_for_timeout(800)
        page.screenshot(path=str(ARTIFACTS / "progressive-reconstructions.png"))
        shutil.copyfile(ARTIFACTS / "progressive-reconstructions.png",
                        ROOT / "tests" / "screenshots" / "progressive-reconstructions.png")
    finally:
        if sidebar.get_by_role("button", name="Stop").is_enabled():
            sidebar.get_by_role("button", name="Stop").click()
    # The training ends (stopped here): the sidebar redraws the whole page with the kept model, not provisional.
    sidebar.get_by_text(re.compile(r"Stopped by you after \d+ completed epoch")).first.wait_for(
        timeout=120_000)
    wait_idle(page)
    page.wait_for_function("() => !document.body.innerText.includes('Provisional: the model after epoch')",
                           timeout=30_000)
    assert main.get_by_test_id("stMetric").filter(has_text="Test MSE").count() == 1
    assert not errors, errors
    page.close()
