"""PCA against the autoencoder: one interface, sweeps, linear AE = PCA, manifolds, layers, transfer.

``PCABaseline`` and ``AutoencoderReducer`` follow scikit-learn's shape (``fit`` returns self,
learned attributes end in ``_``, ``transform`` gives codes, ``inverse_transform`` decodes), so a
comparison is one loop over both. Everything that trains (sweep models, the linear autoencoder, the
manifold demo, the transfer experiment) is a plain function ``fn(report, cancel)`` that the app runs
as a background job keyed by a configuration's stable hash.
"""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass
from typing import Callable

import numpy as np

from aecore import metrics
from aecore.config import DataConfig, Experiment, ModelConfig, TrainConfig, stable_hash
from aecore.data import Dataset, load_dataset
from aecore.pca import PCA_MAX_COMPONENTS, PCABaseline, flatten  # noqa: F401  (part of this module's API)

# Published PCA test MSE on full MNIST (60,000 train / 10,000 test, pixels in [0, 1]).
PUBLISHED_MNIST_PCA_TEST_MSE = {2: 0.0557, 8: 0.0374, 16: 0.0269, 32: 0.0168, 64: 0.0090}
SWEEP_CODE_SIZES = (2, 4, 8, 16, 32, 64)
MANIFOLDS = ("swiss-roll", "s-curve", "circle")
LINEAR_CODE_SIZE = 8


# --- PCA (aecore.pca) ---------------------------------------------------------------------------------------

_pca_cache: dict[str, PCABaseline] = {}
_pca_lock = threading.Lock()


def fitted_pca(data_cfg: DataConfig, dataset: Dataset, max_components: int = PCA_MAX_COMPONENTS) -> PCABaseline:
    """PCA of a registered data set's training split, memoised by the data config's hash.

    Uploads (``upload_id`` set) are never memoised here: what derives from a user's upload stays with
    that user, so the caller keeps it.
    """
    if data_cfg.upload_id:
        return PCABaseline(max_components).fit(dataset.x_train)
    key = stable_hash(data_cfg, max_components)
    with _pca_lock:
        if key not in _pca_cache:
            _pca_cache[key] = PCABaseline(max_components).fit(dataset.x_train)
        return _pca_cache[key]


@dataclass(frozen=True)
class PCACurve:
    """PCA-k errors for k = 1..len(test_mse)."""

    code_sizes: np.ndarray
    test_mse: np.ndarray
    train_mse: np.ndarray


def pca_curve(pca: PCABaseline, dataset: Dataset, max_components: int | None = None) -> PCACurve:
    k = min(max_components or pca.n_components_, pca.n_components_)
    return PCACurve(np.arange(1, k + 1), pca.mse_by_components(dataset.x_test, k),
                    pca.mse_by_components(dataset.x_train, k))


def pca_test_errors(pca: PCABaseline, dataset: Dataset, k: int) -> np.ndarray:
    """Per-image test MSE of PCA-k (one number per test image)."""
    return metrics.per_sample_mse(dataset.x_test, pca.reconstruct(dataset.x_test, k))


def published_check(curve: PCACurve, tolerance: float = 0.05) -> list[tuple[int, float, float, float, bool]]:
    """(k, ours, published, ratio, within tolerance) against the published full-MNIST PCA figures."""
    rows = []
    for k, published in PUBLISHED_MNIST_PCA_TEST_MSE.items():
        if k <= len(curve.test_mse):
            ours = float(curve.test_mse[k - 1])
            rows.append((k, ours, published, ours / published, abs(ours / published - 1) <= tolerance))
    return rows


# --- the autoencoder behind the same interface --------------------------------------------------------

def arrays_dataset(x_train: np.ndarray, x_val: np.ndarray | None = None, x_test: np.ndarray | None = None,
                   name: str = "arrays", seed: int = 0) -> Dataset:
    """A ``Dataset`` around plain arrays (unlabelled); 10 % of ``x_train`` is held out if no ``x_val``."""
    x_train = np.asarray(x_train, dtype=np.float32)
    if x_val is None:
        order = np.random.default_rng(seed).permutation(len(x_train))
        n_val = max(1, len(x_train) // 10)
        x_val, x_train = x_train[order[:n_val]], x_train[order[n_val:]]
    x_test = x_val if x_test is None else np.asarray(x_test, dtype=np.float32)
    zeros = lambda a: np.zeros(len(a), dtype=np.int64)  # noqa: E731
    return Dataset(name, x_train, zeros(x_train), np.asarray(x_val, np.float32), zeros(x_val), x_test,
                   zeros(x_test), ("all",), is_image=x_train.ndim >= 3)


class AutoencoderReducer:
    """An autoencoder with PCA's interface: ``fit`` trains, ``transform`` encodes, ``inverse_transform`` decodes.

    Wraps ``aecore.train.train_autoencoder``; ``from_result`` wraps a model trained elsewhere (the app's
    sidebar model or a sweep job).
    """

    def __init__(self, experiment: Experiment | None = None):
        self.experiment = experiment or Experiment()

    @classmethod
    def from_result(cls, result) -> "AutoencoderReducer":
        reducer = cls(result.experiment)
        reducer._set(result)
        return reducer

    def _set(self, result) -> None:
        self.result_ = result
        self.n_components_ = result.experiment.model.code_size

    def fit(self, X: np.ndarray, y=None, X_val: np.ndarray | None = None,
            progress: Callable | None = None, cancel: threading.Event | None = None) -> "AutoencoderReducer":
        from aecore.train import train_autoencoder

        dataset = arrays_dataset(X, X_val, seed=self.experiment.train.seed)
        self._set(train_autoencoder(self.experiment, dataset, progress=progress, cancel=cancel))
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        return self.result_.encode(np.asarray(X, dtype=np.float32))

    def inverse_transform(self, codes: np.ndarray) -> np.ndarray:
        return self.result_.decode(np.asarray(codes, dtype=np.float32))

    def reconstruct(self, X: np.ndarray) -> np.ndarray:
        return self.result_.reconstruct(np.asarray(X, dtype=np.float32))


# --- the code-size sweep --------------------------------------------------------------------------------

@dataclass(frozen=True)
class SweepPoint:
    """One trained model of the sweep, as numbers (cheap to keep and to store)."""

    code_size: int
    test_mse: float
    train_mse: float
    seconds: float
    epochs_run: int
    experiment_key: str

    @classmethod
    def from_result(cls, result) -> "SweepPoint":
        return cls(result.experiment.model.code_size, float(result.test_mse), float(result.train_mse),
                   float(result.seconds), int(result.epochs_run), result.experiment.key())


def sweep_code_sizes(input_dim: int, code_sizes: tuple[int, ...] = SWEEP_CODE_SIZES) -> tuple[int, ...]:
    """The sweep's code sizes that compress this data (an under-complete code is smaller than the input)."""
    return tuple(k for k in code_sizes if k < input_dim)


def sweep_experiments(base: Experiment, input_dim: int,
                      code_sizes: tuple[int, ...] = SWEEP_CODE_SIZES) -> list[Experiment]:
    """``base`` with only the code size changed, once per code size (each keys its own cached job)."""
    return [base.replace(model=base.model.replace(code_size=k).canonical())
            for k in sweep_code_sizes(input_dim, code_sizes)]


def train_job(experiment: Experiment, dataset: Dataset):
    """A job function training ``experiment``: the same work (and result) as the sidebar's Train."""

    def run(report, cancel):
        from aecore import cache
        from aecore.train import train_autoencoder

        result = train_autoencoder(experiment, dataset, progress=report, cancel=cancel)
        cache.default_cache().save(result)  # refuses partial models and uploads by itself
        if result.stopped != "cancelled":
            remember_point(experiment, SweepPoint.from_result(result))
        return result

    return run


def load_job(experiment: Experiment):
    """A ``quick`` job function: the model from the disk cache (None when it is not there)."""

    def load(report, cancel):
        from aecore import cache

        return cache.default_cache().load(experiment)

    return load


def trained_model(experiment: Experiment, dataset: Dataset, cancel: threading.Event | None = None):
    """The model of ``experiment`` by the path every model takes: a finished job of this process (memory),
    else the disk cache, else trained here and saved (for code that already runs inside a job, e.g. a
    sweep: its models are then the very ones the sidebar and the PCA page train and find)."""
    from aecore import jobs

    job = jobs.default_queue().find(experiment.key())
    if job is not None and job.status == jobs.DONE and getattr(job.result, "experiment", None) == experiment \
            and job.result.stopped != "cancelled":
        return job.result
    return load_job(experiment)(None, cancel) or train_job(experiment, dataset)(None, cancel)


def on_disk(experiment: Experiment) -> bool:
    from aecore import cache

    return cache.default_cache().contains(experiment)


_points: dict[str, SweepPoint] = {}
_points_lock = threading.Lock()


def remember_point(experiment: Experiment, point: SweepPoint) -> None:
    """Keep a finished sweep model's numbers by its experiment key (on disk for registered data sets)."""
    with _points_lock:
        _points[experiment.key()] = point
    if not experiment.data.upload_id:
        from aecore import cache

        cache.default_cache().save_derived("sweep-point-" + experiment.key(), asdict(point))


def known_point(experiment: Experiment) -> SweepPoint | None:
    """A sweep model's numbers if it was trained before (this process or an earlier one)."""
    key = experiment.key()
    with _points_lock:
        if key in _points:
            return _points[key]
    if experiment.data.upload_id:
        return None
    from aecore import cache

    stored = cache.default_cache().load_derived("sweep-point-" + key)
    try:
        point = SweepPoint(**stored)
    except TypeError:
        return None
    with _points_lock:
        _points[key] = point
    return point


def run_sweep(base: Experiment, dataset: Dataset, code_sizes: tuple[int, ...] = SWEEP_CODE_SIZES,
              progress: Callable | None = None, cancel: threading.Event | None = None) -> list[SweepPoint]:
    """Train one model per code size, one after another (scripts and tests; the app runs them as jobs)."""
    from aecore.train import train_autoencoder

    points = []
    for experiment in sweep_experiments(base, dataset.input_dim, code_sizes):
        if cancel is not None and cancel.is_set():
            break
        result = train_autoencoder(experiment, dataset, progress=progress, cancel=cancel)
        point = SweepPoint.from_result(result)
        remember_point(experiment, point)
        points.append(point)
    return points


# --- linear autoencoder = PCA -----------------------------------------------------------------------------

def linear_experiment(data: DataConfig, code_size: int = LINEAR_CODE_SIZE, seed: int = 0,
                      epochs: int = 150, learning_rate: float = 0.002, batch_size: int = 64) -> Experiment:
    """A linear autoencoder: no hidden layers, no activations, linear output, MSE loss.

    Its best possible reconstruction is PCA's. The error gets there within a few epochs, the subspace
    much later, hence many epochs and a patient early stopping (measured on mnist-5k, k = 8: patience 10
    stopped at epoch 13 with angles up to 79°; patience 30 at Adam 0.002 ran 129 epochs, angles ≤ 2°).
    """
    model = ModelConfig(kind="dense", code_size=code_size, n_hidden_layers=0, activation="linear",
                        code_activation="linear", output_activation="linear", loss="mse")
    train = TrainConfig(epochs=epochs, batch_size=batch_size, learning_rate=learning_rate, seed=seed,
                        early_stopping=True, patience=30)
    return Experiment(data, model, train)


def _dense_kernels(model) -> list[np.ndarray]:
    import keras

    kernels = []
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            kernels += _dense_kernels(layer)
        elif isinstance(layer, keras.layers.Dense):
            kernels.append(np.asarray(layer.kernel))
    return kernels


def decoder_subspace(result) -> np.ndarray:
    """(d, k): the directions the decoder's last dense layer can draw (its kernel's rows, as columns)."""
    with result._lock:
        kernels = _dense_kernels(result.decoder)
    if not kernels:
        raise ValueError("This decoder has no dense layer.")
    return kernels[-1].T.astype(np.float64)


def principal_angles(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """Principal angles in degrees (smallest first) between the column spaces of A (d, p) and B (d, q).

    0° everywhere means the two spaces are the same, whatever basis spans them.
    """
    qa, _ = np.linalg.qr(np.asarray(A, dtype=np.float64))
    qb, _ = np.linalg.qr(np.asarray(B, dtype=np.float64))
    cosines = np.linalg.svd(qa.T @ qb, compute_uv=False)
    return np.degrees(np.arccos(np.clip(cosines, -1.0, 1.0)))


@dataclass
class LinearComparison:
    code_size: int
    ae_test_mse: float
    pca_test_mse: float
    angles_degrees: np.ndarray
    epochs_run: int
    seconds: float

    @property
    def ratio(self) -> float:
        return self.ae_test_mse / self.pca_test_mse


def compare_linear(result, pca: PCABaseline, dataset: Dataset) -> LinearComparison:
    """A trained linear autoencoder against PCA with the same number of components."""
    k = result.experiment.model.code_size
    pca_mse = metrics.mse(dataset.x_test, pca.reconstruct(dataset.x_test, k))
    angles = principal_angles(decoder_subspace(result), pca.components_[:k].T)
    return LinearComparison(k, float(result.test_mse), pca_mse, angles, result.epochs_run, result.seconds)


# --- non-linear manifolds (3-D points) --------------------------------------------------------------------

def manifold_experiment(name: str, code_size: int, seed: int = 0, epochs: int = 300) -> Experiment:
    """A small non-linear autoencoder for 3-D points (3 → 128 → 64 → code → 64 → 128 → 3).

    Trained without early stopping: these models sit on PCA's (linear) plateau for a while before they
    learn to bend, and a patient run is what gets them off it (measured in benchmarks/ae_vs_pca.py).
    """
    if name not in MANIFOLDS:
        raise ValueError(f"Unknown manifold '{name}'. Choose one of: {', '.join(MANIFOLDS)}.")
    model = ModelConfig(kind="dense", code_size=code_size, n_hidden_layers=2, first_layer_nodes=128,
                        activation="elu", code_activation="linear", output_activation="linear", loss="mse")
    train = TrainConfig(epochs=epochs, batch_size=64, learning_rate=0.005, seed=seed, early_stopping=False)
    return Experiment(DataConfig(name=name), model, train)


@dataclass
class ManifoldDemo:
    name: str
    code_size: int
    points: np.ndarray  # test points (n, 3)
    position: np.ndarray  # where each point lies along the manifold (0-9), for colour
    pca_reconstruction: np.ndarray
    ae_reconstruction: np.ndarray
    pca_mse: float
    ae_mse: float
    seconds: float
    epochs_run: int


def manifold_job(name: str, code_size: int, seed: int = 0):
    """A job function: PCA-k and an autoencoder with a k-number code on one 3-D manifold."""

    def run(report, cancel) -> ManifoldDemo:
        from aecore import cache
        from aecore.train import train_autoencoder

        key = manifold_key(name, code_size, seed)
        experiment = manifold_experiment(name, code_size, seed)
        dataset = load_dataset(experiment.data)
        pca = PCABaseline(code_size).fit(dataset.x_train)
        pca_rec = pca.reconstruct(dataset.x_test)
        result = train_autoencoder(experiment, dataset, progress=report, cancel=cancel)
        demo = ManifoldDemo(name, code_size, dataset.x_test, dataset.y_test, pca_rec,
                            result.test_reconstruction, metrics.mse(dataset.x_test, pca_rec), result.test_mse,
                            result.seconds, result.epochs_run)
        if result.stopped != "cancelled":
            cache.default_cache().save_derived(key, asdict(demo))
        return demo

    return run


def manifold_key(name: str, code_size: int, seed: int = 0) -> str:
    return "manifold-" + manifold_experiment(name, code_size, seed).key()


def manifold_cached(name: str, code_size: int, seed: int = 0) -> ManifoldDemo | None:
    """The demo from the disk cache, if it ran before (it depends on no user data)."""
    from aecore import cache

    stored = cache.default_cache().load_derived(manifold_key(name, code_size, seed))
    return ManifoldDemo(**stored) if stored is not None else None


# --- what each learns, codes, layers ----------------------------------------------------------------------

def first_layer_weights(result, count: int = 16) -> np.ndarray:
    """(count, d): the input weights of the encoder's first dense layer's units, strongest first.

    Each row is what one hidden unit looks for in the input: the autoencoder's counterpart of a
    principal component.
    """
    with result._lock:
        kernels = _dense_kernels(result.encoder)
    if not kernels:
        raise ValueError("This encoder has no dense layer (a convolutional encoder learns filters instead).")
    kernel = kernels[0]  # (d, units)
    order = np.argsort(np.linalg.norm(kernel, axis=0))[::-1][:count]
    return kernel[:, order].T


def codes_2d(encode: Callable[[np.ndarray], np.ndarray], dataset: Dataset) -> tuple[np.ndarray, float]:
    """(test codes, kNN accuracy): a 2-number encoder's codes of the test images, and how often the 5
    nearest training codes name the right class."""
    train_codes, test_codes = encode(dataset.x_train), encode(dataset.x_test)
    return test_codes, metrics.knn_accuracy(train_codes, dataset.y_train, test_codes, dataset.y_test)


def layer_activations(result, sample: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """(layer name, its output for one sample) for every encoder and decoder layer with weights."""
    import keras

    def walk(model, x, prefix):
        out = []
        for layer in model.layers:
            if isinstance(layer, keras.layers.InputLayer):
                continue
            x = layer(x, training=False)
            if layer.weights:
                out.append((f"{prefix} · {layer.name}", np.asarray(x)[0]))
        return out, x

    x = np.asarray(sample, dtype=np.float32)[None]
    with result._lock:
        encoded, code = walk(result.encoder, x, "encoder")
        decoded, _ = walk(result.decoder, code, "decoder")
    return encoded + decoded


# --- pre-trained layers (transfer) ------------------------------------------------------------------------

@dataclass
class TransferReport:
    stage: str
    step: int
    steps: int

    @property
    def fraction(self) -> float:
        return min(self.step / max(self.steps, 1), 1.0)


@dataclass
class TransferResult:
    pretrain_classes: tuple[int, ...]
    target_classes: tuple[int, ...]
    n_target_images: int
    reuse_decoder: bool
    pretrain_history: dict[str, list[float]]
    scratch_history: dict[str, list[float]]
    transfer_history: dict[str, list[float]]
    scratch_test_mse: float
    transfer_test_mse: float
    pretrain_test_mse: float  # the pre-trained model, untouched, on the target test images
    seconds: float
    n_test: int = 0
    pca_code_size: int = 0
    pca_small_test_mse: float = float("nan")  # PCA fitted on the same few target images
    pca_pretrained_test_mse: float = float("nan")  # PCA fitted on the pre-training classes


def transfer_key(experiment: Experiment, n_images: int, finetune_epochs: int, reuse_decoder: bool) -> str:
    return "transfer-" + stable_hash(experiment.data, _transfer_model(experiment.model), experiment.train,
                                     n_images, finetune_epochs, reuse_decoder)


def _transfer_model(cfg: ModelConfig) -> ModelConfig:
    # The transfer demo reuses dense layers; other types are compared through their dense equivalent.
    return cfg.replace(kind="dense").canonical()


def run_transfer(experiment: Experiment, dataset: Dataset, n_images: int = 200, finetune_epochs: int = 40,
                 reuse_decoder: bool = False, report: Callable | None = None,
                 cancel: threading.Event | None = None,
                 pretrain_classes: tuple[int, ...] = (0, 1, 2, 3, 4),
                 target_classes: tuple[int, ...] = (5, 6, 7, 8, 9)) -> TransferResult:
    """Pre-train on ``pretrain_classes``, then fit ``n_images`` of ``target_classes`` from the pre-trained
    encoder and from scratch (same seed, same epochs, no early stopping so the curves are complete)."""
    import keras

    from aecore.models import BuiltModel, compile_model, dense_decoder, dense_encoder
    from aecore.runtime import ensure_tensorflow_configured
    from aecore.train import VALIDATION_CHUNK

    model_cfg, train_cfg = _transfer_model(experiment.model), experiment.train.replace(noise_level=0.0)
    shape = dataset.sample_shape
    pre_tr = np.isin(dataset.y_train, pretrain_classes)
    pre_val = np.isin(dataset.y_val, pretrain_classes)
    tgt_tr = np.flatnonzero(np.isin(dataset.y_train, target_classes))
    tgt_val, tgt_test = np.isin(dataset.y_val, target_classes), np.isin(dataset.y_test, target_classes)
    if pre_tr.sum() < 10 or len(tgt_tr) < 10 or tgt_val.sum() < 1 or tgt_test.sum() < 1:
        raise ValueError("This data set does not have enough labelled images of both groups of classes for "
                         "the transfer experiment; use mnist-5k or digits-8x8.")
    chosen = np.random.default_rng(train_cfg.seed).choice(tgt_tr, size=min(n_images, len(tgt_tr)), replace=False)
    x_small, x_val, x_test = dataset.x_train[chosen], dataset.x_val[tgt_val], dataset.x_test[tgt_test]
    ensure_tensorflow_configured()
    start = time.perf_counter()
    pretrain_epochs = train_cfg.epochs
    total = pretrain_epochs + 2 * finetune_epochs
    done = [0]

    class Progress(keras.callbacks.Callback):
        # The trainer's fast path (aecore.train): cancel checked at batch *begin* (an on_train_batch_end
        # callback makes Keras sync the loss after every batch) and validation by test_on_batch on large
        # chunks at the epoch's end, not fit(validation_data=...).
        def __init__(self, stage, validation):
            super().__init__()
            self.stage, self.validation = stage, validation

        def on_train_batch_begin(self, batch, logs=None):
            if cancel is not None and cancel.is_set():
                self.model.stop_training = True

        def on_epoch_end(self, epoch, logs=None):
            if logs is not None and len(self.validation):  # the same dict reaches Keras's History after us
                self.model.reset_metrics()
                for i in range(0, len(self.validation), VALIDATION_CHUNK):
                    chunk = self.validation[i:i + VALIDATION_CHUNK]
                    values = self.model.test_on_batch(chunk, chunk, return_dict=True)
                logs.update({f"val_{k}": float(v) for k, v in values.items()})
            done[0] += 1
            if report is not None:
                report(TransferReport(self.stage, done[0], total))

    def build(seed):
        keras.utils.set_random_seed(seed)
        encoder, decoder = dense_encoder(model_cfg, shape), dense_decoder(model_cfg, shape)
        inputs = keras.Input(shape)
        auto = keras.Model(inputs, decoder(encoder(inputs)))
        return compile_model(BuiltModel(auto, encoder, decoder), model_cfg, train_cfg)

    def fit(built, x, val, epochs, stage):
        history = built.autoencoder.fit(x, x, epochs=epochs, batch_size=min(train_cfg.batch_size, len(x)),
                                        shuffle=True, callbacks=[Progress(stage, val)], verbose=0)
        if cancel is not None and cancel.is_set():
            from aecore.train import TrainingCancelled

            raise TrainingCancelled("Stopped: the transfer experiment was cancelled.")
        return {k: [float(v) for v in vals] for k, vals in history.history.items()}

    def test_mse(built):
        rec = np.asarray(built.autoencoder.predict(x_test, batch_size=512, verbose=0))
        return metrics.mse(x_test, rec)

    pre = build(train_cfg.seed)
    pre_history = fit(pre, dataset.x_train[pre_tr], dataset.x_val[pre_val], pretrain_epochs,
                      f"pre-training on classes {', '.join(map(str, pretrain_classes))}")
    pretrain_test = test_mse(pre)

    scratch = build(train_cfg.seed + 1)
    transfer = build(train_cfg.seed + 1)  # same initial weights as scratch, then the pre-trained encoder
    transfer.encoder.set_weights(pre.encoder.get_weights())
    if reuse_decoder:
        transfer.decoder.set_weights(pre.decoder.get_weights())
    scratch_history = fit(scratch, x_small, x_val, finetune_epochs, f"from scratch on {len(x_small)} images")
    transfer_history = fit(transfer, x_small, x_val, finetune_epochs,
                           f"from the pre-trained encoder on {len(x_small)} images")
    k = min(model_cfg.code_size, len(x_small) - 1, dataset.input_dim)
    pca_small = PCABaseline(k).fit(x_small)
    pca_pre = PCABaseline(k).fit(dataset.x_train[pre_tr])
    return TransferResult(tuple(pretrain_classes), tuple(target_classes), len(x_small), reuse_decoder,
                          pre_history, scratch_history, transfer_history, test_mse(scratch), test_mse(transfer),
                          pretrain_test, time.perf_counter() - start, n_test=len(x_test), pca_code_size=k,
                          pca_small_test_mse=metrics.mse(x_test, pca_small.reconstruct(x_test)),
                          pca_pretrained_test_mse=metrics.mse(x_test, pca_pre.reconstruct(x_test)))


def transfer_job(experiment: Experiment, dataset: Dataset, n_images: int = 200, finetune_epochs: int = 40,
                 reuse_decoder: bool = False):
    def run(report, cancel):
        from aecore import cache

        result = run_transfer(experiment, dataset, n_images, finetune_epochs, reuse_decoder, report, cancel)
        if not experiment.data.upload_id:
            cache.default_cache().save_derived(transfer_key(experiment, n_images, finetune_epochs, reuse_decoder),
                                               asdict(result))
        return result

    return run


def transfer_cached(experiment: Experiment, n_images: int, finetune_epochs: int,
                    reuse_decoder: bool) -> TransferResult | None:
    """The experiment's result from the disk cache (never for uploads)."""
    from aecore import cache

    if experiment.data.upload_id:
        return None
    stored = cache.default_cache().load_derived(transfer_key(experiment, n_images, finetune_epochs, reuse_decoder))
    return TransferResult(**stored) if stored is not None else None
