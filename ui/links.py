"""Shareable links: the sidebar mirrored in the URL's query parameters, and presenter mode.

A link holds only what differs from its base (the chosen preset, or the defaults), so it stays short:
``/reconstruction?preset=denoise&epochs=10&present=1``. Values are checked on the way in: a bad one
falls back to the base value, and one warning lists them all.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from aecore import presets
from aecore.config import Experiment
from aecore.data import DATASETS
from ui import safe_text, settings, state

PRESET_PARAM = "preset"
PRESENTER_PARAM = "present"
NO_PRESET = "custom"


def base_experiment(preset_key: str | None) -> Experiment:
    preset = presets.get(preset_key) if preset_key else None
    return preset.experiment() if preset is not None else Experiment()


def names_upload(experiment: Experiment) -> bool:
    """True when ``experiment`` trains on data a link cannot carry (an upload lives in one session only)."""
    return bool(experiment.data.upload_id) or experiment.data.name not in DATASETS


def to_params(experiment: Experiment, preset_key: str | None = None, presenter: bool = False) -> dict[str, str]:
    """The query parameters of a link to ``experiment``: only what differs from its base.

    A link never names an upload: for an experiment on one, the link leaves the data set out, so it opens
    with the base's built-in data set (say so next to the link: see ``names_upload``).
    """
    experiment = experiment.replace(model=experiment.model.canonical())
    preset = presets.get(preset_key) if preset_key else None
    if names_upload(experiment):
        experiment = experiment.replace(data=base_experiment(preset_key if preset else None).data)
    params: dict[str, str] = {}
    if preset is not None:
        params[PRESET_PARAM] = preset.key
    base = base_experiment(preset_key)
    for setting in settings.SETTINGS:
        value = experiment.value_of(setting.field)
        if value != base.value_of(setting.field):
            params[setting.url] = settings.format_value(value)
    if presenter:
        params[PRESENTER_PARAM] = "1"
    return params


@dataclass
class LinkState:
    values: dict[str, object]  # every sidebar key
    preset: str  # a preset key or NO_PRESET
    presenter: bool
    problems: list[str]  # "name=value" pairs that were ignored

    def experiment(self) -> Experiment:
        return settings.experiment_from(self.values)


def from_params(params: dict[str, str]) -> LinkState:
    """Read query parameters back; every unreadable value falls back to its base and is listed."""
    problems: list[str] = []
    preset_key = params.get(PRESET_PARAM)
    if preset_key is not None and presets.get(preset_key) is None:
        problems.append(f"{PRESET_PARAM}={preset_key}")
        preset_key = None
    values = settings.values_of(base_experiment(preset_key))
    for name, text in params.items():
        setting = settings.BY_URL.get(name)
        if setting is None:
            continue  # other parameters belong to someone else
        try:
            values[setting.key] = setting.parse(str(text))
        except (TypeError, ValueError):
            problems.append(f"{name}={text}")
    code = settings.CODE_SIZE.key
    max_code = settings.max_code_size(values[settings.KIND.key])
    if values[code] > max_code:
        problems.append(f"{settings.CODE_SIZE.url}={values[code]} (at most {max_code} for this type)")
        values[code] = min(base_experiment(preset_key).model.code_size, max_code)
    presenter = False
    if PRESENTER_PARAM in params:
        try:
            presenter = settings.parse_bool(str(params[PRESENTER_PARAM]))
        except ValueError:
            problems.append(f"{PRESENTER_PARAM}={params[PRESENTER_PARAM]}")
    # The preset stays selected only if nothing in the link moved away from it.
    preset = preset_key or NO_PRESET
    if preset_key and settings.experiment_from(values) != base_experiment(preset_key):
        preset = NO_PRESET
    return LinkState(values, preset, presenter, problems)


# --- Streamlit glue -----------------------------------------------------------------------------------------

def restore_from_url() -> None:
    """Once per session, before the sidebar is drawn: set the sidebar from the link it was opened with."""
    if st.session_state.get(state.URL_RESTORED):
        return
    st.session_state[state.URL_RESTORED] = True
    params = {name: st.query_params[name] for name in st.query_params}
    if not params:
        return
    link = from_params(params)
    for key, value in link.values.items():
        st.session_state[key] = value
    st.session_state[state.PRESET] = link.preset
    st.session_state[state.PRESENTER] = link.presenter
    st.session_state[state.AUTOLOAD] = True
    if link.problems:
        st.warning(problems_text(link.problems), icon="⚠️")


MAX_LISTED_PROBLEMS = 8  # a link with more bad values lists the first ones and counts the rest


def problems_text(problems: list[str]) -> str:
    """The one warning about a link's unusable values, as markdown. The values come from whoever wrote the
    link: each is shown as text (never markup) and cut short."""
    shown = [safe_text.plain(p) for p in problems[:MAX_LISTED_PROBLEMS]]
    more = len(problems) - len(shown)
    if more > 0:
        shown.append(f"and {more} more")
    return ("Some settings in this link could not be used and were reset to their defaults: "
            + ", ".join(shown) + ".")


def current_params(presenter: bool | None = None) -> dict[str, str]:
    preset = st.session_state.get(state.PRESET, NO_PRESET)
    return to_params(state.current_experiment(), None if preset == NO_PRESET else preset,
                     presenter_mode() if presenter is None else presenter)


def mirror_to_url() -> None:
    """After the sidebar is drawn: keep the URL equal to the sidebar (only our own parameters)."""
    if state.current_experiment().data.upload_id:
        wanted = {}  # an upload lives in this session only: a link to it would open something else
    else:
        wanted = current_params()
    names = set(settings.BY_URL) | {PRESET_PARAM, PRESENTER_PARAM}
    for name in list(st.query_params):
        if name in names and name not in wanted:
            del st.query_params[name]
    for name, value in wanted.items():
        if st.query_params.get(name) != value:
            st.query_params[name] = value


def presenter_mode() -> bool:
    """True when the session shows the app on a projector (pages may shorten their explanations)."""
    return bool(st.session_state.get(state.PRESENTER, False))


def share_url(base: str | None = None, presenter: bool | None = None) -> str:
    """The full link to the current page and settings (``base`` defaults to the browser's address)."""
    from urllib.parse import urlencode

    if base is None:
        base = (getattr(st.context, "url", None) or "").split("?", 1)[0]
    query = urlencode(current_params(presenter))
    return f"{base}?{query}" if query else base
