"""Page-wide styling shared by every page."""

import streamlit as st

CSS = """
<style>
/* Readable from the back of a lecture hall: larger metric values and captions. */
[data-testid="stMetricValue"] { font-size: 1.9rem; }
[data-testid="stCaptionContainer"] { font-size: 0.95rem; }
</style>
"""

# Presenter mode (a projector): larger text in the main area, captions (the long explanations) hidden, the
# sidebar folded away so figures get the whole width. Font sizes rather than CSS zoom: a zoomed plotly
# chart measures its width before the zoom and overflows the page.
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
[data-testid="stMain"] [data-testid="stCaptionContainer"] { display: none; }
</style>
"""


def apply(presenter: bool = False) -> None:
    st.markdown(CSS + (PRESENTER_CSS if presenter else ""), unsafe_allow_html=True)
