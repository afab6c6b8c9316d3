"""What a trained autoencoder learned: a linear autoencoder against PCA (errors, principal angles), the
first layer's weights, 2-number codes and every layer's activations."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from aecore import metrics
from aecore.config import DataConfig, Experiment, ModelConfig, TrainConfig
from aecore.data import Dataset
from aecore.pca import PCABaseline

LINEAR_CODE_SIZE = 8


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
