import numpy as np
import pytest

from aecore.architecture import parameter_count
from aecore.config import ModelConfig, TrainConfig
from aecore.models import build_model


@pytest.mark.parametrize("cfg", [
    ModelConfig(code_size=32, n_hidden_layers=1, first_layer_nodes=128),  # the article's 784-128-32-128-784
    ModelConfig(code_size=2, n_hidden_layers=3, first_layer_nodes=256, activation="tanh"),
    ModelConfig(code_size=8, n_hidden_layers=0),
    ModelConfig(kind="sparse", code_size=16, sparsity_weight=1e-4),
])
def test_dense_shapes_and_parameter_counts(cfg):
    built = build_model(cfg, (28, 28))
    x = np.random.default_rng(0).random((5, 28, 28)).astype("float32")
    codes = built.encoder.predict(x, verbose=0)
    assert codes.shape == (5, cfg.code_size)
    out = built.decoder.predict(codes, verbose=0)
    assert out.shape == (5, 28, 28) and out.min() >= 0 and out.max() <= 1  # sigmoid output
    assert built.autoencoder.count_params() == parameter_count(cfg, 784)


def test_article_model_has_the_published_size():
    # 784-128-32-128-784: 100,480 + 4,128 + 4,224 + 101,136 weights and biases
    assert parameter_count(ModelConfig(code_size=32, n_hidden_layers=1, first_layer_nodes=128), 784) == 209_968


def test_training_noise_is_only_active_while_training():
    built = build_model(ModelConfig(code_size=4, n_hidden_layers=1, first_layer_nodes=16), (8, 8),
                        TrainConfig(noise_level=0.5))
    noise = built.autoencoder.get_layer("noise")
    x = np.full((2, 8, 8), 0.5, dtype="float32")
    assert np.allclose(noise(x, training=False), x)
    noisy = np.asarray(noise(x, training=True))
    assert not np.allclose(noisy, x) and noisy.min() >= 0 and noisy.max() <= 1
