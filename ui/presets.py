"""The lesson-preset selector at the top of the sidebar, and the presenter toggle.

Choosing a preset writes every sidebar control (in the selectbox's callback, before the widgets are
drawn). Moving any control afterwards turns the selector into "custom" and keeps the values.
"""

from __future__ import annotations

import time

import streamlit as st

from aecore import presets
from ui import links, runtime_fixes, settings, state, training

CUSTOM_LABEL = "Custom (your own settings)"


def _label(key: str) -> str:
    preset = presets.get(key)
    return preset.title if preset is not None else CUSTOM_LABEL


def apply_preset(key: str) -> None:
    """Set every sidebar control to ``key``'s values (call before the sidebar widgets are drawn)."""
    preset = presets.get(key)
    if preset is None:
        return
    for widget_key, value in settings.values_of(preset.experiment()).items():
        st.session_state[widget_key] = value


# How long after a move turned the selector to "custom" a request naming the preset it left may be the browser's
# older copy (a run takes well under a second here; CI at load 2-4 up to about 2 s).
STALE_SECONDS = 5.0
LEFT_PRESET = "sidebar_left_preset"  # (preset, time.monotonic()) when a move turned the selector to "custom"


def _on_select() -> None:
    chosen = st.session_state.get(state.PRESET, links.NO_PRESET)
    if _older_copy(chosen):
        st.session_state[state.PRESET] = links.NO_PRESET
        return
    apply_preset(chosen)
    st.session_state[state.AUTOLOAD] = True


def _older_copy(chosen: str) -> bool:
    """Whether a request that "chooses" the preset a move has just left was sent before the browser showed the
    move: its address still names that preset (the run that showed "custom" removed it from the address bar).
    Applying it would undo the move (the class browser test lost the teacher's data set so, 3 of 13 runs). A
    student who picks the preset again after seeing "custom" sends an address without it, and gets it."""
    left = st.session_state.pop(LEFT_PRESET, None)
    return (left is not None and left[0] == chosen and time.monotonic() - left[1] < STALE_SECONDS
            and st.query_params.get(links.PRESET_PARAM) == chosen)


def _load_if_cached() -> None:
    """After a shared link or a preset: when the disk cache holds exactly this model, show it at once.

    Nothing is trained here: a model that is not cached waits for **Train** as usual.
    """
    if not st.session_state.pop(state.AUTOLOAD, False):
        return
    job = training.current_job()
    experiment = state.current_experiment()
    if experiment.data.upload_id or (job is not None and (job.active or job.key == experiment.key())):
        return
    try:
        from aecore.cache import default_cache

        cached = default_cache().contains(experiment)
    except Exception:  # an unreadable cache folder: behave as if empty
        return
    if cached:
        training.start_training(experiment)


def active_preset() -> presets.Preset | None:
    """The selected preset, if the sidebar still holds exactly its settings."""
    return presets.get(st.session_state.get(state.PRESET, links.NO_PRESET))


def _follow_sidebar() -> None:
    """A control moved away from the preset: the selector says "custom" (the values stay as they are)."""
    preset = active_preset()
    if preset is not None and state.current_experiment() != preset.experiment():
        st.session_state[state.PRESET] = links.NO_PRESET
        st.session_state[LEFT_PRESET] = (preset.key, time.monotonic())


def _cached(preset: presets.Preset) -> bool:
    try:
        from aecore.cache import default_cache

        return default_cache().contains(preset.experiment())
    except Exception:  # no cache on this machine: simply not pre-trained
        return False


def draw_selector() -> None:
    """The preset selectbox, its two-line explanation, and the presenter toggle (top of the sidebar)."""
    st.session_state.setdefault(state.PRESET, links.NO_PRESET)
    st.session_state.setdefault(state.PRESENTER, False)
    _follow_sidebar()
    sb = st.sidebar
    choices = (links.NO_PRESET,) + tuple(p.key for p in presets.PRESETS)
    # The session's values as the widgets' defaults: the browser may draw them only after a later run (see
    # settings.Setting.widget_args), and a link's preset or presenter mode must not show as "custom" or off then.
    chosen = st.session_state[state.PRESET]
    index = choices.index(chosen) if chosen in choices and not runtime_fixes.set_this_run(state.PRESET) else 0
    presenter = bool(st.session_state[state.PRESENTER]) and not runtime_fixes.set_this_run(state.PRESENTER)
    sb.selectbox("Lesson preset", choices, index=index, key=state.PRESET, format_func=_label, on_change=_on_select,
                 help="Sets every control below at once. Move any control afterwards and it becomes 'custom', "
                      "keeping your values.")
    preset = active_preset()
    if preset is not None:
        line1, line2 = preset.explanation
        title = f"**{preset.title}**  \n" if len(preset.title) > 26 else ""  # the selectbox cuts long names off
        sb.caption(title + (line2 if links.presenter_mode() else f"{line1}  \n{line2}"))
        if _cached(preset):
            sb.caption(":material/bolt: Pre-trained: **Train** loads it from the model cache at once.")
    sb.toggle("Presenter mode", value=presenter, key=state.PRESENTER,
              help="For a projector: larger text, the sidebar folded away, shorter explanations. "
                   "It is part of the link, so a shared link can open in presenter mode.")
    _load_if_cached()


def presenter_banner() -> None:
    """In presenter mode the sidebar is folded away: say which lesson is on screen and what to look at."""
    preset = active_preset()
    if links.presenter_mode() and preset is not None:
        st.info(f"**{preset.title}** — {preset.explanation[1]}", icon=":material/school:")
