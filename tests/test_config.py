import pytest

from aecore.config import DataConfig, Experiment, ModelConfig, TrainConfig, stable_hash


def test_hash_is_stable_and_distinguishes_configs():
    a, b = Experiment(), Experiment()
    assert a.key() == b.key() and len(a.key()) == 16
    assert a.key() != Experiment(model=ModelConfig(code_size=3)).key()
    assert stable_hash(ModelConfig()) == stable_hash(ModelConfig())
    assert stable_hash(DataConfig()) != stable_hash(ModelConfig())


def test_configs_are_frozen_and_hashable():
    cfg = ModelConfig()
    with pytest.raises(Exception):
        cfg.code_size = 3  # type: ignore[misc]
    assert {cfg: 1}[ModelConfig()] == 1


@pytest.mark.parametrize("model, kwargs, message", [
    (ModelConfig(code_size=784), dict(input_dim=784), "not smaller than the input"),
    (ModelConfig(code_size=0), {}, "at least 1"),
    (ModelConfig(loss="bce"), dict(value_range=(-1.0, 1.0)), "Binary cross-entropy needs data between 0 and 1"),
    (ModelConfig(kind="sparse"), {}, "sparsity weight"),
    (ModelConfig(activation="swish2"), {}, "Unknown activation"),
])
def test_model_validation_explains(model, kwargs, message):
    with pytest.raises(ValueError, match=message):
        model.validate(**kwargs)


def test_overcomplete_allows_large_codes():
    ModelConfig(kind="overcomplete", code_size=1000).validate(input_dim=784)


@pytest.mark.parametrize("train, n_train, message", [
    (TrainConfig(batch_size=500), 100, "larger than the training set"),
    (TrainConfig(epochs=0), None, "at least 1 epoch"),
    (TrainConfig(learning_rate=0.0), None, "positive"),
    (TrainConfig(noise_kind="masking", noise_level=1.5), None, "between 0 and 1"),
])
def test_train_validation_explains(train, n_train, message):
    with pytest.raises(ValueError, match=message):
        train.validate(n_train)


def test_denoising_needs_noise():
    with pytest.raises(ValueError, match="needs noise"):
        Experiment(model=ModelConfig(kind="denoising")).validate()


def test_conv_refused_on_non_images(digits):
    from aecore.data import load_dataset

    roll = load_dataset(DataConfig(name="swiss-roll"))
    with pytest.raises(ValueError, match="square images"):
        Experiment(model=ModelConfig(kind="conv", code_size=2)).validate_for(roll)


def test_canonical_resets_unused_settings():
    a = ModelConfig(sparsity_weight=0.1).canonical()
    assert a.sparsity_weight == 0 and a == ModelConfig()
    assert ModelConfig(kind="sparse", sparsity_weight=0.1).canonical().sparsity_weight == 0.1
