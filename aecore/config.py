"""Frozen, hashable configurations for data, model and training.

A configuration holds plain values only (str, int, float, bool, tuples), so its
stable hash can key every cache: data, trained models and derived results.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from dataclasses import dataclass, field
from typing import Mapping

MODEL_KINDS = ("dense", "denoising", "sparse", "conv", "contractive", "variational", "overcomplete")
KIND_LABELS = {
    "dense": "Under-complete dense (plain)",
    "denoising": "Denoising",
    "sparse": "Sparse",
    "conv": "Convolutional",
    "contractive": "Contractive",
    "variational": "Variational (VAE)",
    "overcomplete": "Over-complete (unregularised)",
}
ACTIVATIONS = ("relu", "elu", "selu", "tanh", "sigmoid", "leaky_relu", "linear")
OUTPUT_ACTIVATIONS = ("sigmoid", "linear")
LOSSES = ("mse", "bce")
LOSS_LABELS = {"mse": "Mean squared error", "bce": "Binary cross-entropy"}
NOISE_KINDS = ("gaussian", "salt_pepper", "masking")
MAX_NOISE_SPANS = 10  # Gaussian σ above this many times the data's range is refused (nothing survives it)
NOISE_LABELS = {
    "gaussian": "Gaussian (σ)",
    "salt_pepper": "Salt and pepper (fraction)",
    "masking": "Masking (fraction dropped)",
}


def _cut(value: object, limit: int = 60) -> str:
    """A name from a user (a link, a file) as it goes into a message: one line, at most ``limit`` characters."""
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def stable_hash(*parts: object, length: int = 16) -> str:
    """Hash of plain values and configs, identical across processes and runs."""

    def plain(obj: object) -> object:
        if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            return {"__type__": type(obj).__name__, **{k: plain(v) for k, v in dataclasses.asdict(obj).items()}}
        if isinstance(obj, (list, tuple)):
            return [plain(v) for v in obj]
        if isinstance(obj, dict):
            return {str(k): plain(v) for k, v in sorted(obj.items())}
        if isinstance(obj, float):
            return repr(obj)
        return obj

    text = json.dumps([plain(p) for p in parts], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:length]


class _Hashable:
    def key(self) -> str:
        """Stable hash of this configuration (cache key)."""
        return stable_hash(self)

    def replace(self, **changes):
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class DataConfig(_Hashable):
    """Which data set, and how it is split.

    ``upload_id`` names a user's uploaded data set (the hash of its bytes); such
    data lives only in that user's session.
    """

    name: str = "mnist-5k"
    split_seed: int = 0
    val_fraction: float = 0.08
    test_fraction: float = 0.2
    upload_id: str = ""

    def validate(self) -> None:
        # An unknown name is refused where data sets are known: aecore.data.load_dataset.
        if not 0 < self.test_fraction < 0.9:
            raise ValueError("The test fraction must be between 0 and 0.9.")
        if not 0 < self.val_fraction < 0.5:
            raise ValueError("The validation fraction must be between 0 and 0.5.")


@dataclass(frozen=True)
class ModelConfig(_Hashable):
    """Architecture of one autoencoder.

    Dense encoders have ``n_hidden_layers`` layers whose widths start at
    ``first_layer_nodes`` next to the input and halve toward the code; the
    decoder mirrors them.
    """

    kind: str = "dense"
    code_size: int = 16
    n_hidden_layers: int = 2
    first_layer_nodes: int = 256
    activation: str = "relu"
    code_activation: str = "linear"
    output_activation: str = "sigmoid"
    loss: str = "bce"
    l2_weight: float = 0.0
    dropout: float = 0.0
    sparsity_weight: float = 0.0
    contractive_weight: float = 0.0
    kl_weight: float = 1.0
    conv_filters: int = 16
    conv_depth: int = 2

    def canonical(self) -> "ModelConfig":
        """This config with the settings its type does not use reset, so equal models hash equally."""
        default = ModelConfig()
        changes = {}
        if self.kind != "sparse":
            changes["sparsity_weight"] = 0.0
        if self.kind != "contractive":
            changes["contractive_weight"] = 0.0
        if self.kind != "variational":
            changes["kl_weight"] = default.kl_weight
        if self.kind != "conv":
            changes.update(conv_filters=default.conv_filters, conv_depth=default.conv_depth)
        return dataclasses.replace(self, **changes)

    def layer_widths(self) -> tuple[int, ...]:
        """Widths of the encoder's hidden layers, input side first."""
        widths = []
        width = self.first_layer_nodes
        for _ in range(self.n_hidden_layers):
            widths.append(max(int(width), 1))
            width = width / 2
        if self.kind == "overcomplete":  # no layer narrower than the code: no bottleneck anywhere
            widths = [max(w, self.code_size) for w in widths]
        return tuple(widths)

    def validate(self, input_dim: int | None = None, value_range: tuple[float, float] = (0.0, 1.0)) -> None:
        if self.kind not in MODEL_KINDS:
            raise ValueError(f"Unknown autoencoder type '{_cut(self.kind)}'.")
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"Unknown activation '{_cut(self.activation)}'. Choose one of: {', '.join(ACTIVATIONS)}.")
        if self.output_activation not in OUTPUT_ACTIVATIONS:
            raise ValueError(f"Unknown output activation '{_cut(self.output_activation)}'.")
        if self.loss not in LOSSES:
            raise ValueError(f"Unknown loss '{_cut(self.loss)}'. Choose mean squared error or binary cross-entropy.")
        if self.code_size < 1:
            raise ValueError("The code size must be at least 1 number.")
        if not 0 <= self.n_hidden_layers <= 6:
            raise ValueError("Use between 0 and 6 hidden layers.")
        if self.first_layer_nodes < 1:
            raise ValueError("A hidden layer needs at least 1 node.")
        if not 0 <= self.dropout < 1:
            raise ValueError("Dropout must be at least 0 and below 1.")
        for name in ("l2_weight", "sparsity_weight", "contractive_weight", "kl_weight"):
            if getattr(self, name) < 0 or not math.isfinite(getattr(self, name)):
                raise ValueError(f"{name.replace('_', ' ').capitalize()} must be a finite number ≥ 0.")
        if self.kind == "sparse" and self.sparsity_weight <= 0:
            raise ValueError("A sparse autoencoder needs a sparsity weight above 0; set it in the sidebar.")
        if self.kind == "contractive" and self.contractive_weight <= 0:
            raise ValueError("A contractive autoencoder needs a contractive weight above 0; set it in the sidebar.")
        if self.kind == "conv" and not 1 <= self.conv_depth <= 3:
            raise ValueError("Use 1 to 3 convolutional blocks.")
        if input_dim is not None:
            if self.kind == "overcomplete" and self.code_size < input_dim:
                raise ValueError(
                    f"An over-complete autoencoder has a code at least as large as the input ({input_dim} "
                    f"numbers), but the code size is {self.code_size}. Raise the code size to {input_dim} or more."
                )
            if self.kind != "overcomplete" and self.code_size >= input_dim:
                raise ValueError(
                    f"The code ({self.code_size} numbers) is not smaller than the input ({input_dim} numbers): "
                    "an under-complete autoencoder must compress. Lower the code size, or pick the "
                    "'Over-complete' type to see what goes wrong without a bottleneck."
                )
        lo, hi = value_range
        if self.loss == "bce" and (lo < 0 or hi > 1):
            raise ValueError(
                "Binary cross-entropy needs data between 0 and 1, but this data set spans "
                f"{lo:.3g} to {hi:.3g}. Use mean squared error instead."
            )
        if self.loss == "bce" and self.output_activation != "sigmoid":
            raise ValueError("Binary cross-entropy needs a sigmoid output. Switch the loss to mean squared error.")


@dataclass(frozen=True)
class TrainConfig(_Hashable):
    """How a model is trained. ``noise_level`` > 0 trains ``fit(x_noisy, x)``."""

    # The default model reaches its test MSE in the fewest seconds with many small steps: on mnist-5k, 10 epochs
    # in batches of 32 (1,120 Adam steps) beat 25 epochs of 128 (700 steps); batches of 48-512 at rates up to
    # 8e-3 reached less per image seen (issue 14; benchmarks/time_to_quality.py times the recipes).
    epochs: int = 10
    batch_size: int = 32
    learning_rate: float = 2e-3
    # The rate falls linearly to a tenth over this last fraction of the planned steps. On mnist-5k (seed 0): test
    # MSE 0.0169 -> 0.0157, denoiser at σ 0.5 15.47 -> 15.55 dB (0.3 and 0.5 did less; so did cosine decay).
    cooldown: float = 0.2
    seed: int = 0
    noise_kind: str = "gaussian"
    noise_level: float = 0.0
    early_stopping: bool = True
    patience: int = 5
    # Optimizer steps per call into TensorFlow (Stop is checked between calls: ~0.1 s of the default model's
    # training). 64 instead of 16: the default model trained in 2.03 s instead of 2.22 s (medians of 5, 16:51
    # UTC 2026-12-03, load 1.2), 112 (a whole epoch) gave no more. Part of the cache key: models cached under
    # another recipe are not served for this one.
    steps_per_execution: int = 64

    def validate(self, n_train: int | None = None) -> None:
        if self.epochs < 1:
            raise ValueError("Train for at least 1 epoch.")
        if self.epochs > 1000:
            raise ValueError("At most 1,000 epochs.")
        if self.batch_size < 1:
            raise ValueError("The batch size must be at least 1.")
        if not (0 < self.learning_rate < 100) or not math.isfinite(self.learning_rate):
            raise ValueError("The learning rate must be a positive number (try 0.001).")
        if self.noise_kind not in NOISE_KINDS:
            raise ValueError(f"Unknown noise kind '{_cut(self.noise_kind)}'.")
        if not math.isfinite(self.noise_level):
            raise ValueError("The noise level must be a number (try 0.3).")
        if self.noise_level < 0:
            raise ValueError("The noise level cannot be negative.")
        if self.noise_kind != "gaussian" and self.noise_level > 1:
            raise ValueError("A fraction of pixels must be between 0 and 1.")
        # Degenerate noise: the model would see nothing of the image, and "learn" one output for everything.
        if self.noise_kind == "masking" and self.noise_level >= 1:
            raise ValueError("Masking at 1.0 drops every pixel: every input becomes all zeros, so there is "
                             "nothing left to learn from. Use a masking fraction below 1 (e.g. 0.5).")
        if self.noise_kind == "salt_pepper" and self.noise_level >= 1:
            raise ValueError("Salt and pepper at 1.0 replaces every pixel with black or white at random: nothing of "
                             "the image is left to learn from. Use a fraction below 1 (e.g. 0.3).")
        if not 0 <= self.cooldown <= 1:
            raise ValueError("The cooldown is a fraction of the training, between 0 and 1.")
        if self.patience < 1:
            raise ValueError("Early-stopping patience must be at least 1 epoch.")
        if n_train is not None and self.batch_size > n_train:
            raise ValueError(
                f"The batch size ({self.batch_size}) is larger than the training set ({n_train} images). "
                f"Use a batch size of at most {n_train}."
            )


SECTIONS = {"data": DataConfig, "model": ModelConfig, "train": TrainConfig}  # Experiment's parts, by field name


@dataclass(frozen=True)
class Experiment(_Hashable):
    """Everything that determines one trained model: its cache key."""

    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    @classmethod
    def from_fields(cls, values: Mapping[str, object]) -> "Experiment":
        """The experiment with these ``"section.field"`` values (e.g. ``"model.code_size": 2``), every other
        field at its default, model canonicalised: how presets, links and the sidebar all build one."""
        sections: dict[str, dict[str, object]] = {name: {} for name in SECTIONS}
        for dotted, value in values.items():
            section, name = dotted.split(".", 1)
            sections[section][name] = value
        experiment = cls(**{name: config(**sections[name]) for name, config in SECTIONS.items()})
        return experiment.replace(model=experiment.model.canonical())

    def value_of(self, dotted: str) -> object:
        """The value of one ``"section.field"``."""
        section, name = dotted.split(".", 1)
        return getattr(getattr(self, section), name)

    def validate(self, input_dim: int | None = None, n_train: int | None = None,
                 value_range: tuple[float, float] = (0.0, 1.0)) -> None:
        """Raise ``ValueError`` with a student-readable reason if this cannot train."""
        self.data.validate()
        self.model.validate(input_dim, value_range)
        self.train.validate(n_train)
        if self.model.kind == "denoising" and self.train.noise_level <= 0:
            raise ValueError("A denoising autoencoder needs noise: raise the noise level above 0.")
        level, kind = self.train.noise_level, self.train.noise_kind
        if input_dim is not None and kind in ("masking", "salt_pepper") and 0 < (1 - level) * input_dim < 1:
            raise ValueError(
                f"{NOISE_LABELS[kind].split(' (')[0]} at {level:g} keeps on average fewer than one of the "
                f"{input_dim} input numbers: almost every input holds nothing of its image. Use a fraction of at "
                f"most {math.floor(100 * (1 - 1 / input_dim)) / 100:g}.")
        span = value_range[1] - value_range[0]
        if kind == "gaussian" and span > 0 and level > MAX_NOISE_SPANS * span:
            raise ValueError(
                f"Gaussian noise of σ = {level:g} is more than {MAX_NOISE_SPANS} times the data's whole range "
                f"({span:.3g}): it drowns every image, leaving nothing to learn from. Use σ ≤ {span:.3g} "
                "(e.g. 0.5 for pixels between 0 and 1).")

    def validate_for(self, dataset) -> None:
        """``validate`` against a loaded ``aecore.data.Dataset``."""
        self.validate(dataset.input_dim, dataset.n_train, dataset.value_range)
        if self.model.kind == "conv" and not dataset.is_square_image:
            raise ValueError(
                f"A convolutional autoencoder needs square images, but '{_cut(dataset.name)}' holds samples of shape "
                f"{dataset.sample_shape}. Pick an image data set or another autoencoder type."
            )
