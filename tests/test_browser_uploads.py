"""Your own data in a real browser: names from an upload show as text (no links or images), and Remove also
clears the file from the uploader (issue 16, bug 9: the chip stayed while the page said "No uploads yet")."""

from __future__ import annotations

import re

from tests.bad_inputs import corpus
from tests.browser import ARTIFACTS, goto_page, streamlit_server, wait_idle

FOLDERS = ("[Log in again](evil.example)", "![x](evil.example)")


def _markup_zip() -> bytes:
    x, y = corpus._digits(20)
    return corpus._zip({f"set/{FOLDERS[int(label) % 2]}/{i}.png": corpus._png(img)
                        for i, (img, label) in enumerate(zip(x, y))})


def test_upload_with_markup_in_its_names_then_remove_it(browser, tmp_path):
    path = tmp_path / "[Log in](evil.example).zip"
    path.write_bytes(_markup_zip())
    with streamlit_server() as url:
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        page.goto(url)
        wait_idle(page)
        goto_page(page, url, "Your own data")
        main = page.get_by_test_id("stMain")
        main.locator("input[type=file]").set_input_files(str(path))
        main.get_by_text(re.compile("Loaded")).first.wait_for(timeout=60_000)
        wait_idle(page)
        assert main.get_by_test_id("stFileChip").count() == 1
        # Shown as typed, never as a link or an image.
        assert main.locator("a[href*='evil'], img[src*='evil']").count() == 0
        text = main.inner_text()
        assert FOLDERS[0] in text and FOLDERS[1] in text and "[Log in](evil.example).zip" in text
        main.get_by_text("Your uploads in this session").scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / "your_data_markup_names.png"))

        main.get_by_role("button", name="Remove", exact=True).click()
        main.get_by_text("No uploads yet").wait_for(timeout=30_000)
        wait_idle(page)
        assert main.get_by_test_id("stFileChip").count() == 0, "the removed file's chip is still shown"
        assert not page.get_by_test_id("stException").count()
        page.screenshot(path=str(ARTIFACTS / "your_data_after_remove.png"))
