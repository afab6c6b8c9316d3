"""Progressive results: while a training runs, the model of its last finished epoch is usable (issue 14)."""

import numpy as np
import pytest

from aecore import metrics
from aecore.train import PROVISIONAL, train_autoencoder


def test_the_provisional_result_of_an_epoch_is_the_model_with_its_weights(digits, tiny_experiment, monkeypatch,
                                                                          tmp_path):
    import aecore.models

    builds = []
    real_build = aecore.models.build_model
    monkeypatch.setattr(aecore.models, "build_model", lambda *a, **k: builds.append(1) or real_build(*a, **k))
    exp = tiny_experiment.replace(train=tiny_experiment.train.replace(epochs=4))
    reports, asked = [], {}

    def progress(report):
        if reports:  # the epoch before: its weights were dropped when this one was reported
            assert reports[-1].provisional is None or not reports[-1].provisional.available
            assert reports[-1].provisional_result() is None
        reports.append(report)
        if report.epoch in (2, 4):
            asked[report.epoch] = ([w.copy() for w in report.provisional._weights], report.provisional_result())

    final = train_autoencoder(exp, digits, progress=progress)
    # Built lazily: the training's own model plus one per epoch someone asked for (2 and 4), not one per epoch.
    assert len(builds) == 3
    assert all(r.provisional_result() is None for r in reports)  # the end released the last one too

    weights2, second = asked[2]
    assert second.stopped == PROVISIONAL and second.provisional and second.epochs_run == second.best_epoch == 2
    assert all(np.array_equal(a, b) for a, b in zip(second.model.get_weights(), weights2, strict=True))
    rebuilt = real_build(exp.model, digits.sample_shape, exp.train)
    rebuilt.autoencoder.set_weights(weights2)
    expected = np.asarray(rebuilt.autoencoder(digits.x_test, training=False))
    np.testing.assert_allclose(second.test_reconstruction, expected, rtol=1e-5, atol=1e-6)
    assert second.test_mse == pytest.approx(metrics.per_sample_mse(digits.x_test, expected).mean(), rel=1e-5)
    np.testing.assert_allclose(second.reconstruct(digits.x_test[:5]), expected[:5], rtol=1e-5, atol=1e-6)
    assert second.encode(digits.x_test[:3]).shape == (3, 8)
    assert {k: len(v) for k, v in second.history.items()} == {k: 2 for k in final.history}
    assert [e for e, _ in second.code_snapshots] == [1, 2]
    assert second.message == "Provisional: the model after epoch 2 of 4."

    # The last epoch's provisional model is the final model in all but its name.
    _, fourth = asked[4]
    assert final.stopped == "completed" and fourth.stopped == PROVISIONAL
    assert all(np.array_equal(a, b) for a, b in zip(fourth.model.get_weights(), final.model.get_weights(), strict=True))
    np.testing.assert_allclose(fourth.test_reconstruction, final.test_reconstruction, rtol=1e-6, atol=1e-7)
    assert fourth.test_mse == pytest.approx(final.test_mse) and fourth.train_mse == pytest.approx(final.train_mse)
    assert fourth.history == final.history
    assert [e for e, _ in fourth.code_snapshots] == [e for e, _ in final.code_snapshots]

    # Never saved: the disk cache is for finished models.
    from aecore.cache import DiskCache

    store = DiskCache(tmp_path)
    assert not store.save(fourth) and not store.contains(exp)
    assert store.save(final)
