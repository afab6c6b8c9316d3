"""PCA against a non-linear autoencoder on 3-D manifolds (swiss roll, S-curve, circle): a job and its cache."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from aecore import metrics
from aecore.config import DataConfig, Experiment, ModelConfig, TrainConfig
from aecore.data import load_dataset
from aecore.pca import PCABaseline

MANIFOLDS = ("swiss-roll", "s-curve", "circle")


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
