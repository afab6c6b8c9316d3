"""The first default training on a fresh Dask worker, with and without the preload ``aecore.dask_worker``.

Each case starts its own LocalCluster (one worker process, one task thread, as ``dask worker --nthreads 1``
with the README's ``AELAB_WORKERS=2``) and a fresh shared cache, then times the first default model
(``Experiment()`` on mnist-5k) from submit to the result in the app's hands (``aecore.distributed
.run_training``), and a second default model (another seed) on the same worker as the warm reference.

- ``no preload``: the first training imports TensorFlow and traces and compiles its step itself.
- ``preload, warmed``: the training is sent once the worker's warm-up has compiled the step (a worker
  started before the lesson); the warm-up's own time since the cluster was up is shown too.
- ``preload, at once``: the training is sent as soon as the worker is up, so it waits for the warm-up.

Rounds alternate the cases, so machine noise hits them alike; an untimed case first takes this process's
own first-time costs (its first model loaded from the cache) out of the figures.

    .venv/bin/python benchmarks/dask_worker_warm.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

CASES = ("no preload", "preload, warmed", "preload, at once")


def compiled_on_worker() -> int:
    """On the worker: training steps compiled there so far."""
    from aecore.compiled_trainers import TRAINERS

    return sum(TRAINERS.compiled.values())


def warm_up_ended() -> bool:
    from aecore.dask_worker import WARMED

    return WARMED.is_set()


def run_case(case: str, dataset) -> dict:
    import distributed

    from aecore import distributed as remote
    from aecore.config import Experiment

    cluster = distributed.LocalCluster(n_workers=1, processes=True, threads_per_worker=1, dashboard_address=None,
                                       silence_logs=40, preload=[] if case == "no preload" else ["aecore.dask_worker"])
    up = time.perf_counter()
    figures: dict = {}
    try:
        with distributed.Client(cluster, set_as_default=False) as client:
            if case == "preload, warmed":
                while not all(client.run(warm_up_ended).values()):
                    time.sleep(0.2)
                figures["warm-up"] = time.perf_counter() - up
            cache_directory = tempfile.mkdtemp(prefix="aelab-warm-bench-")
            for name, seed in (("first", 0), ("second", 1)):
                exp = Experiment().replace(train=Experiment().train.replace(seed=seed))
                start = time.perf_counter()
                remote.run_training(exp, dataset, lambda report: None, threading.Event(), client=client,
                                    cache_directory=cache_directory)
                figures[name] = time.perf_counter() - start
                # Steps compiled on the worker so far, the warm-up's included: 1 = none twice.
                figures[f"compiled by the {name}"] = sum(client.run(compiled_on_worker).values())
    finally:
        cluster.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    os.environ["AELAB_CACHE_DIR"] = tempfile.mkdtemp(prefix="aelab-warm-bench-")
    os.environ["AELAB_WORKERS"] = "2"  # the README's worker command line (the spawned worker inherits it)

    from aecore.config import DataConfig
    from aecore.data import load_dataset

    dataset = load_dataset(DataConfig())
    uptime = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    print(f"# First default training on a fresh Dask worker — {time.strftime('%Y-%m-%d %H:%M')} UTC, "
          f"{os.cpu_count()} cores, {args.rounds} rounds\n# start: {uptime}\n", flush=True)
    run_case("no preload", dataset)  # untimed: this process's own first-time costs (its first model loaded)
    runs: dict[str, list[dict]] = {case: [] for case in CASES}
    for round_ in range(args.rounds):
        order = CASES if round_ % 2 == 0 else tuple(reversed(CASES))
        for case in order:
            figures = run_case(case, dataset)
            runs[case].append(figures)
            print(f"round {round_ + 1}, {case}: " + ", ".join(
                f"{k} {v:.2f} s" if isinstance(v, float) else f"{k} {v}" for k, v in figures.items()), flush=True)

    def median(case: str, name: str) -> str:
        values = [f[name] for f in runs[case] if name in f]
        return f"{statistics.median(values):.2f}" if values else "—"

    print("\n| worker | warm-up since the worker was up (s) | first default training (s) "
          "| steps compiled on the worker by then | second default training (s) |")
    print("|---|---:|---:|---:|---:|")
    for case in CASES:
        compiled = sorted({f["compiled by the first"] for f in runs[case]})
        print(f"| {case} | {median(case, 'warm-up')} | {median(case, 'first')} | {'/'.join(map(str, compiled))} "
              f"| {median(case, 'second')} |")
    uptime = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    print(f"\n# end: {uptime}  (medians of {args.rounds} rounds; submit to the result in the app's hands)")


if __name__ == "__main__":
    main()
