"""Workers and threads for a class: N distinct default-sized trainings through the app's job queue.

For each setting a fresh child process (TensorFlow fixes its thread pools at first use) imports TensorFlow,
loads mnist-5k (as a running server has), then through ``jobs.app_queue`` (the sidebar's path:
``aecore.trained.train_job``, the disk cache in a temporary folder) times

- lone, first: one default training, the first model of the process (a student alone on a fresh server);
- class: N distinct default-sized configurations (types, code sizes, layers and noise drawn as
  ``classroom.py --free`` draws them), submitted at once by N sessions;
- lone, warm: one more default-sized training alone afterwards (time to quality for one student).

Settings: workers × TensorFlow intra-op threads (inter-op: one per worker, as aecore.runtime sets them).
"queue" is what aecore.runtime chooses by itself.

    flock /tmp/aelab-bench.lock .venv/bin/python benchmarks/workers.py [--jobs 8] [--settings ...]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# label: (workers, intra-op threads); None: aecore.runtime's own choice
SETTINGS = {
    "1 worker x 2 threads": (1, 2),
    "2 workers x 1 thread": (2, 1),
    "2 workers sharing 2 threads": (2, 2),
    "queue": (None, None),
}


def class_experiments(n: int, seed: int = 0):
    """The free-exploration benchmark's first ``n`` distinct settings, as the sidebar turns them into experiments
    (its type controls fill in the sparsity and contractive weights a type needs)."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import classroom  # only its settings (its import starts nothing but a temporary cache folder)
    from ui.settings import CONTRACTIVE, SPARSITY, experiment_from

    extra = {SPARSITY.key: SPARSITY.fallback, CONTRACTIVE.key: CONTRACTIVE.fallback}
    return [experiment_from({**extra, **s}) for s in classroom.free_settings(n, seed)]


def child(workers: int | None, intra: int | None, n: int, seed: int) -> dict:
    os.environ["AELAB_CACHE_DIR"] = tempfile.mkdtemp(prefix="aelab-workers-")
    if workers is not None:
        os.environ["AELAB_WORKERS"] = str(workers)
    from aecore import jobs, runtime

    if intra is not None:  # fixed before the queue's own configuration, which then keeps it
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(intra)
        tf.config.threading.set_inter_op_parallelism_threads(runtime.tensorflow_inter_threads())
        tf.constant(0)  # starts TensorFlow's context: its thread pools are fixed from here on
    runtime.import_tensorflow()
    import tensorflow as tf

    from aecore import trained
    from aecore.config import DataConfig, Experiment, TrainConfig
    from aecore.data import load_dataset

    dataset = load_dataset(DataConfig())
    queue = jobs.app_queue(speed=jobs.MachineSpeed(None))

    def submit(experiment, session):
        return queue.submit(experiment.key(), trained.train_job(experiment, dataset), label=session, session=session)

    def lone(experiment, session):
        start = time.perf_counter()
        job = submit(experiment, session)
        job.wait()
        assert job.status == jobs.DONE, job.error
        return {"seconds": time.perf_counter() - start, "test_mse": job.result.test_mse}

    # The default model (seeds 1 and 2: the same work under keys no class job shares).
    first = lone(Experiment(train=TrainConfig(seed=1)), "lone-first")
    experiments = class_experiments(n, seed)
    load_during = os.getloadavg()[0]
    start, t0 = time.perf_counter(), time.time()
    cpu0 = time.process_time()
    class_jobs = [submit(e, f"student-{i}") for i, e in enumerate(experiments)]
    for job in class_jobs:
        job.wait()
    total = time.perf_counter() - start
    cpu = time.process_time() - cpu0
    assert all(j.status == jobs.DONE for j in class_jobs), [j.error for j in class_jobs]
    warm = lone(Experiment(train=TrainConfig(seed=2)), "lone-warm")
    return {
        "workers": queue.workers,
        "threads": [tf.config.threading.get_intra_op_parallelism_threads(),
                    tf.config.threading.get_inter_op_parallelism_threads()],
        "lone_first": first, "lone_warm": warm, "total": total, "cpu_cores": cpu / total,
        "load_during": load_during,
        "jobs": [{"label": f"{e.model.kind} {e.model.code_size}/{e.model.n_hidden_layers}/{e.train.noise_level:g}",
                  "seconds": j.finished - j.started, "ends": j.finished - t0,
                  "test_mse": j.result.test_mse} for e, j in zip(experiments, class_jobs)],
        "load": os.getloadavg()[0],
    }


def measure(setting: str, n: int, seed: int) -> dict:
    workers, intra = SETTINGS[setting]
    out = subprocess.run([sys.executable, os.path.abspath(__file__), "--child", json.dumps([workers, intra]),
                          "--jobs", str(n), "--seed", str(seed)], capture_output=True, text=True, cwd=ROOT)
    if out.returncode:
        raise RuntimeError(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=8, help="distinct trainings submitted at once")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rounds", type=int, default=1, help="passes over the settings, interleaved")
    parser.add_argument("--settings", nargs="+", default=list(SETTINGS)[:3], choices=list(SETTINGS))
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        workers, intra = json.loads(args.child)
        print(json.dumps(child(workers, intra, args.jobs, args.seed)))
        return

    print(f"{os.cpu_count()} cores; {args.jobs} distinct default-sized trainings at once; load average at start "
          f"{os.getloadavg()[0]:.2f}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}", flush=True)
    rows = []
    for r in range(args.rounds):  # interleaved: a burst of load from elsewhere hits every setting alike
        for setting in args.settings:
            row = measure(setting, args.jobs, args.seed)
            row["setting"] = setting if args.rounds == 1 else f"{setting} (round {r + 1})"
            rows.append(row)
            print(f"  {row['setting']}: {json.dumps(row)}", flush=True)
    print()
    print("| setting | workers | TF intra/inter | class: all done (s) | per job, median (s) | per job, min–max (s) "
          "| jobs / min | CPU (cores) | test MSE, median | lone, first in process (s) | lone, warm (s) "
          "| lone test MSE (first / warm) | load at class start / end |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        per_job = [j["seconds"] for j in r["jobs"]]
        print(f"| {r['setting']} | {r['workers']} | {r['threads'][0]}/{r['threads'][1]} | {r['total']:.1f} | "
              f"{statistics.median(per_job):.1f} | {min(per_job):.1f}–{max(per_job):.1f} | "
              f"{60 * len(per_job) / r['total']:.1f} | {r['cpu_cores']:.2f} | "
              f"{statistics.median(j['test_mse'] for j in r['jobs']):.5f} | {r['lone_first']['seconds']:.1f} | "
              f"{r['lone_warm']['seconds']:.1f} | {r['lone_first']['test_mse']:.5f} / {r['lone_warm']['test_mse']:.5f} "
              f"| {r['load_during']:.2f} / {r['load']:.2f} |")
    print()
    print("Per job (seconds running / test MSE), in submission order:")
    labels = [j["label"] for j in rows[0]["jobs"]]
    print("| job | " + " | ".join(r["setting"] for r in rows) + " |")
    print("|---|" + "---|" * len(rows))
    for k, label in enumerate(labels):
        print(f"| {label} | " + " | ".join(f"{r['jobs'][k]['seconds']:.1f} / {r['jobs'][k]['test_mse']:.5f}"
                                          for r in rows) + " |")


if __name__ == "__main__":
    main()
