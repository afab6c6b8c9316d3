"""AppTest that reruns what a browser reruns: a widget inside an ``st.fragment`` reruns only its fragment.

AppTest (Streamlit 1.67) always reruns the whole script after ``set_value(...).run()``, while the browser
sends a fragment rerun for a widget that lives in a fragment (the frontend tags the rerun with the widget's
fragment id). ``move`` does the same here: it looks the widget's fragment up in the session's widget
metadata and queues only that fragment.
"""

from __future__ import annotations

import dataclasses

from streamlit.runtime.scriptrunner.script_cache import ScriptCache
from streamlit.testing.v1 import AppTest, app_test, local_script_runner

_PENDING: dict[int, list[str]] = {}  # id(AppTest session state) -> fragment ids of its next run


class _FragmentAwareRunner(local_script_runner.LocalScriptRunner):
    def request_rerun(self, rerun_data):
        queue = _PENDING.pop(id(self.session_state), None)
        if not queue:
            return super().request_rerun(rerun_data)
        # The constructor already queued a full rerun (RerunData()), and a full rerun absorbs any fragment rerun
        # coalesced with it: replace it, as the server's runner gets the browser's request alone.
        with self._requests._lock:
            self._requests._rerun_data = dataclasses.replace(rerun_data, fragment_id_queue=list(queue))
        return True


app_test.LocalScriptRunner = _FragmentAwareRunner


def fragment_of(at: AppTest, widget) -> str | None:
    """The id of the fragment ``widget`` was drawn in, or None for a widget of the page body or sidebar."""
    metadata = at._session_state._state._new_widget_state.widget_metadata.get(widget.id)
    return getattr(metadata, "fragment_id", None) or None


def move(at: AppTest, widget, value=None, *, check: bool | None = None) -> bool:
    """Change ``widget`` (``set_value(value)``, or check/uncheck for toggles) and rerun what a browser
    would: its fragment only when it is in one, else the whole page. Returns whether it was a fragment run.

    After a fragment run the element tree holds only that fragment's elements, like the browser's delta.
    """
    if check is None:
        widget.set_value(value)
    else:
        widget.check() if check else widget.uncheck()
    fragment = fragment_of(at, widget)
    if fragment:
        _PENDING[id(at._session_state)] = [fragment]
    try:
        at.run()
    finally:
        _PENDING.pop(id(at._session_state), None)
    return bool(fragment)


def share_script_cache() -> None:
    """Compile each script once per process, as a server does (its Runtime keeps one ScriptCache); AppTest
    makes a new cache for every run and so recompiles app.py and the page (tens of ms for a long page)."""
    shared = ScriptCache()
    app_test.ScriptCache = lambda: shared
    local_script_runner.ScriptCache = lambda: shared
