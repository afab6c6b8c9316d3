"""Real browser: a shared link that tries to inject markup shows its values as text (issue 17 §4)."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from tests.browser import ARTIFACTS, wait_idle

pytestmark = pytest.mark.browser

LOGIN = "x`[Log in again](https://evil.example/login)`"
IMAGE = "![x](https://evil.example/a.png)"
LONG = "7" * 100_000  # 100 KB


def test_a_link_that_injects_markup_shows_text_only(browser, server_url):
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    query = urlencode({"preset": LOGIN, "lr": IMAGE, "epochs": LONG, "act": "www.evil.example",
                       "kind": "<img src=https://evil.example/b.png>"})
    page.goto(f"{server_url}/?{query}")
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


def _npz(n: int = 400) -> bytes:
    import io

    import numpy as np

    rng = np.random.default_rng(0)
    x = (rng.random((n, 8, 8)) < np.linspace(0.1, 0.9, 8)[None, None, :]).astype(np.uint8) * 255
    buffer = io.BytesIO()
    np.savez(buffer, x=x, y=np.arange(n) % 4)
    return buffer.getvalue()


def test_the_share_link_of_an_upload_does_not_name_it(browser, server_url):
    """Issue 16, bug 6: the Export page's link named the upload (``data=shapes.npz``)."""
    from tests.browser import goto_page, press_train

    name = "[Log in again](www.evil.example) ![x](www.evil.example a.png).npz"
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    page.goto(f"{server_url}/your_data?epochs=2&code=4&layers=1&nodes=32")
    uploader = page.get_by_test_id("stFileUploader").locator("input[type=file]")
    uploader.wait_for(state="attached", timeout=60_000)
    wait_idle(page)
    uploader.set_input_files(files=[{"name": name, "mimeType": "application/octet-stream", "buffer": _npz()}])
    page.get_by_test_id("stAlertContentSuccess").filter(has_text="Loaded").first.wait_for(timeout=90_000)
    wait_idle(page)
    press_train(page)
    page.get_by_test_id("stSidebar").get_by_text("Trained for").first.wait_for(timeout=120_000)
    goto_page(page, server_url, "Export and share")
    main = page.get_by_test_id("stMain")
    main.get_by_text("Downloads").wait_for(timeout=60_000)
    link = main.locator("code").first.inner_text()
    assert "data=" not in link and "evil" not in link and "npz" not in link, link
    assert "code=4" in link and "epochs=2" in link, link
    note = main.get_by_test_id("stAlertContentInfo").first.inner_text()
    assert "leaves it out" in note and "mnist-5k" in note, note
    assert main.locator("a[href*='evil'], img[src*='evil']").count() == 0
    assert "Log in again" in main.inner_text()  # the name is shown, as text
    page.screenshot(path=str(ARTIFACTS / "share-link-upload.png"), full_page=False)
    page.close()
