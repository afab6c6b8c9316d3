"""One real browser: start the app, train a tiny model from the sidebar, open every page, screenshot it."""

from tests.browser import ARTIFACTS, goto_page, press_train, streamlit_server, wait_idle


def test_train_in_the_browser_and_visit_every_page(browser):
    with streamlit_server() as url:
        page = browser.new_page(viewport={"width": 1440, "height": 1000})
        page.goto(url)
        page.get_by_text("Autoencoder Lab").first.wait_for(timeout=30_000)
        page.get_by_role("button", name="Train").wait_for(timeout=30_000)
        page.locator(".js-plotly-plot").first.wait_for(timeout=30_000)
        wait_idle(page)
        page.screenshot(path=str(ARTIFACTS / "01-home.png"), full_page=True)

        # A tiny model: digits 8x8, 3 epochs.
        sidebar = page.get_by_test_id("stSidebar")
        sidebar.get_by_test_id("stSelectbox").filter(has_text="Data set").click()
        page.get_by_role("option", name="Digits 8×8 (offline)").click()
        wait_idle(page)
        press_train(page)
        try:
            page.get_by_text("Test MSE").first.wait_for(timeout=120_000)
        finally:
            page.screenshot(path=str(ARTIFACTS / "01b-after-train.png"), full_page=True)
        wait_idle(page)

        links = page.get_by_test_id("stSidebarNav").locator("a")
        titles = [a.inner_text().strip().split("\n")[-1] for a in links.all()]
        assert len(titles) >= 3
        for number, title in enumerate(titles, 2):
            goto_page(page, url, title)
            page.wait_for_timeout(1500)  # plotly draws after the run finishes
            assert page.locator("[data-testid='stException']").count() == 0, f"traceback on {title}"
            name = title.lower().replace(" ", "-").replace("?", "").replace("(", "").replace(")", "")
            page.screenshot(path=str(ARTIFACTS / f"{number:02d}-{name}.png"), full_page=True)
        goto_page(page, url, "Reconstructions")
        page.locator(".js-plotly-plot").nth(1).wait_for(timeout=30_000)  # plotly draws after the run ends
        assert page.locator(".js-plotly-plot").count() >= 2
