"""A training traces its step once (issue 14, time to quality): Keras made Adam's slots inside the first traced
step, and a step that creates variables is traced twice (about half a second more per training)."""

from __future__ import annotations

import pytest

from aecore import train
from aecore.config import DataConfig, Experiment, ModelConfig, TrainConfig
from aecore.data import load_dataset

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("kind", ["dense", "variational"])
def test_the_training_step_is_traced_once(monkeypatch, kind):
    from keras.src.backend.tensorflow import trainer

    from aecore import models

    traces = []
    # Keras's step, and the step of the models that track their own loss (VAE, contractive)
    for owner in (trainer.TensorFlowTrainer, models._TrackedAutoencoder):
        def counted(self, data, step=owner.train_step):  # runs only while TensorFlow traces the step
            traces.append(type(self).__name__)
            return step(self, data)

        monkeypatch.setattr(owner, "train_step", counted)
    data = DataConfig(name="digits-8x8")
    experiment = Experiment(data, ModelConfig(kind=kind, code_size=4), TrainConfig(epochs=2, batch_size=64))
    result = train.train_autoencoder(experiment, load_dataset(data))
    assert result.epochs_run == 2
    assert len(traces) == 1, traces
