"""PCA against the autoencoder on the same splits, side by side in one run.

Prints, for mnist-5k and digits-8x8, the table (k, PCA test MSE, AE test MSE, AE train MSE, AE/PCA, epochs,
seconds) for the default sidebar model with only the code size changed; then the linear autoencoder
against PCA-8 (ratio and principal angles), the 3-D manifold demo and the pre-trained-layers experiment.

    .venv/bin/python benchmarks/ae_vs_pca.py [--datasets mnist-5k digits-8x8] [--parts sweep linear manifolds transfer]
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from aecore.inspect_model import compare_linear, linear_experiment  # noqa: E402
from aecore.manifolds import manifold_job  # noqa: E402
from aecore.pca_baseline import PUBLISHED_MNIST_PCA_TEST_MSE, fitted_pca, pca_curve  # noqa: E402
from aecore.sweeps import sweep_experiments  # noqa: E402
from aecore.transfer import run_transfer  # noqa: E402
from aecore.config import DataConfig, Experiment  # noqa: E402
from aecore.data import load_dataset  # noqa: E402
from aecore.runtime import ensure_tensorflow_configured  # noqa: E402
from aecore.train import train_autoencoder  # noqa: E402


def timed(fn):
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - wall, time.process_time() - cpu


def sweep_table(name: str) -> None:
    data = DataConfig(name=name)
    dataset = load_dataset(data)
    pca = fitted_pca(data, dataset)
    curve = pca_curve(pca, dataset)
    base = Experiment(data=data)
    print(f"\n{name}: {dataset.summary()}; autoencoder = default sidebar settings, only the code size changed")
    print("| k | PCA test MSE | AE test MSE | AE train MSE | AE / PCA | winner | epochs | wall s | CPU s |")
    print("|---|---|---|---|---|---|---|---|---|")
    for experiment in sweep_experiments(base, dataset.input_dim):
        k = experiment.model.code_size
        result, wall, cpu = timed(lambda: train_autoencoder(experiment, dataset))
        p = float(curve.test_mse[k - 1])
        print(f"| {k} | {p:.4f} | {result.test_mse:.4f} | {result.train_mse:.4f} | {result.test_mse / p:.2f} | "
              f"{'AE' if result.test_mse < p else 'PCA'} | {result.epochs_run} | {wall:.1f} | {cpu:.1f} |", flush=True)
    if name == "mnist-5k":
        print("PCA on mnist-5k, k = " + " / ".join(map(str, PUBLISHED_MNIST_PCA_TEST_MSE)) + ": "
              + " / ".join(f"{curve.test_mse[k - 1]:.4f}" for k in PUBLISHED_MNIST_PCA_TEST_MSE)
              + " (published full MNIST: " + " / ".join(f"{v:.4f}" for v in PUBLISHED_MNIST_PCA_TEST_MSE.values())
              + ")")


def linear(name: str = "mnist-5k") -> None:
    data = DataConfig(name=name)
    dataset = load_dataset(data)
    pca = fitted_pca(data, dataset)
    experiment = linear_experiment(data)
    result, wall, cpu = timed(lambda: train_autoencoder(experiment, dataset))
    c = compare_linear(result, pca, dataset)
    print(f"\nLinear autoencoder (no activations, linear output, MSE, Adam {experiment.train.learning_rate:g}, batch "
          f"{experiment.train.batch_size}, early stopping) vs PCA on {name}, k = {c.code_size}:")
    print("| linear AE test MSE | PCA test MSE | ratio | principal angles (°) | epochs | wall s | CPU s |")
    print("|---|---|---|---|---|---|---|")
    print(f"| {c.ae_test_mse:.4f} | {c.pca_test_mse:.4f} | {c.ratio:.3f} | "
          f"{', '.join(f'{a:.1f}' for a in c.angles_degrees)} | {c.epochs_run} | {wall:.1f} | {cpu:.1f} |", flush=True)


def manifolds() -> None:
    print("\n3-D manifolds (test points), PCA-k against an autoencoder with a k-number code:")
    print("| shape | k | PCA test MSE | AE test MSE | AE / PCA | epochs | wall s | CPU s |")
    print("|---|---|---|---|---|---|---|---|")
    for name, k in (("swiss-roll", 2), ("s-curve", 2), ("circle", 1), ("swiss-roll", 1)):
        demo, wall, cpu = timed(lambda: manifold_job(name, k)(lambda r: None, threading.Event()))
        print(f"| {name} | {k} | {demo.pca_mse:.5f} | {demo.ae_mse:.5f} | {demo.ae_mse / demo.pca_mse:.2f} | "
              f"{demo.epochs_run} | {wall:.1f} | {cpu:.1f} |", flush=True)


def transfer(name: str = "mnist-5k") -> None:
    data = DataConfig(name=name)
    dataset = load_dataset(data)
    print(f"\nPre-trained layers on {name} (default sidebar model; pre-train on 0-4, then 200 images of 5-9, "
          "40 epochs, test on the 5-9 test images):")
    print("| reuse | from scratch | pre-trained | pre-trained / scratch | model of 0-4 alone | PCA-16 on the 200 | "
          "PCA-16 of 0-4 | wall s |")
    print("|---|---|---|---|---|---|---|---|")
    for reuse_decoder in (False, True):
        tr, wall, _ = timed(lambda: run_transfer(Experiment(data=data), dataset, 200, 40, reuse_decoder))
        print(f"| {'encoder + decoder' if reuse_decoder else 'encoder'} | {tr.scratch_test_mse:.4f} | "
              f"{tr.transfer_test_mse:.4f} | {tr.transfer_test_mse / tr.scratch_test_mse:.2f} | "
              f"{tr.pretrain_test_mse:.4f} | {tr.pca_small_test_mse:.4f} | {tr.pca_pretrained_test_mse:.4f} | "
              f"{wall:.1f} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["mnist-5k", "digits-8x8"])
    parser.add_argument("--parts", nargs="+", default=["sweep", "linear", "manifolds", "transfer"],
                        choices=["sweep", "linear", "manifolds", "transfer"], help="which tables to print")
    args = parser.parse_args()
    ensure_tensorflow_configured()
    print(f"{os.cpu_count()} cores, load average at start {os.getloadavg()[0]:.1f}")
    if "sweep" in args.parts:
        for name in args.datasets:
            sweep_table(name)
    if "linear" in args.parts:
        linear()
    if "manifolds" in args.parts:
        manifolds()
    if "transfer" in args.parts:
        transfer()
    print(f"\nload average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
