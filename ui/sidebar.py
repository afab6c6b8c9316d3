"""The shared sidebar: drawn by app.py on every page, so its values persist across pages."""

from __future__ import annotations

import streamlit as st

from aecore.config import ACTIVATIONS, KIND_LABELS, LOSS_LABELS, MODEL_KINDS, NOISE_KINDS, NOISE_LABELS
from aecore.data import DATASETS
from ui import presets, state, training

BATCH_SIZES = (16, 32, 64, 128, 256, 512)
LEARNING_RATES = (0.0001, 0.0003, 0.001, 0.002, 0.005, 0.01, 0.03, 0.1, 1.0, 10.0)
NODE_CHOICES = (16, 32, 64, 128, 256, 512, 1024)
SPARSITY_WEIGHTS = (1e-6, 1e-5, 1e-4, 1e-3, 1e-2)
CONTRACTIVE_WEIGHTS = (1e-5, 1e-4, 1e-3, 1e-2, 1e-1)
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


def _data_label(name: str) -> str:
    return DATASETS[name].label if name in DATASETS else f"{name} (your upload)"


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
    sb.selectbox("Data set", _data_names(), key="sidebar_dataset", format_func=_data_label,
                 help="What the autoencoder learns to compress. mnist-5k works offline.")
    kind = sb.selectbox("Autoencoder type", MODEL_KINDS, key="sidebar_kind", format_func=KIND_LABELS.get,
                        help="Which member of the autoencoder family to train. Shared settings are kept.")
    sb.caption(KIND_HELP[kind])
    _type_controls(kind)

    max_code = 1024 if kind == "overcomplete" else 128
    if st.session_state.get("sidebar_code_size", 1) > max_code:
        st.session_state["sidebar_code_size"] = max_code
    sb.slider("Code size", 1, max_code, key="sidebar_code_size",
              help="How many numbers the encoder squeezes each input into. Smaller = more compression, "
                   "blurrier reconstructions.")
    if kind != "conv":
        sb.slider("Hidden layers (each side)", 0, 4, key="sidebar_n_hidden_layers",
                  help="Dense layers between the input and the code; the decoder mirrors them. 0 = one step.")
        sb.select_slider("Nodes in the first hidden layer", NODE_CHOICES, key="sidebar_first_layer_nodes",
                         help="Width next to the input; each deeper layer has half as many nodes.")
    sb.selectbox("Activation", ACTIVATIONS, key="sidebar_activation",
                 help="The non-linearity of the hidden layers. 'linear' makes the autoencoder a PCA.")
    sb.selectbox("Loss", list(LOSS_LABELS), key="sidebar_loss", format_func=LOSS_LABELS.get,
                 help="What training minimises. The output layer is a sigmoid, so pixels stay in [0, 1].")
    sb.slider("Epochs (at most)", 1, 200, key="sidebar_epochs",
              help="Passes over the training images. Early stopping may end sooner.")
    with sb.expander("Training details"):
        st.select_slider("Batch size", BATCH_SIZES, key="sidebar_batch_size",
                         help="Images per weight update. Larger is faster per epoch, smaller learns more per epoch.")
        st.select_slider("Learning rate", LEARNING_RATES, key="sidebar_learning_rate",
                         help="Step size of the Adam optimiser. Too high and training diverges.")
        st.number_input("Random seed", 0, 10_000, step=1, key="sidebar_seed",
                        help="Same seed and settings give the same model.")
        st.toggle("Early stopping", key="sidebar_early_stopping",
                  help="Stop when the validation loss stops improving and keep the best epoch's model.")
        st.slider("Patience (epochs)", 1, 20, key="sidebar_patience", disabled=not st.session_state.get(
            "sidebar_early_stopping", True), help="Epochs without improvement before early stopping ends training.")
        st.select_slider("L2 weight decay", (0.0, 1e-6, 1e-5, 1e-4, 1e-3), key="sidebar_l2_weight",
                         help="Penalty on large weights: a brake on over-fitting.")
        st.slider("Dropout", 0.0, 0.5, step=0.05, key="sidebar_dropout",
                  help="Fraction of hidden nodes switched off at random while training.")

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
        training.sidebar_status()


def _type_controls(kind: str) -> None:
    sb = st.sidebar
    noise_kinds = NOISE_KINDS if kind == "denoising" else ("gaussian",)
    if st.session_state.get("sidebar_noise_kind") not in noise_kinds:
        st.session_state["sidebar_noise_kind"] = "gaussian"
    if kind == "denoising":
        sb.selectbox("Noise kind", noise_kinds, key="sidebar_noise_kind", format_func=NOISE_LABELS.get,
                     help="How training inputs are corrupted.")
        if st.session_state.get("sidebar_noise_level", 0) <= 0:
            st.session_state["sidebar_noise_level"] = 0.5
    noise_kind = st.session_state.get("sidebar_noise_kind", "gaussian")
    if kind == "dense":
        # The plain autoencoder learns fit(x, x): no noise, and no slider that would quietly make it a denoiser.
        st.session_state["sidebar_noise_level"] = 0.0
    else:
        sb.slider("Noise level" + (" (σ)" if noise_kind == "gaussian" else " (fraction)"), 0.0, 1.0, step=0.05,
                  key="sidebar_noise_level",
                  help="0 trains without noise. Above 0 trains fit(x_noisy, x): noisy inputs, clean targets.")
    _ensure_choice("sidebar_sparsity_weight", SPARSITY_WEIGHTS, 1e-4)
    _ensure_choice("sidebar_contractive_weight", CONTRACTIVE_WEIGHTS, 1e-2)
    if kind == "sparse":
        sb.select_slider("Sparsity weight (L1 on the code)", SPARSITY_WEIGHTS, key="sidebar_sparsity_weight",
                         help="How hard the code is pushed toward zeros.")
    if kind == "contractive":
        sb.select_slider("Contractive weight", CONTRACTIVE_WEIGHTS, key="sidebar_contractive_weight",
                         help="Penalty on the encoder's Jacobian: how much the code moves when the input moves.")
    if kind == "variational":
        sb.select_slider("KL weight (β)", (0.1, 0.25, 0.5, 1.0, 2.0, 4.0), key="sidebar_kl_weight",
                         help="Weight of the KL term that pulls codes toward a standard normal distribution.")
    if kind == "conv":
        sb.select_slider("Filters in the first conv layer", (4, 8, 16, 32, 64), key="sidebar_conv_filters",
                         help="Feature maps of the first convolution; each deeper block doubles them.")
        sb.slider("Convolution blocks", 1, 3, key="sidebar_conv_depth",
                  help="Each block halves the image size (28 → 14 → 7).")
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
    if kind == previous or "sidebar_code_size" not in st.session_state:
        return
    code_size = st.session_state["sidebar_code_size"]
    if kind == "overcomplete":
        input_dim = _input_dim()
        if input_dim and code_size < input_dim:
            st.session_state["sidebar_before_overcomplete"] = (
                code_size, st.session_state.get("sidebar_n_hidden_layers"))
            code_size = min(1024, 2 * input_dim) if input_dim < 512 else 1024
            st.session_state["sidebar_n_hidden_layers"] = 0
    elif previous == "overcomplete" and "sidebar_before_overcomplete" in st.session_state:
        code_size, layers = st.session_state.pop("sidebar_before_overcomplete")
        if layers is not None:
            st.session_state["sidebar_n_hidden_layers"] = layers
    # Set here, before the slider is drawn with its new range, so the slider keeps the value.
    st.session_state["sidebar_code_size"] = code_size


def _input_dim() -> int | None:
    name = st.session_state.get("sidebar_dataset")
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


def _ensure_choice(key: str, options: tuple, fallback) -> None:
    """A select_slider needs its value among its options (the config default may be 0 = off)."""
    if st.session_state.get(key) not in options:
        st.session_state[key] = fallback
