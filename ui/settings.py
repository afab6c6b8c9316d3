"""The settings table: every sidebar setting, named once.

One row per setting (in the spirit of TensorFlow Playground's ``PROPS``): its session key, the Experiment
field it sets, its widget with label, range or options and help, and its short name in shared links. The
sidebar draws its widgets from the rows, links read and write them, presets and the session's experiment
are set and read through them. Defaults are the config dataclasses' own (aecore.config).

This module imports no other ui module, so every ui module may import it.
"""

from __future__ import annotations

import functools

import math
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from aecore.config import ACTIVATIONS, KIND_LABELS, LOSS_LABELS, LOSSES, MODEL_KINDS, NOISE_KINDS, NOISE_LABELS
from aecore.config import Experiment
from aecore.data import DATASETS

CODE_SIZE_CAP = 1024  # the largest code the sidebar offers (over-complete type; 2 x 784 would train for minutes)
UNDERCOMPLETE_CODE_SIZE_CAP = 128  # every other type


def max_code_size(kind: str) -> int:
    """The code-size slider's end for this autoencoder type (a link's code is checked against it too)."""
    return CODE_SIZE_CAP if kind == "overcomplete" else UNDERCOMPLETE_CODE_SIZE_CAP


def _data_label(name: str) -> str:
    return DATASETS[name].label if name in DATASETS else f"{name} (your upload)"


@dataclass(frozen=True)
class Setting:
    """One sidebar setting. ``low``/``high``/``step`` for sliders and number inputs, ``options`` for the rest."""

    key: str  # session-state key of its widget
    field: str  # the Experiment field it sets: "section.name"
    widget: str  # the Streamlit call: selectbox, select_slider, slider, number_input or toggle
    label: str
    help: str
    url: str  # its name in a shared link's query (?code=2): never rename, old links use it
    options: tuple = ()  # the values a link may hold; the data set's widget adds this session's uploads
    low: float | None = None
    high: float | None = None
    step: float | None = None
    format: Callable[[Any], str] | None = None  # how an option is shown
    fallback: Any = None  # the value the sidebar switches to when the current one is unusable (0 = off, say)

    @property
    def default(self) -> Any:
        return Experiment().value_of(self.field)

    def widget_args(self, current: Any = None, **overrides) -> dict[str, Any]:
        """Keyword arguments of the Streamlit call that draws this setting; ``current`` (the session's value)
        becomes the widget's default.

        Streamlit sends a value set through ``st.session_state`` to the browser once, in the run that set it; later
        runs send only the widget's default. A widget whose code reaches the browser after such a later run (a
        shared link's page, with the cached model's load rerunning the app) was drawn at that default: the slider's
        minimum, while the server kept the link's value. With the value as the default, every run carries it.
        """
        args: dict[str, Any] = dict(label=self.label, key=self.key, help=self.help)
        if self.options:
            args["options"] = self.options
        if self.low is not None:
            args.update(min_value=self.low, max_value=self.high)
        if self.step is not None:
            args["step"] = self.step
        if self.format is not None:
            args["format_func"] = self.format
        args.update(overrides)
        if self.widget == "selectbox":
            options = list(args["options"])
            if current in options:
                args["index"] = options.index(current)
        elif "options" in args:
            if current in args["options"]:
                args["value"] = current
        elif self.widget == "toggle":
            if isinstance(current, bool):
                args["value"] = current
        elif isinstance(current, (int, float)) and args["min_value"] <= current <= args["max_value"]:
            args["value"] = current
        return args

    def parse(self, text: str) -> Any:
        """A link's text for this setting as a value the sidebar can show; ValueError if there is none."""
        if self.widget == "toggle":
            return parse_bool(text)
        default = self.default
        if self.options:
            value = type(default)(text)
            for option in self.options + (default,):  # e.g. a sparsity of 0 (off) is not on the slider
                if option == value or (isinstance(value, float) and math.isclose(option, value, rel_tol=1e-6)):
                    return option
            raise ValueError(text)
        if isinstance(default, int):
            value = int(text)
            if not self.low <= value <= self.high:
                raise ValueError(text)
            return value
        value = float(text)
        if not (math.isfinite(value) and self.low - 1e-9 <= value <= self.high + 1e-9):
            raise ValueError(text)
        return round(round(value / self.step) * self.step, 6)


def parse_bool(text: str) -> bool:
    if text.lower() in ("1", "true", "yes", "on"):
        return True
    if text.lower() in ("0", "false", "no", "off"):
        return False
    raise ValueError(text)


def format_value(value: object) -> str:
    """A value as a link writes it."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


DATASET = Setting(
    "sidebar_dataset", "data.name", "selectbox", "Data set",
    "What the autoencoder learns to compress. mnist-5k works offline.", "data",
    options=tuple(DATASETS), format=_data_label)
KIND = Setting(
    "sidebar_kind", "model.kind", "selectbox", "Autoencoder type",
    "Which member of the autoencoder family to train. Shared settings are kept.", "kind",
    options=MODEL_KINDS, format=KIND_LABELS.get)
CODE_SIZE = Setting(
    "sidebar_code_size", "model.code_size", "slider", "Code size",
    "How many numbers the encoder squeezes each input into. Smaller = more compression, blurrier reconstructions.",
    "code", low=1, high=CODE_SIZE_CAP)  # the slider ends at max_code_size(kind)
HIDDEN_LAYERS = Setting(
    "sidebar_n_hidden_layers", "model.n_hidden_layers", "slider", "Hidden layers (each side)",
    "Dense layers between the input and the code; the decoder mirrors them. 0 = one step.", "layers",
    low=0, high=4)
NODES = Setting(
    "sidebar_first_layer_nodes", "model.first_layer_nodes", "select_slider", "Nodes in the first hidden layer",
    "Width next to the input; each deeper layer has half as many nodes.", "nodes",
    options=(16, 32, 64, 128, 256, 512, 1024))
ACTIVATION = Setting(
    "sidebar_activation", "model.activation", "selectbox", "Activation",
    "The non-linearity of the hidden layers. 'linear' makes the autoencoder a PCA.", "act",
    options=ACTIVATIONS)
LOSS = Setting(
    "sidebar_loss", "model.loss", "selectbox", "Loss",
    "What training minimises. The output layer is a sigmoid, so pixels stay in [0, 1].", "loss",
    options=LOSSES, format=LOSS_LABELS.get)
L2 = Setting(
    "sidebar_l2_weight", "model.l2_weight", "select_slider", "L2 weight decay",
    "Penalty on large weights: a brake on over-fitting.", "l2",
    options=(0.0, 1e-6, 1e-5, 1e-4, 1e-3))
DROPOUT = Setting(
    "sidebar_dropout", "model.dropout", "slider", "Dropout",
    "Fraction of hidden nodes switched off at random while training.", "dropout",
    low=0.0, high=0.5, step=0.05)
SPARSITY = Setting(
    "sidebar_sparsity_weight", "model.sparsity_weight", "select_slider", "Sparsity weight (L1 on the code)",
    "How hard the code is pushed toward zeros.", "sparsity",
    options=(1e-6, 1e-5, 1e-4, 1e-3, 1e-2), fallback=1e-4)
CONTRACTIVE = Setting(
    "sidebar_contractive_weight", "model.contractive_weight", "select_slider", "Contractive weight",
    "Penalty on the encoder's Jacobian: how much the code moves when the input moves.", "contractive",
    options=(1e-5, 1e-4, 1e-3, 1e-2, 1e-1), fallback=1e-2)
KL = Setting(
    "sidebar_kl_weight", "model.kl_weight", "select_slider", "KL weight (β)",
    "Weight of the KL term that pulls codes toward a standard normal distribution.", "kl",
    options=(0.1, 0.25, 0.5, 1.0, 2.0, 4.0))
CONV_FILTERS = Setting(
    "sidebar_conv_filters", "model.conv_filters", "select_slider", "Filters in the first conv layer",
    "Feature maps of the first convolution; each deeper block doubles them.", "filters",
    options=(4, 8, 16, 32, 64))
CONV_DEPTH = Setting(
    "sidebar_conv_depth", "model.conv_depth", "slider", "Convolution blocks",
    "Each block halves the image size (28 → 14 → 7).", "blocks",
    low=1, high=3)
NOISE_KIND = Setting(
    "sidebar_noise_kind", "train.noise_kind", "selectbox", "Noise kind",
    "How training inputs are corrupted.", "noise",
    options=NOISE_KINDS, format=NOISE_LABELS.get)
NOISE_LEVEL = Setting(
    "sidebar_noise_level", "train.noise_level", "slider", "Noise level",  # the sidebar adds (σ) or (fraction)
    "0 trains without noise. Above 0 trains fit(x_noisy, x): noisy inputs, clean targets.", "level",
    low=0.0, high=1.0, step=0.05, fallback=0.5)  # where a denoiser starts: at 0 it could not train
EPOCHS = Setting(
    "sidebar_epochs", "train.epochs", "slider", "Epochs (at most)",
    "Passes over the training images. Early stopping may end sooner.", "epochs",
    low=1, high=200)
BATCH_SIZE = Setting(
    "sidebar_batch_size", "train.batch_size", "select_slider", "Batch size",
    "Images per weight update. Larger is faster per epoch, smaller learns more per epoch.", "batch",
    options=(16, 32, 64, 128, 256, 512))
LEARNING_RATE = Setting(
    "sidebar_learning_rate", "train.learning_rate", "select_slider", "Learning rate",
    "Step size of the Adam optimiser. Too high and training diverges.", "lr",
    options=(0.0001, 0.0003, 0.001, 0.002, 0.005, 0.01, 0.03, 0.1, 1.0, 10.0))
SEED = Setting(
    "sidebar_seed", "train.seed", "number_input", "Random seed",
    "Same seed and settings give the same model.", "seed",
    low=0, high=10_000, step=1)
EARLY_STOPPING = Setting(
    "sidebar_early_stopping", "train.early_stopping", "toggle", "Early stopping",
    "Stop when the validation loss stops improving and keep the best epoch's model.", "es")
PATIENCE = Setting(
    "sidebar_patience", "train.patience", "slider", "Patience (epochs)",
    "Epochs without improvement before early stopping ends training.", "patience",
    low=1, high=20)

# In the order a link writes them (the sidebar's order is in ui/sidebar.py).
SETTINGS: tuple[Setting, ...] = (
    DATASET, KIND, CODE_SIZE, HIDDEN_LAYERS, NODES, ACTIVATION, LOSS, L2, DROPOUT, SPARSITY, CONTRACTIVE, KL,
    CONV_FILTERS, CONV_DEPTH, NOISE_KIND, NOISE_LEVEL, EPOCHS, BATCH_SIZE, LEARNING_RATE, SEED, EARLY_STOPPING,
    PATIENCE,
)
BY_KEY: dict[str, Setting] = {s.key: s for s in SETTINGS}
BY_URL: dict[str, Setting] = {s.url: s for s in SETTINGS}


def default_values() -> dict[str, object]:
    """Session key -> default value, for every setting."""
    return values_of(Experiment())


def values_of(experiment: Experiment) -> dict[str, object]:
    """Session key -> value for ``experiment`` (what a preset or a link writes into the session)."""
    return {s.key: experiment.value_of(s.field) for s in SETTINGS}


def experiment_from(values: Mapping[str, object], upload_id: str = "") -> Experiment:
    """The canonical experiment that session values describe (a key that is missing keeps its default);
    ``upload_id`` names the session's upload when the data set is one."""
    fields = tuple((s.field, values[s.key]) for s in SETTINGS if s.key in values)
    if upload_id:
        fields += (("data.upload_id", upload_id),)
    try:
        return _experiment(fields)
    except TypeError:  # a value that cannot be hashed: build it without the memo
        return Experiment.from_fields(dict(fields))


@functools.lru_cache(maxsize=512)
def _experiment(fields: tuple) -> Experiment:
    # Every rerun asks for the sidebar's experiment several times (sidebar, links, presets, page); building and
    # canonicalising it was ~6 % of a rerun's CPU. Experiments are frozen, so one object serves every caller.
    return Experiment.from_fields(dict(fields))
