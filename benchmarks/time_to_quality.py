"""Time to quality of the default model (issue 14): the recipe before and after, side by side in one run.

Each round trains, interleaved so machine noise hits all alike, a fresh default model (784-256-128-16, BCE,
mnist-5k) with:

- before: 25 epochs in batches of 128 at a constant rate, one optimizer step per call, no XLA (the
  defaults until issue 14);
- after: the current defaults (``TrainConfig()``), XLA for the dense types (``aecore.train.XLA_KINDS``);
- after without XLA, with one step per call, without the cooldown: what each part of the recipe is worth;
- after, with the step compiled by an earlier training of the same architecture (``aecore.compiled_trainers``:
  the app's second and later trainings of an architecture), with the same or another seed, rate and epochs;
- after, with Adam's slots made inside the first traced step as Keras does by default (until 2026-12-03: the
  step was traced twice, see ``aecore.models.compile_model``).

It prints, per recipe, the median seconds of training (``TrainResult.seconds``: the fit, validation and
live preview included; the wall time with building the model and the final predictions beside it), the
test MSE of every run, and the training's arithmetic rate against this machine's sgemm peak, measured
here with numpy's and TensorFlow's float32 matrix product (the larger is the peak). Target: test MSE
<= 0.018 in <= 3 s on an idle machine. Run under the shared lock and give the load:

    flock /tmp/aelab-bench.lock .venv/bin/python benchmarks/time_to_quality.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from aecore import runtime, train  # noqa: E402
from aecore.config import DataConfig, Experiment, TrainConfig  # noqa: E402
from aecore.data import load_dataset  # noqa: E402

TARGET_MSE, TARGET_SECONDS = 0.018, 3.0
RECIPES = {  # name: (training, XLA, Adam's slots made in the first traced step, step already compiled)
    "before: 25 epochs × batch 128, constant rate, 1 step/call, no XLA": (
        TrainConfig(epochs=25, batch_size=128, cooldown=0.0, steps_per_execution=1), False, True, False),
    "after: defaults, first model of its architecture (step traced and compiled)": (
        TrainConfig(), True, False, False),
    "after: defaults, step compiled by an earlier training (kept trainer)": (TrainConfig(), True, False, True),
    "after, kept trainer, another seed, rate and epochs": (
        TrainConfig(seed=1, learning_rate=3e-3, epochs=9), True, False, True),
    "after without XLA": (TrainConfig(), False, False, False),
    "after, 1 step/call": (TrainConfig(steps_per_execution=1), True, False, False),
    "after without the cooldown": (TrainConfig(cooldown=0.0), True, False, False),
    "after, step traced twice (slots made in it)": (TrainConfig(), True, True, False),
}


def slots_in_first_step(compile_model):
    """``compile_model`` that leaves Adam unbuilt, as Keras does: its first traced step makes the slots."""
    import keras

    def compile_unbuilt(*args, **kwargs):
        build = keras.optimizers.Adam.build
        keras.optimizers.Adam.build = lambda self, variables: None
        try:
            return compile_model(*args, **kwargs)
        finally:
            keras.optimizers.Adam.build = build

    return compile_unbuilt


def sgemm_peak(n: int = 2048, repeats: int = 10) -> dict[str, float]:
    """GFLOP/s of an n×n float32 matrix product, best of ``repeats``, by numpy (BLAS) and TensorFlow."""
    import tensorflow as tf

    rng = np.random.default_rng(0)
    a, b = (rng.random((n, n), dtype=np.float32) for _ in range(2))
    flops = 2.0 * n**3

    def best(fn) -> float:
        fn()
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        return flops / min(times) / 1e9

    ta, tb = tf.constant(a), tf.constant(b)
    return {"numpy": best(lambda: a @ b), "tensorflow": best(lambda: tf.matmul(ta, tb).numpy())}


def dense_macs(model) -> int:
    """Multiply-adds of one forward pass of a dense model: one per kernel weight."""
    return int(sum(np.prod(w.shape) for w in model.weights if len(w.shape) == 2))


def run(config: TrainConfig, xla: bool, trace_twice: bool, compiled: bool, dataset) -> dict:
    from aecore import models
    from aecore.compiled_trainers import TRAINERS

    if not compiled:  # the training traces and compiles its own step
        TRAINERS.clear()
    kinds, compile_model = train.XLA_KINDS, models.compile_model
    train.XLA_KINDS = kinds if xla else ()
    models.compile_model = slots_in_first_step(compile_model) if trace_twice else compile_model
    try:
        experiment = Experiment(DataConfig(), train=config)
        wall = time.perf_counter()
        result = train.train_autoencoder(experiment, dataset, progress=lambda report: None)
        wall = time.perf_counter() - wall
    finally:
        train.XLA_KINDS, models.compile_model = kinds, compile_model
    macs = dense_macs(result.model)
    images = result.epochs_run * result.steps_per_epoch * config.batch_size
    # Training: forward (2 FLOPs per multiply-add) and backward (4); validation: forward only.
    flops = 6.0 * macs * images + 2.0 * macs * result.epochs_run * len(dataset.x_val)
    return {"seconds": result.seconds, "wall": wall, "mse": result.test_mse, "epochs": result.epochs_run,
            "gflops": flops / result.seconds / 1e9}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    runtime.ensure_tensorflow_configured()
    dataset = load_dataset(DataConfig())
    peak = sgemm_peak()
    runs: dict[str, list[dict]] = {name: [] for name in RECIPES}
    for _ in range(args.rounds):
        for name, (config, xla, trace_twice, compiled) in RECIPES.items():
            runs[name].append(run(config, xla, trace_twice, compiled, dataset))
    peak_after = sgemm_peak()
    best_peak = max(*peak.values(), *peak_after.values())

    load = os.getloadavg()
    print(f"mnist-5k ({dataset.n_train} training images), default model, {args.rounds} interleaved rounds, "
          f"{os.cpu_count()} cores, load average {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}")
    print(f"sgemm peak (2048², float32, best of 10; before / after the runs): numpy "
          f"{peak['numpy']:.0f} / {peak_after['numpy']:.0f} GFLOP/s, TensorFlow {peak['tensorflow']:.0f} / "
          f"{peak_after['tensorflow']:.0f} GFLOP/s")
    print("| recipe | epochs | median s (training) | median s (wall) | test MSE per run | GFLOP/s | of peak | "
          f"MSE ≤ {TARGET_MSE} in ≤ {TARGET_SECONDS:g} s |")
    print("|---|---|---|---|---|---|---|---|")
    for name, results in runs.items():
        seconds = statistics.median(r["seconds"] for r in results)
        mse = statistics.median(r["mse"] for r in results)
        gflops = statistics.median(r["gflops"] for r in results)
        met = mse <= TARGET_MSE and seconds <= TARGET_SECONDS
        print(f"| {name} | {results[0]['epochs']} | {seconds:.2f} | "
              f"{statistics.median(r['wall'] for r in results):.2f} | "
              f"{' / '.join(format(r['mse'], '.4f') for r in results)} | {gflops:.1f} | "
              f"{100 * gflops / best_peak:.0f} % | "
              f"{'yes' if met else 'no'} |", flush=True)


if __name__ == "__main__":
    main()
