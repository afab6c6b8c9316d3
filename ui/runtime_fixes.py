"""Streamlit behaviours that hurt this app (background training, fragments, values set from code), in one place."""

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


def keep_outside_widgets_in_fragment_runs() -> None:
    """In a fragment's rerun, ignore what the browser says of widgets outside the running fragments.

    A fragment's rerun (a progress poll, the class check, the teacher's board, a page control) carries every
    widget's value as the browser shows it. Sent while a full run was changing widgets from code (a preset,
    "custom" after a move, a teacher's push), it carries the old values, and Streamlit applies them after that
    run with their callbacks (the preset's rewrites every control): the change is undone (the class browser
    test: the teacher's data set reverted to the preset's before "Send to the class", 1 of 6 runs). A widget
    outside the fragment cannot have changed in such a request (moving it reruns the whole app), so its value
    there is at best a copy of what the server holds.
    """
    from streamlit.runtime.scriptrunner import get_script_run_ctx
    from streamlit.runtime.state.session_state import SessionState

    original = SessionState.on_script_will_rerun
    if getattr(original, "_keeps_outside_widgets", False):
        return

    def on_script_will_rerun(self, fresh_widget_states, *args, **kwargs):
        ctx = get_script_run_ctx()
        running = set(ctx.fragment_ids_this_run or ()) if ctx is not None else set()
        if fresh_widget_states is not None and running:
            metadata = self._new_widget_state.widget_metadata
            inside = [state for state in fresh_widget_states.widgets
                      if state.id not in metadata or metadata[state.id].fragment_id in running]
            if len(inside) < len(fresh_widget_states.widgets):
                kept = type(fresh_widget_states)()
                kept.widgets.extend(inside)
                fresh_widget_states = kept
        return original(self, fresh_widget_states, *args, **kwargs)

    on_script_will_rerun._keeps_outside_widgets = True
    SessionState.on_script_will_rerun = on_script_will_rerun


def set_this_run(key: str) -> bool:
    """Whether ``key`` was written through ``st.session_state`` since this run began (a link, a preset, a push).

    Streamlit then sends that value to the browser with the widget itself, and logs a warning with a stack trace
    for a widget that is also given a default; a widget drawn in a later run needs the value as its default
    (see settings.Setting.widget_args).
    """
    from streamlit.runtime.state import get_session_state

    return get_session_state().is_new_state_value(key)
