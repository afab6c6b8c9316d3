"""Our trainer against a plain `model.fit` script written the way the source article writes it.

Same model (784-128-32-128-784, relu, sigmoid output, adam, binary cross-entropy), same mnist-5k
training images, same epochs, runs interleaved so machine noise hits both alike. Prints samples/s for
both and the ratio (ours / plain; >= 1.0 means the app adds no overhead), then times the app's
default settings against the "test MSE <= 0.018 in <= 3 s" target (issue 14; benchmarks/time_to_quality.py
compares the recipes). ``--load N`` runs N busy processes beside it (a class on the machine; the trainer
must keep >= 1.0x plain fit at load 3).

    flock /tmp/aelab-bench.lock .venv/bin/python benchmarks/train_speed.py [--rounds 3] [--epochs 10] [--load 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from aecore.config import DataConfig, Experiment, ModelConfig, TrainConfig  # noqa: E402
from aecore.data import load_dataset  # noqa: E402
from aecore.runtime import ensure_tensorflow_configured  # noqa: E402
from aecore.compiled_trainers import TRAINERS  # noqa: E402
from aecore.train import train_autoencoder  # noqa: E402


def plain_fit(x_train, epochs: int, batch_size: int, seed: int) -> float:
    """The article's script: Dense layers, model.fit(x, x). Returns seconds spent in fit."""
    import keras

    keras.utils.set_random_seed(seed)
    inputs = keras.Input((784,))
    hidden = keras.layers.Dense(128, activation="relu")(inputs)
    code = keras.layers.Dense(32, activation="relu")(hidden)
    hidden = keras.layers.Dense(128, activation="relu")(code)
    outputs = keras.layers.Dense(784, activation="sigmoid")(hidden)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="binary_crossentropy")
    x = x_train.reshape(len(x_train), -1)
    start = time.perf_counter()
    model.fit(x, x, epochs=epochs, batch_size=batch_size, shuffle=True, verbose=0)
    return time.perf_counter() - start


def ours(dataset, epochs: int, batch_size: int, seed: int, kept: bool = False) -> float:
    """The app's trainer. Like the plain script it traces and compiles its own step, unless ``kept``: then
    the step the previous call compiled for this architecture serves it (the app's later trainings)."""
    if not kept:
        TRAINERS.clear()
    experiment = Experiment(
        DataConfig(),
        ModelConfig(code_size=32, n_hidden_layers=1, first_layer_nodes=128, activation="relu",
                    code_activation="relu", loss="bce"),
        TrainConfig(epochs=epochs, batch_size=batch_size, learning_rate=0.001, seed=seed, early_stopping=False),
    )
    return train_autoencoder(experiment, dataset, progress=lambda report: None).seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--load", type=int, default=0, help="busy processes to run beside the benchmark")
    args = parser.parse_args()

    busy = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(args.load)]
    try:
        measure(args)
    finally:
        for process in busy:
            process.terminate()
            process.wait()


def measure(args) -> None:
    ensure_tensorflow_configured()
    dataset = load_dataset(DataConfig())
    n = dataset.n_train * args.epochs
    plain_times, our_times, kept_times = [], [], []
    for round_ in range(args.rounds):
        plain_times.append(plain_fit(dataset.x_train, args.epochs, args.batch_size, round_))
        our_times.append(ours(dataset, args.epochs, args.batch_size, round_))
        kept_times.append(ours(dataset, args.epochs, args.batch_size, round_ + 100, kept=True))
    plain_rate, our_rate = n / statistics.median(plain_times), n / statistics.median(our_times)
    kept_rate = n / statistics.median(kept_times)
    load = os.getloadavg()
    print(f"mnist-5k, {dataset.n_train} training images, {args.epochs} epochs, batch {args.batch_size}, "
          f"{args.rounds} interleaved rounds, {os.cpu_count()} cores, {args.load} busy processes beside it, "
          f"load average {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}")
    print("| trainer | median seconds | samples/s |")
    print("|---|---|---|")
    print(f"| plain model.fit (article) | {statistics.median(plain_times):.2f} | {plain_rate:,.0f} |")
    print(f"| aecore.train (validation, early-stopping guard, live preview) | "
          f"{statistics.median(our_times):.2f} | {our_rate:,.0f} |")
    print(f"| aecore.train, step compiled by an earlier training of the architecture | "
          f"{statistics.median(kept_times):.2f} | {kept_rate:,.0f} |")
    print(f"ratio ours / plain: {our_rate / plain_rate:.2f}x (step compiled before: {kept_rate / plain_rate:.2f}x)")

    default = Experiment()
    TRAINERS.clear()
    result = train_autoencoder(default, dataset, progress=lambda report: None)
    first_seconds = result.seconds
    result = train_autoencoder(default, dataset, progress=lambda report: None)  # as the app: step compiled ahead
    widths = "-".join(map(str, (dataset.input_dim, *default.model.layer_widths(), default.model.code_size)))
    train = default.train
    print(f"\nDefault sidebar settings ({widths}, {default.model.loss.upper()}, Adam {train.learning_rate:g}, "
          f"batch {train.batch_size}, <= {train.epochs} epochs, early stopping):")
    met = result.test_mse <= 0.018 and result.seconds <= 3
    print(f"test MSE {result.test_mse:.4f}, PSNR {result.test_psnr:.1f} dB, train MSE {result.train_mse:.4f}, "
          f"{result.epochs_run} epochs in {result.seconds:.2f} s with the step compiled ahead, as the app does "
          f"({'meets' if met else 'misses'} the <= 0.018 in <= 3 s target); {first_seconds:.2f} s compiling it")


if __name__ == "__main__":
    main()
