"""Hostile links and names (issue 17 §4, issue 16 bug 6): user-supplied strings are shown as text, never as
markup, cut to a sane length; a share link never names an upload."""

from __future__ import annotations

import html
import io
import random
import re

import numpy as np
import pytest
from markdown_it import MarkdownIt
from streamlit.testing.v1 import AppTest

from aecore.config import DataConfig, Experiment, ModelConfig, TrainConfig
from tests.apphelpers import APP, go_to, set_sidebar
from ui import links, safe_text

LOGIN = "x`[Log in again](https://evil.example/login)`"
IMAGE = "![x](https://evil.example/a.png)"
HUGE = "7" * 50_000 + "A" * 50_000  # 100 KB
HOSTILE = [
    LOGIN,
    IMAGE,
    HUGE,
    "<img src=https://evil.example/b.png onerror=alert(1)>",
    "<a href='https://evil.example/c'>click</a>",
    "https://evil.example/bare",
    "www.evil.example",
    "mail@evil.example",
    "[x]: https://evil.example/ref\n[y][x]",
    "**bold** _it_ ~~gone~~ $x^2$ :red[red] :material/home:",
    "\n\n# Heading\n> quote\n- item\n1. item\n---\n|a|b|\n|-|-|\n|1|2|",
    "\u202eevil\u200b.example",
    "\\[not a link\\](https://evil.example/esc)",
    "&lt;img src=x&gt; &#60;b&#62;",
]


def _renderer() -> MarkdownIt:
    # CommonMark (links, images, autolinks, raw HTML) plus GFM tables and strikethrough.
    return MarkdownIt("commonmark").enable(["table", "strikethrough"])


def _render(markdown: str) -> str:
    return _renderer().render(markdown)


def _text_of(rendered: str) -> str:
    """The visible text of rendered HTML (word joiners are invisible)."""
    return html.unescape(re.sub(r"<[^>]+>", "", rendered)).replace(safe_text.WORD_JOINER, "").strip()


def _assert_inert(markdown: str) -> None:
    rendered = _render(markdown)
    assert "<a" not in rendered and "<img" not in rendered, rendered[:500]
    for tag in ("<h1", "<h2", "<blockquote", "<li", "<table", "<hr", "<strong", "<em", "<code", "<s>", "<del"):
        assert tag not in rendered, (tag, rendered[:500])
    # GFM (Streamlit's renderer) also links bare "https://", "www." and e-mail addresses: their trigger
    # characters must be escaped in the source.
    unescaped = re.search(r"(?<!\\)(://|www\.|@)", markdown)
    assert unescaped is None, (unescaped, markdown[:300])
    # ... and Streamlit's also does so after resolving escapes (mdast-util-gfm-autolink-literal's patterns):
    rendered_text = html.unescape(re.sub(r"<[^>]+>", "", _render(markdown)))
    for pattern in (r"https?://", r"www(?=\.)", r"[-.\w+]+@[-\w]+(?:\.[-\w]+)+"):
        assert re.search(pattern, rendered_text, re.IGNORECASE) is None, (pattern, rendered_text[:300])


@pytest.mark.parametrize("value", HOSTILE, ids=range(len(HOSTILE)))
def test_plain_shows_the_value_as_text_and_cuts_it(value):
    shown = safe_text.plain(value)
    _assert_inert(shown)
    expected = safe_text.shorten(value)
    assert _text_of(_render(shown)) == expected  # the rendered text is the value itself, cut
    assert len(expected) <= safe_text.DEFAULT_LIMIT
    if len(" ".join(value.split())) > safe_text.DEFAULT_LIMIT:
        assert expected.endswith(safe_text.ELLIPSIS)
    assert "\n" not in shown and "\u202e" not in shown


def test_plain_round_trips_random_punctuation():
    rng = random.Random(17)
    alphabet = "abc 01-_*`[]()<>!#+.:|~$@&\\{}=^%\"'/?;,"
    for _ in range(300):
        value = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40)))
        shown = safe_text.plain(value, limit=None)
        rendered = _render(shown)
        assert "<a" not in rendered and "<img" not in rendered
        assert _text_of(rendered) == safe_text.shorten(value, None), (value, shown, rendered)


def test_short_plain_values_stay_readable():
    assert safe_text.plain("digits-8x8") == "digits-8x8"
    assert safe_text.plain("code=-3") == "code=-3"
    assert safe_text.plain("a" * 60) == "a" * 60
    assert safe_text.shorten("a" * 61) == "a" * 59 + "…"


def test_a_link_that_injects_markup_is_shown_as_text():
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update({"preset": LOGIN, "lr": IMAGE, "epochs": HUGE, "act": "www.evil.example",
                            "kind": "<a href='https://evil.example/c'>click</a>", "loss": "mail@evil.example"})
    at.run()
    assert not at.exception, at.exception
    assert len(at.warning) == 1
    body = at.warning[0].value
    _assert_inert(body)
    assert len(body) < 1000, len(body)  # the 100 KB value is not echoed whole
    text = _text_of(_render(body))
    assert "preset=x`[Log in again](https" in text  # shown, as the characters it is made of
    assert "epochs=" + "7" * 20 in text and "7" * 1000 not in text and "…" in text
    assert at.session_state["sidebar_preset"] == "custom"
    # Nothing else on the page echoes the values either.
    for kind in ("markdown", "caption", "info", "error", "success"):
        for element in at.get(kind):
            assert "evil.example" not in str(getattr(element, "value", "")), (kind, element)


def test_many_bad_values_are_listed_once_and_counted():
    names = ["code", "layers", "nodes", "act", "loss", "l2", "dropout", "kl", "filters", "blocks", "epochs"]
    text = links.problems_text([f"{name}=bad" for name in names])
    assert text.count("=bad") == links.MAX_LISTED_PROBLEMS and "and 3 more" in text


# --- issue 16, bug 6: a share link never names an upload ------------------------------------------------


def _upload_experiment(name: str = "shapes.npz") -> Experiment:
    return Experiment(DataConfig(name=name, upload_id="0123abcd"), ModelConfig(code_size=4), TrainConfig(epochs=7))


def test_a_link_to_an_upload_leaves_the_data_set_out():
    experiment = _upload_experiment()
    assert links.names_upload(experiment) and not links.names_upload(Experiment())
    params = links.to_params(experiment)
    assert "data" not in params and params == {"code": "4", "epochs": "7"}
    assert not any("shapes" in value for value in params.values())
    opened = links.from_params(params)
    assert not opened.problems and opened.experiment().data == DataConfig()  # the built-in default
    # A name that is not a built-in set is never put in a link, even without an upload id.
    assert "data" not in links.to_params(Experiment(DataConfig(name="mine.csv")))
    assert links.to_params(Experiment(DataConfig(name="digits-8x8"))) == {"data": "digits-8x8"}


def _tiny_npz() -> bytes:
    rng = np.random.default_rng(0)
    x = (rng.random((120, 8, 8)) < np.linspace(0.1, 0.9, 8)[None, None, :]).astype(np.uint8) * 255
    buffer = io.BytesIO()
    np.savez(buffer, x=x, y=np.arange(120) % 3)
    return buffer.getvalue()


def test_the_export_page_of_an_upload_links_without_it_and_shows_its_name_as_text():
    hostile_name = "[Log in again](https://evil.example/login) ![x](https://evil.example/a.png).npz"
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    go_to(at, "pages/your_data.py")
    at.file_uploader(key="your_data_file").set_value((hostile_name, _tiny_npz(), "application/octet-stream")).run()
    assert not at.exception, at.exception
    assert at.session_state["sidebar_dataset"] == hostile_name
    set_sidebar(at, sidebar_code_size=4, sidebar_n_hidden_layers=1, sidebar_first_layer_nodes=16,
                sidebar_epochs=2, sidebar_batch_size=16)
    at.button(key="sidebar_train").click().run()
    job = at.session_state["ae_job"]
    assert job.wait(120) and job.result is not None, job.error
    go_to(at, "pages/export.py")
    urls = [c.value for c in at.code if "?" in c.value or c.value.startswith("http") or "code=" in c.value]
    assert urls, [c.value for c in at.code]
    link = urls[0]
    assert "data=" not in link and "evil" not in link and ".npz" not in link, link
    assert "code=4" in link and "epochs=2" in link
    notes = [i.value for i in at.info]
    assert any("leaves it out" in n and "mnist-5k" in n for n in notes), notes
    for kind in ("markdown", "caption", "info", "warning", "error", "success"):
        for element in at.get(kind):
            _assert_inert_if_named(str(getattr(element, "value", "")))
    assert any("Log in again" in _text_of(_render(m.value)) for m in at.markdown)  # shown, as text


def _assert_inert_if_named(markdown: str) -> None:
    if "evil" in markdown:
        rendered = _render(markdown)
        assert "<a" not in rendered and "<img" not in rendered, rendered[:400]
        assert re.search(r"(?<!\\)://", markdown) is None, markdown[:300]


def test_a_job_error_holding_a_name_is_shown_as_text():
    """aecore's messages are plain text but may quote an upload's name: the job panel shows them as text."""

    def script():
        import types

        from aecore import jobs
        from ui import training

        job = types.SimpleNamespace(status=jobs.FAILED, hit_limit=False, result=None,
                                    error="'[Log in again](https://evil.example/login)' is not a square image.")
        training.show_job_outcome(job)

    at = AppTest.from_function(script).run()
    assert not at.exception
    rendered = _renderer().render(at.error[0].value)
    assert "<a" not in rendered and "Log in again" in at.error[0].value
