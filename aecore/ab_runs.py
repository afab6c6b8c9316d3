"""Two runs side by side (A/B): the same experiment with one setting changed, trained in step.

Both models start from one seed: with the same layer shapes their initial weights are identical (checked
and reported), and with different shapes they still share the seed. Both see the same images in the same
order every epoch. One job trains A for one epoch, then B for one epoch, then reports both, so the two loss
curves grow together. Early stopping is off here, so both runs get the same number of epochs.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from aecore import corrupt, metrics
from aecore.config import ACTIVATIONS, LOSS_LABELS, Experiment, stable_hash
from aecore.data import Dataset
from aecore.validation import validation_logs



@dataclass(frozen=True)
class Setting:
    """One setting the student may vary between A and B."""

    label: str
    section: str  # "model" or "train"
    field: str
    choices: tuple
    architectural: bool  # changes the layer shapes (then the initial weights cannot all be shared)

    def value_of(self, experiment: Experiment):
        return getattr(getattr(experiment, self.section), self.field)

    def text(self, value) -> str:
        if self.field == "loss":
            return LOSS_LABELS.get(value, str(value))
        return f"{value:g}" if isinstance(value, float) else str(value)


SETTINGS: dict[str, Setting] = {
    "code_size": Setting("Code size", "model", "code_size", (2, 4, 8, 16, 32, 64), True),
    "n_hidden_layers": Setting("Hidden layers", "model", "n_hidden_layers", (0, 1, 2, 3), True),
    "first_layer_nodes": Setting("Nodes in the first hidden layer", "model", "first_layer_nodes",
                                 (16, 32, 64, 128, 256, 512), True),
    "activation": Setting("Activation", "model", "activation", ACTIVATIONS, False),
    "loss": Setting("Loss", "model", "loss", ("bce", "mse"), False),
    "noise_level": Setting("Noise level", "train", "noise_level", (0.0, 0.1, 0.2, 0.3, 0.5, 0.7), False),
    "learning_rate": Setting("Learning rate", "train", "learning_rate",
                             (1e-4, 3e-4, 1e-3, 2e-3, 5e-3, 1e-2, 3e-2), False),
}


def other_choice(setting: str, experiment: Experiment):
    """A sensible default value for B: the next choice after A's (else the previous one)."""
    spec = SETTINGS[setting]
    value = spec.value_of(experiment)
    choices = list(spec.choices)
    if value not in choices:
        return choices[0]
    i = choices.index(value)
    return choices[i + 1] if i + 1 < len(choices) else choices[i - 1]


def make_b(a: Experiment, setting: str, value) -> Experiment:
    """Experiment B: A with ``setting`` set to ``value``. Raises ``ValueError`` for an unknown setting."""
    if setting not in SETTINGS:
        raise ValueError(f"Unknown setting to vary '{setting}'. Choose one of: {', '.join(SETTINGS)}.")
    spec = SETTINGS[setting]
    part = getattr(a, spec.section).replace(**{spec.field: value})
    b = a.replace(**{spec.section: part})
    return b.replace(model=b.model.canonical())


def pair_key(a: Experiment, b: Experiment) -> str:
    """The job key of an A/B pair: both experiments (A/B training has its own fixed rules, hence the tag)."""
    return "ab-" + stable_hash("ab_runs", 1, a, b)


def epoch_order(n_train: int, batch_size: int, seed: int, epoch: int) -> np.ndarray:
    """Indices of the training images in the order epoch ``epoch`` (0-based) shows them; the last partial
    batch is dropped, as in ``aecore.train``. The same for A and B: it depends on the seed and epoch only."""
    order = np.random.default_rng([seed, epoch]).permutation(n_train)
    steps = max(n_train // batch_size, 1)
    return order[: min(steps * batch_size, n_train)]


def weights_digest(weights: list[np.ndarray]) -> str:
    """A hash of a model's weights (shapes and values), to show two models start from the same ones."""
    h = hashlib.sha256()
    for w in weights:
        w = np.ascontiguousarray(w)
        h.update(str(w.shape).encode())
        h.update(w.tobytes())
    return h.hexdigest()[:16]


def build_run(experiment: Experiment, dataset: Dataset):
    """Build and compile one run's model from its seed (``keras.utils.set_random_seed`` first, so two
    runs with equal layer shapes get identical initial weights)."""
    import keras

    from aecore.models import build_model, compile_model
    from aecore.runtime import ensure_tensorflow_configured

    from aecore.train import SEEDED_BUILD

    ensure_tensorflow_configured()
    with SEEDED_BUILD:
        keras.utils.set_random_seed(experiment.train.seed)
        built = build_model(experiment.model, dataset.sample_shape, experiment.train)
    return compile_model(built, experiment.model, experiment.train)


@dataclass
class RunOutcome:
    """One side (A or B) of a pair."""

    experiment: Experiment
    model: object  # keras.Model
    history: dict[str, list[float]]  # "loss", "val_loss" per epoch
    initial_digest: str
    order_digests: list[str]  # per epoch: a hash of the image order it was trained on
    test_input: np.ndarray
    test_reconstruction: np.ndarray = None
    per_image_test_mse: np.ndarray = None
    test_mse: float = math.nan
    test_psnr: float = math.nan
    seconds: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def reconstruct(self, x: np.ndarray) -> np.ndarray:
        with self._lock:
            return np.asarray(self.model.predict(x, batch_size=512, verbose=0))


@dataclass
class ABResult:
    setting: str
    a: RunOutcome
    b: RunOutcome
    epochs_run: int
    stopped: str  # "completed" or "cancelled"
    seconds: float

    @property
    def same_start(self) -> bool:
        """Whether both runs started from identical weights."""
        return self.a.initial_digest == self.b.initial_digest

    @property
    def same_order(self) -> bool:
        return self.a.order_digests == self.b.order_digests

    def difference(self) -> np.ndarray:
        """|A − B| of the two models' test reconstructions, per pixel."""
        return np.abs(np.asarray(self.a.test_reconstruction, dtype=np.float32)
                      - np.asarray(self.b.test_reconstruction, dtype=np.float32))


class _Run:
    """One model being trained an epoch at a time."""

    def __init__(self, experiment: Experiment, dataset: Dataset):
        self.experiment = experiment
        self.built = build_run(experiment, dataset)
        self.model = self.built.autoencoder
        self.weights = self.model.get_weights()  # the last completed epoch's
        self.before = self.weights
        self.initial_digest = weights_digest(self.weights)
        train = experiment.train
        noisy = train.noise_level > 0
        self.x_val_in = (corrupt.add_noise(dataset.x_val, train.noise_kind, train.noise_level, train.seed + 1)
                         if noisy else dataset.x_val)
        self.x_test_in = (corrupt.add_noise(dataset.x_test, train.noise_kind, train.noise_level, train.seed + 2)
                          if noisy else dataset.x_test)
        self.history: dict[str, list[float]] = {"loss": [], "val_loss": []}
        self.orders: list[str] = []
        self.seconds = 0.0

    def epoch(self, dataset: Dataset, order: np.ndarray, cancel: threading.Event | None) -> bool:
        """Train one epoch on ``order``; False when stopped part-way (the weights go back to the last epoch)."""
        import keras

        class Stop(keras.callbacks.Callback):
            def on_train_batch_begin(self, batch, logs=None):
                if cancel is not None and cancel.is_set():
                    self.model.stop_training = True

        start = time.perf_counter()
        self.before = self.weights
        x = dataset.x_train[order]
        fitted = self.model.fit(x, x, batch_size=self.experiment.train.batch_size, epochs=1, shuffle=False,
                                verbose=0, callbacks=[Stop()])
        if cancel is not None and cancel.is_set():
            self.model.set_weights(self.weights)
            return False
        loss = float(fitted.history["loss"][-1])
        val_loss = validation_logs(self.model, self.x_val_in, dataset.x_val).get("val_loss", math.nan)
        self.seconds += time.perf_counter() - start
        if not (math.isfinite(loss) and math.isfinite(val_loss)):
            from aecore.train import TrainingDiverged, lower_rate

            rate = self.experiment.train.learning_rate
            raise TrainingDiverged(f"{{side}} diverged at epoch {len(self.history['loss']) + 1}: its loss became "
                                   f"infinite. Its learning rate ({rate:g}) is too high; try {lower_rate(rate):g}.")
        self.weights = self.model.get_weights()
        self.history["loss"].append(loss)
        self.history["val_loss"].append(val_loss)
        self.orders.append(hashlib.sha256(np.ascontiguousarray(order).tobytes()).hexdigest()[:16])
        return True

    def roll_back(self, epochs: int) -> None:
        """Back to the weights after ``epochs`` completed epochs (this one or the one before)."""
        if len(self.history["loss"]) > epochs:
            self.weights = self.before
            for values in self.history.values():
                del values[epochs:]
            del self.orders[epochs:]
        self.model.set_weights(self.weights)

    def outcome(self, dataset: Dataset) -> RunOutcome:
        rec = np.asarray(self.model.predict(self.x_test_in, batch_size=512, verbose=0))
        per_image = metrics.per_sample_mse(dataset.x_test, rec)
        mse = float(per_image.mean())
        return RunOutcome(self.experiment, self.model, self.history, self.initial_digest, self.orders,
                          self.x_test_in, rec, per_image, mse, float(metrics.psnr_from_mse(mse)), self.seconds)


@dataclass
class ABReport:
    """Progress after each epoch both runs completed (``logs`` holds A's loss as "loss", B's as "b_loss")."""

    epoch: int
    epochs: int
    logs: dict[str, float]
    elapsed: float
    preview: np.ndarray | None = None

    @property
    def fraction(self) -> float:
        return min(self.epoch / max(self.epochs, 1), 1.0)

    @property
    def line(self) -> str:
        return (f"Epoch {self.epoch} of {self.epochs} done by both · A loss {self.logs['loss']:.4f} · "
                f"B loss {self.logs['b_loss']:.4f}")

    @property
    def partial(self) -> np.ndarray | None:
        return self.preview


def validate_pair(a: Experiment, b: Experiment, dataset: Dataset) -> None:
    """Raise ``ValueError`` naming A or B when either cannot train, or when they do not differ."""
    if a == b:
        raise ValueError("B is the same as A: choose a different value for B.")
    for side, experiment in (("A", a), ("B", b)):
        try:
            experiment.validate_for(dataset)
        except ValueError as exc:
            raise ValueError(f"Run {side} cannot train: {exc}") from None
    if a.model.kind == "conv" or b.model.kind == "conv":
        raise ValueError("Two runs side by side compares dense autoencoders; pick another type in the sidebar.")


def train_pair(a: Experiment, b: Experiment, dataset: Dataset, setting: str = "",
               progress: Callable[[ABReport], None] | None = None,
               cancel: threading.Event | None = None) -> ABResult:
    """Train A and B in step: epoch 1 of A, epoch 1 of B, report, epoch 2 of A, ...

    Both use ``a.train.epochs`` epochs (no early stopping) and A's seed. Raises ``ValueError`` for settings
    that cannot train, ``aecore.train.TrainingDiverged`` naming the run whose loss blew up, and
    ``aecore.train.TrainingCancelled`` when stopped before both completed a first epoch.
    """
    from aecore.runtime import release_training_graphs
    from aecore.train import TrainingCancelled, TrainingDiverged

    b = b.replace(train=b.train.replace(seed=a.train.seed, epochs=a.train.epochs))
    validate_pair(a, b, dataset)
    release_training_graphs()
    start = time.perf_counter()
    runs = {"A": _Run(a, dataset), "B": _Run(b, dataset)}
    epochs, done, stopped = a.train.epochs, 0, "completed"
    for epoch in range(epochs):
        complete = True
        for side, run in runs.items():
            order = epoch_order(dataset.n_train, run.experiment.train.batch_size, a.train.seed, epoch)
            try:
                complete = run.epoch(dataset, order, cancel)
            except TrainingDiverged as exc:
                raise TrainingDiverged(str(exc).replace("{side}", f"Run {side}")) from None
            if not complete:
                break
        if not complete:  # stopped part-way: both go back to the last epoch they completed together
            for run in runs.values():
                run.roll_back(done)
            stopped = "cancelled"
            break
        done = epoch + 1
        if progress is not None:
            ha, hb = runs["A"].history, runs["B"].history
            progress(ABReport(done, epochs, {"loss": ha["loss"][-1], "val_loss": ha["val_loss"][-1],
                                              "b_loss": hb["loss"][-1], "b_val_loss": hb["val_loss"][-1]},
                              time.perf_counter() - start))
    if done == 0:
        raise TrainingCancelled("Stopped before both runs finished a first epoch: there is nothing to show yet.")
    return ABResult(setting, runs["A"].outcome(dataset), runs["B"].outcome(dataset), done, stopped,
                    time.perf_counter() - start)


def pair_epoch_work(epoch_work: Callable[[Experiment, Dataset], float], a: Experiment, b: Experiment,
                    dataset: Dataset) -> float:
    """Nominal seconds of one A/B epoch (both models) from a one-model ``epoch_work``."""
    return epoch_work(a, dataset) + epoch_work(b, dataset)
