"""Rerun latency: a widget change that needs no training → page settled, per page, server side.

One session of the real app (AppTest: app.py with its sidebar) trains the default model once, then
visits every page. On each page it waits until any background work the page started (t-SNE, sweeps)
is done, then moves the page's first slider (else its first other input; else the sidebar's epochs
slider, which only marks the model as outdated) back and forth and times each rerun until the script
finished and the page's elements were delivered. Median of --repeats (default 10) per page, in wall time and in this process's CPU time (nothing else
runs in it meanwhile, so on a busy shared machine the CPU time is what the wall time would be on an
idle one).

    .venv/bin/python benchmarks/rerun_latency.py [--repeats 10]
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import statistics
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "tests"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("AELAB_CACHE_DIR", tempfile.mkdtemp(prefix="aelab-rerun-"))
logging.getLogger("streamlit").setLevel(logging.ERROR)

from streamlit.testing.v1 import AppTest  # noqa: E402

from aecore import jobs  # noqa: E402
from apphelpers import APP, go_to  # noqa: E402

WIDGET_KINDS = ("slider", "select_slider", "radio", "selectbox", "number_input", "toggle", "checkbox")


def page_files() -> list[tuple[str, str]]:
    """(file, title) of the app's pages, in the navigation's order."""
    text = open(os.path.join(ROOT, "app.py")).read()
    found = re.findall(r'\("(pages/[a-z_]+\.py)", "([^"]+)"', text)
    return [(f, t) for f, t in found if os.path.exists(os.path.join(ROOT, f))]


def wait_for_background(timeout: float = 300) -> None:
    deadline = time.time() + timeout
    while jobs.default_queue().active_jobs() and time.time() < deadline:
        time.sleep(0.2)


def pick_widget(at: AppTest):
    """The first input in the page body with two values to alternate between."""
    for kind in WIDGET_KINDS:
        for widget in at.main.get(kind):
            values = alternatives(widget, kind)
            if values:
                return kind, widget.key, values, getattr(widget, "label", "")
    return None


def alternatives(widget, kind: str):
    value = widget.value
    if kind in ("toggle", "checkbox"):
        return value, not value
    if kind in ("select_slider", "radio", "selectbox"):
        options = list(widget.options)  # the labels shown; usable only when they are the values themselves
        if len(options) < 2 or value not in options:
            return None
        return value, next(o for o in options if o != value)
    if kind == "slider":
        if isinstance(value, tuple):
            return None
        step = widget.step or 1
        other = value + step if value + step <= widget.max else value - step
        return value, type(value)(other)
    if kind == "number_input":
        step = widget.step or 1
        return value, value + step
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args()
    at = AppTest.from_file(APP, default_timeout=600)
    at.run()
    start = time.perf_counter()
    at.button(key="sidebar_train").click().run()
    job = at.session_state["ae_job"]
    assert job.wait(600), "training did not finish"
    at.run()
    print(f"default model ready in {time.perf_counter() - start:.1f} s ({job.source}); "
          f"test MSE {job.result.test_mse:.4f}", flush=True)
    rows = []
    for path, title in page_files():
        go_to(at, path)
        wait_for_background()
        at.run()  # the page with its derived results in place
        choice = pick_widget(at)
        if choice is None:
            kind, key, values, label = "slider", "sidebar_epochs", (at.session_state["sidebar_epochs"],
                                                                      at.session_state["sidebar_epochs"] + 1), ""
            where = "sidebar epochs slider"
        else:
            kind, key, values, label = choice
            where = f"{kind} '{label}'"
        times, cpus, started_jobs, errors = [], [], 0, 0
        for i in range(args.repeats + 1):
            if started_jobs >= 2:
                break  # each move starts background work (a new embedding): not a plain rerun; keep it short
            value = values[(i + 1) % 2]
            t0, c0 = time.perf_counter(), time.process_time()
            if key == "sidebar_epochs" and choice is None:
                at.session_state["sidebar_epochs"] = value
                at.run()
            else:
                widget = next(w for w in at.main.get(kind) if (w.key == key if key else w.label == label))
                if kind in ("toggle", "checkbox"):
                    (widget.check() if value else widget.uncheck()).run()
                else:
                    widget.set_value(value).run()
            elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
            errors += bool(at.exception)
            if jobs.default_queue().active_jobs():
                started_jobs += 1
                wait_for_background()
            if i > 0:  # the first change may build caches the later ones reuse
                times.append(elapsed)
                cpus.append(cpu)
        rows.append((title, where, statistics.median(times), min(times), max(times), statistics.median(cpus),
                     started_jobs, errors))
        print(f"{title}: median {statistics.median(times) * 1000:.0f} ms", flush=True)
    print()
    print("| page | input changed | median (ms) | min (ms) | max (ms) | median CPU (ms) | changes that started a job "
          "| errors |")
    print("|---|---|---|---|---|---|---|---|")
    for title, where, med, lo, hi, cpu, started_jobs, errors in rows:
        print(f"| {title} | {where} | {med * 1000:.0f} | {lo * 1000:.0f} | {hi * 1000:.0f} | {cpu * 1000:.0f} | "
              f"{started_jobs} | {errors} |")
    print(f"\nload average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
