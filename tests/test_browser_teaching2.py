"""Real browser, issue 16: the VAE's live view has a Stop that works while it trains; the home page draws
convolution blocks for the conv type; screenshots at the projector size (1280×720), presenter off and on."""

import re

import pytest

from tests.browser import ARTIFACTS, goto_page, press_train, wait_idle

pytestmark = pytest.mark.browser
PROJECTOR = {"width": 1280, "height": 720}
VAE = "data=digits-8x8&kind=variational&code=2&layers=1&nodes=32&epochs=200&es=0"


def test_vae_live_view_stop_is_clickable_while_it_trains(browser, server_url):
    page = browser.new_page(viewport=PROJECTOR)
    page.goto(server_url + f"/family?{VAE}")
    page.get_by_role("button", name="Train").wait_for(timeout=120_000)
    wait_idle(page)
    press_train(page)
    main = page.get_by_test_id("stMain")
    main.get_by_text("Variational: training now").wait_for(timeout=120_000)
    main.get_by_text(re.compile(r"Live: epoch [2-9]")).first.wait_for(timeout=120_000)
    stop = main.get_by_role("button", name="Stop training")
    assert stop.is_enabled()  # issue 16: it stayed greyed out for the whole training
    page.screenshot(path=str(ARTIFACTS / "teaching2-vae-live-stop.png"))
    stop.click()
    # stopped early: the page redraws with the kept model (the live view is gone)
    main.get_by_text("Variational: a code you can sample").wait_for(timeout=60_000)
    assert main.get_by_text("Variational: training now").count() == 0
    page.close()


@pytest.mark.parametrize("presenter", [False, True])
def test_home_draws_convolution_blocks(browser, server_url, presenter):
    page = browser.new_page(viewport=PROJECTOR)
    page.goto(server_url + "/?kind=conv&blocks=2&filters=16" + ("&present=1" if presenter else ""))
    main = page.get_by_test_id("stMain")
    main.get_by_text("Convolution blocks:").wait_for(timeout=120_000)
    wait_idle(page)
    chart = main.locator(".js-plotly-plot").first
    chart.wait_for(timeout=30_000)
    text = chart.inner_text()
    assert "14×14×16" in text and "7×7×32" in text and "deconv 1" in text
    assert main.get_by_text("make warm").count() >= 1
    chart.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / f"teaching2-home-conv{'-presenter' if presenter else ''}.png"))
    page.close()
