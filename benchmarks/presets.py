"""Lesson presets: what each reaches, and how much faster the model cache makes a lecture start.

Run ``python -m aecore warm`` first (it trains every preset into the cache), then
``python benchmarks/presets.py``. For each preset: training time (measured when it was trained), the time
to load it back from the disk cache, their ratio, and its test MSE / PSNR on mnist-5k. PCA with the same
number of components is the reference for the linear preset.
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main() -> None:
    from sklearn.decomposition import PCA

    from aecore import presets
    from aecore.cache import default_cache
    from aecore.data import load_dataset

    cache = default_cache()
    print(f"model cache: {cache.directory}")
    header = f"{'preset':10s} {'kind':13s} {'code':>5s} {'epochs':>6s} {'train s':>8s} {'load s':>7s} " \
             f"{'ratio':>6s} {'test MSE':>9s} {'PSNR dB':>8s}"
    print(header)
    print("-" * len(header))
    missing = []
    for preset in presets.PRESETS:
        experiment = preset.experiment()
        if not cache.contains(experiment):
            missing.append(preset.key)
            continue
        start = time.perf_counter()
        result = cache.load(experiment)
        load_seconds = time.perf_counter() - start
        print(f"{preset.key:10s} {experiment.model.kind:13s} {experiment.model.code_size:5d} "
              f"{result.epochs_run:6d} {result.seconds:8.1f} {load_seconds:7.2f} "
              f"{result.seconds / load_seconds:5.0f}x {result.test_mse:9.4f} {result.test_psnr:8.1f}")
    if missing:
        print(f"not cached (run `python -m aecore warm`): {', '.join(missing)}")
    linear = presets.get("linear").experiment()
    dataset = load_dataset(linear.data)
    x_train, x_test = dataset.flat(dataset.x_train), dataset.flat(dataset.x_test)
    pca = PCA(linear.model.code_size, random_state=0).fit(x_train)
    rebuilt = pca.inverse_transform(pca.transform(x_test))
    print(f"PCA with {linear.model.code_size} components, same split: test MSE "
          f"{float(np.mean((rebuilt - x_test) ** 2)):.4f} (compare with the 'linear' preset)")


if __name__ == "__main__":
    main()
