"""Page-wide styling shared by every page, and presenter mode's larger chart text."""

import threading
import weakref

import streamlit as st

from aecore.figures import describe, presenter_figure

# Explanation text (captions, slider ends) in a grey dark enough for WCAG AA on white and on the sidebar's
# #f0f2f6: #555867 gives 7.0:1 and 6.3:1. Streamlit draws captions with 60 % opacity on top of a grey text
# colour (measured in Chromium), which blends below 4.5:1; here they are solid.
TEXT_GREY = "#555867"

CSS = f"""
<style>
/* Readable from the back of a lecture hall: larger metric values and captions. */
[data-testid="stMetricValue"] {{ font-size: 1.9rem; }}
/* Streamlit draws captions at 60 % opacity, below AA contrast; a solid darker grey passes it. */
[data-testid="stCaptionContainer"] {{ font-size: 0.95rem; color: {TEXT_GREY}; opacity: 1; }}
[data-testid="stCaptionContainer"] p {{ color: {TEXT_GREY}; }}
[data-testid="stSliderTickBarMin"], [data-testid="stSliderTickBarMax"],
[data-testid="stWidgetLabel"] [data-testid="stMarkdownContainer"] small {{ color: {TEXT_GREY}; }}
/* Long option names (the lesson presets) are not cut off: the open list grows to fit them. */
[data-testid="stSelectboxVirtualDropdown"] {{ width: max-content !important; min-width: var(--trigger-width);
  max-width: min(640px, 90vw); }}
</style>
"""

# Presenter mode (a projector): larger text in the main area, the sidebar folded away so figures get the
# whole width. Captions stay (they hold the key facts: "white = exact", the cross-entropy floor), only
# larger. Font sizes rather than CSS zoom: a zoomed plotly chart measures its width before the zoom and
# overflows the page. Chart text is enlarged in the figures themselves (see presenter_charts), not by CSS:
# plotly lays a chart out with the sizes it knows, so CSS-enlarged labels would run into each other.
PRESENTER_CSS = """
<style>
[data-testid="stMainBlockContainer"] { max-width: 100%; padding: 2rem 2.5rem 4rem 2.5rem; }
[data-testid="stMain"] [data-testid="stMarkdownContainer"] p,
[data-testid="stMain"] [data-testid="stMarkdownContainer"] li,
[data-testid="stMain"] [data-testid="stWidgetLabel"] p { font-size: 1.35rem; line-height: 1.5; }
[data-testid="stMain"] h1 { font-size: 3.4rem; }
[data-testid="stMain"] h2, [data-testid="stMain"] h3 { font-size: 2.3rem; }
[data-testid="stMain"] [data-testid="stMetricValue"],
[data-testid="stMain"] [data-testid="stMetricValue"] p { font-size: 2.8rem; }
[data-testid="stMain"] [data-testid="stMetricLabel"] p { font-size: 1.3rem; }
[data-testid="stMain"] [data-testid="stCaptionContainer"],
[data-testid="stMain"] [data-testid="stCaptionContainer"] p { font-size: 1.2rem; line-height: 1.45; }
</style>
"""


def apply(presenter: bool = False) -> None:
    presenter_charts()
    st.markdown(CSS + (PRESENTER_CSS if presenter else ""), unsafe_allow_html=True)


def _presenter_on() -> bool:
    from ui import links

    try:
        return links.presenter_mode()
    except Exception:  # no session (a bare script): never presenter mode
        return False


# Pages keep many figures in a memo (or ui.shared) and draw the same object on every rerun: keep what is derived
# from a figure (its projector copy: ~0.1-0.2 s for a 5,000-point map; its caption: a few ms) as long as the
# figure itself lives. A figure is never changed after it was first drawn.
_PER_FIGURE: dict[tuple[int, str], tuple] = {}  # (id(figure), what) -> (weak reference to it, the value)
_PER_FIGURE_LOCK = threading.Lock()


def _per_figure(fig, what: str, make):
    key = (id(fig), what)
    with _PER_FIGURE_LOCK:
        ref, cached = _PER_FIGURE.get(key, (None, None))
    if ref is not None and ref() is fig:
        return cached
    cached = make(fig)
    try:
        ref = weakref.ref(fig, lambda _, key=key: _forget(key))
    except TypeError:  # not weak-referenceable: no caching
        return cached
    with _PER_FIGURE_LOCK:
        _PER_FIGURE[key] = (ref, cached)
    return cached


def _forget(key: tuple[int, str]) -> None:
    with _PER_FIGURE_LOCK:
        entry = _PER_FIGURE.get(key)
        if entry is not None and entry[0]() is None:
            del _PER_FIGURE[key]


def _describe(figure) -> str | None:
    """The caption as text ready to draw (escaped once per figure, not on every rerun)."""
    from ui import safe_text

    try:
        sentence = describe(figure)
    except Exception:  # a caption is never worth breaking a page for
        return None
    return None if sentence is None else safe_text.plain(sentence, limit=None)


def _description(figure) -> str | None:
    """The one-line text caption drawn under a chart (None for things that are not plotly figures)."""
    if not hasattr(figure, "layout") or not hasattr(figure, "data"):
        return None
    return _per_figure(figure, "caption", _describe)


def presenter_charts() -> None:
    """Make every ``plotly_chart`` call draw a projector-sized copy of its figure while the session is in
    presenter mode (every chart text at least 16 px, dark; aecore.figures.presenter_figure), and put a
    one-line text caption saying what the chart shows right under it (aecore.figures.describe): Streamlit
    charts give screen readers no alternative text (streamlit/streamlit#8563), so the caption is it.

    Installed once per process on Streamlit's plotly element, so pages keep calling ``st.plotly_chart`` (and
    ``column.plotly_chart``) as usual; the check is per call and per session, so other sessions are not
    affected.
    """
    from streamlit.elements.plotly_chart import PlotlyMixin

    original = PlotlyMixin.plotly_chart
    if getattr(original, "_aelab_presenter", False):
        return

    def plotly_chart(self, figure_or_data, *args, **kwargs):
        sentence = _description(figure_or_data)
        if _presenter_on() and hasattr(figure_or_data, "to_plotly_json"):
            figure_or_data = _per_figure(figure_or_data, "presenter", presenter_figure)
        if sentence is None:
            return original(self, figure_or_data, *args, **kwargs)
        # The chart and its caption share one container, so a chart call stays one element: an st.empty() slot
        # holds both, and pages whose element count must not change between runs (a refreshing fragment's
        # fixed slots) keep it.
        target = self._active_dg.container()
        result = original(target, figure_or_data, *args, **kwargs)
        target.caption(sentence)
        return result

    plotly_chart._aelab_presenter = True
    plotly_chart.__doc__ = original.__doc__
    PlotlyMixin.plotly_chart = plotly_chart
    # ``st.plotly_chart`` was bound to the main container when streamlit was imported: bind it again.
    st.plotly_chart = st._main.plotly_chart
