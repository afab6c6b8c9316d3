"""The autoencoder family: builders (shapes, sizes, learning) and the analyses that tell the types apart."""

import numpy as np
import pytest

from aecore import family
from aecore.architecture import conv_layers, parameter_count
from aecore.config import DataConfig, Experiment, ModelConfig, TrainConfig
from aecore.metrics import psnr
from aecore.models import build_model
from aecore.train import train_autoencoder

TINY = dict(code_size=8, n_hidden_layers=1, first_layer_nodes=32)


def tiny(kind="dense", epochs=3, noise=0.0, **model):
    return Experiment(DataConfig(name="digits-8x8"), ModelConfig(kind=kind, **{**TINY, **model}),
                      TrainConfig(epochs=epochs, batch_size=64, early_stopping=False, noise_level=noise))


# --- builders -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("cfg, shape", [
    (ModelConfig(kind="conv"), (28, 28)),
    (ModelConfig(kind="conv", conv_filters=8, conv_depth=3, code_size=4), (28, 28)),  # 28→14→7→4, cropped back
    (ModelConfig(kind="conv", conv_depth=1, code_size=8), (8, 8)),
    (ModelConfig(kind="conv", code_size=8), (28, 28, 3)),
])
def test_conv_shapes_and_parameter_counts(cfg, shape):
    built = build_model(cfg, shape)
    x = np.random.default_rng(0).random((3,) + shape).astype("float32")
    codes = built.encoder.predict(x, verbose=0)
    assert codes.shape == (3, cfg.code_size)
    out = built.decoder.predict(codes, verbose=0)
    assert out.shape == (3,) + shape and out.min() >= 0 and out.max() <= 1
    assert built.autoencoder.count_params() == sum(layer.params for layer in conv_layers(cfg, shape))
    assert built.encoder.get_layer("conv_1").get_weights()[0].shape == (5, 5, shape[2] if len(shape) > 2 else 1,
                                                                         cfg.conv_filters)
    assert family.conv_macs(cfg, shape) > 0


@pytest.mark.parametrize("kind", ["contractive", "variational"])
def test_custom_step_models_shapes_and_parameter_counts(kind):
    cfg = ModelConfig(kind=kind, contractive_weight=0.01, code_size=4, n_hidden_layers=2, first_layer_nodes=64)
    built = build_model(cfg, (8, 8), TrainConfig(noise_level=0.2))
    x = np.random.default_rng(0).random((5, 8, 8)).astype("float32")
    assert built.encoder.predict(x, verbose=0).shape == (5, 4)
    out = built.autoencoder.predict(x, verbose=0)
    assert out.shape == (5, 8, 8) and 0 <= out.min() and out.max() <= 1
    # the dense weights, plus the log-variance head for the VAE (architecture.py counts it)
    assert built.autoencoder.count_params() == parameter_count(cfg, 64)
    names = {m.name for m in built.autoencoder.metrics}
    assert {"loss", "mse"} <= names
    # inference is deterministic (the VAE decodes the mean code, noise is off)
    assert np.allclose(out, built.autoencoder.predict(x, verbose=0))


@pytest.mark.parametrize("kind, extra", [("conv", dict(conv_depth=1, conv_filters=8)),
                                         ("contractive", dict(contractive_weight=0.01)),
                                         ("variational", {}),
                                         ("overcomplete", dict(code_size=96, n_hidden_layers=0))])
def test_each_type_learns_and_gives_a_full_result(digits, kind, extra):
    result = train_autoencoder(tiny(kind, epochs=4, **extra), digits)
    assert result.history["loss"][-1] < result.history["loss"][0]
    assert result.history["mse"][-1] < result.history["mse"][0]
    assert "val_loss" in result.history and "val_mse" in result.history
    assert result.test_reconstruction.shape == digits.x_test.shape
    assert np.isfinite(result.test_mse) and result.test_psnr == pytest.approx(10 * np.log10(1 / result.test_mse))
    assert result.encode(digits.x_test[:3]).shape == (3, extra.get("code_size", 8))
    assert result.decode(result.encode(digits.x_test[:3])).shape == (3, 8, 8)
    if kind == "variational":
        assert {"reconstruction_loss", "kl_loss", "val_kl_loss"} <= set(result.history)
        assert min(result.history["kl_loss"]) >= 0
    if kind == "contractive":
        assert min(result.history["contractive_penalty"]) >= 0


# --- what makes each type different -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def plain(digits):
    """The reference: the same tiny dense model with no penalty, trained like the others."""
    return train_autoencoder(tiny("dense", epochs=8), digits)


def test_sparsity_penalty_lowers_mean_activation(digits, plain):
    sparse = train_autoencoder(tiny("sparse", epochs=8, sparsity_weight=1e-2), digits)
    x = digits.x_test
    plain_stats, sparse_stats = family.sparsity_stats(plain.encode(x)), family.sparsity_stats(sparse.encode(x))
    assert sparse_stats.mean_activation < 0.5 * plain_stats.mean_activation
    assert sparse_stats.fraction_active < plain_stats.fraction_active


def test_contractive_codes_move_less_than_the_plain_models(digits, plain):
    contractive = train_autoencoder(tiny("contractive", epochs=8, contractive_weight=0.1), digits)
    x = digits.x_test
    assert (family.code_sensitivity(contractive.encode, x).mean_change
            < 0.7 * family.code_sensitivity(plain.encode, x).mean_change)


def test_vae_samples_images_and_kl_is_positive(digits):
    result = train_autoencoder(tiny("variational", epochs=3, code_size=2), digits)
    samples = family.sample_prior(result.decode, 2, n=10, seed=1)
    assert samples.shape == (10, 8, 8) and samples.min() >= 0 and samples.max() <= 1
    grid, values = family.manifold_grid(result.decode, n=5)
    assert grid.shape == (5, 5, 8, 8) and np.all(np.diff(values) > 0)
    mean, log_var = result.model.encoder.predict(digits.x_test[:50], verbose=0)
    assert np.all(family.kl_divergence(mean, log_var) >= 0)
    assert np.allclose(result.encode(digits.x_test[:50]), mean, atol=1e-5)  # the app's codes are the means
    frames, fractions = family.interpolate(result.encode, result.decode, digits.x_test[0], digits.x_test[1], 5)
    assert frames.shape == (5, 8, 8) and fractions[0] == 0 and fractions[-1] == 1


def test_denoiser_output_is_cleaner_than_its_input(digits):
    result = train_autoencoder(tiny("denoising", epochs=8, noise=0.5), digits)
    assert result.test_psnr > psnr(digits.x_test, result.test_input) + 2
    sweep = family.noise_sweep(result.reconstruct, digits.x_test[:100], "gaussian", levels=(0.0, 0.5, 1.0))
    assert sweep.psnr_input[0] == float("inf") and sweep.psnr_input[1] > sweep.psnr_input[2]
    assert sweep.psnr_output[1] > sweep.psnr_input[1]


def test_overcomplete_copies_noise_better_than_undercomplete(digits, plain):
    over = train_autoencoder(tiny("overcomplete", epochs=8, code_size=128, n_hidden_layers=0), digits)
    under = plain
    noise = family.data_noise_images(digits.x_train, 100)
    assert noise.shape == (100, 8, 8) and 0 <= noise.min() and noise.max() <= 1
    over_test, under_test = (family.identity_test(r.reconstruct, noise, digits.x_test) for r in (over, under))
    assert over_test.noise_mse < 0.5 * under_test.noise_mse  # measured 0.012 against 0.027


# --- analyses on known inputs -------------------------------------------------------------------------------

def test_analyses_on_known_functions():
    x = np.random.default_rng(0).random((50, 8, 8)).astype("float32")
    identity = lambda a: a  # noqa: E731
    sweep = family.noise_sweep(identity, x, "masking", levels=(0.0, 0.3))
    assert sweep.psnr_output[1] == pytest.approx(sweep.psnr_input[1])
    codes = np.zeros((4, 5), dtype="float32")
    codes[:, 0] = [1.0, 2.0, 0.0, 4.0]
    codes[0, 1] = 0.001  # below 1% of the max: inactive
    stats = family.sparsity_stats(codes)
    assert stats.fraction_active == pytest.approx(3 / 20) and stats.dead_units == 4
    one_hot = family.unit_codes(codes)
    assert np.count_nonzero(one_hot - np.diag(np.diag(one_hot))) == 0 and one_hot[0, 0] > 3
    shift = family.code_sensitivity(lambda a: a.reshape(len(a), -1), x, std=0.05)
    assert shift.mean_change == pytest.approx(0.05 * 8, rel=0.1)  # ‖δ‖ for 64 pixels of σ 0.05
    halved = family.code_sensitivity(lambda a: 0.5 * a.reshape(len(a), -1), x, std=0.05)
    assert halved.mean_change == pytest.approx(0.5 * shift.mean_change) and halved.relative_change == pytest.approx(
        shift.relative_change)
    grid, _ = family.manifold_grid(lambda c: np.repeat(c[:, :1], 4, axis=1), n=3, code_size=6)
    assert grid.shape == (3, 3, 4) and grid[0, 0, 0] < grid[0, 2, 0]


def test_companions_remove_exactly_one_ingredient():
    base = Experiment(model=ModelConfig(kind="sparse", sparsity_weight=1e-4), train=TrainConfig(epochs=7))
    comp = family.companion(base, 784)
    assert comp.experiment.model == base.model.replace(kind="dense", sparsity_weight=0.0)
    assert comp.experiment.train == base.train
    over = family.companion(Experiment(model=ModelConfig(kind="overcomplete", code_size=1024)), 784)
    assert over.experiment.model.kind == "dense" and over.experiment.model.code_size < 784
    noisy = family.companion(Experiment(model=ModelConfig(kind="conv"), train=TrainConfig(noise_level=0.5)), 784)
    assert noisy.experiment.model.kind == "conv" and noisy.experiment.train.noise_level == 0
    assert family.companion(Experiment(), 784) is None


def test_overcomplete_config_has_no_bottleneck_and_needs_a_large_code():
    cfg = ModelConfig(kind="overcomplete", code_size=1024, n_hidden_layers=2, first_layer_nodes=256)
    assert cfg.layer_widths() == (1024, 1024)
    cfg.validate(784)
    with pytest.raises(ValueError, match="at least as large as the input"):
        cfg.replace(code_size=16).validate(784)
    with pytest.raises(ValueError, match="Over-complete"):
        ModelConfig(code_size=1024).validate(784)


def test_conv_time_estimate_grows_with_the_model():
    small = family.estimate_train_seconds(ModelConfig(kind="conv", conv_filters=8), (28, 28), 3600, 25)
    large = family.estimate_train_seconds(ModelConfig(kind="conv", conv_filters=32), (28, 28), 3600, 25)
    assert 3 < small < large


def test_sparsity_claim_follows_the_measured_numbers():
    rng = np.random.default_rng(0)
    dense_codes = rng.normal(0, 4, (200, 16))  # every unit on for every image
    shrunk = dense_codes / 9
    silent = dense_codes * (rng.random((200, 16)) < 0.2)  # 80 % exact zeros
    headline, sentence = family.sparsity_claim(family.sparsity_stats(shrunk), family.sparsity_stats(dense_codes))
    assert "silent" not in headline and "shrinks" in headline
    active = f"({100 * family.sparsity_stats(shrunk).fraction_active:.0f}% of the (image, unit) pairs are active)"
    assert "9.0× smaller" in sentence and active in sentence
    headline, sentence = family.sparsity_claim(family.sparsity_stats(silent))
    assert headline == "Sparse: most code units stay silent"
    assert f"{100 * family.sparsity_stats(silent).fraction_active:.0f}%" in sentence


def test_family_charts_have_readable_axes():
    from aecore.figures import family as family_figures

    history = {"reconstruction_loss": [0.26, 0.2, 0.18], "kl_loss": [4.0, 9.7, 13.7],
               "val_reconstruction_loss": [0.25, 0.2, 0.19], "val_kl_loss": [4.2, 9.5, 13.6]}
    fig = family_figures.vae_losses(history)
    # the KL axis picks its own round ticks instead of syncing to the left axis (13.68 / 9.68 ...)
    assert fig.layout.yaxis2.tickmode == "auto" and fig.layout.yaxis2.showgrid is False
    hist = family_figures.activation_histograms([("sparse", rng_codes := np.random.default_rng(0).random((50, 4)))])
    assert hist.layout.yaxis.type == "log" and hist.layout.yaxis.dtick == 1  # powers of ten only
    assert rng_codes.shape == (50, 4)
