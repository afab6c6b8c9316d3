"""app.py draws the class notice and the presenter banner above every page; each may come or go between two runs
(a teacher moves a slider off the lesson preset, a class push ends). The page's own elements must keep their
places (delta paths): one moving up one place stays on screen twice, faded, until the run ends
(tests/test_page_places.py, tests/test_browser_streamlit_elements.py)."""

import pytest
from streamlit.testing.v1 import AppTest

from tests.apphelpers import APP, set_sidebar

pytestmark = pytest.mark.app


def _title_place(at: AppTest) -> int:
    """Index, among the main area's top-level elements, of the page's title."""
    for index, child in at.main.children.items():
        if getattr(child, "type", "") == "title" or any(
                getattr(c, "type", "") == "title" for c in getattr(child, "children", {}).values()):
            return index
    raise AssertionError("no title on the page")


def test_the_page_keeps_its_place_when_the_presenter_banner_goes():
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["preset"] = "denoise"
    at.query_params["present"] = "1"
    at.run()
    assert not at.exception, at.exception
    assert any("denois" in i.value.lower() for i in at.info), [i.value for i in at.info]  # the banner
    with_banner = _title_place(at)
    code = at.session_state["sidebar_code_size"]
    set_sidebar(at, sidebar_code_size=8 if code != 8 else 4)  # off the preset: no banner
    assert not any("denois" in i.value.lower() for i in at.info), [i.value for i in at.info]
    assert _title_place(at) == with_banner
