"""Real-browser helpers: start `streamlit run app.py` on a free port and drive Debian's chromium."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def streamlit_server(env: dict | None = None, timeout: float = 60):
    """Yield the base URL of a fresh app server; stop it afterwards."""
    port = free_port()
    log = open(ARTIFACTS / f"server-{port}.log", "w") if ARTIFACTS.exists() else subprocess.DEVNULL
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true"],
        cwd=ROOT, env={**os.environ, **(env or {})}, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError("streamlit did not start")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def open_page(browser, viewport: dict, timeout: float = 60_000, errors: list[str] | None = None,
              prefix: str = ""):
    """A new tab of ``viewport``'s size whose waits default to ``timeout`` ms, and the list of its page errors,
    each as ``prefix`` + the error: ``errors`` when given (tabs that share one), else a new one.
    Returns (page, errors)."""
    page = browser.new_page(viewport=viewport)
    page.set_default_timeout(timeout)
    errors = [] if errors is None else errors
    page.on("pageerror", lambda error: errors.append(f"{prefix}{error}"))
    return page, errors


def wait_idle(page, timeout: float = 60_000) -> None:
    """Wait until Streamlit has finished the current run (no 'running' status widget)."""
    page.wait_for_timeout(300)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=timeout)


def single(page, css: str, timeout: float = 60_000):
    """The locator of ``css`` once it matches exactly one element. A chart replaced by a rerun can be on the
    page twice for a moment (the old one goes when that run ends); a second one that stays fails here."""
    page.wait_for_function("(css) => document.querySelectorAll(css).length === 1", arg=css, timeout=timeout)
    return page.locator(css)


def open_ready(page, url: str):
    """Open ``url`` and wait until its sidebar can train: Train shown, TensorFlow loaded, the run finished.
    Returns the sidebar."""
    page.goto(url)
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_role("button", name="Train").wait_for(timeout=30_000)
    sidebar.get_by_text("Loading TensorFlow in the background…").wait_for(state="detached", timeout=120_000)
    wait_idle(page)
    return sidebar


def goto_page(page, base_url: str, title: str) -> None:
    nav = page.get_by_test_id("stSidebarNav")
    link = nav.locator("a").filter(has_text=title).first
    more = nav.get_by_test_id("stSidebarNavViewButton")
    # Streamlit lists 10 of the 15 pages and folds the rest behind "View 5 more": click it, as a user would.
    deadline = time.time() + 30
    while link.count() == 0 and time.time() < deadline:
        if more.count() and "more" in (more.first.text_content() or ""):
            more.first.click()
        page.wait_for_timeout(300)
    from urllib.parse import urlparse

    target = urlparse(link.get_attribute("href") or "").path
    for _ in range(2):  # a click that lands while Streamlit swaps the page's elements can be lost: press again
        link.click()
        for _ in range(40):
            if urlparse(page.url).path == target:
                break
            page.wait_for_timeout(250)
        else:
            continue
        break
    wait_idle(page)


TRAINING_STARTED = r"Starting|Epoch \d+ of|Waiting in the queue|Trained for|Loaded from the cache|Shared"


def press_train(page, attempts: int = 2) -> None:
    """Press the sidebar's Train and wait until the sidebar says the job has started. A click that lands while
    Streamlit is still swapping the page's elements can be lost; a user would press again, and so does this."""
    import re

    sidebar = page.get_by_test_id("stSidebar")
    started = sidebar.get_by_text(re.compile(TRAINING_STARTED))
    for attempt in range(attempts):
        sidebar.get_by_role("button", name="Train").click()
        try:
            started.first.wait_for(timeout=20_000)
            return
        except Exception:
            if attempt == attempts - 1:
                raise
