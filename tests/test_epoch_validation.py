"""aecore.validation: the epoch's validation figures that the trainings share (train, transfer, A/B runs)."""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.unit


def test_validation_in_chunks_is_evaluate_over_all_images_not_the_last_chunk():
    import keras

    from aecore.validation import VALIDATION_CHUNK, validation_logs

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(6)])
    model.compile(optimizer="adam", loss="mae", metrics=[keras.metrics.MeanSquaredError(name="mse")])
    rng = np.random.default_rng(0)
    x = rng.random((2 * VALIDATION_CHUNK + 300, 6), np.float32)
    x[-300:] *= 5  # a last chunk unlike the others: its figures alone (what the trainings took) are far off
    model.train_on_batch(x[:64], x[:64])  # training figures the validation must not mix in

    logs = validation_logs(model, x, x)
    expected = model.evaluate(x, x, batch_size=VALIDATION_CHUNK, verbose=0, return_dict=True)
    assert set(logs) == {"val_loss", "val_mse"}
    assert logs["val_loss"] == pytest.approx(expected["loss"], rel=1e-5)
    assert logs["val_mse"] == pytest.approx(expected["mse"], rel=1e-5)
    assert validation_logs(model, x[:0], x[:0]) == {}
