"""Every model goes through one path (memory → disk cache → train and save): the Limits page's code-size sweep
with default settings trains none of the models the PCA page's sweep already trained."""

import threading
from types import SimpleNamespace

import pytest

from aecore import compression, sweeps, train
from aecore.config import DataConfig, Experiment

pytestmark = pytest.mark.unit


@pytest.fixture
def trainings(monkeypatch, tmp_path):
    """Code sizes trained (not loaded) during the test, in a cache directory of its own."""
    monkeypatch.setenv("AELAB_CACHE_DIR", str(tmp_path))
    trained = []
    real = train.train_autoencoder

    def counting(experiment, dataset, *args, **kwargs):
        trained.append(experiment.model.code_size)
        return real(experiment, dataset, *args, **kwargs)

    monkeypatch.setattr(train, "train_autoencoder", counting)
    return trained


def test_limits_sweep_reuses_the_pca_sweep_models(digits, trainings):
    base = Experiment(DataConfig(name="digits-8x8"))  # the sidebar's defaults on digits
    # What the PCA page's sweep jobs run (queue.submit(key, sweeps.train_job(...))), for two of its sizes.
    pca_models = {e.model.code_size: sweeps.train_job(e, digits)(None, threading.Event())
                  for e in sweeps.sweep_experiments(base, digits.input_dim, (4, 8))}
    assert sorted(trainings) == [4, 8]
    trainings.clear()

    # The Limits page's sweep with its defaults; 64 is skipped: it does not compress 8×8 images.
    limits_models = compression.train_code_size_sweep("digits-8x8", (4, 8, 64))

    assert trainings == [], f"the Limits sweep trained again: code sizes {trainings}"
    assert sorted(limits_models) == [4, 8]
    for k in (4, 8):
        assert limits_models[k].test_mse == pytest.approx(pca_models[k].test_mse, rel=1e-6)


def test_the_sidebar_the_sweep_scripts_and_warm_share_one_path(digits, trainings, monkeypatch):
    from aecore import __main__ as command_line
    from aecore import presets, trained
    from aecore.config import TrainConfig

    base = Experiment(DataConfig(name="digits-8x8"), train=TrainConfig(epochs=2))
    [four, eight] = sweeps.sweep_experiments(base, digits.input_dim, (4, 8))
    trained.train_job(four, digits)(None, threading.Event())  # the sidebar's Train, code size 4
    assert trainings == [4]

    points = sweeps.run_sweep(base, digits, code_sizes=(4, 8))  # a script's sweep: trains only what is missing
    assert trainings == [4, 8] and [p.code_size for p in points] == [4, 8]
    assert sweeps.run_sweep(base, digits, code_sizes=(4, 8)) == points and trainings == [4, 8]

    # `python -m aecore warm` trains a preset by the same path: afterwards nobody trains it again
    warmed = base.replace(model=base.model.replace(code_size=2))
    preset = SimpleNamespace(key="tiny", experiment=lambda: warmed)
    monkeypatch.setattr(presets, "PRESETS", [preset])
    trainings.clear()
    [row] = command_line.warm(out=open("/dev/null", "w"))
    assert row["status"] == "trained and cached" and len(trainings) == 1
    assert trained.trained_model(preset.experiment(), digits).test_mse == pytest.approx(row["test_mse"], rel=1e-6)
    assert len(trainings) == 1
