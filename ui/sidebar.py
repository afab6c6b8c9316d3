"""The shared sidebar: drawn by app.py on every page, so its values persist across pages."""

from __future__ import annotations

import streamlit as st

from aecore.data import DATASETS
from ui import classroom, presets, runtime_fixes, settings, state, training
from ui.settings import (ACTIVATION, BATCH_SIZE, CODE_SIZE, CONTRACTIVE, CONV_DEPTH, CONV_FILTERS, DATASET, DROPOUT,
                         EARLY_STOPPING, EPOCHS, HIDDEN_LAYERS, KIND, KL, L2, LEARNING_RATE, LOSS, NODES, NOISE_KIND,
                         NOISE_LEVEL, PATIENCE, SEED, SPARSITY)

KIND_HELP = {
    "dense": "A stack of dense layers squeezing the input into a small code and back: the plain autoencoder.",
    "denoising": "Trained with fit(x_noisy, x): it sees corrupted inputs and must output the clean ones.",
    "sparse": "An L1 penalty on the code pushes its numbers toward zero: smaller codes (the family page measures how many units it switches off).",
    "conv": "Convolutions see neighbouring pixels together, so they suit images better than dense layers.",
    "contractive": "A penalty on the encoder's Jacobian: how much the code moves when the input moves a little.",
    "variational": "The code is a probability distribution: sample it to generate new images.",
    "overcomplete": "The code is as large as the input or larger, and no hidden layer is narrower than the code: "
                    "with no bottleneck and no penalty, it can learn to copy.",
}


def _data_names() -> list[str]:
    return list(DATASETS) + list(st.session_state.get(state.UPLOADS, {}))


def _draw(setting: settings.Setting, where=None, **overrides):
    """The setting's widget as the table describes it, showing the session's value (``overrides`` for what depends
    on the session)."""
    where = st.sidebar if where is None else where
    current = None if runtime_fixes.set_this_run(setting.key) else st.session_state.get(setting.key)
    return getattr(where, setting.widget)(**setting.widget_args(current, **overrides))


def draw_sidebar() -> None:
    """Train / Stop and the job's status at the top, then the preset and every model and training control.

    Train and Stop sit above the settings so that they are visible without scrolling on a 1280×720
    projector; they are drawn last into their place, after every control has settled the values the
    experiment is read from and after the Train click is handled, so Stop is enabled from the moment a
    job starts.
    """
    sb = st.sidebar
    actions = sb.container()
    presets.draw_selector()
    sb.header("Model settings")
    _draw(DATASET, options=_data_names())
    kind = _draw(KIND)
    sb.caption(KIND_HELP[kind])
    _type_controls(kind)

    max_code = settings.max_code_size(kind)
    if st.session_state.get(CODE_SIZE.key, 1) > max_code:
        st.session_state[CODE_SIZE.key] = max_code
    _draw(CODE_SIZE, max_value=max_code)
    if kind != "conv":
        _draw(HIDDEN_LAYERS)
        _draw(NODES)
    _draw(ACTIVATION)
    _draw(LOSS)
    _draw(EPOCHS)
    details = sb.expander("Training details")
    _draw(BATCH_SIZE, details)
    _draw(LEARNING_RATE, details)
    _draw(SEED, details)
    _draw(EARLY_STOPPING, details)
    _draw(PATIENCE, details, disabled=not st.session_state.get(EARLY_STOPPING.key, True))
    _draw(L2, details)
    _draw(DROPOUT, details)

    experiment = state.current_experiment()
    with actions:
        left, right = st.columns(2)
        if left.button("Train", type="primary", use_container_width=True, key="sidebar_train",
                       help="Train the model described below (runs in the background)."):
            training.start_training(experiment, where=st)
        # Decided after the Train click: deciding before it left Stop greyed out for the whole training.
        if right.button("Stop", use_container_width=True, key="sidebar_stop", disabled=not training.is_running(),
                        help="Stop training and keep the last completed epoch."):
            training.stop_training(where=st)
        training.sidebar_status(on_poll=classroom.check_follow)


def _type_controls(kind: str) -> None:
    sb = st.sidebar
    noise_kinds = NOISE_KIND.options if kind == "denoising" else (NOISE_KIND.default,)
    if st.session_state.get(NOISE_KIND.key) not in noise_kinds:
        st.session_state[NOISE_KIND.key] = NOISE_KIND.default
    if kind == "denoising":
        _draw(NOISE_KIND)
        if st.session_state.get(NOISE_LEVEL.key, 0) <= 0:
            st.session_state[NOISE_LEVEL.key] = NOISE_LEVEL.fallback
    noise_kind = st.session_state.get(NOISE_KIND.key, NOISE_KIND.default)
    if kind == "dense":
        # The plain autoencoder learns fit(x, x): no noise, and no slider that would quietly make it a denoiser.
        st.session_state[NOISE_LEVEL.key] = 0.0
    else:
        _draw(NOISE_LEVEL, label=NOISE_LEVEL.label + (" (σ)" if noise_kind == "gaussian" else " (fraction)"))
    _ensure_choice(SPARSITY)
    _ensure_choice(CONTRACTIVE)
    if kind == "sparse":
        _draw(SPARSITY)
    if kind == "contractive":
        _draw(CONTRACTIVE)
    if kind == "variational":
        _draw(KL)
    if kind == "conv":
        _draw(CONV_FILTERS)
        _draw(CONV_DEPTH)
    _overcomplete_code_size(kind)
    st.session_state["sidebar_previous_kind"] = kind
    if kind == "overcomplete":
        sb.warning("Over-complete: the code is at least as large as the input and nothing stops the model "
                   "from simply copying its input. It can reach a tiny error while learning nothing about the "
                   "data: the Autoencoder family page feeds it random noise to show it.", icon="⚠️")
    if kind == "conv":
        _conv_time_estimate()


def _overcomplete_code_size(kind: str) -> None:
    """Entering the over-complete type raises the code size above the input size and starts without hidden
    layers (input → code → output: every hidden layer would be as wide as the code, minutes of training on
    a CPU); leaving it restores both."""
    previous = st.session_state.get("sidebar_previous_kind")
    if kind == previous or CODE_SIZE.key not in st.session_state:
        return
    code_size = st.session_state[CODE_SIZE.key]
    if kind == "overcomplete":
        input_dim = _input_dim()
        if input_dim and code_size < input_dim:
            st.session_state["sidebar_before_overcomplete"] = (
                code_size, st.session_state.get(HIDDEN_LAYERS.key))
            code_size = min(settings.CODE_SIZE_CAP, 2 * input_dim)
            st.session_state[HIDDEN_LAYERS.key] = 0
    elif previous == "overcomplete" and "sidebar_before_overcomplete" in st.session_state:
        code_size, layers = st.session_state.pop("sidebar_before_overcomplete")
        if layers is not None:
            st.session_state[HIDDEN_LAYERS.key] = layers
    # Set here, before the slider is drawn with its new range, so the slider keeps the value.
    st.session_state[CODE_SIZE.key] = code_size


def _input_dim() -> int | None:
    name = st.session_state.get(DATASET.key)
    if name in DATASETS:
        size = 1
        for s in DATASETS[name].sample_shape:
            size *= s
        return size
    uploads = st.session_state.get(state.UPLOADS, {})
    return uploads[name].dataset.input_dim if name in uploads else None


def _conv_time_estimate() -> None:
    """Convolutions are slow on a CPU: say how long training will take before the user presses Train."""
    experiment = state.current_experiment()
    try:
        dataset = state.get_dataset(experiment.data)
    except Exception:  # the data set's own error is shown where it is used
        return
    if not dataset.is_square_image:
        st.sidebar.caption("Convolutions need square images: pick an image data set.")
        return
    seconds = training.estimate_seconds(experiment, dataset)
    text = (f"Training time: {training.estimate_text(seconds)}, at most: early stopping may end sooner.")
    (st.sidebar.warning if seconds > 60 else st.sidebar.caption)(text)


def _ensure_choice(setting: settings.Setting) -> None:
    """A select_slider needs its value among its options (the config default may be 0 = off)."""
    if st.session_state.get(setting.key) not in setting.options:
        st.session_state[setting.key] = setting.fallback
