"""Keras 3 builders for each autoencoder type.

Every builder returns a ``BuiltModel``: the trainable ``autoencoder`` (samples in,
samples out, same shape) plus its ``encoder`` and ``decoder`` as models of their
own, so codes can be computed and decoded separately. Training noise is not part
of a model: the trainer corrupts the training inputs (``aecore.train``), so a saved
model reconstructs whatever it is given, clean or noisy.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np
from keras import layers, ops

from aecore.architecture import conv_filter_counts, conv_spatial_sizes
from aecore.config import ModelConfig, TrainConfig


@keras.saving.register_keras_serializable(package="aecore", name="Corruption")
class _SavedTrainingNoise(layers.Layer):
    """Loads models saved before issue 12, whose training noise was a layer: it was the identity outside
    training, and is now the identity always (lesson bundles from then still open)."""

    def __init__(self, kind: str = "gaussian", level: float = 0.0, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)

    def call(self, x):
        return x


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


def _wrap(encoder: keras.Model, decoder: keras.Model, input_shape) -> BuiltModel:
    inputs = keras.Input(input_shape, name="input")
    return BuiltModel(keras.Model(inputs, decoder(encoder(inputs)), name="autoencoder"), encoder, decoder)


def build_dense(cfg: ModelConfig, sample_shape, train_cfg: TrainConfig | None = None,
                input_shape=None) -> BuiltModel:
    """Stacked dense autoencoder (also denoising, sparse and over-complete: same layers).

    ``input_shape`` differs from ``sample_shape`` (the output) for mappings such as grey → colour.
    """
    input_shape = tuple(input_shape or sample_shape)
    return _wrap(dense_encoder(cfg, input_shape), dense_decoder(cfg, sample_shape), input_shape)


# --- convolutional ------------------------------------------------------------------------------------------

def _with_channels(shape: tuple[int, ...]) -> tuple[int, int, int]:
    return (shape[0], shape[1], shape[2] if len(shape) > 2 else 1)


def conv_encoder(cfg: ModelConfig, input_shape: tuple[int, ...], name: str = "encoder") -> keras.Model:
    """Image → code: stride-2 convolutions (5×5 first, so its filters can be looked at, then 3×3), a dense code."""
    inputs = keras.Input(input_shape, name="sample")
    x = layers.Reshape(_with_channels(input_shape))(inputs)
    for i, filters in enumerate(conv_filter_counts(cfg), 1):
        x = layers.Conv2D(filters, 5 if i == 1 else 3, strides=2, padding="same",
                          activation=_activation(cfg.activation), kernel_regularizer=_regularizer(cfg),
                          name=f"conv_{i}")(x)
    x = layers.Flatten()(x)
    if cfg.dropout > 0:
        x = layers.Dropout(cfg.dropout)(x)
    code = layers.Dense(cfg.code_size, activation=_activation(cfg.code_activation),
                        kernel_regularizer=_regularizer(cfg), name="code")(x)
    return keras.Model(inputs, code, name=name)


def conv_decoder(cfg: ModelConfig, sample_shape: tuple[int, ...], name: str = "decoder") -> keras.Model:
    """Code → image: a dense layer back to the smallest feature maps, then stride-2 Conv2DTranspose layers
    that double the size (the encoder in reverse), cropped to the image size."""
    height, width, channels = _with_channels(sample_shape)
    sizes = conv_spatial_sizes(cfg, (height, width))
    filters = conv_filter_counts(cfg)
    codes = keras.Input((cfg.code_size,), name="code_in")
    h, w = sizes[-1]
    x = layers.Dense(h * w * filters[-1], activation=_activation(cfg.activation),
                     kernel_regularizer=_regularizer(cfg), name="decoder_dense")(codes)
    x = layers.Reshape((h, w, filters[-1]))(x)
    # The encoder's mirror: each transposed convolution doubles the size and gives the feature maps of the
    # encoder block before it; the last one (5×5, like the first convolution) gives the image.
    for i, f in enumerate(reversed(filters[:-1]), 1):
        x = layers.Conv2DTranspose(f, 3, strides=2, padding="same", activation=_activation(cfg.activation),
                                   kernel_regularizer=_regularizer(cfg), name=f"deconv_{i}")(x)
    x = layers.Conv2DTranspose(channels, 5, strides=2, padding="same", activation=_activation(cfg.output_activation),
                               kernel_regularizer=_regularizer(cfg), name="reconstruction")(x)
    extra_h, extra_w = h * 2**cfg.conv_depth - height, w * 2**cfg.conv_depth - width
    if extra_h or extra_w:
        x = layers.Cropping2D(((extra_h // 2, extra_h - extra_h // 2), (extra_w // 2, extra_w - extra_w // 2)))(x)
    return keras.Model(codes, layers.Reshape(tuple(sample_shape))(x), name=name)


def build_conv(cfg: ModelConfig, sample_shape, train_cfg: TrainConfig | None = None,
               input_shape=None) -> BuiltModel:
    """Convolutional autoencoder for images (h, w) or (h, w, channels)."""
    input_shape = tuple(input_shape or sample_shape)
    if len(input_shape) < 2 or len(sample_shape) < 2:
        raise ValueError("A convolutional autoencoder needs images, not rows of numbers.")
    return _wrap(conv_encoder(cfg, input_shape), conv_decoder(cfg, sample_shape), input_shape)


# --- custom train_step models: contractive and variational --------------------------------------------------

def _per_sample_loss(loss: str, target, output):
    """Reconstruction loss of each sample, averaged over its values (the scale Keras reports for dense models)."""
    n = len(target.shape)
    axes = tuple(range(1, n))
    if loss == "bce":
        output = ops.clip(output, 1e-7, 1 - 1e-7)
        values = -(target * ops.log(output) + (1 - target) * ops.log(1 - output))
    else:
        values = ops.square(target - output)
    return ops.mean(values, axis=axes)


class _TrackedAutoencoder(keras.Model):
    """An autoencoder that computes its own loss in ``train_step``/``test_step`` and reports every term.

    ``loss`` is what is minimised; ``mse`` is always the reconstruction MSE (the training guard and the app
    read it); subclasses add their own terms. Regularisation losses of the layers (L2) are included.
    """

    tracker_names: tuple[str, ...] = ("loss", "mse")

    def __init__(self, encoder, decoder, loss_name: str = "bce", seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder
        self.loss_name = loss_name
        self.seed = seed
        self.trackers = {name: keras.metrics.Mean(name=name) for name in self.tracker_names}

    @property
    def metrics(self):
        return list(self.trackers.values())

    def _report(self, values: dict) -> dict:
        for name, value in values.items():
            self.trackers[name].update_state(value)
        return {name: tracker.result() for name, tracker in self.trackers.items()}

    def _terms(self, x, y, training: bool) -> dict:
        raise NotImplementedError

    def train_step(self, data):
        import tensorflow as tf

        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
        with tf.GradientTape() as tape:
            terms = self._terms(x, y, training=True)
            total = terms["loss"]
            if self.losses:
                total = total + ops.sum(ops.stack(self.losses))
        gradients = tape.gradient(total, self.trainable_weights)
        self.optimizer.apply(gradients, self.trainable_weights)
        return self._report(terms)

    def test_step(self, data):
        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
        return self._report(self._terms(x, y, training=False))

    def get_config(self):
        return {**super().get_config(), "encoder": keras.saving.serialize_keras_object(self.encoder),
                "decoder": keras.saving.serialize_keras_object(self.decoder), "loss_name": self.loss_name,
                "seed": self.seed}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for old_noise_setting in ("noise_kind", "noise_level"):  # in models saved before issue 12
            config.pop(old_noise_setting, None)
        for name in ("encoder", "decoder"):
            config[name] = keras.saving.deserialize_keras_object(config[name])
        return cls(**config)


@keras.saving.register_keras_serializable(package="aecore")
class ContractiveAutoencoder(_TrackedAutoencoder):
    """Reconstruction loss + ``weight`` × ‖∂code/∂input‖²_F, the squared Frobenius norm of the encoder's
    Jacobian (Rifai et al., 2011).

    The norm is estimated without forming the Jacobian: for a random direction v in code space,
    E‖Jᵀv‖² = ‖J‖²_F (Hutchinson's trick), and Jᵀv is one backward pass. Averaged over the batch this is
    an unbiased estimate for any encoder, at the cost of one extra backward pass per step.
    """

    tracker_names = ("loss", "mse", "reconstruction_loss", "contractive_penalty")

    def __init__(self, encoder, decoder, weight: float = 0.01, **kwargs):
        super().__init__(encoder, decoder, **kwargs)
        self.weight = float(weight)
        self.probe_seed = keras.random.SeedGenerator(None if self.seed is None else self.seed + 7)

    def call(self, x, training=False):
        return self.decoder(self.encoder(x, training=training), training=training)

    def jacobian_penalty(self, x, training: bool = False):
        """Per-sample estimate of ‖∂code/∂input‖²_F, and the codes."""
        import tensorflow as tf

        x = tf.convert_to_tensor(x)
        with tf.GradientTape() as tape:
            tape.watch(x)
            code = self.encoder(x, training=training)
            probe = keras.random.normal(ops.shape(code), seed=self.probe_seed)
            projected = ops.sum(code * ops.stop_gradient(probe))
        jtv = tape.gradient(projected, x)
        return ops.sum(ops.reshape(ops.square(jtv), (ops.shape(jtv)[0], -1)), axis=1), code

    def _terms(self, x, y, training: bool) -> dict:
        penalty, code = self.jacobian_penalty(x, training=training)
        output = self.decoder(code, training=training)
        reconstruction = ops.mean(_per_sample_loss(self.loss_name, y, output))
        penalty = ops.mean(penalty)
        return {"loss": reconstruction + self.weight * penalty, "mse": ops.mean(_per_sample_loss("mse", y, output)),
                "reconstruction_loss": reconstruction, "contractive_penalty": penalty}

    def get_config(self):
        return {**super().get_config(), "weight": self.weight}


@keras.saving.register_keras_serializable(package="aecore")
class VariationalAutoencoder(_TrackedAutoencoder):
    """VAE: the encoder gives a mean and a log-variance per code number; training decodes a sample
    mean + σ·ε (the reparameterisation trick, so gradients flow through the sampling).

    ``loss`` = reconstruction loss averaged over values + β × KL / (values per sample). Dividing the
    KL (in nats per sample) by the number of values puts the whole ELBO on the per-value scale Keras
    reports for the other types, without changing its optimum. ``kl_loss`` is reported in nats per sample.
    At inference (``call``, ``predict``) the mean code is decoded, so reconstructions are deterministic.
    """

    tracker_names = ("loss", "mse", "reconstruction_loss", "kl_loss")

    def __init__(self, encoder, decoder, kl_weight: float = 1.0, **kwargs):
        super().__init__(encoder, decoder, **kwargs)
        self.kl_weight = float(kl_weight)
        self.sample_seed = keras.random.SeedGenerator(None if self.seed is None else self.seed + 11)

    def call(self, x, training=False):
        mean, _ = self.encoder(x, training=training)
        return self.decoder(mean, training=training)

    def _terms(self, x, y, training: bool) -> dict:
        mean, log_var = self.encoder(x, training=training)
        epsilon = keras.random.normal(ops.shape(mean), seed=self.sample_seed)
        code = mean + ops.exp(0.5 * log_var) * epsilon
        output = self.decoder(code, training=training)
        reconstruction = ops.mean(_per_sample_loss(self.loss_name, y, output))
        kl = ops.mean(-0.5 * ops.sum(1 + log_var - ops.square(mean) - ops.exp(log_var), axis=1))
        values = float(np.prod(y.shape[1:]))
        return {"loss": reconstruction + self.kl_weight * kl / values,
                "mse": ops.mean(_per_sample_loss("mse", y, output)),
                "reconstruction_loss": reconstruction, "kl_loss": kl}

    def get_config(self):
        return {**super().get_config(), "kl_weight": self.kl_weight}


def variational_encoder(cfg: ModelConfig, input_shape: tuple[int, ...], name: str = "vae_encoder") -> keras.Model:
    """Samples → [mean, log-variance] of the code distribution."""
    inputs = keras.Input(input_shape, name="sample")
    x = layers.Flatten()(inputs)
    for i, width in enumerate(cfg.layer_widths(), 1):
        x = layers.Dense(width, activation=_activation(cfg.activation), kernel_regularizer=_regularizer(cfg),
                         name=f"encoder_{i}")(x)
        if cfg.dropout > 0:
            x = layers.Dropout(cfg.dropout)(x)
    mean = layers.Dense(cfg.code_size, kernel_regularizer=_regularizer(cfg), name="code_mean")(x)
    # Zero-initialised: the log-variance starts at 0 (σ = 1) instead of at a random value.
    log_var = layers.Dense(cfg.code_size, kernel_initializer="zeros", name="code_log_var")(x)
    return keras.Model(inputs, [mean, log_var], name=name)


def _seed_args(train_cfg: TrainConfig | None) -> dict:
    return {} if train_cfg is None else {"seed": train_cfg.seed}


def _built(model: keras.Model, encoder: keras.Model, decoder: keras.Model, input_shape) -> BuiltModel:
    model(np.zeros((1,) + tuple(input_shape), dtype="float32"))  # create the weights now
    return BuiltModel(model, encoder, decoder)


def build_contractive(cfg: ModelConfig, sample_shape, train_cfg: TrainConfig | None = None,
                      input_shape=None) -> BuiltModel:
    """Dense autoencoder trained with a penalty on the encoder's Jacobian (custom ``train_step``)."""
    input_shape = tuple(input_shape or sample_shape)
    encoder, decoder = dense_encoder(cfg, input_shape), dense_decoder(cfg, sample_shape)
    model = ContractiveAutoencoder(encoder, decoder, weight=cfg.contractive_weight, loss_name=cfg.loss,
                                   name="autoencoder", **_seed_args(train_cfg))
    return _built(model, encoder, decoder, input_shape)


def build_variational(cfg: ModelConfig, sample_shape, train_cfg: TrainConfig | None = None,
                      input_shape=None) -> BuiltModel:
    """Dense VAE. Its ``encoder`` gives the mean code; ``autoencoder.encoder`` gives [mean, log-variance]."""
    input_shape = tuple(input_shape or sample_shape)
    stats_encoder, decoder = variational_encoder(cfg, input_shape), dense_decoder(cfg, sample_shape)
    model = VariationalAutoencoder(stats_encoder, decoder, kl_weight=cfg.kl_weight, loss_name=cfg.loss,
                                   name="autoencoder", **_seed_args(train_cfg))
    built = _built(model, stats_encoder, decoder, input_shape)
    mean_encoder = keras.Model(stats_encoder.input, stats_encoder.outputs[0], name="encoder")
    return BuiltModel(built.autoencoder, mean_encoder, decoder)


BUILDERS = {
    "dense": build_dense,
    "denoising": build_dense,
    "sparse": build_dense,
    "overcomplete": build_dense,
    "conv": build_conv,
    "contractive": build_contractive,
    "variational": build_variational,
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


def compile_model(built: BuiltModel, cfg: ModelConfig, train_cfg: TrainConfig, jit_compile: bool = False,
                  learning_rate=None) -> BuiltModel:
    """Adam at ``learning_rate`` (a float or a Keras schedule; default: the training's constant rate);
    ``jit_compile`` for the training step only where a benchmark shows XLA helps (``aecore.train`` decides)."""
    rate = train_cfg.learning_rate if learning_rate is None else learning_rate
    if isinstance(built.autoencoder, _TrackedAutoencoder):  # computes and tracks its own loss and MSE
        built.autoencoder.compile(optimizer=keras.optimizers.Adam(rate), jit_compile=jit_compile,
                                  steps_per_execution=train_cfg.steps_per_execution)
    else:
        built.autoencoder.compile(
            optimizer=keras.optimizers.Adam(rate),
            loss=loss_function(cfg),
            metrics=[keras.metrics.MeanSquaredError(name="mse")],
            jit_compile=jit_compile,
            steps_per_execution=train_cfg.steps_per_execution,
        )
    # Adam's slots now, not in the first traced step: Keras (without a distribution strategy) creates them
    # there, and a step that creates variables is traced twice. Same arithmetic, one trace less per training.
    built.autoencoder.optimizer.build(built.autoencoder.trainable_variables)
    return built
