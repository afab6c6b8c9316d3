"""Overhead per job of the Dask path against the in-process queue, side by side in one run.

Both paths do a job end to end as the app does it: in-process, a JobQueue worker trains and saves the
model into the disk cache (ui.training's job); through Dask, the queue's relay submits the task to a
LocalCluster worker process (one worker, one task thread, the same TensorFlow threads as in-process),
the worker trains and saves into the shared cache, and the app loads the model from there. The t-SNE
case is the latent page's map of the codes (``embed.code_map_job``: 2,000 codes of the default model
trained for 3 epochs, the app's settings): in-process, or with a ``cluster_key`` so the codes go to the
worker, its frames come back as events and the map as the task's result. Rounds alternate the two paths
with a fresh seed each time (no cache hits, no shared keys), so machine noise hits both alike. Time is
from submit to the Job being done with its result in hand.

    .venv/bin/python benchmarks/dask_overhead.py [--rounds 5] [--cases digits,mnist,tsne]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--cases", default="digits,mnist,tsne", help="comma-separated: digits, mnist, tsne")
    args = parser.parse_args()
    os.environ["AELAB_CACHE_DIR"] = tempfile.mkdtemp(prefix="aelab-dask-bench-")
    os.environ["AELAB_WORKERS"] = "1"  # in-process and on the worker: one job at a time, 2 TF threads

    import distributed

    from aecore import cache, embed, jobs
    from aecore.data import point_pool
    from aecore import distributed as remote
    from aecore.config import DataConfig, Experiment, ModelConfig, TrainConfig
    from aecore.data import load_dataset
    from aecore.train import train_autoencoder

    cases = {
        "digits-8x8, 64-32-8, 3 epochs": Experiment(
            DataConfig(name="digits-8x8"), ModelConfig(code_size=8, n_hidden_layers=1, first_layer_nodes=32),
            TrainConfig(epochs=3, batch_size=64, early_stopping=False)),
        "mnist-5k, default model, 3 epochs": Experiment().replace(
            train=Experiment().train.replace(epochs=3)),
    }
    wanted = args.cases.split(",")
    cases = {name: exp for name, exp in cases.items() if name.split(",")[0].split("-")[0] in wanted}
    cluster = distributed.LocalCluster(n_workers=1, processes=True, threads_per_worker=1, dashboard_address=None,
                                       silence_logs=40)
    os.environ["AELAB_DASK_SCHEDULER"] = cluster.scheduler_address
    queue = jobs.JobQueue(workers=1, release_memory=False)

    def local_fn(exp, data):
        def run(report, cancel):
            result = train_autoencoder(exp, data, progress=report, cancel=cancel)
            cache.default_cache().save(result)
            return result
        return run

    def timed(key, fn) -> float:
        start = time.perf_counter()
        job = queue.submit(key, fn)
        job.wait()
        assert job.status == jobs.DONE, (job.status, job.error)
        return time.perf_counter() - start

    print(f"# Dask overhead per job — {time.strftime('%Y-%m-%d %H:%M')} UTC, "
          f"load average {os.getloadavg()[0]:.1f} at start, {os.cpu_count()} cores, {args.rounds} rounds\n", flush=True)
    rows = []
    seed = 1000
    for name, base in cases.items():
        data = load_dataset(base.data)
        # Warm both sides (TensorFlow import, first trace) outside the timing.
        warm = base.replace(train=base.train.replace(epochs=1, seed=seed))
        seed += 1
        timed("warm-local", local_fn(warm, data))
        queue.forget("warm-local")
        warm = warm.replace(train=warm.train.replace(seed=seed))
        seed += 1
        timed(warm.key(), remote.train_fn(warm, data))
        local, dask = [], []
        for _ in range(args.rounds):
            for path in ("local", "dask"):
                exp = base.replace(train=base.train.replace(seed=seed))
                seed += 1
                fn = local_fn(exp, data) if path == "local" else remote.train_fn(exp, data)
                (local if path == "local" else dask).append(timed(exp.key(), fn))
        rows.append((name, statistics.median(local), statistics.median(dask)))
        print(f"{name}: in-process {[round(s, 2) for s in local]}, Dask {[round(s, 2) for s in dask]}", flush=True)
    if "tsne" in wanted:
        name = f"t-SNE of {embed.DEFAULT_POINTS:,} codes, default model (3 epochs), the app's settings"
        exp = Experiment().replace(train=Experiment().train.replace(epochs=3))
        data = load_dataset(exp.data)
        model = train_autoencoder(exp, data)
        x, labels, _, _ = point_pool(data, embed.DEFAULT_POINTS)

        def map_fn(tsne_seed, key=None):
            return embed.code_map_job(model, x, labels, embed.DEFAULT_PERPLEXITY, embed.DEFAULT_ITERATIONS, tsne_seed,
                                      cluster_key=key)

        timed("warm-map-local", map_fn(seed))  # openTSNE's import and first run on both sides
        queue.forget("warm-map-local")
        timed("warm-map-dask", map_fn(seed + 1, "warm-map-dask"))
        seed += 2
        local, dask = [], []
        for _ in range(args.rounds):
            for path in ("local", "dask"):
                key = f"bench-map-{path}-{seed}"
                fn = map_fn(seed, None if path == "local" else key)
                assert getattr(fn, "runs_elsewhere", False) == (path == "dask")
                (local if path == "local" else dask).append(timed(key, fn))
                queue.forget(key)
                seed += 1
        rows.append((name, statistics.median(local), statistics.median(dask)))
        print(f"{name}: in-process {[round(s, 2) for s in local]}, Dask {[round(s, 2) for s in dask]}", flush=True)
    print("\n| job | in-process (s, median) | Dask (s, median) | overhead per job (s) | ratio |")
    print("|---|---:|---:|---:|---:|")
    for name, local_s, dask_s in rows:
        print(f"| {name} | {local_s:.2f} | {dask_s:.2f} | {dask_s - local_s:+.2f} | {dask_s / local_s:.2f}× |")
    print(f"\nload average at end: {os.getloadavg()[0]:.1f}")
    remote.close_clients()
    cluster.close()


if __name__ == "__main__":
    main()
