"""The validation figures of a Keras fit at an epoch's end, the same way for every training of the app."""

from __future__ import annotations

import numpy as np

VALIDATION_CHUNK = 1024  # validation images per test_on_batch call (one chunk on mnist-5k)


def validation_logs(model, x: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """``model``'s compiled loss and metrics on all of (``x``, ``y``), as ``evaluate`` gives them, named as an
    epoch's logs ("val_loss", …); {} without images.

    test_on_batch on a few large chunks, instead of fit(validation_data=...): Keras's evaluate builds an
    iterator and a second traced function per batch shape every epoch (~25% of fit's time). Keras 3 resets
    the metrics at every test_on_batch, so each gives its chunk's means, weighted here by the chunk's size
    (the last call's alone are the last chunk's: 480 of full MNIST's 5,600 validation images)."""
    sums: dict[str, float] = {}
    for i in range(0, len(x), VALIDATION_CHUNK):
        values = model.test_on_batch(x[i:i + VALIDATION_CHUNK], y[i:i + VALIDATION_CHUNK], return_dict=True)
        size = len(x[i:i + VALIDATION_CHUNK])
        for key, value in values.items():
            sums[key] = sums.get(key, 0.0) + float(value) * size
    return {f"val_{key}": total / len(x) for key, total in sums.items()}
