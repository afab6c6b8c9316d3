import threading
import time

import numpy as np
import pytest

from aecore import jobs
from aecore.config import Experiment
from aecore.train import TrainingCancelled, TrainingDiverged, train_autoencoder


def test_loss_goes_down_and_result_is_complete(digits, tiny_experiment):
    exp = tiny_experiment.replace(train=tiny_experiment.train.replace(epochs=6))
    reports = []
    result = train_autoencoder(exp, digits, progress=reports.append)
    assert [r.epoch for r in reports] == list(range(1, 7))
    assert result.history["loss"][-1] < 0.8 * result.history["loss"][0]
    assert result.test_reconstruction.shape == digits.x_test.shape
    assert result.per_image_test_mse.shape == (len(digits.x_test),)
    assert np.isclose(result.test_mse, result.per_image_test_mse.mean())
    assert result.test_psnr == pytest.approx(10 * np.log10(1 / result.test_mse))
    assert result.encode(digits.x_test[:3]).shape == (3, 8)
    assert result.code_snapshots and result.code_snapshots[0][1].shape[1] == 8


def test_early_stopping_keeps_the_best_epoch(digits, tiny_experiment):
    exp = tiny_experiment.replace(train=tiny_experiment.train.replace(epochs=200, early_stopping=True, patience=2,
                                                                       learning_rate=0.01))
    result = train_autoencoder(exp, digits)
    assert result.stopped == "early stopping" and result.epochs_run < 200
    assert result.best_epoch == int(np.argmin(result.history["val_loss"])) + 1


def test_cancel_stops_within_one_epoch_and_keeps_last_epoch(digits, tiny_experiment):
    exp = tiny_experiment.replace(train=tiny_experiment.train.replace(epochs=100, batch_size=16))
    cancel = threading.Event()
    epochs_seen = []

    def progress(report):
        epochs_seen.append(report.epoch)
        if report.epoch == 2:
            cancel.set()

    result = train_autoencoder(exp, digits, progress=progress, cancel=cancel)
    assert result.stopped == "cancelled"
    assert result.epochs_run == 2 and epochs_seen == [1, 2]  # epoch 3 was cut short and not kept


def test_cancel_before_first_epoch_has_no_model(digits, tiny_experiment):
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(TrainingCancelled):
        train_autoencoder(tiny_experiment, digits, cancel=cancel)


def test_divergence_guard_fires_at_learning_rate_10(mnist5k):
    exp = Experiment()
    exp = exp.replace(train=exp.train.replace(learning_rate=10.0, epochs=8))
    with pytest.raises(TrainingDiverged, match="learning rate"):
        train_autoencoder(exp, mnist5k)


def test_impossible_settings_refused_before_training(digits, tiny_experiment):
    bad = tiny_experiment.replace(model=tiny_experiment.model.replace(code_size=64))
    with pytest.raises(ValueError, match="not smaller than the input"):
        train_autoencoder(bad, digits)


def test_job_queue_shares_identical_work_and_cancels_queued():
    queue = jobs.JobQueue(workers=1)
    gate = threading.Event()
    calls = []

    def slow(report, cancel):
        calls.append(1)
        gate.wait(5)
        return "done"

    first = queue.submit("a", slow, session="s1")
    same = queue.submit("a", slow, session="s2")
    other = queue.submit("b", slow)
    assert same is first and first.attached == {"s1", "s2"}
    time.sleep(0.2)
    assert queue.position(other) == 1
    queue.cancel(other)
    assert other.status == jobs.CANCELLED
    gate.set()
    assert first.wait(5) and first.result == "done" and len(calls) == 1
    assert queue.submit("a", slow) is first  # finished results are reused


def test_job_failure_is_reported_and_worker_survives():
    queue = jobs.JobQueue(workers=1)

    def boom(report, cancel):
        raise ValueError("bad settings")

    failed = queue.submit("x", boom)
    failed.wait(5)
    assert failed.status == jobs.FAILED and failed.error == "bad settings"
    ok = queue.submit("y", lambda report, cancel: 42)
    assert ok.wait(5) and ok.result == 42
