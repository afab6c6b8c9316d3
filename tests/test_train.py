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


# --- issue 17 §6: a collapsed model is never a success; issue 16 bug 5: no false "diverged" on small data ------


def _shapes_npz(n: int = 600, size: int = 28, seed: int = 0) -> bytes:
    """A synthetic upload: ``n`` images of ``size``×``size``, ten classes of bars and rings at random places."""
    import io

    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    labels = np.arange(n) % 10
    images = np.zeros((n, size, size), np.float32)
    for i, label in enumerate(labels):
        cy, cx = rng.uniform(size * 0.3, size * 0.7, 2)
        r = rng.uniform(size * 0.15, size * 0.3)
        angle = np.pi * label / 10 + rng.normal(0, 0.1)
        along = (xx - cx) * np.cos(angle) + (yy - cy) * np.sin(angle)
        across = -(xx - cx) * np.sin(angle) + (yy - cy) * np.cos(angle)
        bar = (np.abs(across) < 1.5) & (np.abs(along) < r)
        ring = np.abs(np.hypot(xx - cx, yy - cy) - r * (0.5 + 0.1 * (label - 5))) < 1.5
        images[i] = bar if label < 5 else ring | (bar & (label >= 8))
    images = np.clip(images + rng.normal(0, 0.02, images.shape), 0, 1)
    buffer = io.BytesIO()
    np.savez(buffer, x=(images * 255).astype(np.uint8), y=labels)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def shapes600():
    from aecore.uploads import parse_upload

    return parse_upload("shapes.npz", _shapes_npz())


@pytest.mark.parametrize("learning_rate", [0.002, 0.001])
def test_a_small_upload_does_not_falsely_diverge(shapes600, learning_rate):
    """600 images of 28×28, code 5, batches of 128 (the default until issue 14): 3 optimizer steps per epoch.
    Counting epochs, the plateau check stopped this at epoch 6-8 as "diverged" (issue 16, bug 5)."""
    from aecore import metrics
    from aecore.config import ModelConfig, TrainConfig

    data = shapes600.dataset
    exp = Experiment(shapes600.data_config, ModelConfig(code_size=5), TrainConfig(learning_rate=learning_rate,
                                                                                    epochs=15, batch_size=128))
    result = train_autoencoder(exp, data)
    assert result.epochs_run >= 10, result.message
    average = metrics.mse(data.x_test, np.broadcast_to(data.x_train.mean(axis=0), data.x_test.shape))
    assert result.test_mse < average, (result.test_mse, average)  # it learnt more than the average image
    # The result says what would train it further, and never blames the learning rate.
    assert result.steps_per_epoch == 3
    message = result.message
    assert result.stopped == "completed" and result.best_epoch == result.epochs_run  # still improving
    assert "still improving after only 45 optimizer steps (3 per epoch in batches of 128)" in message
    assert "a smaller batch or more epochs" in message
    assert "learning rate" not in message


def test_the_plateau_check_counts_optimizer_steps():
    """The guard alone: a loss that stays flat above the average image's is "stuck" only after
    PLATEAU_STEPS optimizer steps (and 3 epochs), however few steps an epoch has."""
    from aecore import train

    empty = np.zeros((0, 4), np.float32)
    guard = train._make_callback(None, None, 100, None, empty, empty, None, None, 0.0, baseline_mse=0.05,
                                 validation=(empty, empty))

    def run(steps_per_epoch: int, epochs: int) -> str:
        guard.mse_history, guard.steps, verdict = [], 0, ""
        for _ in range(epochs):
            guard.steps += steps_per_epoch
            guard.mse_history.append((guard.steps, 0.08))
            verdict = guard.stuck(0.08) or verdict
            if verdict:
                return f"{verdict} after {guard.steps} steps"
        return verdict

    assert run(3, 8) == ""  # 24 steps: the case of issue 16, bug 5
    assert run(3, 40) == f"plateau after {3 * 35} steps"
    assert run(28, 8) == "plateau after 140 steps"  # mnist-5k at batch 128
    assert run(230, 4) == "plateau after 690 steps"  # batch 16: at least 3 epochs all the same
    guard.mse_history, guard.steps = [(300, 0.04)], 300
    assert guard.stuck(0.04) == ""  # below the average image's error: learning, however slowly


def test_divergence_advice_never_contradicts_itself():
    from aecore import train
    from aecore.config import TrainConfig
    from ui import settings

    for rate in settings.LEARNING_RATE.options:
        lower = train.lower_rate(rate)
        assert 0 < lower < rate and f"{lower:g}" != f"{rate:g}"
        advice = train._stuck_advice(TrainConfig(learning_rate=rate), per_epoch=3, n_images=432, batch_hint=True)
        assert f"({rate:g}) is probably too high for this model; try {lower:g}" in advice
        assert f"try {rate:g}" not in advice.replace(f"try {lower:g}", "")
        assert "smaller batch" in advice
    assert train.lower_rate(10.0) == 0.001 and train.lower_rate(0.002) == 0.001 and train.lower_rate(0.001) == 0.0003
    # Plenty of steps per epoch: the batch is not what to change.
    assert "batch" not in train._stuck_advice(TrainConfig(), per_epoch=28, n_images=3680, batch_hint=True)


def test_collapse_is_judged_relative_to_the_data_spread():
    from aecore import train

    rng = np.random.default_rng(0)
    # One output for every image, with float32 round-off left in it (the masking-1.0 case: spread 2.5e-6).
    same = np.tile(rng.random(64, dtype=np.float32), (100, 1)) + rng.normal(0, 2.5e-6, (100, 64)).astype(np.float32)
    assert train.data_spread(same) > 1e-6  # the old absolute guard (1e-6) took this for a working model
    assert train.collapsed(same, reference_spread=0.45)
    # The same tiny spread is a real signal on data whose own spread is tiny.
    assert not train.collapsed(same, reference_spread=5e-6)
    assert train.collapsed(np.full((10, 4), np.nan), 1.0)
    assert not train.collapsed(rng.random((100, 64)), 0.45)


def test_noise_that_leaves_nothing_is_refused_before_training(digits, tiny_experiment):
    """/training?data=digits-8x8&kind=denoising&noise=masking&level=1: every input is zero. It used to train,
    report success (test MSE 0.1556) and be cached."""
    exp = tiny_experiment.replace(model=tiny_experiment.model.replace(kind="denoising"),
                                  train=tiny_experiment.train.replace(noise_kind="masking", noise_level=1.0))
    reports = []
    with pytest.raises(ValueError, match="nothing left to learn"):
        train_autoencoder(exp, digits, progress=reports.append)
    assert reports == []
    # Inputs that are all the same for another reason (a corruption of the caller's) are refused as well.
    zeros = tuple(np.zeros_like(x) for x in (digits.x_train, digits.x_val, digits.x_test))
    with pytest.raises(ValueError, match="nothing to learn"):
        train_autoencoder(tiny_experiment, digits, inputs=zeros)


def test_a_model_whose_units_die_is_stopped_early_with_one_consistent_hint(digits, tiny_experiment):
    exp = tiny_experiment.replace(train=tiny_experiment.train.replace(learning_rate=10.0, epochs=6))
    reports = []
    with pytest.raises(TrainingDiverged) as info:
        train_autoencoder(exp, digits, progress=reports.append)
    message = str(info.value)
    assert "diverged" in message and "try 0.001" in message and "(10)" in message
    assert len(reports) < 6


def test_collapse_advice_names_the_penalty_of_penalised_models():
    from aecore import train
    from aecore.config import ModelConfig, TrainConfig

    vae = ModelConfig(kind="variational", code_size=2, kl_weight=4.0)
    advice = train._stuck_advice(TrainConfig(), per_epoch=28, n_images=3680, model_cfg=vae)
    assert "smaller KL weight (β) than 4" in advice and "try 0.001" in advice
    sparse = ModelConfig(kind="sparse", sparsity_weight=0.01)
    assert "smaller sparsity weight than 0.01" in train._stuck_advice(TrainConfig(), 28, 3680, model_cfg=sparse)


@pytest.mark.parametrize("kind, level", [("gaussian", 0.5), ("salt_pepper", 0.3), ("masking", 0.4)])
def test_training_noise_is_corrupt_noise_fresh_every_epoch_and_seeded(digits, kind, level):
    """Issue 12: the trainer corrupts the training batches in its pipeline with corrupt.py's formulas (the
    model holds no noise). Each epoch draws new noise; the same seed draws the same noise again."""
    from aecore import corrupt
    from aecore.config import TrainConfig
    from aecore.train import _batches, training_noise

    x = digits.x_train
    noise = training_noise(TrainConfig(noise_kind=kind, noise_level=level))
    assert training_noise(TrainConfig()) is None

    def two_epochs(seed):
        data = _batches(x, np.arange(len(x)), 64, seed, noise)
        return [[(np.asarray(a), np.asarray(i)) for a, i in data] for _ in range(2)]

    first, second = two_epochs(3)
    again = two_epochs(3)[0]
    for (noisy, index), (same, same_index) in zip(first, again):
        np.testing.assert_array_equal(index, same_index)
        np.testing.assert_array_equal(noisy, same)

    def by_image(epoch):  # each image's input in that epoch
        return {int(i): a for inputs, index in epoch for i, a in zip(index, inputs)}

    one, two = by_image(first), by_image(second)
    both = sorted(set(one) & set(two))
    clean = x[both]
    noisy = np.stack([one[i] for i in both])
    assert 0 <= noisy.min() and noisy.max() <= 1
    if kind == "gaussian":  # as much noise as numpy's σ 0.5, clipped to [0, 1], puts on the same images
        reference = corrupt.add_noise(clean, kind, level, seed=0)
        assert np.mean((noisy - clean) ** 2) == pytest.approx(np.mean((reference - clean) ** 2), rel=0.05)
    else:  # ``level`` of the values set to 0 or 1 (those that were 0 already cannot be seen: count only the others)
        lit = clean > 0
        assert np.mean(noisy[lit] != clean[lit]) == pytest.approx(level, rel=0.1)
    assert not np.array_equal(noisy, np.stack([two[i] for i in both])), "fresh noise every epoch"


def test_time_spent_in_the_progress_callback_is_not_training_time(digits, tiny_experiment):
    """A job paused between epochs for other trainings' turns (aecore.jobs) waits inside ``progress``: "Trained
    in N s" and the images per second must not count that wait."""
    exp = tiny_experiment.replace(train=tiny_experiment.train.replace(epochs=2, early_stopping=False))
    started = time.perf_counter()
    result = train_autoencoder(exp, digits, progress=lambda report: time.sleep(1.0))
    wall = time.perf_counter() - started
    assert result.epochs_run == 2
    assert result.seconds < wall - 1.9
