"""Impossible settings are refused before training, divergence is stopped, crashes and Stop leave a usable app."""

from __future__ import annotations

import logging
import random
import threading
import time

import numpy as np
import pytest

from aecore.config import DataConfig, Experiment, ModelConfig, TrainConfig
from tests.apphelpers import go_to, open_app, set_sidebar, shown
from tests.bad_inputs import corpus

TINY_MODEL = ModelConfig(code_size=8, n_hidden_layers=1, first_layer_nodes=32)


def _upload(filename: str, data: bytes):
    from aecore.uploads import parse_upload

    return parse_upload(filename, data)


def _symmetric_digits(digits):
    """digits-8x8 rescaled to [-1, 1] (tanh-style data)."""
    from aecore.data import split_dataset

    X = np.concatenate([digits.x_train, digits.x_val, digits.x_test]) * 2 - 1
    y = np.concatenate([digits.y_train, digits.y_val, digits.y_test])
    return split_dataset("digits [-1, 1]", X, y, digits.class_names, DataConfig(name="digits-8x8"))


def _impossible(digits):
    photos = _upload("photos.zip", corpus.zip_large_photos())  # 64×48: not square
    small = _upload("small.csv", corpus.good_csv_header())  # 36 training images
    from aecore.data import load_dataset

    swiss = load_dataset(DataConfig(name="swiss-roll"))
    return [
        ("code size ≥ input", Experiment(DataConfig(name="digits-8x8"), TINY_MODEL.replace(code_size=64)),
         digits, "not smaller than the input"),
        ("BCE outside [0, 1]", Experiment(DataConfig(name="digits-8x8"), TINY_MODEL.replace(loss="bce")),
         _symmetric_digits(digits), "needs data between 0 and 1"),
        ("batch larger than the data", Experiment(small.data_config, TINY_MODEL, TrainConfig(batch_size=128)),
         small.dataset, "larger than the training set (36 images)"),
        ("epochs 0", Experiment(DataConfig(name="digits-8x8"), TINY_MODEL, TrainConfig(epochs=0)), digits,
         "at least 1 epoch"),
        ("conv on non-square images", Experiment(photos.data_config, ModelConfig(kind="conv", code_size=8),
                                                 TrainConfig(batch_size=4)), photos.dataset, "square images"),
        ("conv on 3-D points", Experiment(DataConfig(name="swiss-roll"), ModelConfig(kind="conv", code_size=2)),
         swiss, "square images"),
        ("denoising without noise", Experiment(DataConfig(name="digits-8x8"), TINY_MODEL.replace(kind="denoising")),
         digits, "needs noise"),
    ]


def test_impossible_settings_are_refused_before_training(digits):
    from aecore.train import train_autoencoder

    for name, experiment, dataset, reason in _impossible(digits):
        reports = []
        with pytest.raises(ValueError) as info:
            train_autoencoder(experiment, dataset, progress=reports.append)
        assert reason in str(info.value), (name, str(info.value))
        assert reports == [], f"{name}: training started before the refusal"


def test_every_sidebar_combination_trains_or_is_refused(digits):
    """Random combinations of what the sidebar offers: each one trains an epoch, or is refused with a reason."""
    from aecore.config import ACTIVATIONS, LOSSES, MODEL_KINDS
    from aecore.data import load_dataset
    from aecore.train import train_autoencoder
    from ui import settings

    swiss = load_dataset(DataConfig(name="swiss-roll"))
    from aecore.data import split_dataset

    few = split_dataset("digits-8x8", digits.x_train[:300], digits.y_train[:300], digits.class_names,
                        DataConfig(name="digits-8x8"))  # 300 images: an epoch is a handful of batches
    rng = random.Random(7)
    outcomes = {"trained": 0, "refused": 0}
    for _ in range(5):
        kind = rng.choice(MODEL_KINDS)
        data = rng.choice([few, few, swiss])
        model = ModelConfig(kind=kind, code_size=rng.choice([1, 2, 8, 16, 64, 100]),
                            n_hidden_layers=rng.randint(0, 4), first_layer_nodes=rng.choice(settings.NODES.options[:4]),
                            activation=rng.choice(ACTIVATIONS), loss=rng.choice(LOSSES),
                            dropout=rng.choice([0.0, 0.25]),
                            sparsity_weight=settings.SPARSITY.options[2] if kind == "sparse" else 0.0,
                            contractive_weight=settings.CONTRACTIVE.options[2] if kind == "contractive" else 0.0,
                            conv_filters=4, conv_depth=rng.randint(1, 3)).canonical()
        train = TrainConfig(epochs=1, batch_size=rng.choice(settings.BATCH_SIZE.options[2:]), early_stopping=False,
                            noise_level=0.3 if kind == "denoising" else rng.choice([0.0, 0.0, 0.2]))
        experiment = Experiment(DataConfig(name=data.name), model, train)
        try:
            experiment.validate_for(data)
        except ValueError as exc:
            assert len(str(exc)) > 20, f"a refusal needs a reason: {exc!r}"
            outcomes["refused"] += 1
            continue
        try:
            result = train_autoencoder(experiment, data)
        except RuntimeError as exc:  # the divergence guard is a valid, explained outcome
            assert "learning rate" in str(exc) or "diverged" in str(exc), exc
            continue
        assert result.epochs_run == 1 and np.isfinite(result.test_mse), (model, train)
        outcomes["trained"] += 1
    assert outcomes["trained"] >= 2 and outcomes["refused"] >= 1, outcomes


def test_the_sidebar_refuses_with_one_error_and_no_job():
    at = open_app()
    go_to(at, "pages/your_data.py")
    at.file_uploader(key="your_data_file").set_value(("wide.zip", corpus.zip_non_square(), "application/zip")).run()
    assert at.session_state["sidebar_dataset"] == "wide.zip"  # 40 images of 12×8: 29 to train on
    for settings, reason in (({"sidebar_batch_size": 128}, "larger than the training set"),
                             ({"sidebar_batch_size": 16, "sidebar_kind": "conv"}, "square images")):
        set_sidebar(at, **settings)
        at.button(key="sidebar_train").click().run()
        errors = [e.value for e in at.error]
        assert len(errors) == 1 and reason in errors[0], errors
        assert at.session_state["ae_job"] is None if "ae_job" in at.session_state else True
        assert not at.exception


def _train_in_app(at, settings, timeout=180):
    set_sidebar(at, **settings)
    at.button(key="sidebar_train").click().run()
    assert not at.exception, at.exception
    job = at.session_state["ae_job"]
    assert job.wait(timeout), "the job did not end"
    at.run()
    assert not at.exception, at.exception
    return job


def test_a_diverging_learning_rate_is_stopped_with_a_hint_and_never_cached():
    from aecore import cache, jobs

    at = open_app()
    settings = {"sidebar_dataset": "digits-8x8", "sidebar_code_size": 8, "sidebar_n_hidden_layers": 1,
                "sidebar_first_layer_nodes": 32, "sidebar_epochs": 6, "sidebar_learning_rate": 10.0,
                "sidebar_early_stopping": False}
    job = _train_in_app(at, settings)
    assert job.status == jobs.FAILED and job.result is None
    errors = [shown(e.value) for e in at.error]
    assert any("diverged" in e and "too high" in e and "try 0.001" in e for e in errors), errors
    trained = Experiment(DataConfig(name="digits-8x8"), ModelConfig(code_size=8, n_hidden_layers=1,
                                                                    first_layer_nodes=32),
                         TrainConfig(epochs=6, learning_rate=10.0, early_stopping=False))
    assert trained.key() == job.key  # the sidebar's experiment is the one that diverged
    found = jobs.default_queue().find(job.key)
    assert found is None or found.status != jobs.DONE, "a diverged run was kept as a finished result"
    assert not cache.default_cache().contains(trained), "a diverged model was cached on disk"
    # Pressing Train again starts a new run: a failure is never handed out as a result.
    at.button(key="sidebar_train").click().run()
    again = at.session_state["ae_job"]
    assert again is not job and again.result is None
    jobs.default_queue().cancel(again)
    again.wait(120)


def test_a_crash_inside_a_job_is_reported_and_the_app_stays_usable(monkeypatch, caplog):
    import aecore.train
    from aecore import jobs

    def crash(*args, **kwargs):
        raise KeyError("boom: a bug inside training")

    at = open_app()
    small = {"sidebar_dataset": "digits-8x8", "sidebar_code_size": 6, "sidebar_n_hidden_layers": 1,
             "sidebar_first_layer_nodes": 16, "sidebar_epochs": 2}
    monkeypatch.setattr(aecore.train, "train_autoencoder", crash)
    with caplog.at_level(logging.ERROR, logger="aecore.jobs"):
        job = _train_in_app(at, small)
    assert job.status == jobs.FAILED
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "Something went wrong inside the job" in errors[0] and "KeyError" in errors[0]
    assert "Traceback" not in errors[0]
    assert any("crashed" in r.getMessage() and "KeyError" in r.getMessage() for r in caplog.records), \
        "the crash must be logged with its traceback"
    monkeypatch.undo()
    go_to(at, "pages/reconstruction.py")  # other pages still render
    job = _train_in_app(at, small)  # and the same settings train once the bug is gone
    assert job.status == jobs.DONE and job.result.epochs_run == 2


def test_stop_mid_epoch_keeps_the_last_completed_epoch(digits):
    from aecore.train import train_autoencoder

    cancel = threading.Event()
    reports = []

    def progress(report):
        reports.append(report)
        if report.epoch == 2:
            cancel.set()  # seen at the next batch: in the middle of epoch 3

    experiment = Experiment(DataConfig(name="digits-8x8"), TINY_MODEL,
                            TrainConfig(epochs=10, batch_size=16, early_stopping=True))
    result = train_autoencoder(experiment, digits, progress=progress, cancel=cancel)
    assert result.stopped == "cancelled" and result.epochs_run == 2 and result.best_epoch == 2
    assert len(reports) == 2, "the cut-short epoch 3 must not be reported or kept"
    assert "after 2 completed epoch(s)" in result.message and "epoch 2" in result.message
    assert len(result.history["loss"]) == 2
    # The kept weights are epoch 2's: they reproduce that epoch's preview reconstructions exactly.
    np.testing.assert_allclose(result.reconstruct(digits.x_test[:8]), reports[1].preview, atol=1e-5)


def test_stop_in_the_app_keeps_the_model_says_so_and_is_not_cached(monkeypatch):
    from aecore import cache, jobs

    # A long run on purpose (it is stopped after its first epoch): above the default job-time limit.
    monkeypatch.setenv("AELAB_MAX_JOB_SECONDS", "100000")
    at = open_app()
    set_sidebar(at, sidebar_dataset="digits-8x8", sidebar_code_size=12, sidebar_epochs=200, sidebar_batch_size=16,
                sidebar_early_stopping=False)
    at.button(key="sidebar_train").click().run()
    job = at.session_state["ae_job"]
    deadline = time.time() + 180
    while (job.latest is None or job.latest.epoch < 1) and time.time() < deadline and job.active:
        time.sleep(0.1)
    assert job.latest is not None and job.active
    at.run()
    at.button(key="sidebar_stop").click().run()
    assert job.wait(60)
    at.run()
    assert job.status == jobs.CANCELLED and job.result is not None
    result = job.result
    assert result.stopped == "cancelled" and 1 <= result.epochs_run < 200
    assert result.epochs_run == len(result.history["loss"])
    warnings = [w.value for w in at.warning]
    assert any(f"after {result.epochs_run} completed epoch(s)" in w for w in warnings), warnings
    assert not cache.default_cache().contains(result.experiment), "a stopped (partial) model was cached"


def test_a_link_to_masking_at_1_is_refused_with_one_error_and_nothing_cached():
    """Issue 17 §6: /training?data=digits-8x8&kind=denoising&noise=masking&level=1&epochs=10 made every input
    zero, yet trained, reported success and wrote a cache entry."""
    from streamlit.testing.v1 import AppTest

    from aecore import cache
    from tests.apphelpers import APP

    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update({"data": "digits-8x8", "kind": "denoising", "noise": "masking", "level": "1",
                            "epochs": "10"})
    at.run()
    assert not at.exception and not at.warning, [w.value for w in at.warning]  # a valid link: level 1 is readable
    assert at.session_state["sidebar_noise_level"] == 1.0
    at.button(key="sidebar_train").click().run()
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "nothing left to learn" in errors[0] and "below 1" in errors[0], errors
    assert at.session_state["ae_job"] is None if "ae_job" in at.session_state else True
    experiment = Experiment(DataConfig(name="digits-8x8"), ModelConfig(kind="denoising"),
                            TrainConfig(epochs=10, noise_kind="masking", noise_level=1.0))
    assert not cache.default_cache().contains(experiment)
