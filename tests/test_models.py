import zipfile

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


@pytest.mark.parametrize("kind", ["denoising", "conv", "contractive", "variational"])
def test_noise_settings_do_not_change_the_model(kind):
    """Training noise is a training setting (issue 12): the model built with noise named is the model
    built without, layer for layer and weight for weight, and it adds no noise even in training mode."""
    import keras

    cfg = ModelConfig(kind=kind, code_size=4, n_hidden_layers=1, first_layer_nodes=16, conv_filters=4)
    x = np.random.default_rng(0).random((3, 8, 8)).astype("float32")
    built = {}
    for name, train in (("noisy", TrainConfig(noise_kind="masking", noise_level=0.5)), ("clean", TrainConfig())):
        keras.utils.set_random_seed(0)
        built[name] = build_model(cfg, (8, 8), train).autoencoder
    noisy, clean = built["noisy"], built["clean"]
    assert [layer.name for layer in noisy.layers] == [layer.name for layer in clean.layers]
    assert "noise" not in [layer.name for layer in noisy._flatten_layers()]
    for a, b in zip(noisy.get_weights(), clean.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert "noise_level" not in str(noisy.get_config())
    if kind != "variational":  # a VAE samples its code while training
        np.testing.assert_array_equal(np.asarray(noisy(x, training=True)), np.asarray(noisy(x, training=False)))


def test_a_saved_denoiser_has_no_noise_layer_and_reconstructs_any_input_as_given(tmp_path, digits):
    """Trained with fit(x_noisy, x), saved and loaded: no layer adds noise, so clean and noisy inputs
    are reconstructed as given (the same output for the same input, in any mode), as before saving."""
    import keras

    from aecore import cache, corrupt
    from aecore.config import DataConfig, Experiment
    from aecore.train import train_autoencoder

    experiment = Experiment(DataConfig(name="digits-8x8"), ModelConfig(kind="denoising", code_size=8,
                                                                       n_hidden_layers=1, first_layer_nodes=32),
                            TrainConfig(epochs=2, batch_size=64, early_stopping=False, noise_level=0.3))
    result = train_autoencoder(experiment, digits)
    disk = cache.DiskCache(tmp_path)
    assert disk.save(result)
    loaded = disk.load(experiment).model
    layers = [layer for layer in loaded._flatten_layers()]
    assert not [layer for layer in layers if "noise" in layer.name or "Corruption" in type(layer).__name__]
    with zipfile.ZipFile(tmp_path / "models" / experiment.key() / "model.keras") as saved:
        assert "Corruption" not in saved.read("config.json").decode() and "noise" not in saved.read(
            "config.json").decode()
    clean = digits.x_test[:20]
    noisy = corrupt.add_noise(clean, "gaussian", 0.3, seed=1)
    for x in (clean, noisy):
        expected = result.reconstruct(x)
        np.testing.assert_allclose(np.asarray(loaded(x, training=True)), expected, atol=1e-6)
        np.testing.assert_allclose(np.asarray(loaded.predict(x, verbose=0)), expected, atol=1e-6)
    assert keras.saving.get_registered_object("aecore>Corruption") is not None  # bundles from before still open
