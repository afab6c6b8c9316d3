"""The pre-trained-layers experiment (transfer.run_transfer) from two source trees, alternating, in fresh
processes: the seconds each takes and its test MSEs (seeded, so equal MSEs mean the same training).

    flock /tmp/aelab-bench.lock .venv/bin/python benchmarks/transfer_speed.py OLD_TREE NEW_TREE [--rounds 2]

OLD_TREE is e.g. ``git archive <commit> | tar -x -C /tmp/old``; both run on this venv and data cache.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

RUN = """
import json, os, sys, time
sys.path.insert(0, sys.argv[1])
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
from aecore import transfer
from aecore.config import DataConfig, Experiment
from aecore.data import load_dataset
from aecore.runtime import ensure_tensorflow_configured
ensure_tensorflow_configured()
data = DataConfig(name=sys.argv[2])
dataset = load_dataset(data)
start, cpu = time.perf_counter(), time.process_time()
tr = transfer.run_transfer(Experiment(data=data), dataset, 200, 40, False)
print(json.dumps({"wall": time.perf_counter() - start, "cpu": time.process_time() - cpu,
                  "scratch": tr.scratch_test_mse, "transfer": tr.transfer_test_mse,
                  "pretrain": tr.pretrain_test_mse, "val_loss": tr.transfer_history["val_loss"][-1]}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old")
    parser.add_argument("new")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--dataset", default="mnist-5k")
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores, load average at start {os.getloadavg()[0]:.1f}")
    print("| tree | wall s | CPU s | scratch MSE | pre-trained MSE | 0-4 model MSE | last val loss |")
    print("|---|---|---|---|---|---|---|")
    walls: dict[str, list[float]] = {"old": [], "new": []}
    for _ in range(args.rounds):
        for name in ("old", "new"):
            tree = getattr(args, name)
            done = subprocess.run([sys.executable, "-c", RUN, tree, args.dataset], capture_output=True, text=True,
                                  cwd=tree, env={**os.environ, "PYTHONPATH": tree}, check=True)
            r = json.loads(done.stdout.strip().splitlines()[-1])
            walls[name].append(r["wall"])
            print(f"| {name} | {r['wall']:.1f} | {r['cpu']:.1f} | {r['scratch']:.6f} | {r['transfer']:.6f} | "
                  f"{r['pretrain']:.6f} | {r['val_loss']:.6f} |", flush=True)
    old, new = sum(walls["old"]) / len(walls["old"]), sum(walls["new"]) / len(walls["new"])
    print(f"\nmean wall: old {old:.1f} s, new {new:.1f} s, new / old = {new / old:.2f}")
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
