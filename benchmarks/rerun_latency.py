"""Rerun latency: a widget change that needs no training → page settled, per page, server side.

Sessions of the real app (AppTest: app.py with its sidebar) train the default model once, then visit every
page. On each page the benchmark waits until any background work the page started (t-SNE, sweeps) is done,
then moves inputs back and forth and times each rerun until the script (or fragment) finished and its
elements were delivered:

- a **page widget** (the page's first slider, else another input with two values; a few pages name theirs
  in PAGE_WIDGETS): rerun as a browser reruns it — only its ``st.fragment`` when it lives in one
  (tests/fragments.py), else the whole page;
- the sidebar's **epochs** slider (it only marks the model as outdated): always the whole page.

Each script is compiled once per process, as on a server (AppTest alone recompiles app.py and the page on
every run). Reported per page: median, min and max wall time, and the median CPU time of this process per
move (the server's cost of one slider move; on a busy shared machine it is also what the wall time would be
on an idle one).

    .venv/bin/python benchmarks/rerun_latency.py [--repeats 10] [--pages pca,limits]
    .venv/bin/python benchmarks/rerun_latency.py --sessions 30 --repeats 3    # 30 sessions moving in turn
    .venv/bin/python benchmarks/rerun_latency.py --slow 3                      # a machine a third as fast

``--slow N`` emulates a slower server honestly instead of extrapolating: the benchmark is pinned to one core
and N-1 busy spinner processes share that core with it, so the scheduler gives it about 1/N of the core. The
speed is stated the way the issue states it: the time of a plain Python loop of 10⁷ additions, measured at
the start and at the end under the same conditions (2.4 s on the issue's slow machine).
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "tests"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("AELAB_CACHE_DIR", tempfile.mkdtemp(prefix="aelab-rerun-"))

WIDGET_KINDS = ("slider", "select_slider", "radio", "selectbox", "number_input", "toggle", "checkbox")
# Pages whose first usable input is not the one a student moves most (or has labels the picker cannot invert).
PAGE_WIDGETS = {
    "pages/limits.py": ("select_slider", "limits_bits_depth", (6, 8)),
    "pages/family.py": ("radio", "family_sweep_kind", ("gaussian", "salt_pepper")),
}
SPIN = "import os, sys\nos.sched_setaffinity(0, {int(sys.argv[1])})\nwhile True:\n    pass\n"


def loop_seconds() -> float:
    """The issue's measure of a machine's single-core speed: a plain loop of 10⁷ additions."""
    start, total = time.perf_counter(), 0
    for i in range(10 ** 7):
        total += i
    return time.perf_counter() - start


def slow_down(factor: int) -> list[subprocess.Popen]:
    """Pin this process (and every thread it starts later) to one core and share it with factor-1 spinners."""
    core = max(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {core})
    return [subprocess.Popen([sys.executable, "-c", SPIN, str(core)]) for _ in range(factor - 1)]


def page_files() -> list[tuple[str, str]]:
    """(file, title) of the app's pages, in the navigation's order."""
    text = open(os.path.join(ROOT, "app.py")).read()
    found = re.findall(r'\("(pages/[a-z_]+\.py)", "([^"]+)"', text)
    return [(f, t) for f, t in found if os.path.exists(os.path.join(ROOT, f))]


def wait_for_background(timeout: float = 300) -> None:
    from aecore import jobs

    deadline = time.time() + timeout
    while jobs.default_queue().active_jobs() and time.time() < deadline:
        time.sleep(0.2)


def pick_widget(at, path: str):
    """(kind, key, label, two values) of the page input to move, or None when the page has none."""
    if path in PAGE_WIDGETS:
        kind, key, values = PAGE_WIDGETS[path]
        if any(w.key == key for w in at.main.get(kind)):
            return kind, key, "", values
    for kind in WIDGET_KINDS:
        for widget in at.main.get(kind):
            values = alternatives(widget, kind)
            if values:
                return kind, widget.key, getattr(widget, "label", ""), values
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


def find(at, kind: str, key: str, label: str):
    return next(w for w in at.main.get(kind) if (w.key == key if key else w.label == label))


def timed(action) -> tuple[float, float]:
    t0, c0 = time.perf_counter(), time.process_time()
    action()
    return time.perf_counter() - t0, time.process_time() - c0


def move_page_widget(at, choice, value) -> tuple[float, float, bool]:
    from fragments import move

    kind, key, label, _ = choice
    widget = find(at, kind, key, label)
    fragment = []
    if kind in ("toggle", "checkbox"):
        elapsed, cpu = timed(lambda: fragment.append(move(at, widget, check=value)))
    else:
        elapsed, cpu = timed(lambda: fragment.append(move(at, widget, value)))
    return elapsed, cpu, fragment[0]


def move_sidebar(at, value) -> tuple[float, float]:
    at.session_state["sidebar_epochs"] = value
    return timed(at.run)


def open_session(number: int):
    from streamlit.testing.v1 import AppTest

    from apphelpers import APP
    from ui import state

    at = AppTest.from_file(APP, default_timeout=600)
    at.session_state[state.SESSION_ID] = f"bench-{number}"  # AppTest gives every instance the same id
    at.run()
    at.button(key="sidebar_train").click().run()
    job = at.session_state["ae_job"]
    assert job.wait(600), "training did not finish"
    at.run()
    return at, job


class Series:
    def __init__(self):
        self.times, self.cpus, self.errors, self.started_jobs, self.fragment = [], [], 0, 0, False

    def add(self, elapsed: float, cpu: float, keep: bool) -> None:
        if keep:
            self.times.append(elapsed)
            self.cpus.append(cpu)

    def cells(self) -> str:
        if not self.times:
            return "— | — | — | —"
        ms = lambda s: f"{s * 1000:.0f}"  # noqa: E731
        return (f"{ms(statistics.median(self.times))} | {ms(min(self.times))} | {ms(max(self.times))} | "
                f"{ms(statistics.median(self.cpus))}")


def measure_page(sessions, path: str, repeats: int) -> tuple[str, Series, Series]:
    """Sidebar moves, then page-widget moves, each session in turn; the first round of each is left out of
    the statistics (it may build the caches later rounds reuse) except in the slowest answer of a class."""
    from aecore import jobs
    from apphelpers import go_to

    for at in sessions:
        go_to(at, path)
        wait_for_background()
        at.run()  # the page with its derived results in place
    sidebar, page = Series(), Series()
    epochs = sessions[0].session_state["sidebar_epochs"]
    for i in range(repeats + 1):
        for at in sessions:
            elapsed, cpu = move_sidebar(at, (epochs, epochs + 1)[(i + 1) % 2])
            sidebar.errors += bool(at.exception)
            sidebar.add(elapsed, cpu, keep=i > 0 or len(sessions) > 1)
    for at in sessions:
        at.run()  # the whole page again, so the page widget is in the element tree
    choice = pick_widget(sessions[0], path)
    where = "—"
    if choice is not None:
        kind, key, label, values = choice
        where = f"{kind} '{label or key}'"
        for i in range(repeats + 1):
            if page.started_jobs >= 2:
                break  # each move starts background work (a new embedding): not a plain rerun; keep it short
            for at in sessions:
                elapsed, cpu, page.fragment = move_page_widget(at, choice, values[(i + 1) % 2])
                page.errors += bool(at.exception)
                if jobs.default_queue().active_jobs():
                    page.started_jobs += 1
                    wait_for_background()
                page.add(elapsed, cpu, keep=i > 0 or len(sessions) > 1)
    return where, sidebar, page


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=10, help="moves per input and session (after a first one)")
    parser.add_argument("--sessions", type=int, default=1, help="sessions moving their inputs in turn")
    parser.add_argument("--slow", type=int, default=1, metavar="N",
                        help="share one core with N-1 busy processes (N = 3: a machine about a third as fast)")
    parser.add_argument("--pages", default="", help="comma-separated parts of page file names (default: all)")
    args = parser.parse_args()
    spinners = slow_down(args.slow) if args.slow > 1 else []
    try:
        run(args)
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()


def run(args) -> None:
    loop_before = loop_seconds()
    logging.getLogger("streamlit").setLevel(logging.ERROR)
    import fragments

    fragments.share_script_cache()
    start = time.perf_counter()
    sessions, job = [], None
    for number in range(args.sessions):
        at, job = open_session(number)
        sessions.append(at)
    print(f"default model ready in {time.perf_counter() - start:.1f} s for {args.sessions} session(s) "
          f"({job.source}); test MSE {job.result.test_mse:.4f}", flush=True)
    wanted = [p for p in args.pages.split(",") if p]
    rows = []
    for path, title in page_files():
        if wanted and not any(w in path for w in wanted):
            continue
        where, sidebar, page = measure_page(sessions, path, args.repeats)
        rows.append((title, where, sidebar, page))
        print(f"{title}: sidebar {sidebar.cells()} · page widget {page.cells()}", flush=True)
    loop_after = loop_seconds()
    print()
    print(f"{args.sessions} session(s); wall time per move in ms; CPU = this process's CPU time per move"
          + ("" if args.sessions == 1 else "; every session's moves, first rounds included (max = the slowest "
                                           "answer any student waited for)"))
    print("| page | sidebar epochs: median | min | max | CPU | page input moved | reruns | median | min | max "
          "| CPU | moves that started a job | errors |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for title, where, sidebar, page in rows:
        scope = "—" if not page.times else "fragment" if page.fragment else "whole page"
        print(f"| {title} | {sidebar.cells()} | {where} | {scope} | {page.cells()} | {page.started_jobs} | "
              f"{sidebar.errors + page.errors} |")
    cores = sorted(os.sched_getaffinity(0))
    print(f"\nload average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; benchmark on core(s) "
          f"{cores}" + (f" shared with {args.slow - 1} busy process(es)" if args.slow > 1 else ""))
    print(f"single-core speed under these conditions: a Python loop of 10^7 additions took {loop_before:.2f} s "
          f"before and {loop_after:.2f} s after the run")


if __name__ == "__main__":
    main()
