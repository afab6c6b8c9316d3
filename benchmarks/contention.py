"""Jobs under contention: how thread settings hold up when the 2 cores are shared.

For each thread setting (TensorFlow intra-op / inter-op threads, openTSNE's n_jobs, with OpenBLAS and
OpenMP as the job queue sets them) a fresh child process (TensorFlow fixes its thread pools when it
starts) times, interleaved so machine noise hits all alike:

- plain fit: the article's `model.fit` (784-128-32-128-784, BCE, Adam, batch 128) on mnist-5k;
- trainer: `aecore.train.train_autoencoder` on the same model (validation, guard, previews);
- t-SNE: `aecore.embed.tsne` of 2,000 mnist-5k images' PCA-16 codes (500 iterations);
- two at once: two trainer runs on two threads at the same moment (two queue workers), against the
  same two one after the other (one worker).

Each setting runs with no extra load and with ``--load`` busy processes started here (pure Python
loops: the other sessions' page reruns, other servers, a test suite). Reports seconds, the trainer's
ratio to plain fit (samples/s, >= 1.0: no overhead), and the slowdown under load against idle.

    flock /tmp/aelab-bench.lock .venv/bin/python benchmarks/contention.py [--loads 0 3] [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# (label, intra-op, inter-op, t-SNE n_jobs); None: what the job queue chooses (aecore.jobs)
SETTINGS = {
    "before": (2, 2, 2),  # the queue's sizing until 2026-12-02: intra = cores / workers, inter = min(2, intra)
    "intra 2, inter 1": (2, 1, 2),  # one job, no inter-op threads beside its intra-op ones
    "intra 1, inter 1": (1, 1, 1),
    "intra 1, inter 2": (1, 2, 1),  # each op on one thread; two ops (of one job or of two) at once
    "queue": (None, None, None),  # what aecore.runtime chooses now
}


def child(intra: int | None, inter: int | None, tsne_jobs: int | None, rounds: int, epochs: int) -> dict:
    import numpy as np

    from aecore import runtime

    if intra is not None:  # fixed before the queue's own configuration, which then keeps it
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(intra)
        tf.config.threading.set_inter_op_parallelism_threads(inter)
        tf.constant(0)  # starts TensorFlow's context: its thread pools are fixed from here on
    runtime.import_tensorflow()

    from aecore import embed
    from aecore.config import DataConfig
    from aecore.data import load_dataset

    import tensorflow as tf

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import train_speed  # the same plain fit and trainer runs as benchmarks/train_speed.py

    threads = (tf.config.threading.get_intra_op_parallelism_threads(),
               tf.config.threading.get_inter_op_parallelism_threads())
    dataset = load_dataset(DataConfig())
    x = dataset.x_train.reshape(len(dataset.x_train), -1)

    def plain(seed: int) -> float:
        return train_speed.plain_fit(dataset.x_train, epochs, 128, seed)

    def ours(seed: int) -> float:
        return train_speed.ours(dataset, epochs, 128, seed)

    from sklearn.decomposition import PCA

    codes = PCA(16, random_state=0).fit_transform(x[:2000]).astype(np.float32)

    def tsne() -> float:
        start = time.perf_counter()
        embed.tsne(codes, n_jobs=tsne_jobs or runtime.job_threads())
        return time.perf_counter() - start

    def two_at_once(seed: int) -> float:
        import threading

        start = time.perf_counter()
        workers = [threading.Thread(target=ours, args=(seed + k,)) for k in range(2)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        return time.perf_counter() - start

    plain(99), ours(99)  # warm: the first model in a process traces Keras' functions
    times = {"plain": [], "trainer": [], "tsne": [], "one by one": [], "two at once": []}
    for r in range(rounds):
        times["plain"].append(plain(r))
        times["trainer"].append(ours(r))
        times["tsne"].append(tsne())
        if intra is not None or runtime.default_workers() > 1:
            times["one by one"].append(ours(r) + ours(r + 10))
            times["two at once"].append(two_at_once(r))
    return {"threads": threads, "workers": runtime.default_workers(), "tsne_jobs": tsne_jobs or runtime.job_threads(),
            "times": {k: statistics.median(v) for k, v in times.items() if v}, "load": os.getloadavg()[0]}


def spin() -> None:
    while True:
        pass


def measure(setting: str, rounds: int, epochs: int) -> dict:
    intra, inter, tsne_jobs = SETTINGS[setting]
    out = subprocess.run([sys.executable, os.path.abspath(__file__), "--child", json.dumps([intra, inter, tsne_jobs]),
                          "--rounds", str(rounds), "--epochs", str(epochs)],
                         capture_output=True, text=True, cwd=ROOT)
    if out.returncode:
        raise RuntimeError(out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, nargs="+", default=[0, 3],
                        help="busy processes started here for each pass (0: only what already runs)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--settings", nargs="+", default=list(SETTINGS), choices=list(SETTINGS))
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        intra, inter, tsne_jobs = json.loads(args.child)
        print(json.dumps(child(intra, inter, tsne_jobs, args.rounds, args.epochs)))
        return

    import multiprocessing

    print(f"{os.cpu_count()} cores; {args.rounds} rounds of {args.epochs} epochs; load average at start "
          f"{os.getloadavg()[0]:.1f}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}", flush=True)
    rows = []
    for load in args.loads:
        spinners = [multiprocessing.Process(target=spin, daemon=True) for _ in range(load)]
        for s in spinners:
            s.start()
        try:
            for setting in args.settings:
                row = measure(setting, args.rounds, args.epochs)
                row.update(setting=setting, extra=load)
                rows.append(row)
                print(f"  {setting}, +{load} busy: {row}", flush=True)
        finally:
            for s in spinners:
                s.terminate()
                s.join()
    idle = {r["setting"]: r["times"] for r in rows if r["extra"] == 0}
    print()
    print("| setting | TF intra/inter threads | workers (queue) | t-SNE n_jobs | busy processes added | load average "
          "| plain fit (s) | trainer (s) | trainer / plain (samples/s) | t-SNE 2k (s) | t-SNE vs no busy processes added "
          "| 2 trainings one by one (s) | 2 at once (s) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        t = r["times"]
        slow = f"{t['tsne'] / idle[r['setting']]['tsne']:.1f}×" if r["setting"] in idle else "—"  # vs +0
        pair = (f"{t['one by one']:.1f} | {t['two at once']:.1f}" if "two at once" in t else "— | —")
        workers = r["workers"] if r["setting"] == "queue" else "1 or 2"
        print(f"| {r['setting']} | {r['threads'][0]}/{r['threads'][1]} | {workers} | {r['tsne_jobs']} | "
              f"{r['extra']} | {r['load']:.1f} | {t['plain']:.2f} | {t['trainer']:.2f} | "
              f"{t['plain'] / t['trainer']:.2f}× | {t['tsne']:.2f} | {slow} | {pair} |")


if __name__ == "__main__":
    main()
