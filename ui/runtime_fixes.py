"""Streamlit behaviours that hurt background training, switched off once per process."""

from __future__ import annotations


def keep_keras_state_between_reruns() -> None:
    """Stop Streamlit from calling ``keras.backend.clear_session()`` after every script run.

    Streamlit does this to reset notebook-style apps, but our models live in background jobs: with a
    progress fragment rerunning twice a second, the clear-and-collect after each run starved the
    training thread (an epoch on digits-8x8 went from 0.3 s to 15 s, measured with py-spy).
    """
    from streamlit.runtime.scriptrunner import script_runner

    if getattr(script_runner, "_clean_problem_modules", None) is not _noop:
        script_runner._clean_problem_modules = _noop


def _noop() -> None:
    return None


def run_pages_through_app() -> None:
    """Make a page that Streamlit ran on its own rerun through app.py (call first in every page).

    With a ``pages/`` folder next to app.py, Streamlit runs in its old folder mode until some run calls
    ``st.navigation``. So when a fresh server's first request is a page URL (a shared link, or every open
    tab reconnecting after a restart), that page runs alone: no sidebar, raw file names as navigation.
    Switching the mode off and rerunning sends the same URL through app.py's navigation.
    """
    import streamlit as st
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()
