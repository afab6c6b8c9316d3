"""Every member of the autoencoder family, default settings, mnist-5k, side by side.

Trains each type once (the sidebar's defaults for that type), plus the plain models each comparison
needs, and prints test MSE, PSNR, seconds and the type's own figure:

- denoising (Gaussian σ = 0.5): PSNR of the noisy input and of the output (targets ≈ 9.4 dB in,
  dense ≥ 15.5 dB, convolutional ≥ 17 dB out)
- sparse: mean absolute activation and fraction of active code units, against the same model without penalty
- convolutional: seconds against the < 30 s target, and the app's time estimate
- contractive: code change under a fixed perturbation (σ = 0.05), against the same model without penalty
- variational: KL divergence (nats per image) and reconstruction loss at the kept epoch
- over-complete: reconstruction MSE on random images (with the digits' statistics, and uniform pixels)
  against an under-complete model

    .venv/bin/python benchmarks/family.py [--only conv,sparse]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from aecore import family, presets  # noqa: E402
from aecore.config import DataConfig, Experiment, ModelConfig, TrainConfig  # noqa: E402
from aecore.data import load_dataset  # noqa: E402
from aecore.metrics import psnr  # noqa: E402
from aecore.runtime import ensure_tensorflow_configured  # noqa: E402
from aecore.train import train_autoencoder  # noqa: E402

SIGMA = 0.5
# The sidebar's defaults for each type (ui/sidebar.py: sparsity 1e-4, contractive 1e-2, KL weight 1,
# over-complete: code 1024 for 784 inputs and no hidden layers; the denoising type starts at noise level 0.5).
EXPERIMENTS = {
    "dense": Experiment(),
    "denoising": Experiment(model=ModelConfig(kind="denoising"), train=TrainConfig(noise_level=SIGMA)),
    "sparse": Experiment(model=ModelConfig(kind="sparse", sparsity_weight=1e-4)),
    "conv": Experiment(model=ModelConfig(kind="conv")),
    "conv denoising": Experiment(model=ModelConfig(kind="conv"), train=TrainConfig(noise_level=SIGMA)),
    "conv denoising code 32 (preset 9)": presets.get("convdenoise").experiment(),
    "contractive": Experiment(model=ModelConfig(kind="contractive", contractive_weight=1e-2)),
    "variational": Experiment(model=ModelConfig(kind="variational")),
    "overcomplete": Experiment(model=ModelConfig(kind="overcomplete", code_size=1024, n_hidden_layers=0)),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="comma-separated names of the rows to run")
    args = parser.parse_args()
    names = [n for n in EXPERIMENTS if not args.only or n in args.only.split(",")]

    ensure_tensorflow_configured()
    dataset = load_dataset(DataConfig())
    x_test = dataset.x_test
    results, companions = {}, {}

    def run(experiment: Experiment):
        key = experiment.key()
        if key not in results:
            results[key] = train_autoencoder(experiment, dataset)
        return results[key]

    rows = []
    for name in names:
        experiment = EXPERIMENTS[name]
        start = time.perf_counter()
        result = run(experiment)
        comp = family.companion(experiment, dataset.input_dim)
        other = run(comp.experiment) if comp is not None and name != "conv" else None
        if comp is not None and name == "conv":
            other = run(comp.experiment)
        companions[name] = other
        figure = ""
        if name.startswith(("denoising", "conv denoising")):
            target = 17.0 if name.startswith("conv") else 15.5
            figure = (f"noisy input {psnr(x_test, result.test_input):.2f} dB → output {result.test_psnr:.2f} dB "
                      f"(target ≥ {target} dB; same model trained on clean images: "
                      f"{psnr(x_test, other.reconstruct(result.test_input)):.2f} dB on the same noisy input)")
        elif name == "sparse":
            mine, theirs = family.sparsity_stats(result.encode(x_test)), family.sparsity_stats(other.encode(x_test))
            loss_gap = result.history["loss"][result.best_epoch - 1] - other.history["loss"][other.best_epoch - 1]
            figure = (f"mean absolute activation {mine.mean_activation:.3f} vs {theirs.mean_activation:.3f} without penalty "
                      f"({mine.mean_activation / theirs.mean_activation:.2f}×); active units "
                      f"{100 * mine.fraction_active:.0f}% vs {100 * theirs.fraction_active:.0f}%; final loss "
                      f"{loss_gap:+.4f}")
        elif name == "conv":
            estimate = family.estimate_train_seconds(experiment.model, dataset.sample_shape, dataset.n_train,
                                                     experiment.train.epochs)
            figure = (f"{result.seconds:.1f} s for {result.epochs_run} epochs (target < 30 s; estimate shown "
                      f"before training: ≤ {estimate:.0f} s); dense default: {other.test_psnr:.2f} dB in "
                      f"{other.seconds:.1f} s")
        elif name == "contractive":
            mine = family.code_sensitivity(result.encode, x_test[:500])
            theirs = family.code_sensitivity(other.encode, x_test[:500])
            figure = (f"code change at σ = {family.SENSITIVITY_STD}: {mine.mean_change:.3f} vs {theirs.mean_change:.3f} "
                      f"without penalty ({mine.mean_change / theirs.mean_change:.2f}×); relative to the spread of "
                      f"codes {100 * mine.relative_change:.1f}% vs {100 * theirs.relative_change:.1f}% "
                      f"({mine.relative_change / theirs.relative_change:.2f}×)")
        elif name == "variational":
            h, e = result.history, result.best_epoch - 1
            figure = (f"KL {h['val_kl_loss'][e]:.2f} nats/image, reconstruction BCE {h['val_reconstruction_loss'][e]:.4f}"
                      f" per pixel (validation, kept epoch)")
        elif name == "overcomplete":
            structured = family.data_noise_images(dataset.x_train, 200)
            uniform = family.noise_images(dataset.sample_shape, 200)
            mine, theirs = (family.identity_test(r.reconstruct, structured, x_test) for r in (result, other))
            mine_u, theirs_u = (family.identity_test(r.reconstruct, uniform, x_test) for r in (result, other))
            figure = (f"MSE on random images with the digits' statistics {mine.noise_mse:.4f} vs "
                      f"{theirs.noise_mse:.4f} for {comp.label} ({theirs.noise_mse / mine.noise_mse:.1f}× lower); "
                      f"on uniform random pixels {mine_u.noise_mse:.3f} vs {theirs_u.noise_mse:.3f}")
        rows.append((name, result, figure, time.perf_counter() - start))
        print(f"  done: {name} ({time.perf_counter() - start:.0f} s with its comparison)", file=sys.stderr, flush=True)

    defaults = TrainConfig()
    print(f"mnist-5k ({dataset.n_train} train / {len(dataset.x_val)} val / {len(x_test)} test), default settings "
          f"(784-256-128-16 dense or 2 conv blocks of 16/32 filters, BCE, Adam {defaults.learning_rate:g}, batch "
          f"{defaults.batch_size}, ≤ {defaults.epochs} epochs, early stopping), {os.cpu_count()} cores")
    print("| type | test MSE | PSNR (dB) | seconds | epochs | its own figure |")
    print("|---|---|---|---|---|---|")
    for name, result, figure, _ in rows:
        print(f"| {name} | {result.test_mse:.4f} | {result.test_psnr:.2f} | {result.seconds:.1f} | "
              f"{result.epochs_run} | {figure} |")


if __name__ == "__main__":
    main()
