"""Soak: many train-and-cancel cycles in one process; resident memory must stay bounded.

Each cycle submits a training job to the real job queue (aecore.jobs, the one the app uses) for the default
model on mnist-5k, waits until it is under way, presses Stop (cancels the job) and waits for it to end:
odd cycles stop inside the first epoch (no model to keep), even cycles after the first completed epoch
(a partial model is kept, then dropped). Resident memory (VmRSS) is read after every cycle.

    .venv/bin/python benchmarks/soak.py            # 100 cycles
    .venv/bin/python benchmarks/soak.py --cycles 20 --dataset digits-8x8 --release clear_session
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("AELAB_CACHE_DIR", os.path.join(tempfile.gettempdir(), "aelab-soak-cache"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=100)
    parser.add_argument("--dataset", default="mnist-5k")
    parser.add_argument("--release", choices=("gc", "clear_session"), default="gc",
                        help="what the idle queue does after a job: its own release (gc.collect() and unregistering "
                             "the traced train steps of dropped models, aecore.runtime through the queue's release hook), or that followed by "
                             "keras.backend.clear_session()")
    args = parser.parse_args()

    from aecore import jobs, runtime
    from aecore.config import DataConfig, Experiment, TrainConfig
    from aecore.data import load_dataset
    from aecore.train import train_autoencoder

    dataset = load_dataset(DataConfig(name=args.dataset))
    queue = jobs.default_queue()
    runtime.import_tensorflow()
    if args.release == "clear_session":
        import keras

        default_release = queue._release

        def release() -> None:
            default_release()
            keras.backend.clear_session(free_memory=True)  # includes gc.collect()

        queue._release = release
    start_rss = rss_mb()
    samples: list[tuple[int, float, str, int]] = []
    t0 = time.perf_counter()
    import signal

    def stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)  # `kill <pid>`: print the table for the cycles done so far
    try:
        run_cycles(args, dataset, queue, samples, t0)
    except KeyboardInterrupt:
        print(f"interrupted after {len(samples)} cycles", flush=True)
    if not samples:
        return
    args.cycles = samples[-1][0]
    report(args, dataset, samples, start_rss, t0)


def run_cycles(args, dataset, queue, samples, t0) -> None:
    from aecore import jobs, runtime
    from aecore.config import DataConfig, Experiment, TrainConfig
    from aecore.train import train_autoencoder

    for cycle in range(1, args.cycles + 1):
        experiment = Experiment(DataConfig(name=args.dataset), train=TrainConfig(epochs=25, seed=cycle))

        def fn(report, cancel, experiment=experiment):
            return train_autoencoder(experiment, dataset, progress=report, cancel=cancel)

        job = queue.submit(experiment.key(), fn, label="soak", session=f"soak-{cycle}")
        stop_after_epoch = cycle % 2 == 0
        deadline = time.time() + 300
        while job.active and time.time() < deadline:
            if stop_after_epoch and job.latest is not None:
                break
            if not stop_after_epoch and job.status == jobs.RUNNING and job.started and \
                    time.time() - job.started > 0.3:
                break  # inside the first epoch (model built, batches running)
            time.sleep(0.02)
        queue.cancel(job)
        if not job.wait(300):
            raise SystemExit(f"cycle {cycle}: the job did not stop")
        epochs = job.result.epochs_run if job.result is not None else 0
        del job, fn
        samples.append((cycle, rss_mb(), "", epochs))
        if cycle % 10 == 0:
            print(f"cycle {cycle:4d}  rss {samples[-1][1]:7.1f} MB  {time.perf_counter() - t0:6.1f} s", flush=True)


def report(args, dataset, samples, start_rss, t0) -> None:
    seconds = time.perf_counter() - t0
    gc.collect()
    end_rss = rss_mb()
    import collections

    live = collections.Counter(type(o).__name__ for o in gc.get_objects())

    by_cycle = {c: r for c, r, _, _ in samples}
    warm = min(10, len(samples))
    rss_warm = by_cycle[warm]
    peak = max(r for _, r, _, _ in samples)
    tail = [(c, r) for c, r, _, _ in samples if c >= warm]
    if len(tail) >= 2:
        import numpy as np

        slope = float(np.polyfit([c for c, _ in tail], [r for _, r in tail], 1)[0])
    else:
        slope = float("nan")
    kept = sum(1 for *_, e in samples if e > 0)
    print()
    print(f"Soak: {args.cycles} train-and-cancel cycles on {args.dataset} (default model, "
          f"{dataset.input_dim}-256-128-16), one process, {os.cpu_count()} cores, release after each job: "
          f"{args.release}, {time.strftime('%Y-%m-%d')}")
    print()
    print("| measure | value |")
    print("|---|---|")
    print(f"| resident memory after loading TensorFlow and the data | {start_rss:,.0f} MB |")
    print(f"| after cycle {warm} (warm) | {rss_warm:,.0f} MB |")
    for mark in sorted({50, 100, args.cycles}):
        if mark in by_cycle and mark != warm:
            print(f"| after cycle {mark} | {by_cycle[mark]:,.0f} MB |")
    print(f"| peak over all cycles | {peak:,.0f} MB |")
    print(f"| after a final gc.collect() | {end_rss:,.0f} MB |")
    print(f"| TensorFlow graphs alive at the end: FuncGraph / Operation | {live['FuncGraph']:,} / "
          f"{live['Operation']:,} |")
    print(f"| growth from cycle {warm} to {args.cycles} | {by_cycle[args.cycles] - rss_warm:+,.0f} MB "
          f"({(by_cycle[args.cycles] - rss_warm) / max(rss_warm, 1):+.1%}) |")
    print(f"| trend (least squares, cycles {warm}–{args.cycles}) | {slope * 1024:+,.0f} KB per cycle |")
    print(f"| cycles stopped after epoch 1 (partial model kept) / inside epoch 1 | {kept} / {args.cycles - kept} |")
    print(f"| time | {seconds:,.0f} s ({seconds / args.cycles:.2f} s per cycle) |")


if __name__ == "__main__":
    main()
