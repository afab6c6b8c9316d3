import pytest

from aecore.config import DataConfig, Experiment, ModelConfig, TrainConfig, stable_hash
from aecore.data import load_dataset


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


@pytest.mark.parametrize("train, message", [
    (TrainConfig(noise_kind="masking", noise_level=1.0), "nothing left to learn"),
    (TrainConfig(noise_kind="salt_pepper", noise_level=1.0), "nothing of the image is left"),
    (TrainConfig(noise_kind="gaussian", noise_level=float("nan")), "must be a number"),
    (TrainConfig(noise_kind="masking", noise_level=float("inf")), "must be a number"),
])
def test_noise_that_leaves_nothing_to_learn_is_refused(train, message):
    with pytest.raises(ValueError, match=message):
        train.validate()
    with pytest.raises(ValueError, match=message):  # whatever the model type: plain models train on noise too
        Experiment(model=ModelConfig(kind="denoising"), train=train).validate(784)


def test_noise_levels_depend_on_the_data():
    # 64 pixels masked at 0.99: on average fewer than one pixel survives.
    masked = Experiment(model=ModelConfig(kind="denoising", code_size=8),
                        train=TrainConfig(noise_kind="masking", noise_level=0.99))
    with pytest.raises(ValueError, match="fewer than one of the 64 input numbers.*at most 0.98"):
        masked.validate(64)
    masked.validate(784)  # 7.8 pixels of 784 survive on average: hard, but something is left
    masked.replace(train=masked.train.replace(noise_level=0.98)).validate(64)
    # Gaussian noise: refused only when it dwarfs the data's whole range.
    loud = Experiment(model=ModelConfig(kind="denoising"), train=TrainConfig(noise_level=11.0))
    with pytest.raises(ValueError, match="10 times the data's whole range"):
        loud.validate(784)
    loud.replace(model=loud.model.replace(loss="mse")).validate(784, value_range=(-10.0, 10.0))
    Experiment(model=ModelConfig(kind="denoising"), train=TrainConfig(noise_level=1.0)).validate(784)


def test_names_in_messages_are_cut(digits):
    long_name = "x" * 5000 + ".zip"
    with pytest.raises(ValueError) as info:  # refused where data sets are known
        load_dataset(DataConfig(name=long_name))
    assert len(str(info.value)) < 300 and "…" in str(info.value)
    with pytest.raises(ValueError) as info:
        ModelConfig(activation="a\nb" * 1000).validate()
    assert len(str(info.value)) < 300 and "\n" not in str(info.value)
