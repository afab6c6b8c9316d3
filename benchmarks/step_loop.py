"""The default model's training loop before and after 2026-12-03, side by side in one run.

The default model (784-256-128-16, BCE, mnist-5k, batch 32, XLA) trains 10 epochs of 112 optimizer steps in
each of these ways, its step compiled before the timed runs, interleaved round by round:

- before: Keras's loop over ``steps_per_execution=16`` (a graph loop that takes each batch from the iterator
  as an optional and calls the XLA-compiled step) on ``aecore.train.shuffled_batches`` (the images shuffled);
- groups of 16 batches stacked (``aecore.train.grouped_batches``: row numbers shuffled, each group's rows
  gathered at once), one XLA-compiled call running Keras's step on each in a loop compiled with it
  (``aecore.train._step_through_groups``);
- groups of 64 (``TrainConfig().steps_per_execution``: what the app does now).

It prints the median milliseconds per optimizer step of each, its ratio to the first, and the training MSE
of each (the same arithmetic and order: equal up to float rounding); then the milliseconds an epoch of
batches takes from each pipeline alone (groups of 16), read without training. Run under the shared lock and
give the load:

    flock /tmp/aelab-bench.lock .venv/bin/python benchmarks/step_loop.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

EPOCHS = 10


def trained(dataset, group: int = 0):
    """A compiled default model and a function that trains it ``EPOCHS`` epochs: (seconds, steps, MSE).
    ``group``: steps through groups of that many batches; else Keras's loop over 16 steps per execution."""
    import keras

    from aecore import train
    from aecore.config import Experiment
    from aecore.models import build_model, compile_model

    experiment = Experiment()
    model_cfg, train_cfg = experiment.model, experiment.train.replace(steps_per_execution=1 if group else 16)
    keras.utils.set_random_seed(0)
    built = build_model(model_cfg, dataset.sample_shape, train_cfg)
    compile_model(built, model_cfg, train_cfg, jit_compile=True)
    if group:
        train._step_through_groups(built.autoencoder)
    model, x = built.autoencoder, dataset.x_train

    def batches():
        return train._batches(x, x, train_cfg.batch_size, 0, group=group)

    model.fit(batches(), epochs=1, verbose=0)  # traced and compiled before the timed runs

    def run():
        data = batches()
        start = time.perf_counter()
        history = model.fit(data, epochs=EPOCHS, verbose=0)
        seconds = time.perf_counter() - start
        return seconds, EPOCHS * train.steps_in_epoch(len(x), train_cfg.batch_size), history.history["mse"][-1]

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    from aecore import runtime
    from aecore.config import DataConfig, TrainConfig
    from aecore.data import load_dataset

    runtime.ensure_tensorflow_configured()
    dataset = load_dataset(DataConfig())
    load_before = os.getloadavg()[0]
    ways = {"before: Keras's loop of 16 steps, images shuffled": trained(dataset),
            "groups of 16 in one compiled loop, rows gathered": trained(dataset, group=16),
            "groups of 64 (the app now)": trained(dataset, group=TrainConfig().steps_per_execution)}
    per_step: dict[str, list[float]] = {name: [] for name in ways}
    mse: dict[str, float] = {}
    for _ in range(args.rounds):
        for name, run in ways.items():
            seconds, steps, mse[name] = run()
            per_step[name].append(1000 * seconds / steps)
    load = os.getloadavg()
    print(f"default model, mnist-5k, {EPOCHS} epochs × 112 steps, {args.rounds} interleaved rounds, "
          f"{os.cpu_count()} cores, load average {load_before:.2f} before, {load[0]:.2f} / {load[1]:.2f} after")
    print("| way | ms per step (median) | min–max | training MSE at the end | ratio to before |")
    print("|---|---|---|---|---|")
    base = statistics.median(next(iter(per_step.values())))
    for name, times in per_step.items():
        median = statistics.median(times)
        print(f"| {name} | {median:.3f} | {min(times):.3f}–{max(times):.3f} | {mse[name]:.5f} | "
              f"{median / base:.2f} |", flush=True)
    print(f"an epoch's batches read alone (median of 10): the images shuffled and batched "
          f"{pipeline_ms(dataset, 0):.1f} ms, row numbers shuffled and gathered in groups of 16 "
          f"{pipeline_ms(dataset, 16):.1f} ms")


def pipeline_ms(dataset, group: int, epochs: int = 10) -> float:
    """Milliseconds per epoch of reading ``_batches`` (one batch at a time, or ``group`` at a time), median."""
    from aecore import train

    x = dataset.x_train
    data = train._batches(x, x, 32, 0, group=group)
    times = []
    for _ in range(epochs):
        start = time.perf_counter()
        for _ in data:
            pass
        times.append(1000 * (time.perf_counter() - start))
    return statistics.median(times)


if __name__ == "__main__":
    main()
