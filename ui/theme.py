"""Page-wide styling shared by every page."""

import streamlit as st

CSS = """
<style>
/* Readable from the back of a lecture hall: larger metric values and captions. */
[data-testid="stMetricValue"] { font-size: 1.9rem; }
[data-testid="stCaptionContainer"] { font-size: 0.95rem; }
</style>
"""

# Presenter mode (a projector): larger text everywhere in the main area, and captions (the long
# explanations) hidden; the sidebar starts folded away.
PRESENTER_CSS = """
<style>
[data-testid="stMain"] { font-size: 1.3rem; }
[data-testid="stMain"] [data-testid="stMarkdownContainer"] p,
[data-testid="stMain"] [data-testid="stMarkdownContainer"] li { font-size: 1.3rem; line-height: 1.5; }
[data-testid="stMain"] h1 { font-size: 3.2rem; }
[data-testid="stMain"] h2, [data-testid="stMain"] h3 { font-size: 2.2rem; }
[data-testid="stMain"] [data-testid="stMetricValue"] { font-size: 2.6rem; }
[data-testid="stMain"] [data-testid="stMetricLabel"] p { font-size: 1.2rem; }
[data-testid="stMain"] [data-testid="stCaptionContainer"] { display: none; }
[data-testid="stMainBlockContainer"] { max-width: 100%; padding-left: 2rem; padding-right: 2rem; }
</style>
"""


def apply(presenter: bool = False) -> None:
    st.markdown(CSS + (PRESENTER_CSS if presenter else ""), unsafe_allow_html=True)
