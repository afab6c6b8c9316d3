"""Command line: ``python -m aecore warm`` trains every lesson preset into the on-disk model cache.

A lecture then starts with no waiting: choosing a preset and pressing Train loads the cached model.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time


def warm(only: list[str] | None = None, force: bool = False, out=sys.stdout) -> list[dict]:
    """Train each preset (or those in ``only``) that is not cached yet and store it; returns one row each."""
    from aecore import presets
    from aecore.cache import default_cache
    from aecore.data import DatasetUnavailable, load_dataset
    from aecore.trained import train_job

    chosen = [p for p in presets.PRESETS if not only or p.key in only]
    unknown = sorted(set(only or []) - {p.key for p in presets.PRESETS})
    if unknown:
        raise SystemExit(f"Unknown preset(s): {', '.join(unknown)}. Known: "
                         f"{', '.join(p.key for p in presets.PRESETS)}.")
    cache = default_cache()
    print(f"Model cache: {cache.directory}", file=out)
    rows = []
    for preset in chosen:
        experiment = preset.experiment()
        row = {"preset": preset.key, "key": experiment.key(), "status": "", "seconds": 0.0, "test_mse": None}
        if cache.contains(experiment) and not force:
            row["status"] = "already cached"
            rows.append(row)
            print(f"{preset.key:10s} already cached ({experiment.key()})", file=out, flush=True)
            continue
        try:
            dataset = load_dataset(experiment.data)
        except DatasetUnavailable as exc:
            row["status"] = f"skipped: {exc}"
            rows.append(row)
            print(f"{preset.key:10s} skipped: {exc}", file=out, flush=True)
            continue
        start = time.perf_counter()

        def progress(report, name=preset.key):
            print(f"\r{name:10s} epoch {report.epoch:3d}/{report.epochs}  loss {report.logs.get('loss', 0):.4f}",
                  end="", file=out, flush=True)

        result = train_job(experiment, dataset)(progress, threading.Event())  # the app's path: trained, saved
        row["seconds"] = time.perf_counter() - start
        row["test_mse"] = result.test_mse
        row["status"] = "trained and cached" if cache.contains(experiment) else "trained, NOT cached"
        rows.append(row)
        print(f"\r{preset.key:10s} {row['status']}: {result.epochs_run} epochs in {row['seconds']:.1f} s, "
              f"test MSE {result.test_mse:.4f} ({experiment.key()})", file=out, flush=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m aecore", description="Autoencoder Lab utilities.")
    commands = parser.add_subparsers(dest="command", required=True)
    warm_cmd = commands.add_parser("warm", help="train every lesson preset into the on-disk model cache")
    warm_cmd.add_argument("presets", nargs="*", help="only these presets (default: all); see --list")
    warm_cmd.add_argument("--force", action="store_true", help="train again even when cached")
    warm_cmd.add_argument("--list", action="store_true", help="list the presets and whether they are cached")
    args = parser.parse_args(argv)
    if args.command == "warm":
        if args.list:
            from aecore import presets
            from aecore.cache import default_cache

            cache = default_cache()
            for preset in presets.PRESETS:
                cached = "cached" if cache.contains(preset.experiment()) else "not cached"
                print(f"{preset.key:10s} {cached:11s} {preset.title}")
            return 0
        rows = warm(args.presets or None, force=args.force)
        return 0 if all(not r["status"].startswith("trained, NOT") for r in rows) else 1
    return 2


if __name__ == "__main__":
    sys.exit(main())
