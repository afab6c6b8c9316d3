"""Slow motion: train an experiment's autoencoder one batch at a time, keeping what each step saw.

``Stepper`` builds and compiles the model exactly as ``aecore.train.train_autoencoder`` does (same seed,
same initial weights, same optimizer and loss) and draws its batches, and their noise, from the same
shuffled pipeline (``aecore.train.shuffled_batches``), so N steps here are the first N optimizer steps of
the app's training run.
TensorFlow is imported lazily, inside the methods.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from aecore.config import Experiment
from aecore.data import Dataset

MAX_SHOWN = 8  # batch images kept for display after each step


@dataclass
class StepRecord:
    """What one optimizer step saw: its number (1-based), epoch (1-based), the batch's indices into
    ``x_train`` and the batch's training loss (computed before the update, as ``fit`` reports it)."""

    step: int
    epoch: int
    indices: np.ndarray
    loss: float
    mse: float


class Stepper:
    """The experiment's autoencoder, trained one batch at a time.

    Batch order: the training set shuffled by ``tf.data`` with the experiment's seed and reshuffled every
    epoch, the last partial batch dropped (``aecore.train.shuffled_batches``): the order
    ``train_autoencoder``'s ``fit`` uses, epoch after epoch (tests/test_stepping.py checks it against
    ``fit`` over three epochs).
    Each step is one ``train_on_batch`` on the compiled model: the same train step as ``fit``.

    Parameters
    ----------
    experiment, dataset : what to train (the model sees the training images, with the experiment's noise
        when its level is above 0: the same noise, batch for batch, as ``train_autoencoder``'s pipeline).
    """

    def __init__(self, experiment: Experiment, dataset: Dataset):
        from aecore.runtime import ensure_tensorflow_configured, import_tensorflow, release_training_graphs

        import_tensorflow()  # through the one lock: the app's warm-up thread may be importing Keras right now
        import keras

        from aecore.models import build_model, compile_model
        from aecore.train import SEEDED_BUILD, shuffled_batches, training_noise

        experiment.validate_for(dataset)
        self.experiment = experiment
        self.dataset = dataset
        ensure_tensorflow_configured()
        release_training_graphs()
        train_cfg = experiment.train
        # One batch per call: train_on_batch cannot run several steps per execution.
        one_step = train_cfg.replace(steps_per_execution=1)
        index = np.arange(len(dataset.x_train))
        self._noise = training_noise(train_cfg)
        with SEEDED_BUILD:  # same order of random draws as train_autoencoder
            keras.utils.set_random_seed(train_cfg.seed)
            built = build_model(experiment.model, dataset.sample_shape, train_cfg,
                                input_shape=dataset.x_train.shape[1:])
            self._order = shuffled_batches(index, index, train_cfg.batch_size, train_cfg.seed,
                                           keyed=self._noise is not None)
        self.built = compile_model(built, experiment.model, one_step)
        self.model = self.built.autoencoder
        self._iterator = None
        self._epochs_begun = 0
        self._pending: tuple[int, np.ndarray, object] | None = None  # epoch, indices, noise key
        self.history: list[StepRecord] = []
        self.initial_weights = [np.array(w) for w in self.model.get_weights()]

    @property
    def steps(self) -> int:
        return len(self.history)

    @property
    def losses(self) -> list[float]:
        return [r.loss for r in self.history]

    @property
    def epoch(self) -> int:
        """The epoch of the last step (0 before the first)."""
        return self.history[-1].epoch if self.history else 0

    @property
    def steps_per_epoch(self) -> int:
        from aecore.train import steps_in_epoch

        return steps_in_epoch(len(self.dataset.x_train), self.experiment.train.batch_size)

    def _peek(self) -> tuple[int, np.ndarray, object]:
        """The epoch, indices and noise key of the next batch, fetched once and kept until a step uses them."""
        while self._pending is None:
            if self._iterator is None:
                if self._epochs_begun:
                    # Keras's fit makes one more iterator of a tf.data set between epochs (measured: its epoch
                    # e uses the pipeline's (2e-1)-th shuffle); skip it so every epoch matches fit's order.
                    iter(self._order)
                self._iterator = iter(self._order)
                self._epochs_begun += 1
            try:
                indices, _, *key = next(self._iterator)
                self._pending = (self._epochs_begun, np.asarray(indices), key[0] if key else None)
            except StopIteration:
                self._iterator = None
        return self._pending

    def step(self, n: int = 1) -> list[StepRecord]:
        """Take ``n`` optimizer steps; return their records (also appended to ``history``)."""
        x = self.dataset.x_train
        done = []
        for _ in range(int(n)):
            epoch, indices, key = self._peek()
            inputs = x[indices] if self._noise is None else np.asarray(self._noise(x[indices], key))
            self.model.reset_metrics()  # the batch's own loss, not a running mean over the calls
            logs = self.model.train_on_batch(inputs, x[indices], return_dict=True)
            self._pending = None
            record = StepRecord(self.steps + 1, epoch, indices, float(logs["loss"]),
                                float(logs.get("mse", np.nan)))
            if not np.isfinite(record.loss):
                raise FloatingPointError(
                    f"The loss became infinite at step {record.step}: the learning rate "
                    f"({self.experiment.train.learning_rate:g}) is too high for this model. Lower it and press "
                    "Reset.")
            self.history.append(record)
            done.append(record)
        return done

    def last_batch(self, count: int = MAX_SHOWN) -> np.ndarray:
        """The first ``count`` training images of the last step's batch (the first batch before any step)."""
        indices = self.history[-1].indices if self.history else self._peek()[1]
        return self.dataset.x_train[indices[:count]]

    def reconstruct(self, x: np.ndarray) -> np.ndarray:
        """The model's reconstructions of ``x`` now (inference mode: no noise, no dropout)."""
        return np.asarray(self.model(x, training=False))

    def input_gradient(self, x: np.ndarray) -> np.ndarray:
        """|∂L/∂x|: for each image, the absolute gradient of its own reconstruction loss (the experiment's
        loss, averaged over its values, in inference mode) with respect to its input pixels.

        Same shape as ``x``, never negative. Large where nudging that pixel changes the error most, i.e.
        where the model is most wrong.
        """
        import tensorflow as tf

        from aecore.models import _per_sample_loss

        x_tensor = tf.convert_to_tensor(np.asarray(x, dtype=np.float32))
        with tf.GradientTape() as tape:
            tape.watch(x_tensor)
            output = self.model(x_tensor, training=False)
            # Summed over images: each image's gradient is that of its own loss, whatever the batch size.
            total = tf.reduce_sum(_per_sample_loss(self.experiment.model.loss, x_tensor, output))
        return np.abs(np.asarray(tape.gradient(total, x_tensor)))

    def loss_on(self, x: np.ndarray) -> float:
        """The compiled loss on ``x`` (as targets too) with the current weights."""
        self.model.reset_metrics()
        return float(self.model.test_on_batch(x, x, return_dict=True)["loss"])
