"""Shareable links: the sidebar mirrored in the URL's query parameters, and presenter mode.

A link holds only what differs from its base (the chosen preset, or the defaults), so it stays short:
``/reconstruction?preset=denoise&epochs=10&present=1``. Values are checked on the way in: a bad one
falls back to the base value, and one warning lists them all.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import streamlit as st

from aecore import presets
from aecore.config import ACTIVATIONS, LOSSES, MODEL_KINDS, NOISE_KINDS, Experiment
from aecore.data import DATASETS
from ui import safe_text, state

PRESET_PARAM = "preset"
PRESENTER_PARAM = "present"
NO_PRESET = "custom"

L2_WEIGHTS = (0.0, 1e-6, 1e-5, 1e-4, 1e-3)
KL_WEIGHTS = (0.1, 0.25, 0.5, 1.0, 2.0, 4.0)
CONV_FILTERS = (4, 8, 16, 32, 64)


@dataclass(frozen=True)
class Param:
    """One sidebar field in the URL: its short name and how to read it back."""

    name: str
    parse: Callable[[str], object]  # raises ValueError for a value the sidebar cannot show


def _choice(options, cast=str):
    def parse(text: str):
        value = cast(text)
        for option in options:
            if option == value or (isinstance(value, float) and math.isclose(option, value, rel_tol=1e-6)):
                return option
        raise ValueError(text)

    return parse


def _int_range(lo: int, hi: int):
    def parse(text: str) -> int:
        value = int(text)
        if not lo <= value <= hi:
            raise ValueError(text)
        return value

    return parse


def _float_steps(lo: float, hi: float, step: float):
    def parse(text: str) -> float:
        value = float(text)
        if not (math.isfinite(value) and lo - 1e-9 <= value <= hi + 1e-9):
            raise ValueError(text)
        return round(round(value / step) * step, 6)

    return parse


def _bool(text: str) -> bool:
    if text.lower() in ("1", "true", "yes", "on"):
        return True
    if text.lower() in ("0", "false", "no", "off"):
        return False
    raise ValueError(text)


def _sidebar_choices():
    from ui import sidebar  # the sidebar's own option lists, so the URL accepts exactly what it can show

    return sidebar


def _params() -> dict[str, Param]:
    sb = _sidebar_choices()
    return {
        "sidebar_dataset": Param("data", _choice(tuple(DATASETS))),
        "sidebar_kind": Param("kind", _choice(MODEL_KINDS)),
        "sidebar_code_size": Param("code", _int_range(1, 1024)),
        "sidebar_n_hidden_layers": Param("layers", _int_range(0, 4)),
        "sidebar_first_layer_nodes": Param("nodes", _choice(sb.NODE_CHOICES, int)),
        "sidebar_activation": Param("act", _choice(ACTIVATIONS)),
        "sidebar_loss": Param("loss", _choice(LOSSES)),
        "sidebar_l2_weight": Param("l2", _choice(L2_WEIGHTS, float)),
        "sidebar_dropout": Param("dropout", _float_steps(0.0, 0.5, 0.05)),
        "sidebar_sparsity_weight": Param("sparsity", _choice((0.0,) + sb.SPARSITY_WEIGHTS, float)),
        "sidebar_contractive_weight": Param("contractive", _choice((0.0,) + sb.CONTRACTIVE_WEIGHTS, float)),
        "sidebar_kl_weight": Param("kl", _choice(KL_WEIGHTS, float)),
        "sidebar_conv_filters": Param("filters", _choice(CONV_FILTERS, int)),
        "sidebar_conv_depth": Param("blocks", _int_range(1, 3)),
        "sidebar_noise_kind": Param("noise", _choice(NOISE_KINDS)),
        "sidebar_noise_level": Param("level", _float_steps(0.0, 1.0, 0.05)),
        "sidebar_epochs": Param("epochs", _int_range(1, 200)),
        "sidebar_batch_size": Param("batch", _choice(sb.BATCH_SIZES, int)),
        "sidebar_learning_rate": Param("lr", _choice(sb.LEARNING_RATES, float)),
        "sidebar_seed": Param("seed", _int_range(0, 10_000)),
        "sidebar_early_stopping": Param("es", _bool),
        "sidebar_patience": Param("patience", _int_range(1, 20)),
    }


def _format(value: object) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def experiment_values(experiment: Experiment) -> dict[str, object]:
    """Sidebar key -> value for ``experiment`` (the inverse of ``state.current_experiment``)."""
    return {key: getattr(getattr(experiment, section), attr)
            for key, (section, attr) in state.SIDEBAR_FIELDS.items()}


def experiment_from_values(values: dict[str, object]) -> Experiment:
    """The canonical experiment that sidebar values describe (built-in data sets only)."""
    sections: dict[str, dict[str, object]] = {name: {} for name in state.SECTIONS}
    for key, (section, attr) in state.SIDEBAR_FIELDS.items():
        if key in values:
            sections[section][attr] = values[key]
    experiment = Experiment(**{name: cls(**sections[name]) for name, cls in state.SECTIONS.items()})
    return experiment.replace(model=experiment.model.canonical())


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
    base = experiment_values(base_experiment(preset_key))
    spec = _params()
    for key, value in experiment_values(experiment).items():
        if key in spec and value != base[key]:
            params[spec[key].name] = _format(value)
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
        return experiment_from_values(self.values)


def from_params(params: dict[str, str]) -> LinkState:
    """Read query parameters back; every unreadable value falls back to its base and is listed."""
    problems: list[str] = []
    preset_key = params.get(PRESET_PARAM)
    if preset_key is not None and presets.get(preset_key) is None:
        problems.append(f"{PRESET_PARAM}={preset_key}")
        preset_key = None
    values = experiment_values(base_experiment(preset_key))
    by_name = {param.name: (key, param) for key, param in _params().items()}
    for name, text in params.items():
        if name in (PRESET_PARAM, PRESENTER_PARAM) or name not in by_name:
            continue  # other parameters belong to someone else
        key, param = by_name[name]
        try:
            values[key] = param.parse(str(text))
        except (TypeError, ValueError):
            problems.append(f"{name}={text}")
    max_code = 1024 if values["sidebar_kind"] == "overcomplete" else 128
    if values["sidebar_code_size"] > max_code:
        problems.append(f"code={values['sidebar_code_size']} (at most {max_code} for this type)")
        fallback = experiment_values(base_experiment(preset_key))["sidebar_code_size"]
        values["sidebar_code_size"] = min(fallback, max_code)
    presenter = False
    if PRESENTER_PARAM in params:
        try:
            presenter = _bool(str(params[PRESENTER_PARAM]))
        except ValueError:
            problems.append(f"{PRESENTER_PARAM}={params[PRESENTER_PARAM]}")
    # The preset stays selected only if nothing in the link moved away from it.
    preset = preset_key or NO_PRESET
    if preset_key and experiment_from_values(values) != base_experiment(preset_key):
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
    names = {p.name for p in _params().values()} | {PRESET_PARAM, PRESENTER_PARAM}
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
