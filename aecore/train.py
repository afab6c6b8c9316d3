"""Training: per-epoch progress, early stopping, cancellation between batches, divergence guard.

``train_autoencoder`` runs in whatever thread calls it (the app calls it from a
job worker, never from the page script) and returns a ``TrainResult``.
"""

from __future__ import annotations

import functools
import math
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from aecore import corrupt, metrics
from aecore.compiled_trainers import TRAINERS
from aecore.validation import validation_logs
from aecore.runtime import ensure_tensorflow_configured, release_training_graphs
from aecore.config import Experiment, TrainConfig
from aecore.data import Dataset

PREVIEW_COUNT = 8
SNAPSHOT_COUNT = 500  # test images whose codes are kept at every epoch ("codes over training")
# "No longer learning" is judged over optimizer steps, not epochs: a 600-image upload in batches of 128 makes
# 3 steps per epoch, and 3 epochs of that (9 steps) said nothing about the learning rate (issue 16, bug 5).
PLATEAU_STEPS = 100  # the loss must have stopped falling over at least this many steps (and 3 epochs)
# A model whose outputs differ across images by less than this fraction of the data's own spread gives
# "the same output for every image". Relative, not absolute: float32 round-off leaves ~1e-6 of spread in
# outputs that are identical in exact arithmetic, while a data set's spread can itself be that small.
COLLAPSE_RATIO = 1e-3
FEW_STEPS = 300  # fewer optimizer steps than this in a whole run...
FEW_STEPS_PER_EPOCH = 20  # ...of fewer than this per epoch, still improving: the result says how to get more
LOWER_RATES = (0.001, 0.0003, 0.0001, 3e-5, 1e-5)
# Types whose training step XLA compiles (fusing the small-batch step, Adam's update included), where
# benchmarks/time_to_quality.py measured it faster. Others keep TensorFlow's graph: conv layers run on oneDNN.
# Never with dropout: XLA's random numbers on the CPU made a denoiser train 4x slower (measured while its noise
# was a model layer). Noisy runs keep TensorFlow's graph too: not re-measured since the noise moved to tf.data.
XLA_KINDS = ("dense", "sparse")
# Steps per call of the other types (Keras's own loop): their steps cost more (convolutions, noise), and Stop waits
# for the call. The XLA types' cheap steps run TrainConfig.steps_per_execution (64) per call.
KERAS_LOOP_STEPS = 16
COOLDOWN_FINAL = 0.1  # the cooldown ends at this fraction of the rate
PROVISIONAL = "provisional"  # TrainResult.stopped of the model of an epoch while the training goes on
# Building a Keras model draws its initialisers' seeds from Python's global random numbers, and a tf.data shuffle
# its seed from TensorFlow's global one: a copy built by a page, or another training setting its seed, while a
# training goes from its seed to its model and its batches would change that training's weights or order.
SEEDED_BUILD = threading.Lock()


class Provisional:
    """The model of one finished epoch while the training goes on: that epoch's weights, and a TrainResult
    built from them the first time someone asks (in the asking thread, never in the training loop).

    Only the latest epoch's is kept: the next epoch ``release``s it, and so does the end of the training.
    """

    def __init__(self, weights: list[np.ndarray], make: Callable[[list[np.ndarray]], "TrainResult | None"]):
        self._weights: list[np.ndarray] | None = weights  # the training's own copy (Guard.last_weights)
        self._make = make
        self._result: TrainResult | None = None
        self._lock = threading.Lock()

    @property
    def available(self) -> bool:
        return self._weights is not None or self._result is not None

    def result(self) -> "TrainResult | None":
        """The provisional TrainResult (built once), or None once released or when it collapsed."""
        with self._lock:
            weights, make = self._weights, self._make
            if self._result is None and weights is not None and make is not None:
                result = make(weights)
                if self._weights is None and self._make is None:  # released while it was built
                    return None
                self._result, self._weights = result, None  # its model holds the weights now
                if result is None:
                    self._make = None  # collapsed: do not build it again at every call
            return self._result

    def release(self) -> None:
        # No lock: the training thread must not wait for a page that is building the model.
        self._weights = self._make = self._result = None


class TrainingCancelled(RuntimeError):
    """Stopped before the first epoch finished: there is no model to keep."""


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite, or exploded."""


@dataclass
class EpochReport:
    epoch: int  # 1-based, completed epochs
    epochs: int  # planned
    logs: dict[str, float]
    elapsed: float
    preview: np.ndarray | None = None  # reconstructions of the preview test images
    steps: int = 0  # optimizer steps taken so far
    # This epoch's model while it is the latest (None once a later epoch or the end released it, and on the
    # Dask path, whose reports arrive without weights).
    provisional: Provisional | None = field(default=None, repr=False, compare=False)

    def provisional_result(self) -> "TrainResult | None":
        """The model after this epoch as a TrainResult (``stopped == PROVISIONAL``), or None."""
        provisional = self.provisional
        return provisional.result() if provisional is not None else None

    @property
    def fraction(self) -> float:
        return min(self.epoch / max(self.epochs, 1), 1.0)

    @property
    def line(self) -> str:
        return f"Epoch {self.epoch} of {self.epochs} · loss {self.logs.get('loss', float('nan')):.4f}"

    @property
    def partial(self) -> np.ndarray | None:
        return self.preview


@dataclass
class TrainResult:
    experiment: Experiment
    model: object  # keras.Model: samples in, reconstructions out
    encoder: object
    decoder: object
    history: dict[str, list[float]]
    epochs_run: int
    best_epoch: int
    seconds: float
    stopped: str  # "completed", "early stopping", "cancelled"
    test_mse: float
    test_psnr: float
    train_mse: float
    per_image_test_mse: np.ndarray
    test_reconstruction: np.ndarray
    test_input: np.ndarray  # what the model saw (noisy when trained with noise)
    samples_per_second: float
    code_snapshots: list[tuple[int, np.ndarray]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    steps_per_epoch: int = 0  # optimizer steps (batches) per epoch; 0 when unknown (older cache entries)

    @property
    def provisional(self) -> bool:
        """The model of an epoch while its training goes on: nothing may save or share it."""
        return self.stopped == PROVISIONAL

    @property
    def message(self) -> str:
        if self.provisional:
            return f"Provisional: the model after epoch {self.epochs_run} of {self.experiment.train.epochs}."
        if self.stopped == "cancelled":
            text = (f"Stopped by you after {self.epochs_run} completed epoch(s): showing the model from "
                    f"epoch {self.best_epoch}.")
        elif self.stopped == "early stopping":
            text = (f"Early stopping after {self.epochs_run} epochs: the validation loss stopped improving, "
                    f"so the model from epoch {self.best_epoch} is kept.")
        else:
            text = f"Trained for {self.epochs_run} epochs in {self.seconds:.1f} s."
        steps = self.steps_per_epoch * self.epochs_run
        still_improving = self.stopped == "completed" and self.best_epoch == self.epochs_run
        few_per_epoch = 0 < self.steps_per_epoch < FEW_STEPS_PER_EPOCH  # small data, or a large batch
        if few_per_epoch and steps < FEW_STEPS and still_improving:
            text += " " + few_steps_advice(self.experiment.train.batch_size, self.steps_per_epoch, self.epochs_run)
        return text

    # Keras models are not thread-safe: one caller at a time.
    def encode(self, x: np.ndarray, batch_size: int = 512) -> np.ndarray:
        with self._lock:
            return np.asarray(self.encoder.predict(x, batch_size=batch_size, verbose=0))

    def decode(self, codes: np.ndarray, batch_size: int = 512) -> np.ndarray:
        with self._lock:
            return np.asarray(self.decoder.predict(codes, batch_size=batch_size, verbose=0))

    def reconstruct(self, x: np.ndarray, batch_size: int = 512) -> np.ndarray:
        with self._lock:
            return np.asarray(self.model.predict(x, batch_size=batch_size, verbose=0))


@functools.cache  # one class, registered once for Keras's saving
def _cooldown_schedule():
    import keras

    @keras.saving.register_keras_serializable(package="aecore")
    class Cooldown(keras.optimizers.schedules.LearningRateSchedule):
        """``rate`` constant, then falling linearly to ``final`` × ``rate`` over the last ``fraction`` of
        ``total_steps`` (a constant rate learns fastest; the fall settles what it learnt)."""

        def __init__(self, rate: float, total_steps: int, fraction: float, final: float = COOLDOWN_FINAL):
            self.rate, self.total_steps, self.fraction, self.final = rate, total_steps, fraction, final

        def __call__(self, step):
            from keras import ops

            start = self.total_steps * (1 - self.fraction)
            span = max(self.total_steps * self.fraction, 1.0)
            progress = ops.clip((ops.cast(step, "float32") - start) / span, 0.0, 1.0)
            return self.rate * (1 - (1 - self.final) * progress)

        def get_config(self):
            return {"rate": self.rate, "total_steps": self.total_steps, "fraction": self.fraction,
                    "final": self.final}

    return Cooldown


def learning_rate_schedule(train_cfg, steps_per_epoch: int):
    """The training's learning rate: constant, or with the config's cooldown over its planned steps."""
    if train_cfg.cooldown <= 0:
        return train_cfg.learning_rate
    return _cooldown_schedule()(train_cfg.learning_rate, train_cfg.epochs * steps_per_epoch, train_cfg.cooldown)


def _take_trainer(model_cfg, dataset: Dataset, train_cfg: TrainConfig, input_shape, grouped: TrainConfig):
    """(key, trainer): a kept XLA trainer of the architecture (``TRAINERS``), made if none is idle; give it
    back under ``key``. ``grouped``: the training config with the steps per execution it will really run."""

    def make(schedule):
        from aecore.models import build_model, compile_model

        with SEEDED_BUILD:  # its initial weights are replaced, but building draws from Python's random numbers
            built = build_model(model_cfg, dataset.sample_shape, train_cfg, input_shape=input_shape)
        # Keras steps once per group of batches (``_batches(group=...)``), and the step runs the group.
        compile_model(built, model_cfg, grouped.replace(steps_per_execution=1), learning_rate=schedule,
                      jit_compile=True)
        _step_through_groups(built.autoencoder)
        # Validation's one forward pass per epoch: not worth an XLA compile.
        built.autoencoder.jit_compile = False
        built.autoencoder.make_test_function()
        built.autoencoder.jit_compile = True
        return built

    key = (model_cfg, tuple(dataset.sample_shape), tuple(input_shape), grouped.batch_size,
           grouped.steps_per_execution)
    return key, TRAINERS.take(key, make)


def compile_training_step(experiment: Experiment, dataset: Dataset) -> bool:
    """Trace and XLA-compile the training step of ``experiment``'s architecture before anyone trains it (the
    app does this for the default model when it starts: the class's first default model then trains as fast
    as any later one). One call of the step on the first batches, and of what an epoch's end calls; False for
    types trained without XLA."""
    model_cfg, train_cfg = experiment.model, experiment.train
    if model_cfg.kind not in XLA_KINDS or train_cfg.noise_level > 0 or model_cfg.dropout != 0:
        return False
    experiment.validate_for(dataset)
    ensure_tensorflow_configured()
    x = dataset.x_train
    per_epoch = steps_in_epoch(len(x), train_cfg.batch_size)
    grouped = train_cfg.replace(steps_per_execution=steps_per_call(train_cfg, per_epoch, xla=True))
    key, trainer = _take_trainer(model_cfg, dataset, train_cfg, x.shape[1:], grouped)
    try:
        first = x[: grouped.steps_per_execution * grouped.batch_size]
        trainer.built.autoencoder.fit(_batches(first, first, grouped.batch_size, 0,
                                               group=grouped.steps_per_execution),
                                      epochs=1, shuffle=False, verbose=0)
        # An epoch's end traced too, with the shapes it calls: validation, preview, code snapshot.
        validation_logs(trainer.built.autoencoder, dataset.x_val, dataset.x_val)
        trainer.reconstruct(dataset.x_test[:PREVIEW_COUNT])
        trainer.encode(dataset.x_test[:SNAPSHOT_COUNT])
    finally:
        TRAINERS.give(key, trainer)
    return True


def compile_default_training_step() -> bool:
    """``compile_training_step`` of the default model on the default data set, once per process as it starts
    (the app's warm-up thread, a Dask worker's preload ``aecore.dask_worker``): the first default model then
    trains in ~2.0 s instead of ~3.3 s (README, time to quality). False, with a warning in the log, when the
    data set cannot be loaded here (offline without it): the first training says what to do."""
    from aecore.config import DataConfig
    from aecore.data import DatasetUnavailable, load_dataset

    try:
        dataset = load_dataset(DataConfig())
    except DatasetUnavailable as exc:
        import logging

        logging.getLogger("aecore.train").warning("The default model's training step is not compiled ahead: %s",
                                                  exc)
        return False
    return compile_training_step(Experiment(), dataset)


def lower_rate(learning_rate: float) -> float:
    """A learning rate clearly below ``learning_rate`` to suggest (never the same one)."""
    for rate in LOWER_RATES:
        if rate < 0.75 * learning_rate:
            return rate
    return float(f"{learning_rate / 3:.1g}")


def steps_per_call(train_cfg: TrainConfig, per_epoch: int, xla: bool) -> int:
    """Optimizer steps per call into TensorFlow (Stop is checked between calls): the config's, never more than
    an epoch has (an epoch's end stays a call boundary), and at most ``KERAS_LOOP_STEPS`` in Keras's own loop
    (types trained without XLA, whose steps cost more)."""
    limit = train_cfg.steps_per_execution if xla else min(train_cfg.steps_per_execution, KERAS_LOOP_STEPS)
    return max(1, min(limit, per_epoch))


def steps_in_epoch(n_train: int, batch_size: int) -> int:
    """Optimizer steps in one epoch (the last partial batch is dropped, see ``_batches``)."""
    return max(n_train // batch_size, 1)


def few_steps_advice(batch_size: int, per_epoch: int, epochs_run: int) -> str:
    """What trains a model further when a run ended still improving after few optimizer steps."""
    more = "a smaller batch or more epochs train" if batch_size > 16 else "more epochs train"
    return (f"It was still improving after only {per_epoch * epochs_run} optimizer steps ({per_epoch} per epoch "
            f"in batches of {batch_size}): {more} it further.")


def collapsed(outputs: np.ndarray, reference_spread: float) -> bool:
    """True when ``outputs`` (one row per image) are not finite, or are the same for every image: their
    ``data_spread`` is at most ``COLLAPSE_RATIO`` times the data's (``reference_spread``)."""
    outputs = np.asarray(outputs)
    if not np.isfinite(outputs).all():
        return True
    return len(outputs) > 1 and data_spread(outputs) <= COLLAPSE_RATIO * reference_spread


def data_spread(x: np.ndarray, rows: int = 4096) -> float:
    """The largest per-feature standard deviation across samples (what ``collapsed`` compares with), over
    the first ``rows`` samples (in float64, so float32 round-off does not count as spread)."""
    x = np.asarray(x)[:rows]
    return float(x.reshape(len(x), -1).astype(np.float64).std(axis=0).max()) if len(x) > 1 else 0.0


_PENALTIES = {"variational": ("kl_weight", "KL weight (β)"), "sparse": ("sparsity_weight", "sparsity weight"),
              "contractive": ("contractive_weight", "contractive weight")}


def _stuck_advice(train_cfg, per_epoch: int, n_images: int, batch_hint: bool = False, model_cfg=None) -> str:
    rate = train_cfg.learning_rate
    advice = f"The learning rate ({rate:g}) is probably too high for this model; try {lower_rate(rate):g}"
    if model_cfg is not None and model_cfg.kind in _PENALTIES:
        field_name, label = _PENALTIES[model_cfg.kind]
        advice += (f", or a smaller {label} than {getattr(model_cfg, field_name):g} (a strong penalty can leave "
                   "the code carrying nothing)")
    elif rate <= 0.001:
        advice += ", or the elu or leaky_relu activation, whose units cannot die"
    if batch_hint and per_epoch < 20 and train_cfg.batch_size > 16:
        advice += (f". Each epoch is only {per_epoch} optimizer steps ({n_images:,} images in batches of "
                   f"{train_cfg.batch_size}): a smaller batch such as 16 gives more steps")
    return advice + "."


def _make_callback(cancel: threading.Event | None, progress: Callable[[EpochReport], None] | None,
                   epochs: int, patience: int | None, preview_x: np.ndarray, snapshot_x: np.ndarray,
                   reconstruct: Callable, encode: Callable, start: float, baseline_mse: float,
                   validation: tuple[np.ndarray, np.ndarray],
                   spread: float = 0.0, steps_per_epoch: int = 0,
                   provisional: Callable[..., Callable[[list], TrainResult | None]] | None = None):
    """``reconstruct`` and ``encode`` call the training model and its encoder on images (the preview, the code
    snapshots); ``provisional(epoch, elapsed, history, snapshots)`` gives the function that makes that epoch's
    model from its weights (see ``Provisional``)."""
    import keras

    class Guard(keras.callbacks.Callback):
        """Early stopping, cancellation and divergence guard in one place, sharing the kept weights."""

        def __init__(self):
            super().__init__()
            self.best_val = math.inf
            self.best_epoch = 0
            self.best_weights = None
            self.last_weights = None
            self.epochs_done = 0
            self.wait = 0
            self.stopped = "completed"
            self.diverged_at: str | None = None
            self.snapshots: list[tuple[int, np.ndarray]] = []
            self.steps = 0  # optimizer steps taken so far
            self.mse_history: list[tuple[int, float]] = []  # (steps after the epoch, training MSE)
            self.same_output_epochs = 0  # consecutive epochs that ended giving one output for every image
            self.reason = ""  # "infinite", "dead" or "plateau" once diverged
            self.history: dict[str, list[float]] = {}  # the kept epochs' logs (Keras's History is filled after us)
            self.latest: Provisional | None = None
            self.outside = 0.0  # seconds spent in ``progress``: not training (a job may wait there for its turn)

        def release_provisional(self) -> None:
            if self.latest is not None:
                self.latest.release()
                self.latest = None

        def outputs_identical(self) -> bool:
            x_val = validation[0][:256]
            return len(x_val) > 1 and collapsed(np.asarray(self.model(x_val, training=False)), spread)

        def stuck(self, mse: float) -> str:
            """"dead" / "plateau" when training cannot get anywhere any more, else ""."""
            if mse <= baseline_mse:
                return ""
            history = self.mse_history
            # One output for every image (units died, outputs saturated), two epochs running: it can at best
            # draw the average image, and it is already worse than that.
            if len(history) >= 2 and history[-1][1] >= history[-2][1] - 0.01 * history[-2][1]:
                self.same_output_epochs = self.same_output_epochs + 1 if self.outputs_identical() else 0
                if self.same_output_epochs >= 2:
                    return "dead"
            else:
                self.same_output_epochs = 0
            # No progress over the last PLATEAU_STEPS optimizer steps (and at least 3 epochs), while still
            # worse than drawing the average image.
            for i in range(len(history) - 3, -1, -1):
                steps_then, mse_then = history[i]
                if steps_then <= self.steps - PLATEAU_STEPS:
                    window = [m for _, m in history[i:]]
                    if min(window) > baseline_mse and mse >= mse_then - 1e-6:
                        return "plateau"
                    break
            return ""

        def validate(self) -> dict[str, float]:
            self.model.reset_metrics()  # the epoch's training figures are already in the logs
            return validation_logs(self.model, *validation)

        def on_train_batch_begin(self, batch, logs=None):
            # Checked at batch *begin*: a callback with on_train_batch_end makes Keras convert the loss to
            # a Python float after every batch (a device sync), which cost ~20% throughput. With several
            # steps per execution Keras calls this once per execution, so steps are counted per epoch.
            if cancel is not None and cancel.is_set():
                self.stopped = "cancelled"
                self.model.stop_training = True

        def on_epoch_end(self, epoch, logs=None):
            if self.diverged_at or self.stopped == "cancelled":
                return  # this epoch was cut short: do not keep it
            if logs is not None:  # the same dict reaches Keras's History after us
                logs.update(self.validate())
            logs = {k: float(v) for k, v in (logs or {}).items()}
            weights = self.model.get_weights()
            weights_finite = all(np.isfinite(w).all() for w in weights)
            if not weights_finite or not all(math.isfinite(v) for v in logs.values()):
                self.diverged_at, self.reason = f"epoch {epoch + 1}", "infinite"
                self.model.stop_training = True
                return
            mse = logs.get("mse", math.inf)
            self.steps = (epoch + 1) * steps_per_epoch
            self.mse_history.append((self.steps, mse))
            reason = self.stuck(mse)
            if reason:
                self.diverged_at, self.reason = f"epoch {epoch + 1}", reason
                self.model.stop_training = True
                return
            self.epochs_done = epoch + 1
            self.last_weights = weights
            val = logs.get("val_loss", logs.get("loss", math.inf))
            if val < self.best_val - 1e-7:
                self.best_val, self.best_epoch, self.best_weights, self.wait = val, epoch + 1, self.last_weights, 0
            else:
                self.wait += 1
                if patience is not None and self.wait >= patience:
                    self.stopped = "early stopping"
                    self.model.stop_training = True
            if len(snapshot_x) and (epoch < 10 or (epoch + 1) % 5 == 0 or epoch + 1 == epochs):
                self.snapshots.append((epoch + 1, np.asarray(encode(snapshot_x))))
            for key, value in logs.items():
                self.history.setdefault(key, []).append(value)
            if progress is not None:
                preview = np.asarray(reconstruct(preview_x)) if len(preview_x) else None
                elapsed = time.perf_counter() - start
                self.release_provisional()  # weights only for the latest epoch: 30 students' jobs share the memory
                if provisional is not None:
                    self.latest = Provisional(self.last_weights, provisional(
                        epoch + 1, elapsed, {k: list(v) for k, v in self.history.items()}, list(self.snapshots)))
                reporting = time.perf_counter()
                progress(EpochReport(epoch + 1, epochs, logs, elapsed, preview, self.steps, self.latest))
                self.outside += time.perf_counter() - reporting  # e.g. paused for other trainings' turns

    return Guard()


def _reconstruct(model, x: np.ndarray, chunk: int = 1024) -> np.ndarray:
    """The model's outputs for ``x``, called directly in chunks: ``predict`` traced a function per batch
    shape (and per call site), about as long as the default model's whole validation."""
    if not len(x):
        return np.asarray(model.predict(x, verbose=0))
    return np.concatenate([np.asarray(model(x[i:i + chunk], training=False)) for i in range(0, len(x), chunk)])


def training_noise(train_cfg: TrainConfig) -> Callable | None:
    """The experiment's training noise as ``noise(x_batch, key)`` on tensors, or None without noise.

    The formulas are ``corrupt.corrupted``'s (the validation and test noise's), on TensorFlow's stateless
    draws seeded by ``key``: the same key gives the same noise, in the tf.data pipeline or eagerly.
    """
    if train_cfg.noise_level <= 0:
        return None
    import tensorflow as tf
    from keras import ops

    kind, level = train_cfg.noise_kind, float(train_cfg.noise_level)
    draw = tf.random.stateless_normal if kind == "gaussian" else tf.random.stateless_uniform

    def noise(x, key):
        x = tf.convert_to_tensor(x)
        seed = tf.stack([tf.cast(key, tf.int64), tf.constant(0, tf.int64)])
        return corrupt.corrupted(x, kind, level, draw(tf.shape(x), seed, dtype=x.dtype), xp=ops)

    return noise


def _no_autotuning(data):
    # No autotuning thread: fit drops an epoch's iterator at the next epoch's first step, and that waits for
    # the thread, which on a busy machine sleeps past its cancellation up to 60 s (tests/test_training_data_stall.py).
    import tensorflow as tf

    options = tf.data.Options()
    options.autotune.enabled = False
    return data.with_options(options)


def shuffled_batches(x: np.ndarray, y: np.ndarray, batch_size: int, seed: int, keyed: bool = False):
    """Shuffled batches (x, y), reshuffled every epoch, as a tf.data pipeline (faster than Keras's array
    adapter). ``keyed`` adds each batch's noise key (x, y, key): a seeded random stream that, like the
    shuffle, is drawn afresh every pass, so every epoch gets new noise and a replay (``aecore.stepping``)
    the same noise.

    The last partial batch is dropped (a different few images each epoch): one batch shape means one
    traced training step instead of two, which on mnist-5k saves more time than the 16 images cost.
    """
    import tensorflow as tf

    data = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    data = data.batch(batch_size, drop_remainder=len(x) >= batch_size)
    if keyed:
        keys = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True)
        data = tf.data.Dataset.zip(data, keys).map(lambda xy, key: (*xy, key))
    return _no_autotuning(data)


def grouped_batches(x: np.ndarray, y: np.ndarray, batch_size: int, seed: int, group: int):
    """``shuffled_batches`` (without noise keys) ``group`` batches at a time, stacked, as (x, y, count): the
    last group of an epoch padded to the same shape (one shape, one compile), ``count`` its real batches.

    The shuffle moves row numbers and each group gathers its rows at once: the same order (a shuffle's order
    depends only on its seed and length), without copying every image through the shuffle and the batching
    (reading an epoch of mnist-5k's batches: 17.8 ms that way, 10.5 ms this way; benchmarks/step_loop.py)."""
    import tensorflow as tf

    x_rows = tf.constant(x)
    y_rows = x_rows if y is x else tf.constant(y)  # an autoencoder's inputs and targets are often one array
    rows = tf.data.Dataset.range(len(x)).shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    rows = rows.batch(batch_size, drop_remainder=len(x) >= batch_size).batch(group)

    def stacked(rows):
        count = tf.shape(rows)[0]
        rows = tf.ensure_shape(tf.pad(rows, [[0, group - count], [0, 0]]), [group, rows.shape[1]])
        images = tf.gather(x_rows, rows)
        return images, images if y is x else tf.gather(y_rows, rows), count

    return _no_autotuning(rows.map(stacked))


def _batches(x: np.ndarray, y: np.ndarray, batch_size: int, seed: int, noise: Callable | None = None,
             group: int = 0):
    """What ``fit`` trains on: ``shuffled_batches``, their inputs corrupted by ``noise`` when given; with
    ``group`` (and no noise), ``grouped_batches`` for a model that steps through groups
    (``_step_through_groups``)."""
    if group:
        if noise is not None:
            raise ValueError("Grouped batches carry no noise: noisy trainings step one batch at a time.")
        return grouped_batches(x, y, batch_size, seed, group).prefetch(2)
    data = shuffled_batches(x, y, batch_size, seed, keyed=noise is not None)
    if noise is not None:
        data = data.map(lambda x_batch, y_batch, key: (noise(x_batch, key), y_batch))
    return data.prefetch(2)


def _step_through_groups(model) -> None:
    """Make ``model``'s training step take a group of batches (``_batches(group=...)``) and run Keras's own
    step on each in a loop compiled with it (XLA), so the epoch's Stop checks and logs stay Keras's.

    Keras's own loop over steps per execution takes each batch from the iterator as an optional inside a
    graph loop around the compiled step. With ``grouped_batches``, the default model's step fell from 1.76 to
    1.49 ms (groups of 16) and 1.40 ms (of 64) (benchmarks/step_loop.py, 2026-12-03 16:57 UTC)."""
    import tensorflow as tf

    one_step = model.train_step

    def train_step(data):
        x, y, count = data

        def step(i):
            one_step((x[i], y[i]))
            return i + 1

        tf.while_loop(lambda i: i < count, step, [tf.constant(0)])
        return model.get_metrics_result()

    model.train_step = train_step


def train_autoencoder(experiment: Experiment, dataset: Dataset,
                      progress: Callable[[EpochReport], None] | None = None,
                      cancel: threading.Event | None = None,
                      inputs: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None) -> TrainResult:
    """Train the experiment's autoencoder on ``dataset``.

    The targets are always the data set's clean samples. ``inputs`` = (train, validation, test)
    replaces what the model sees (watermarked, down-sampled or grey versions, say); by default it
    sees the samples themselves, with the experiment's noise added when its noise level is above 0.

    Raises ``ValueError`` for settings that cannot train, ``TrainingDiverged``
    when the loss blows up, and ``TrainingCancelled`` when stopped before the
    first epoch completed.
    """
    import keras

    from aecore.models import build_model, compile_model

    model_cfg, train_cfg = experiment.model, experiment.train
    experiment.validate_for(dataset)
    ensure_tensorflow_configured()
    release_training_graphs()  # traced steps of models dropped since the last training (freed by the next gc)
    noisy = train_cfg.noise_level > 0

    def model_input(x: np.ndarray, seed: int) -> np.ndarray:
        return corrupt.add_noise(x, train_cfg.noise_kind, train_cfg.noise_level, seed) if noisy else x

    if inputs is not None:
        x_train_in, x_val_in, x_test_in = inputs
    else:
        x_train_in = dataset.x_train  # noise, if any, is added afresh to every batch by the pipeline (_batches)
        x_val_in = model_input(dataset.x_val, train_cfg.seed + 1)
        x_test_in = model_input(dataset.x_test, train_cfg.seed + 2)
    spread = data_spread(dataset.x_train)
    per_epoch = steps_in_epoch(len(x_train_in), train_cfg.batch_size)
    if len(x_test_in) > 1 and collapsed(x_test_in, spread):
        raise ValueError("Every image reaches the model as the same input (the noise or corruption leaves "
                         "nothing of the image): there is nothing to learn from. Lower the noise level.")
    xla = model_cfg.kind in XLA_KINDS and not noisy and model_cfg.dropout == 0
    # XLA trainings step through groups of that many batches (``_step_through_groups``).
    grouped = train_cfg.replace(steps_per_execution=steps_per_call(train_cfg, per_epoch, xla))
    with SEEDED_BUILD:
        keras.utils.set_random_seed(train_cfg.seed)
        built = build_model(model_cfg, dataset.sample_shape, train_cfg, input_shape=x_train_in.shape[1:])
        # Its shuffle takes TensorFlow's global seed as it is now: another thread's seed would change the order.
        batches = _batches(x_train_in, dataset.x_train, train_cfg.batch_size, train_cfg.seed,
                           training_noise(train_cfg), group=grouped.steps_per_execution if xla else 0)
    compile_model(built, model_cfg, grouped, learning_rate=learning_rate_schedule(train_cfg, per_epoch))
    # XLA trainings train in a kept model of the same architecture whose step is already compiled
    # (aecore.compiled_trainers); ``built`` takes the trained weights at the end.
    trainer_key, trainer = _take_trainer(model_cfg, dataset, train_cfg, x_train_in.shape[1:], grouped) if xla \
        else (None, None)
    if trainer is not None:
        trainer.start(built.autoencoder.get_weights(), train_cfg.learning_rate, train_cfg.epochs * per_epoch,
                      train_cfg.cooldown if train_cfg.cooldown > 0 else 0.0,
                      COOLDOWN_FINAL if train_cfg.cooldown > 0 else 1.0)
    training = trainer.built if trainer is not None else built
    start = time.perf_counter()

    def result_of(built, **run) -> TrainResult:
        """The TrainResult of ``built`` as it stands: the end of the training, or an epoch's provisional model."""
        return _assemble(experiment, dataset, built, x_train_in, x_test_in, spread, per_epoch, **run)

    def provisional(epoch: int, elapsed: float, history: dict, snapshots: list):
        def make(weights: list[np.ndarray]) -> TrainResult | None:
            # A model of its own (the training's keeps changing, and Keras models are not thread-safe).
            with SEEDED_BUILD:
                copy = build_model(model_cfg, dataset.sample_shape, train_cfg, input_shape=x_train_in.shape[1:])
            copy.autoencoder.set_weights(weights)
            try:
                return result_of(copy, history=history, epochs_run=epoch, best_epoch=epoch, seconds=elapsed,
                                 stopped=PROVISIONAL, snapshots=snapshots)
            except TrainingDiverged:  # one output for every image: nothing worth showing yet
                return None

        return make

    # A kept trainer's graph calls are traced once for all its trainings; a model of its own calls eagerly.
    reconstruct, encode = (trainer.reconstruct, trainer.encode) if trainer is not None else (
        functools.partial(built.autoencoder, training=False), functools.partial(built.encoder, training=False))
    guard = _make_callback(cancel, progress, train_cfg.epochs,
                           train_cfg.patience if train_cfg.early_stopping else None,
                           x_test_in[:PREVIEW_COUNT], x_test_in[:SNAPSHOT_COUNT], reconstruct, encode, start,
                           baseline_mse=metrics.mse(dataset.x_train, np.broadcast_to(
                               dataset.x_train.mean(axis=0), dataset.x_train.shape)),
                           validation=(x_val_in, dataset.x_val), spread=spread, steps_per_epoch=per_epoch,
                           provisional=provisional)
    try:
        training.autoencoder.fit(batches, epochs=train_cfg.epochs, shuffle=False, callbacks=[guard],
                                 verbose=0)  # shuffled above
        history = {k: [float(v) for v in vals] for k, vals in training.autoencoder.history.history.items()}
    finally:
        guard.release_provisional()  # the final model (or the error) replaces it
        if trainer is not None:
            TRAINERS.give(trainer_key, trainer)
    seconds = time.perf_counter() - start - guard.outside
    history = {k: v[: guard.epochs_done] for k, v in history.items()}

    if guard.diverged_at:
        rate, lower = train_cfg.learning_rate, lower_rate(train_cfg.learning_rate)
        if guard.reason == "infinite":
            raise TrainingDiverged(
                f"Training diverged at {guard.diverged_at}: the loss became infinite. The learning rate "
                f"({rate:g}) is too high for this model; try {lower:g}.")
        what = ("the model's units died (it gives the same output for every image, worse than drawing the "
                "average image)" if guard.reason == "dead" else
                f"after {guard.steps} optimizer steps the loss had stopped falling, still above that of drawing "
                "the average image")
        raise TrainingDiverged(f"Training diverged at {guard.diverged_at}: {what}. "
                               + _stuck_advice(train_cfg, per_epoch, len(x_train_in), guard.reason == "plateau",
                                               model_cfg))
    if guard.epochs_done == 0:
        raise TrainingCancelled("Stopped before the first epoch finished: there is no model to show yet.")
    keep_best = train_cfg.early_stopping and guard.best_weights is not None and guard.stopped != "cancelled"
    built.autoencoder.set_weights(guard.best_weights if keep_best else guard.last_weights)
    return result_of(built, history=history, epochs_run=guard.epochs_done,
                     best_epoch=guard.best_epoch if keep_best else guard.epochs_done, seconds=seconds,
                     stopped=guard.stopped, snapshots=guard.snapshots)


def _assemble(experiment: Experiment, dataset: Dataset, built, x_train_in: np.ndarray, x_test_in: np.ndarray,
              spread: float, per_epoch: int, *, history: dict[str, list[float]], epochs_run: int, best_epoch: int,
              seconds: float, stopped: str, snapshots: list) -> TrainResult:
    """A TrainResult from a model with the weights to keep: its test and training reconstructions and scores.
    Raises ``TrainingDiverged`` for a collapsed model (one image for every input, or NaN): it must not be
    cached and shown as a result."""
    test_rec = _reconstruct(built.autoencoder, x_test_in)
    if collapsed(test_rec, spread):
        raise TrainingDiverged("Training collapsed: the model gives the same output for every image. "
                               + _stuck_advice(experiment.train, per_epoch, len(x_train_in), model_cfg=experiment.model))
    train_rec = _reconstruct(built.autoencoder, x_train_in)
    per_image = metrics.per_sample_mse(dataset.x_test, test_rec)
    test_mse = float(per_image.mean())
    return TrainResult(
        experiment=experiment, model=built.autoencoder, encoder=built.encoder, decoder=built.decoder,
        history=history, epochs_run=epochs_run, best_epoch=best_epoch, seconds=seconds,
        stopped=stopped, test_mse=test_mse, test_psnr=metrics.psnr_from_mse(test_mse),
        train_mse=metrics.mse(dataset.x_train, train_rec), per_image_test_mse=per_image,
        test_reconstruction=test_rec, test_input=x_test_in,
        samples_per_second=epochs_run * dataset.n_train / max(seconds, 1e-9),
        code_snapshots=snapshots, steps_per_epoch=per_epoch,
    )
