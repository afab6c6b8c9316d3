"""Drive the real entry point (app.py, with its sidebar) through Streamlit's AppTest."""

from __future__ import annotations

import time
from pathlib import Path

from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest, app_test

APP = str(Path(__file__).resolve().parent.parent / "app.py")


class _NavigationPagesManager(PagesManager):
    """AppTest resets the "uses a pages/ directory" flag before every run, so with our pages/ folder it
    falls back to multipage v1 and runs a page file alone, without app.py's sidebar. The real server
    clears the flag as soon as st.navigation is called; do the same here."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        PagesManager.uses_pages_directory = False


app_test.PagesManager = _NavigationPagesManager

TINY_SETTINGS = {
    "sidebar_dataset": "digits-8x8",
    "sidebar_code_size": 8,
    "sidebar_n_hidden_layers": 1,
    "sidebar_first_layer_nodes": 32,
    "sidebar_epochs": 3,
}


def open_app(timeout: float = 60) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=timeout)
    at.run()
    assert not at.exception, at.exception
    return at


def set_sidebar(at: AppTest, **values) -> AppTest:
    """Set sidebar widgets by key (as a user would move them), then rerun."""
    for key, value in values.items():
        at.session_state[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def train(at: AppTest, settings: dict | None = None, timeout: float = 120) -> AppTest:
    """Set the sidebar, press Train, wait for the background job, rerun so pages see the result."""
    set_sidebar(at, **(settings if settings is not None else TINY_SETTINGS))
    at.button(key="sidebar_train").click().run()
    assert not at.exception, at.exception
    job = at.session_state["ae_job"]
    assert job.wait(timeout), "training did not finish in time"
    at.run()
    assert not at.exception, at.exception
    return at


def go_to(at: AppTest, page: str) -> AppTest:
    at.switch_page(page)
    at.run()
    assert not at.exception, at.exception
    return at


def plotly_charts(at: AppTest) -> list:
    return [el for el in at.main if getattr(el, "type", "") == "plotly_chart"] or at.get("plotly_chart")


def texts(at: AppTest) -> str:
    parts = []
    for kind in ("markdown", "caption", "info", "warning", "error", "success", "title", "subheader", "metric"):
        for el in at.get(kind):
            parts.append(str(getattr(el, "value", "")) + " " + str(getattr(el, "label", "")))
    return "\n".join(parts)


def shown(markdown: str) -> str:
    """The text a reader sees for markdown that ui.safe_text escaped: backslash escapes and word joiners gone."""
    import re

    return re.sub(r"\\(.)", r"\1", markdown).replace("\u2060", "")
