"""Trainings of one architecture share a compiled step (aecore.compiled_trainers), number for number."""

import threading

import numpy as np
import pytest

from aecore.compiled_trainers import TRAINERS
from aecore.train import train_autoencoder


def _weights(result) -> list[np.ndarray]:
    return [w.copy() for w in result.model.get_weights()]


def _same(a: list[np.ndarray], b: list[np.ndarray]) -> bool:
    return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b))


def _made(trainers, experiment) -> int:
    """Trainers made for ``experiment``'s architecture (the app may compile the default one meanwhile)."""
    return sum(n for key, n in trainers.compiled.items() if key[0] == experiment.model)


@pytest.fixture
def fresh_trainers():
    TRAINERS.clear()
    yield TRAINERS
    TRAINERS.clear()


def test_a_second_training_of_an_architecture_compiles_nothing_and_gives_the_same_model(
        digits, tiny_experiment, fresh_trainers):
    exp = tiny_experiment.replace(train=tiny_experiment.train.replace(cooldown=0.3))
    first = train_autoencoder(exp, digits)
    compiled = _made(fresh_trainers, exp)
    second = train_autoencoder(exp, digits)
    assert compiled == 1 and _made(fresh_trainers, exp) == compiled
    assert _same(_weights(first), _weights(second))
    assert first.test_mse == second.test_mse and first.history == second.history


@pytest.mark.parametrize("change", [
    {"seed": 3, "learning_rate": 0.003, "epochs": 4, "cooldown": 0.5},
    {"seed": 1, "cooldown": 0.0},  # a constant rate from a trainer made for a cooldown
])
def test_a_kept_trainer_trains_another_seed_rate_and_schedule_as_a_fresh_compile_would(
        digits, tiny_experiment, fresh_trainers, change):
    other = tiny_experiment.replace(train=tiny_experiment.train.replace(**change))
    alone = _weights(train_autoencoder(other, digits))  # its own trainer, compiled for it
    fresh_trainers.clear()
    train_autoencoder(tiny_experiment, digits)  # makes the architecture's trainer...
    made = _made(fresh_trainers, other)
    reused = train_autoencoder(other, digits)  # ...which trains the other one
    assert _made(fresh_trainers, other) == made
    assert _same(alone, _weights(reused))


def test_a_model_keeps_its_weights_when_its_trainer_trains_the_next_one(digits, tiny_experiment, fresh_trainers):
    first = train_autoencoder(tiny_experiment, digits)
    kept = _weights(first)
    train_autoencoder(tiny_experiment.replace(train=tiny_experiment.train.replace(seed=5)), digits)
    assert _same(kept, _weights(first))
    assert np.allclose(first.reconstruct(digits.x_test[:4]), first.test_reconstruction[:4], atol=1e-6)


def test_two_trainings_of_one_architecture_at_once_each_get_a_trainer(digits, tiny_experiment, fresh_trainers):
    exp = tiny_experiment.replace(train=tiny_experiment.train.replace(epochs=4))
    both_running = threading.Barrier(2, timeout=60)
    results = {}

    def run(seed):
        def progress(report):
            if report.epoch == 1:
                both_running.wait()

        results[seed] = train_autoencoder(exp.replace(train=exp.train.replace(seed=seed)), digits,
                                          progress=progress)

    threads = [threading.Thread(target=run, args=(seed,)) for seed in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert _made(fresh_trainers, exp) == 2
    alone = _weights(train_autoencoder(exp.replace(train=exp.train.replace(seed=2)), digits))
    assert _made(fresh_trainers, exp) == 2 and _same(alone, _weights(results[2]))


def test_a_cancelled_or_diverged_training_leaves_its_trainer_fit_for_the_next(
        digits, tiny_experiment, fresh_trainers):
    before = _weights(train_autoencoder(tiny_experiment, digits))
    cancel = threading.Event()

    def stop_after_first(report):
        cancel.set()

    long = tiny_experiment.replace(train=tiny_experiment.train.replace(epochs=50, learning_rate=0.05))
    assert train_autoencoder(long, digits, progress=stop_after_first, cancel=cancel).stopped == "cancelled"
    assert _same(before, _weights(train_autoencoder(tiny_experiment, digits)))
    assert _made(fresh_trainers, tiny_experiment) == 1


def test_the_step_compiled_ahead_serves_the_first_training_without_a_new_trace(
        digits, tiny_experiment, fresh_trainers):
    from aecore.train import compile_training_step

    assert compile_training_step(tiny_experiment, digits)
    (trainer,) = next(t for key, t in fresh_trainers._idle.items() if key[0] == tiny_experiment.model)
    model, traced = trainer.built.autoencoder, []
    step = model.train_step  # runs in Python only while TensorFlow traces the step
    model.train_step = lambda data: traced.append(1) or step(data)
    train_autoencoder(tiny_experiment, digits)
    assert _made(fresh_trainers, tiny_experiment) == 1 and traced == []


def test_after_the_step_compiled_ahead_the_first_training_traces_nothing(digits, tiny_experiment, fresh_trainers):
    """Nor its epoch's end: validation, preview and code snapshot were traced ahead too. A model's Python
    ``call`` runs only while TensorFlow traces it (or in an eager call)."""
    from aecore.train import compile_training_step

    assert compile_training_step(tiny_experiment, digits)
    (trainer,) = next(t for key, t in fresh_trainers._idle.items() if key[0] == tiny_experiment.model)
    traced = []
    for name in ("autoencoder", "encoder"):
        model = getattr(trainer.built, name)
        model.call = lambda *args, _call=model.call, _name=name, **kwargs: traced.append(_name) or _call(
            *args, **kwargs)
    train_autoencoder(tiny_experiment, digits, progress=lambda report: None)
    assert _made(fresh_trainers, tiny_experiment) == 1 and traced == []


def test_types_trained_without_xla_compile_nothing_ahead(digits, tiny_experiment, fresh_trainers):
    from aecore.train import compile_training_step

    noisy = tiny_experiment.replace(train=tiny_experiment.train.replace(noise_level=0.3))
    assert not compile_training_step(noisy, digits) and _made(fresh_trainers, noisy) == 0


def test_another_thread_setting_its_seed_during_a_training_s_setup_changes_nothing(
        digits, tiny_experiment, fresh_trainers, monkeypatch):
    import keras

    import aecore.models

    alone = _weights(train_autoencoder(tiny_experiment, digits))
    real_compile = aecore.models.compile_model

    def compile_while_another_training_seeds(*args, **kwargs):
        keras.utils.set_random_seed(999)  # what a training starting in another thread does
        return real_compile(*args, **kwargs)

    monkeypatch.setattr(aecore.models, "compile_model", compile_while_another_training_seeds)
    assert _same(alone, _weights(train_autoencoder(tiny_experiment, digits)))


def test_the_app_compiles_the_default_model_s_step_before_a_student_trains_it(mnist5k, fresh_trainers):
    from aecore.config import Experiment
    from ui import state

    state.compile_default_step()  # what the app's warm-up thread does once TensorFlow is imported
    assert _made(fresh_trainers, Experiment()) == 1
    result = train_autoencoder(Experiment(), mnist5k)
    assert _made(fresh_trainers, Experiment()) == 1 and result.test_mse <= 0.018
