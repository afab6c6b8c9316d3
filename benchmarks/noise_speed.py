"""Training noise as a model layer (before issue 12) against noise in the tf.data pipeline, side by side.

Trains the same denoising experiments with the code of a given commit (default: the last commit that had
the ``Corruption`` layer) and with this checkout (or ``--after``, a commit: to compare the noise change
alone, pass the commit that made it), alternately, each in a fresh process, and prints the training
seconds, CPU seconds and test PSNR of each run.

    flock /tmp/aelab-bench.lock .venv/bin/python benchmarks/noise_speed.py [--rounds 3] [--before <commit>]
        [--after <commit>] [--only "dense denoising σ 0.5"]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BEFORE = "e19acc3"  # the Corruption layer's last commit

RUN = r"""
import json, os, sys, time
sys.path.insert(0, sys.argv[1])
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
from aecore import presets
from aecore.config import DataConfig, Experiment, ModelConfig, TrainConfig
from aecore.data import load_dataset
from aecore.metrics import psnr
from aecore.runtime import ensure_tensorflow_configured
from aecore.train import train_autoencoder
ensure_tensorflow_configured()
experiments = {
    "dense denoising σ 0.5": Experiment(model=ModelConfig(kind="denoising"), train=TrainConfig(noise_level=0.5)),
    "conv denoising (preset 9)": presets.get("convdenoise").experiment(),
}
name = sys.argv[2]
dataset = load_dataset(DataConfig())
before = os.times()
r = train_autoencoder(experiments[name], dataset)
after = os.times()
cpu = (after.user + after.system) - (before.user + before.system)
print(json.dumps({"seconds": r.seconds, "cpu": cpu, "epochs": r.epochs_run, "psnr": r.test_psnr,
                  "input_psnr": psnr(dataset.x_test, r.test_input)}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--before", default=BEFORE)
    parser.add_argument("--after", default="", help="a commit (default: this checkout)")
    parser.add_argument("--only", default="", help="comma-separated experiment names")
    args = parser.parse_args()
    names = [n for n in ("dense denoising σ 0.5", "conv denoising (preset 9)")
             if not args.only or n in args.only.split(",")]
    with tempfile.TemporaryDirectory() as before_tree, tempfile.TemporaryDirectory() as after_tree:
        for commit, tree in ((args.before, before_tree), (args.after, after_tree)):
            if commit:
                archive = subprocess.run(["git", "-C", HERE, "archive", commit, "aecore"], check=True,
                                         capture_output=True).stdout
                subprocess.run(["tar", "-x", "-C", tree], input=archive, check=True)
        after_tree = after_tree if args.after else HERE
        rows = []
        for name in names:
            for round_ in range(args.rounds):
                for label, tree in (("noise layer (before)", before_tree), ("tf.data noise (now)", after_tree)):
                    out = subprocess.run([sys.executable, "-c", RUN, tree, name], check=True, capture_output=True,
                                         text=True).stdout.strip().splitlines()[-1]
                    figures = json.loads(out)
                    rows.append((name, label, round_ + 1, figures))
                    print(f"  {name} | {label} | round {round_ + 1}: {figures}", file=sys.stderr, flush=True)
    print(f"load average at the end: {os.getloadavg()}")
    print("| experiment | noise | round | seconds | CPU seconds (whole call) | epochs | s/epoch | input PSNR | "
          "output PSNR |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, label, round_, f in rows:
        print(f"| {name} | {label} | {round_} | {f['seconds']:.2f} | {f['cpu']:.1f} | {f['epochs']} | "
              f"{f['seconds'] / f['epochs']:.3f} | {f['input_psnr']:.2f} | {f['psnr']:.2f} |")
    for name in names:
        for label in ("noise layer (before)", "tf.data noise (now)"):
            mine = sorted(f["seconds"] for n, lab, _, f in rows if n == name and lab == label)
            print(f"median {name} | {label}: {mine[len(mine) // 2]:.2f} s")


if __name__ == "__main__":
    main()
