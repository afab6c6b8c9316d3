"""Keras 3 builders for each autoencoder type.

Every builder returns a ``BuiltModel``: the trainable ``autoencoder`` (samples in,
samples out, same shape) plus its ``encoder`` and ``decoder`` as models of their
own, so codes can be computed and decoded separately. Training-time noise for
denoising is a ``Corruption`` layer in front of the encoder: it is active only
while training (``fit(x_noisy, x)`` with fresh noise every batch) and the
identity at inference.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np
from keras import layers, ops

from aecore.config import ModelConfig, TrainConfig


@keras.saving.register_keras_serializable(package="aecore")
class Corruption(layers.Layer):
    """Training-only noise: Gaussian (σ = level), salt and pepper or masking (fraction = level)."""

    def __init__(self, kind: str = "gaussian", level: float = 0.0, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.kind = kind
        self.level = float(level)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, x, training=False):
        if not training or self.level <= 0:
            return x
        shape = ops.shape(x)
        if self.kind == "gaussian":
            noise = keras.random.normal(shape, stddev=self.level, seed=self.seed_generator)
            return ops.clip(x + noise, 0.0, 1.0)
        u = keras.random.uniform(shape, seed=self.seed_generator)
        if self.kind == "salt_pepper":
            x = ops.where(u < self.level / 2, ops.ones_like(x), x)
            return ops.where((u >= self.level / 2) & (u < self.level), ops.zeros_like(x), x)
        return ops.where(u < self.level, ops.zeros_like(x), x)  # masking

    def get_config(self):
        return {**super().get_config(), "kind": self.kind, "level": self.level, "seed": self.seed}


@dataclass
class BuiltModel:
    autoencoder: keras.Model
    encoder: keras.Model
    decoder: keras.Model


def _activation(name: str):
    return None if name == "linear" else name


def _regularizer(cfg: ModelConfig):
    return keras.regularizers.L2(cfg.l2_weight) if cfg.l2_weight > 0 else None


def dense_encoder(cfg: ModelConfig, sample_shape: tuple[int, ...], name: str = "encoder") -> keras.Model:
    """Input samples of ``sample_shape`` → code of ``cfg.code_size`` numbers."""
    inputs = keras.Input(sample_shape, name="sample")
    x = layers.Flatten()(inputs)
    for i, width in enumerate(cfg.layer_widths(), 1):
        x = layers.Dense(width, activation=_activation(cfg.activation), kernel_regularizer=_regularizer(cfg),
                         name=f"encoder_{i}")(x)
        if cfg.dropout > 0:
            x = layers.Dropout(cfg.dropout)(x)
    code_regularizer = keras.regularizers.L1(cfg.sparsity_weight) if cfg.sparsity_weight > 0 else None
    code = layers.Dense(cfg.code_size, activation=_activation(cfg.code_activation),
                        kernel_regularizer=_regularizer(cfg), activity_regularizer=code_regularizer,
                        name="code")(x)
    return keras.Model(inputs, code, name=name)


def dense_decoder(cfg: ModelConfig, sample_shape: tuple[int, ...], name: str = "decoder") -> keras.Model:
    codes = keras.Input((cfg.code_size,), name="code_in")
    x = codes
    for i, width in enumerate(reversed(cfg.layer_widths()), 1):
        x = layers.Dense(width, activation=_activation(cfg.activation), kernel_regularizer=_regularizer(cfg),
                         name=f"decoder_{i}")(x)
        if cfg.dropout > 0:
            x = layers.Dropout(cfg.dropout)(x)
    x = layers.Dense(int(np.prod(sample_shape)), activation=_activation(cfg.output_activation),
                     kernel_regularizer=_regularizer(cfg), name="reconstruction")(x)
    return keras.Model(codes, layers.Reshape(sample_shape)(x), name=name)


def _wrap(encoder: keras.Model, decoder: keras.Model, input_shape, train_cfg: TrainConfig | None) -> BuiltModel:
    inputs = keras.Input(input_shape, name="input")
    x = inputs
    if train_cfg is not None and train_cfg.noise_level > 0:
        x = Corruption(train_cfg.noise_kind, train_cfg.noise_level, seed=train_cfg.seed, name="noise")(x)
    outputs = decoder(encoder(x))
    return BuiltModel(keras.Model(inputs, outputs, name="autoencoder"), encoder, decoder)


def build_dense(cfg: ModelConfig, sample_shape, train_cfg: TrainConfig | None = None,
                input_shape=None) -> BuiltModel:
    """Stacked dense autoencoder (also denoising, sparse and over-complete: same layers).

    ``input_shape`` differs from ``sample_shape`` (the output) for mappings such as grey → colour.
    """
    input_shape = tuple(input_shape or sample_shape)
    return _wrap(dense_encoder(cfg, input_shape), dense_decoder(cfg, sample_shape), input_shape, train_cfg)


BUILDERS = {
    "dense": build_dense,
    "denoising": build_dense,
    "sparse": build_dense,
    "overcomplete": build_dense,
}


def build_model(cfg: ModelConfig, sample_shape: tuple[int, ...], train_cfg: TrainConfig | None = None,
                input_shape: tuple[int, ...] | None = None) -> BuiltModel:
    """Build (not compile) the autoencoder of type ``cfg.kind``: ``input_shape`` in (default: the
    same as the output), samples of ``sample_shape`` out."""
    if cfg.kind not in BUILDERS:
        raise ValueError(f"The '{cfg.kind}' autoencoder type cannot be built yet.")
    return BUILDERS[cfg.kind](cfg, tuple(sample_shape), train_cfg, input_shape=input_shape)


def loss_function(cfg: ModelConfig):
    return keras.losses.BinaryCrossentropy() if cfg.loss == "bce" else keras.losses.MeanSquaredError()


def compile_model(built: BuiltModel, cfg: ModelConfig, train_cfg: TrainConfig) -> BuiltModel:
    built.autoencoder.compile(
        optimizer=keras.optimizers.Adam(train_cfg.learning_rate),
        loss=loss_function(cfg),
        metrics=[keras.metrics.MeanSquaredError(name="mse")],
        jit_compile=False,
        steps_per_execution=train_cfg.steps_per_execution,
    )
    return built
