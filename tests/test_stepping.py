"""Slow motion (issue 15, part 2): the Stepper trains one batch at a time; N steps equal ``fit`` on the same
N batches, and its batch order is the one the app's training uses."""

import json

import numpy as np
import pytest

from aecore.config import DataConfig, Experiment, ModelConfig, TrainConfig

pytestmark = pytest.mark.unit

EXPERIMENT = Experiment(DataConfig(name="digits-8x8"),
                        ModelConfig(code_size=8, n_hidden_layers=1, first_layer_nodes=32).canonical(),
                        TrainConfig(epochs=3, batch_size=64, seed=5, early_stopping=False))


def fresh_model(experiment, dataset):
    """The model train_autoencoder would build: same seed, same initial weights, same compile setup."""
    import keras

    from aecore.models import build_model, compile_model

    keras.utils.set_random_seed(experiment.train.seed)
    built = build_model(experiment.model, dataset.sample_shape, experiment.train,
                        input_shape=dataset.x_train.shape[1:])
    return compile_model(built, experiment.model, experiment.train).autoencoder


def test_loss_after_n_steps_equals_fit_on_the_same_batches(digits):
    from aecore.stepping import Stepper

    stepper = Stepper(EXPERIMENT, digits)
    records = stepper.step(1) + stepper.step(10)  # Next batch, then Next 10
    assert stepper.steps == 11 and [r.step for r in records] == list(range(1, 12))
    assert all(len(r.indices) == 64 for r in records)

    model = fresh_model(EXPERIMENT, digits)
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), stepper.initial_weights))
    order = np.concatenate([r.indices for r in records])
    x = digits.x_train[order]  # exactly the stepper's 11 batches, in its order
    history = model.fit(x, x, batch_size=64, epochs=1, shuffle=False, verbose=0).history
    # fit reports the mean of its batches' losses; the stepper keeps each one.
    assert np.mean(stepper.losses) == pytest.approx(history["loss"][0], rel=1e-5)
    for a, b in zip(model.get_weights(), stepper.model.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
    held_out = digits.x_val[:200]
    fit_loss = float(model.evaluate(held_out, held_out, verbose=0)[0])
    assert stepper.loss_on(held_out) == pytest.approx(fit_loss, rel=1e-5)
    assert stepper.losses[-1] < stepper.losses[0]  # it learns


NOISY = EXPERIMENT.replace(model=EXPERIMENT.model.replace(kind="denoising"),
                           train=EXPERIMENT.train.replace(noise_kind="gaussian", noise_level=0.4))


@pytest.mark.parametrize("experiment", [EXPERIMENT, NOISY], ids=["clean", "noisy"])
def test_batch_order_is_the_apps_training_order_over_three_epochs(digits, experiment):
    """The same pipeline train_autoencoder hands to fit, its training noise included: three whole epochs of
    steps equal its three epochs."""
    from aecore.stepping import Stepper
    from aecore.train import _batches, training_noise

    stepper = Stepper(experiment, digits)
    first = stepper.last_batch(count=64)  # looking at the next batch does not consume the order
    per_epoch = stepper.steps_per_epoch
    assert per_epoch == len(digits.x_train) // 64
    stepper.step(3 * per_epoch)
    np.testing.assert_array_equal(first, digits.x_train[stepper.history[0].indices])
    assert [r.epoch for r in stepper.history[per_epoch - 1: per_epoch + 1]] == [1, 2]
    for epoch in range(3):  # every epoch is a permutation of different images (drop_remainder drops a few)
        seen = np.concatenate([r.indices for r in stepper.history[epoch * per_epoch:(epoch + 1) * per_epoch]])
        assert len(np.unique(seen)) == len(seen)

    model = fresh_model(experiment, digits)
    history = model.fit(_batches(digits.x_train, digits.x_train, 64, experiment.train.seed,
                                 training_noise(experiment.train)), epochs=3, shuffle=False, verbose=0).history
    stepper_epochs = [np.mean(stepper.losses[e * per_epoch:(e + 1) * per_epoch]) for e in range(3)]
    np.testing.assert_allclose(stepper_epochs, history["loss"], rtol=1e-5)
    for a, b in zip(model.get_weights(), stepper.model.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


def test_input_gradient_map_shape_and_sign(digits):
    from aecore.stepping import Stepper

    stepper = Stepper(EXPERIMENT.replace(model=EXPERIMENT.model.replace(loss="mse")), digits)
    stepper.step(3)
    batch = stepper.last_batch()
    assert batch.shape == (8, 8, 8)
    gradient = stepper.input_gradient(batch)
    assert gradient.shape == batch.shape
    assert np.isfinite(gradient).all() and (gradient >= 0).all() and gradient.max() > 0
    # Each image's map is its own: the same image alone gives the same map as within the batch.
    np.testing.assert_allclose(stepper.input_gradient(batch[:1])[0], gradient[0], rtol=1e-4, atol=1e-8)
    reconstruction = stepper.reconstruct(batch)
    assert reconstruction.shape == batch.shape


@pytest.mark.app
def test_slow_motion_page_steps_and_charts():
    from tests.apphelpers import TINY_SETTINGS, go_to, open_app, plotly_charts, set_sidebar, texts

    at = open_app()
    set_sidebar(at, **TINY_SETTINGS, sidebar_batch_size=64)
    go_to(at, "pages/step_mode.py")
    assert "Press Next batch" in texts(at).replace("**", "")
    assert at.metric[0].value == "0"
    at.button(key="step_mode_next").click().run()
    assert not at.exception, at.exception
    assert at.metric[0].value == "1"
    at.button(key="step_mode_next10").click().run()
    assert not at.exception, at.exception
    assert at.metric[0].value == "11"
    assert "step 11 of 20 in this epoch" in texts(at)
    assert len(plotly_charts(at)) == 2
    loss = next(c for c in plotly_charts(at) if "step (one batch)" in c.proto.spec)
    spec = json.loads(loss.proto.spec)
    assert spec["data"][0]["x"] == list(range(1, 12)) and len(spec["data"][0]["y"]) == 11
    batch = next(c for c in plotly_charts(at) if "batch images" in c.proto.spec)
    heat = json.loads(batch.proto.spec)["data"][2]
    assert heat["zmin"] == 0 and heat["zmax"] > 0
    # The stepper lives in this session; changing the sidebar starts again from step 0.
    stepper = at.session_state["step_mode_stepper"][1]
    assert stepper.steps == 11
    set_sidebar(at, sidebar_code_size=4)
    assert at.metric[0].value == "0"
    assert "starts again from step 0" in texts(at)
    at.button(key="step_mode_next").click().run()
    assert at.metric[0].value == "1"
    at.button(key="step_mode_reset").click().run()
    assert not at.exception, at.exception
    assert at.metric[0].value == "0"


@pytest.mark.app
def test_a_rerun_between_two_steps_reuses_the_steps_figures(monkeypatch):
    """Moving the pace (or any rerun) between two steps must not run the model again: the figures of a step are
    built once (they cost most of a rerun)."""
    from aecore.stepping import Stepper
    from tests.apphelpers import TINY_SETTINGS, go_to, open_app, plotly_charts, set_sidebar

    at = open_app()
    set_sidebar(at, **TINY_SETTINGS, sidebar_batch_size=64)
    go_to(at, "pages/step_mode.py")
    at.button(key="step_mode_next").click().run()
    calls = []
    original = Stepper.input_gradient
    monkeypatch.setattr(Stepper, "input_gradient", lambda self, x: calls.append(1) or original(self, x))
    at.selectbox(key="step_mode_pace").select("2 steps a second").run()
    assert not at.exception, at.exception
    assert calls == [] and len(plotly_charts(at)) == 2 and at.metric[0].value == "1"
    at.button(key="step_mode_next").click().run()
    assert calls == [1] and at.metric[0].value == "2"
