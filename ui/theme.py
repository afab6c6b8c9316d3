"""Page-wide styling shared by every page."""

import streamlit as st

CSS = """
<style>
/* Readable from the back of a lecture hall: larger metric values and captions. */
[data-testid="stMetricValue"] { font-size: 1.9rem; }
[data-testid="stCaptionContainer"] { font-size: 0.95rem; }
</style>
"""


def apply() -> None:
    st.markdown(CSS, unsafe_allow_html=True)
