"""Applications and limits, measured: restoration PSNR gains, feature accuracy, anomaly AUC, rate–distortion.

    .venv/bin/python benchmarks/applications.py            # mnist-5k, the pages' default settings
    .venv/bin/python benchmarks/applications.py --data digits-8x8 --epochs 5   # quick look

Every row compares side by side within one run (ratios and dB differences), so a busy machine changes
the seconds, not the conclusions.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from aecore import compression, features, metrics, ood, restoration  # noqa: E402
from aecore.config import DataConfig, Experiment, TrainConfig  # noqa: E402
from aecore.data import load_dataset  # noqa: E402
from aecore.train import train_autoencoder  # noqa: E402


def table(header: list[str], rows: list[list]) -> None:
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for row in rows:
        print("| " + " | ".join(str(c) for c in row) + " |")
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="mnist-5k")
    parser.add_argument("--epochs", type=int, default=None, help="override every model's epochs")
    parser.add_argument("--skip-sweep", action="store_true", help="no code-size sweep for the rate–distortion curve")
    args = parser.parse_args()
    dataset = load_dataset(DataConfig(name=args.data))
    over = {"epochs": args.epochs} if args.epochs else {}
    over["code_size"] = restoration.default_code_size(dataset.input_dim)
    print(f"# Applications benchmark: {args.data} ({dataset.summary()}), {os.cpu_count()} cores\n")

    # --- restoration -------------------------------------------------------------------------------
    print("## Restoration (test split PSNR in dB against the clean images; page defaults)\n")
    cases = [
        ("watermark: text, opacity 0.8, top-left", restoration.AppConfig(task="watermark", data=args.data, **over)),
        ("watermark: crossing lines, opacity 0.5", restoration.AppConfig(task="watermark", data=args.data,
                                                                         watermark_kind="lines", opacity=0.5, **over)),
        ("watermark: logo, opacity 0.8, top-left", restoration.AppConfig(task="watermark", data=args.data,
                                                                         watermark_kind="logo", **over)),
        ("super-resolution ÷2 (14×14)", restoration.AppConfig(task="superres", data=args.data, factor=2, **over)),
        ("super-resolution ÷4 (7×7)", restoration.AppConfig(task="superres", data=args.data, factor=4, **over)),
        ("colorization, colours by class", restoration.AppConfig(task="colour", data=args.data, colour_rule="class",
                                                                 **over)),
        ("colorization, random colours", restoration.AppConfig(task="colour", data=args.data, colour_rule="random",
                                                               **over)),
    ]
    rows = []
    for name, cfg in cases:
        res = restoration.run_application(cfg, dataset=dataset)
        base = f"{res.psnr_baseline:.2f}" if res.psnr_baseline is not None else "—"
        vs_base = f"{res.psnr_model - res.psnr_baseline:+.2f}" if res.psnr_baseline is not None else "—"
        unseen = (f"{res.psnr_unseen_input:.2f} → {res.psnr_unseen_model:.2f} ({cfg.unseen_position})"
                  if res.unseen_inputs is not None and cfg.watermark_kind != "lines" else "—")
        rows.append([name, f"{res.psnr_input:.2f}", f"{res.psnr_model:.2f}", f"{res.psnr_model - res.psnr_input:+.2f}",
                     base, vs_base, unseen, res.train.epochs_run, f"{res.train.seconds:.1f}"])
        print(f"  done: {name} ({res.seconds:.0f} s)", file=sys.stderr, flush=True)
    table(["task", "input", "model", "gain", "bicubic", "model − bicubic", "unseen position: input → model",
           "epochs", "train s"], rows)

    # --- the session's default model: features and compression -------------------------------------
    default = Experiment(DataConfig(name=args.data), train=TrainConfig(**({"epochs": args.epochs} if args.epochs else {})))
    model = train_autoencoder(default, dataset)
    print(f"Default model (784-256-128-16): test MSE {model.test_mse:.4f}, {model.seconds:.1f} s\n")

    print("## Feature extraction (logistic regression test accuracy)\n")
    start = time.perf_counter()
    acc = features.feature_extraction(model, dataset, label_counts=(100, 1000, None))
    counts = list(dict.fromkeys(r["labels"] for r in acc))
    feats = list(dict.fromkeys(r["features"] for r in acc))
    table(["features"] + [f"{c:,} labels" for c in counts],
          [[f] + [f"{next(r['accuracy'] for r in acc if r['features'] == f and r['labels'] == c):.1%}" for c in counts]
           for f in feats])
    print(f"({time.perf_counter() - start:.1f} s for {len(acc)} classifiers)\n")

    print("## Anomaly detection (AUC; normal = test digits of the 9 trained classes)\n")
    anomaly = restoration.AppConfig(task="anomaly", data=args.data, held_out_digit=7, n_hidden_layers=2,
                                    first_layer_nodes=256,
                                    **{**over, "code_size": restoration.default_code_size(dataset.input_dim, True)})
    res = restoration.run_application(anomaly, dataset=dataset)
    rows = []
    for name, scores in res.anomaly_scores.items():
        labels = np.r_[np.zeros(len(res.normal_scores)), np.ones(len(scores))]
        fpr, tpr, _ = metrics.roc_curve(labels, np.r_[res.normal_scores, scores])
        p95 = np.quantile(res.normal_scores, 0.95)
        rows.append([ood.OOD_LABELS.get(name, "digit 7 (held out)"), len(scores), f"{metrics.auc(fpr, tpr):.3f}",
                     f"{np.mean(scores > p95):.0%}", f"{np.median(scores) / np.median(res.normal_scores):.1f}×"])
    table(["anomalies", "images", "AUC", "detected at 5% false alarms", "median error ratio"], rows)
    for name, why in res.missing.items():
        print(f"({name} left out: {why})\n")

    # --- rate–distortion ---------------------------------------------------------------------------
    sweep = {}
    if not args.skip_sweep:
        start = time.perf_counter()
        sweep = compression.train_code_size_sweep(args.data, (4, 8, 16, 32, 64),
                                                  **({"epochs": args.epochs} if args.epochs else {}))
        print(f"(code-size sweep: {len(sweep)} models in {time.perf_counter() - start:.0f} s)\n")
    models = [("autoencoder", m) for _, m in sorted(sweep.items())] or [("autoencoder", model)]
    shape = dataset.sample_shape
    for label, images in (("test digits", dataset.x_test[:400]), ("photo patches", ood.photo_patches(400, shape, 1))):
        print(f"## Rate–distortion on {label} (400 images; bytes per image, test MSE)\n")
        points = compression.rate_distortion(images, dataset.x_train, models)
        table(["method", "setting", "bytes/image", "MSE", "PSNR dB"],
              [[p.method, p.setting, f"{p.bytes_per_image:.1f}", f"{p.mse:.5f}", f"{p.psnr:.1f}"] for p in points])
        targets = (0.03, 0.02, 0.01, 0.005)
        methods = list(dict.fromkeys(p.method for p in points if not p.lossless))
        rows = []
        for t in targets:
            best = compression.smallest_size(points, t)
            rows.append([f"≤ {t}"] + [f"{best[m].bytes_per_image:.0f}" if m in best else "—" for m in methods])
        print(f"Fewest bytes per image reaching each MSE on {label}:\n")
        table(["MSE"] + methods, rows)
    print(f"Decoder weights of the default model: {compression.decoder_bytes(model) / 1024:.0f} KB (float32), "
          "shared by all images.")


if __name__ == "__main__":
    main()
