"""Real browser, issue 15 parts 5 and 6: after a short mnist-5k training the Training page shows the scorecard
(the closest published reference, how this run compares, its source), and the Export page's Lesson bundle button
downloads a zip holding settings, model, codes, figures and the notebook. Screenshots at the projector's
1280×720 go to tests/artifacts/ and are copied to tests/screenshots/ for the README."""

import io
import re
import shutil
import zipfile

import pytest

from tests.browser import ARTIFACTS, ROOT, goto_page, open_page, press_train, wait_idle

pytestmark = pytest.mark.browser
PROJECTOR = {"width": 1280, "height": 720}
SETTINGS = "data=mnist-5k&epochs=6"  # the bits test's model: the shared disk cache may hold it already
SCREENSHOTS = ROOT / "tests" / "screenshots"


def _shoot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / name))
    shutil.copyfile(ARTIFACTS / name, SCREENSHOTS / name)


def test_scorecard_then_lesson_bundle(browser, server_url):
    page, errors = open_page(browser, PROJECTOR)
    try:
        page.goto(f"{server_url}/training?{SETTINGS}")
        sidebar = page.get_by_test_id("stSidebar")
        sidebar.get_by_role("button", name="Train").wait_for(timeout=120_000)
        wait_idle(page)
        press_train(page)
        sidebar.get_by_text(re.compile(r"Trained for|Loaded from the cache")).first.wait_for(timeout=300_000)
        wait_idle(page)

        # Part 5: the scorecard sits under the result, with its source as a link
        main = page.get_by_test_id("stMain")
        card = page.locator(".st-key-scorecard_model")
        card.wait_for(timeout=60_000)
        text = card.inner_text()
        assert text.startswith("Scorecard") and "Source:" in text, text
        assert re.search(r"\d\.\d+", text) and ("60,000" in text or "Keras" in text), text
        assert card.get_by_role("link").count() >= 1
        card.evaluate("e => e.scrollIntoView({block: 'center'})")
        page.mouse.move(1270, 710)  # no tooltip over the picture
        page.wait_for_timeout(800)
        _shoot(page, "scorecard.png")

        # Part 6: the lesson bundle, downloaded as a user would
        goto_page(page, server_url, "Export and share")
        button = main.get_by_role("button", name=re.compile("Lesson bundle"))
        button.wait_for(timeout=60_000)
        with page.expect_download(timeout=240_000) as download_info:
            button.click()
        data = open(download_info.value.path(), "rb").read()
        names = zipfile.ZipFile(io.BytesIO(data)).namelist()
        for wanted in ("settings.json", "lesson.ipynb", ".keras", ".csv", ".png"):
            assert any(n.endswith(wanted) for n in names), (wanted, names)
        wait_idle(page)
        main.get_by_role("heading", name="Downloads").evaluate("h => h.scrollIntoView({block: 'start'})")
        page.mouse.wheel(0, -40)
        button.hover()  # its tooltip lists what the bundle holds
        page.get_by_test_id("stTooltipContent").filter(has_text="notebook").first.wait_for(timeout=10_000)
        page.wait_for_timeout(500)
        _shoot(page, "lesson-bundle.png")
        assert not errors, errors
        assert page.locator("[data-testid='stException']").count() == 0
    except Exception:
        page.screenshot(path=str(ARTIFACTS / "scorecard-bundle-failed.png"))
        raise
    finally:
        page.close()
