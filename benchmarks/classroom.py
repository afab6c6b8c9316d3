"""A classroom on one server: N students press Train at once.

Sessions are AppTest instances of the real app (app.py with its sidebar), one thread each, in one
process, sharing the process-wide job queue and the disk cache as browser sessions of one
`streamlit run` would. Each student opens the app, keeps (or picks) the settings, presses Train, then
waits for its job the way the page's progress fragment does (a cheap status check), and reruns the
page when the job ends; "shows a trained model" = that rerun displays the test-MSE metric.

Scenarios (an empty disk cache in a temporary folder unless said otherwise):
  default-N   N students, all on the default settings: expect one training, everybody within 2 s of it
  presets-N   N students spread over 5 lesson presets: 5 jobs through one worker; fair when each
              preset's sessions see their model within the preset's queue wait + its own training
  warm-N      the default-N classroom again after a restart (new queue, same disk cache): disk loads
  closed-tab  a real `streamlit run` + chromium: one tab trains a long model and closes; the
              server's CPU time shows when the job was cancelled (Streamlit 1.67 session detection)
  class-N     class mode (--class-run): a teacher starts a class, N students join it and each trains a
              distinct small model (digits-8x8, code 1..N); how long after its training ended each model
              appeared on the class board (target: within 1 s), and the class store's share of the time

    .venv/bin/python benchmarks/classroom.py [--sizes 10 30] [--skip-browser] [--class-run [--class-db URL]]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "tests"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ["AELAB_CACHE_DIR"] = tempfile.mkdtemp(prefix="aelab-classroom-")  # start cold, never the user's

import logging  # noqa: E402

from streamlit.testing.v1 import AppTest  # noqa: E402

# AppTest sessions in threads: Streamlit warns that the student threads have no script context.
logging.getLogger("streamlit").setLevel(logging.ERROR)

import apphelpers  # noqa: E402,F401  (makes AppTest run app.py with st.navigation, as the server does)
from aecore import jobs, presets  # noqa: E402
from ui import state  # noqa: E402


def rss_mb(field: str = "VmRSS") -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


class PeakMemory:
    """Samples this process's resident memory every 50 ms."""

    def __init__(self):
        self.peak = rss_mb()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.wait(0.05):
            self.peak = max(self.peak, rss_mb())

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_mb())


def sidebar_values(experiment) -> dict:
    values = {}
    for key, (section, attr) in state.SIDEBAR_FIELDS.items():
        values[key] = getattr(getattr(experiment, section), attr)
    return values


def shows_model(at: AppTest) -> bool:
    return any(m.label == "Test MSE" for m in at.get("metric")) or any(
        "Test MSE" in str(s.value) for s in at.get("success"))


# AppTest is not thread-safe: tests/apphelpers.py flips a class-wide PagesManager flag around every run,
# and two runs interleaving made a run fall back to a lone page file (no sidebar: KeyError 'sidebar_train').
# One run at a time; Python runs the scripts one at a time under the GIL anyway.
_run_lock = threading.Lock()


def run(at: AppTest, widget=None) -> None:
    with _run_lock:
        (widget or at).run()


def student(name: str, settings: dict | None, go: threading.Barrier, out: dict) -> None:
    try:
        at = AppTest.from_file(apphelpers.APP, default_timeout=300)
        at.session_state[state.SESSION_ID] = name
        run(at)
        if settings:
            for key, value in settings.items():
                at.session_state[key] = value
            run(at)
    except Exception as exc:  # this student is out; the others still start together
        import traceback

        out["error"] = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=-4)}"
        go.wait()
        return
    go.wait()  # everyone presses Train together
    try:
        out["clicked"] = time.perf_counter()
        run(at, at.button(key="sidebar_train").click())
        job = at.session_state[state.JOB]
        out["job"] = job
        out["position"] = jobs.default_queue().position(job)
        out["estimate"] = jobs.default_queue().wait_estimate(job)
        while not job.done_event.wait(0.5):  # the progress fragment's poll
            pass
        run(at)  # the fragment's st.rerun() when the job ends
        for _ in range(20):
            if shows_model(at):
                break
            run(at)
        out["shown"] = time.perf_counter() if shows_model(at) and not at.exception else None
        out["at"] = at
    except Exception as exc:  # reported in the table
        import traceback

        out["error"] = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=-4)}"


def classroom(n: int, settings_for, label: str) -> dict:
    queue = jobs.JobQueue()  # a fresh process-wide queue: the server's memory starts empty
    jobs._default_queue = queue
    go = threading.Barrier(n)
    outs = [{} for _ in range(n)]
    before = rss_mb()
    with PeakMemory() as memory:
        threads = [threading.Thread(target=student, args=(f"{label}-{i}", settings_for(i), go, outs[i]))
                   for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    after = rss_mb()
    errors = [o["error"] for o in outs if "error" in o]
    if errors:
        print(f"  {len(errors)} session(s) failed, first: {errors[0]}")
    good = [o for o in outs if o.get("shown")]
    start = min(o["clicked"] for o in good)
    distinct = {id(o["job"]): o["job"] for o in good}
    runs = [j for j in distinct.values() if j.source == "run"]
    last_training_end = max((j.finished for j in distinct.values()), default=None)
    # job.finished is wall-clock (time.time); convert the sessions' perf_counter times to the same clock
    offset = time.time() - time.perf_counter()
    shown_after_job = [o["shown"] + offset - o["job"].finished for o in good]
    row = {
        "scenario": label, "sessions": n, "shown": len(good), "trainings": len(runs),
        "cache loads": sum(1 for j in distinct.values() if j.from_cache),
        "all shown (s)": max(o["shown"] for o in good) - start,
        "training (s)": sum(j.finished - j.started for j in runs),
        "shown after its job, max (s)": max(shown_after_job),
        "shown after its job, median (s)": statistics.median(shown_after_job),
        "peak RSS (MB)": memory.peak, "RSS before (MB)": before, "RSS after (MB)": after,
        "per session (MB)": (after - before) / n,
        "outs": outs, "jobs": distinct, "last_end": last_training_end,
    }
    for o in outs:  # the sessions close: free them before the next scenario
        o.pop("at", None)
    import gc

    gc.collect()
    return row


def fairness_table(row: dict) -> list[str]:
    """Per preset job: position and estimate at submit, real wait, own training, when its sessions saw it."""
    lines = ["| preset job | sessions | position at submit | estimated wait (s) | real wait (s) | trainings ahead (s) "
             "| training (s) | last session shown after submit (s) | within wait + training + 2 s |",
             "|---|---|---|---|---|---|---|---|---|"]
    ahead = 0.0
    offset = time.time() - time.perf_counter()
    by_job: dict[int, list[dict]] = {}
    for o in row["outs"]:
        if o.get("shown"):
            by_job.setdefault(id(o["job"]), []).append(o)
    for group in sorted(by_job.values(), key=lambda g: g[0]["job"].started):
        job = group[0]["job"]
        first_click = min(o["clicked"] for o in group) + offset
        wait = job.started - job.queued_at
        train = job.finished - job.started
        last = max(o["shown"] for o in group) + offset - first_click
        lines.append(f"| {job.label} ({job.key[:6]}) | {len(group)} | {min(o['position'] for o in group)} | "
                     f"{min(o['estimate'] for o in group):.0f} | {wait:.1f} | {ahead:.1f} | {train:.1f} | {last:.1f} | "
                     f"{'yes' if last <= wait + train + 2 else 'NO'} |")
        ahead += train
    return lines


def closed_tab() -> list[str]:
    """One tab trains a long model, then closes; the server's CPU use shows when training stopped."""
    from playwright.sync_api import sync_playwright

    from browser import CHROMIUM, CHROMIUM_ARGS, streamlit_server, wait_idle

    def cpu_seconds(pid: int) -> float:
        total = 0.0
        for p in [pid] + [int(c) for c in open(f"/proc/{pid}/task/{pid}/children").read().split()]:
            fields = open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return total

    lines = []
    with streamlit_server(env={"AELAB_CACHE_DIR": tempfile.mkdtemp(prefix="aelab-tab-")}, timeout=180) as url:
        import subprocess

        port = url.rsplit(":", 1)[1]
        pid = int(subprocess.check_output(["bash", "-c", f"ss -ltnp | grep ':{port} ' | grep -o 'pid=[0-9]*'"])
                  .decode().split("=")[1])
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page()
            page.set_default_timeout(300_000)
            page.goto(url + "/?epochs=200&es=false")  # minutes of work unless it is cancelled
            wait_idle(page)
            page.get_by_role("button", name="Train").first.click()
            page.wait_for_function(
                "() => document.body.innerText.includes('Epoch ')", timeout=600_000)
            page.wait_for_timeout(2000)
            busy = []
            for _ in range(6):
                c0 = cpu_seconds(pid)
                time.sleep(0.5)
                busy.append((cpu_seconds(pid) - c0) / 0.5)
            closed = time.perf_counter()
            page.close()
            # Stopped: three half-second samples in a row below a quarter of the training's CPU use.
            threshold = max(0.25 * statistics.median(busy), 0.03)
            idle_at, samples = None, []
            while time.perf_counter() - closed < 60:
                c0 = cpu_seconds(pid)
                time.sleep(0.5)
                samples.append((cpu_seconds(pid) - c0) / 0.5)
                if len(samples) >= 3 and max(samples[-3:]) < threshold:
                    idle_at = time.perf_counter() - closed - 1.5  # the start of the three idle samples
                    break
            browser.close()
    lines.append(f"| server CPU while training (cores) | {statistics.median(busy):.2f} |")
    lines.append("| tab closed → training stopped (s) | "
                 f"{'not within 30 s' if idle_at is None else f'{idle_at:.1f}'} |")
    return lines


def class_run(n: int, url: str | None) -> None:
    """Class mode: N students of one class each train a distinct small model; board latency and DB share."""
    from aecore.classroom.store import ClassStore
    from ui import classroom as class_ui

    if url:
        os.environ["AELAB_CLASS_DB"] = url
    else:
        os.environ.setdefault("AELAB_CLASS_DB", "sqlite:///" + os.path.join(os.environ["AELAB_CACHE_DIR"], "class.sqlite3"))
    store = class_ui.store()  # the app's process-wide store: its timing counts every call the sessions make
    assert isinstance(store, ClassStore)
    jobs.import_tensorflow()
    from aecore.data import load_dataset
    from aecore.config import DataConfig

    load_dataset(DataConfig(name="digits-8x8"))
    new = store.create_class()
    store.timing.seconds, store.timing.calls = 0.0, 0
    wall_start = time.perf_counter()

    def settings(i):
        return {"sidebar_dataset": "digits-8x8", "sidebar_code_size": i + 1, "sidebar_n_hidden_layers": 1,
                "sidebar_first_layer_nodes": 32, "sidebar_epochs": 3, "sidebar_early_stopping": False}

    members = {}

    def joined_settings(i):
        values = settings(i)
        member = store.join(new.code, f"student {i + 1}", client=f"bench-{i}")
        members[i] = member
        values.update({class_ui.CODE: new.code, class_ui.MEMBER: member, class_ui.FOLLOWING: False})
        return values

    row = classroom(n, joined_settings, f"class-{n}")
    wall = time.perf_counter() - wall_start
    points = {p.member_id: p for p in store.board(new.code)}
    delays = [p.created - p.trained_at for p in points.values() if p.trained_at]
    print()
    print(f"Class mode, {n} students, one class ({store.dialect}), each a distinct model (digits-8x8, code 1..{n}, "
          "3 epochs), one worker:")
    print("| students | points on the board | trainings | board after training end, median (s) | max (s) | "
          "within 1 s | DB calls | DB time (s) | DB share of the run | DB per call (ms) | run (s) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    within = sum(d <= 1.0 for d in delays)
    print(f"| {n} | {len(points)} | {row['trainings']} | {statistics.median(delays):.2f} | {max(delays):.2f} | "
          f"{within}/{len(delays)} | {store.timing.calls} | {store.timing.seconds:.2f} | "
          f"{store.timing.seconds / wall:.1%} | {1000 * store.timing.seconds / max(store.timing.calls, 1):.1f} | "
          f"{wall:.1f} |")
    store.end_class(new.code, new.teacher_key)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 30])
    parser.add_argument("--preset-epochs", type=int, default=5,
                        help="epochs of each preset in the fairness run (fairness does not depend on it)")
    parser.add_argument("--skip-browser", action="store_true")
    parser.add_argument("--closed-tab-only", action="store_true")
    parser.add_argument("--class-run", action="store_true", help="only the class-mode run (class-N, N = --sizes' largest)")
    parser.add_argument("--class-db", default=None, help="class store URL for --class-run (default: SQLite file)")
    args = parser.parse_args()
    if args.class_run:
        class_run(max(args.sizes), args.class_db)
        return
    if args.closed_tab_only:
        print("| closed tab (real server + chromium) | |\n|---|---|\n" + "\n".join(closed_tab()))
        return
    print(f"cores: {os.cpu_count()}, workers: {jobs.default_workers()}, TensorFlow threads per op: "
          f"{jobs.tensorflow_threads()}, cache: {os.environ['AELAB_CACHE_DIR']}")
    # A running server has imported TensorFlow (start-up warm-up) and parsed mnist-5k into its cache folder
    # long before the class arrives.
    jobs.import_tensorflow()
    from aecore.data import load_dataset

    for preset in presets.PRESETS[:5]:
        load_dataset(preset.experiment().data)
    rows = []
    chosen = presets.PRESETS[:5]
    cols = ["scenario", "sessions", "shown", "trainings", "cache loads", "training (s)", "all shown (s)",
            "shown after its job, median (s)", "shown after its job, max (s)", "peak RSS (MB)",
            "per session (MB)", "load average"]

    def show(row):
        row["load average"] = os.getloadavg()[0]
        print("| " + " | ".join(f"{row[c]:.1f}" if isinstance(row[c], float) else str(row[c]) for c in cols)
              + " |", flush=True)

    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols), flush=True)
    import shutil

    for n in args.sizes:
        shutil.rmtree(os.path.join(os.environ["AELAB_CACHE_DIR"], "models"), ignore_errors=True)
        rows.append(classroom(n, lambda i: None, f"default-{n}"))
        show(rows[-1])
        rows.append(classroom(n, lambda i: None, f"warm-{n}"))  # restart: disk cache kept
        show(rows[-1])
    n = max(args.sizes)

    def preset_settings(i):
        values = sidebar_values(chosen[i % 5].experiment())
        values["sidebar_epochs"] = args.preset_epochs
        return values

    rows.append(classroom(n, preset_settings, f"presets-{n}"))
    show(rows[-1])
    print()
    print(f"Fairness, {n} sessions on 5 presets ({', '.join(p.key for p in chosen)}; {args.preset_epochs} epochs "
          "each), one worker:")
    print("\n".join(fairness_table(rows[-1])))
    if not args.skip_browser:
        print()
        print("| closed tab (real server + chromium) | |")
        print("|---|---|")
        print("\n".join(closed_tab()))


if __name__ == "__main__":
    main()
