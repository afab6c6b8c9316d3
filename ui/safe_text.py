"""User-supplied strings inside Streamlit's markdown: shown as the text they are, never as markup, and cut short.

``st.markdown``, ``st.caption``, ``st.info``/``st.warning``/``st.error`` and widget labels render markdown:
a link value such as ``[Log in again](https://evil.example/login)`` would become a clickable link, and
``![x](https://evil.example/a.png)`` would load a remote image. Every string a user can supply (URL values,
file and class names, nicknames, poll text) goes through :func:`plain` before it is put into such a string::

    st.warning(f"The link's preset {safe_text.plain(value)} does not exist.")

``plain`` never wraps the value in backticks (inside a code span a backslash is shown, so nothing can be
escaped there); it escapes every character markdown gives a meaning to, so the rendered text equals the
(shortened) value. For long free text (a whole message), ``plain(text, limit=None)`` escapes without cutting.
"""

from __future__ import annotations

import re
import unicodedata

DEFAULT_LIMIT = 60  # characters of a user's value shown before "…"
ELLIPSIS = "…"

# Every ASCII character that markdown (CommonMark + GFM + Streamlit's extensions) can give a meaning to
# anywhere in a line: links and images ([ ] ( ) !), emphasis and code (* _ ` ~), HTML and autolinks (< > &),
# tables (|), LaTeX ($), Streamlit's :color[...] and :material/...: directives (:), GFM's bare-URL and
# e-mail autolinks ("https:", "www.", "a@b.c": ':' '.' '@'), headings and quotes (# >), escapes (\).
# CommonMark lets a backslash escape any ASCII punctuation, and renders it as the character itself.
_ALWAYS = set("\\`*_{}[]()<>#!|~$:.@&")
# These mean something only at the start of a line (list items, thematic breaks): "- x", "+ x", "= ...".
_AT_START = set("-+=")
_SPACES = re.compile(r"\s+")
WORD_JOINER = "\u2060"  # invisible, zero width, no line break


def _visible(text: str) -> str:
    """Line breaks, tabs and control or formatting characters (bidi overrides, zero-width) become spaces."""
    out = []
    for ch in text:
        if ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Zl", "Zp"):
            out.append(" ")
        else:
            out.append(ch)
    return _SPACES.sub(" ", "".join(out)).strip()


def shorten(value: object, limit: int | None = DEFAULT_LIMIT) -> str:
    """``value`` as one line of visible text, cut to ``limit`` characters with an ellipsis (None: no cut)."""
    text = _visible(str(value))
    if limit is not None and len(text) > limit:
        text = text[: max(limit - 1, 1)].rstrip() + ELLIPSIS
    return text


def escape_markdown(text: str) -> str:
    """Markdown source that renders exactly as ``text`` (one line: see ``shorten``), give or take invisible
    word joiners that keep bare addresses from becoming links."""
    out = []
    for i, ch in enumerate(text):
        if ch in _ALWAYS or (i == 0 and ch in _AT_START):
            out.append("\\" + ch)
        else:
            out.append(ch)
        if ch in ":@" or (ch in "wW" and text[i - 2:i + 2].lower() == "www."):
            # Streamlit's GFM renderer also links bare "https://...", "www.x" and "a@b.c" after the escapes are
            # resolved (a pass over the text, not the syntax): an invisible word joiner breaks those patterns.
            out.append(WORD_JOINER)
    return "".join(out)


def plain(value: object, limit: int | None = DEFAULT_LIMIT) -> str:
    """A user-supplied value, ready to be put into any markdown string: one line, cut to ``limit`` characters
    (None: not cut), every markdown character escaped, so it is shown as text and nothing else."""
    return escape_markdown(shorten(value, limit))
