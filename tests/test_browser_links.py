"""Real browser: a shared link that tries to inject markup shows its values as text (issue 17 §4)."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from tests.browser import ARTIFACTS, streamlit_server, wait_idle

pytestmark = pytest.mark.browser

LOGIN = "x`[Log in again](https://evil.example/login)`"
IMAGE = "![x](https://evil.example/a.png)"
LONG = "7" * 100_000  # 100 KB


@pytest.fixture(scope="module")
def server():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with streamlit_server() as url:
        yield url


def test_a_link_that_injects_markup_shows_text_only(browser, server):
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    query = urlencode({"preset": LOGIN, "lr": IMAGE, "epochs": LONG, "act": "www.evil.example",
                       "kind": "<img src=https://evil.example/b.png>"})
    page.goto(f"{server}/?{query}")
    warning = page.get_by_test_id("stAlertContentWarning")
    warning.first.wait_for(timeout=60_000)
    wait_idle(page)
    text = warning.first.inner_text().replace("\u2060", "")  # word joiners: invisible, they break autolinks
    assert "preset=x`[Log in again](https://evil.example/login)`" in text, text  # the value, as text
    assert "lr=![x](https://evil.example/a.png)" in text, text
    assert "epochs=" + "7" * 20 in text and "7" * 100 not in text and "…" in text, text[:300]
    assert len(text) < 1000, len(text)
    assert page.locator("a[href*='evil.example']").count() == 0
    assert page.locator("img[src*='evil.example']").count() == 0
    assert warning.first.locator("a, img, code").count() == 0
    page.screenshot(path=str(ARTIFACTS / "hostile-link.png"))
    assert not [url for url in requests if "evil.example" in url.split("?", 1)[0]], requests
    page.close()
