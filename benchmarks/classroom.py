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
  free-N      free exploration (--free --sessions N): N students, N distinct default-sized models (types, code
              sizes, layers, noise drawn from the sidebar's choices), Train pressed within --spread s, every
              second student then opens the latent page; per student the time from its click to its model
              on screen and to its map, whether every status line it saw while waiting gave a time, and how
              the estimated wait compared with the real one (target: every model within 90 s, median 45 s)

    .venv/bin/python benchmarks/classroom.py [--sizes 10 30] [--skip-browser] [--class-run [--class-db URL]]
    .venv/bin/python benchmarks/classroom.py --free [--sessions 30] [--spread 10]
"""

from __future__ import annotations

import argparse
import contextlib
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
from aecore import jobs, presets, runtime  # noqa: E402
from ui import state  # noqa: E402
from ui.settings import values_of  # noqa: E402


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
    return values_of(experiment)


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
    queue = jobs.app_queue()  # a fresh process-wide queue: the server's memory starts empty
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
    runtime.import_tensorflow()
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


# --- free exploration: every student a different model --------------------------------------------------

FREE_KINDS = ("dense", "denoising", "sparse", "dense", "variational", "denoising", "conv", "dense", "contractive",
              "sparse")  # a class's mix: mostly the first three types, a few of the others
FREE_CODE_SIZES = (2, 4, 8, 16, 32, 64)
FREE_LAYERS = (1, 2, 3)
FREE_NOISE = {"denoising": (0.2, 0.3, 0.5), "dense": (0.0,)}  # other types: mostly clean, some noise
OTHER_NOISE = (0.0, 0.0, 0.1, 0.3)


def free_settings(n: int, seed: int = 0) -> list[dict]:
    """``n`` distinct sidebar settings a class might pick: types, code sizes, layers and noise drawn from what
    the sidebar offers, everything else (data set, widths, epochs, batch) at the default size."""
    import random

    from aecore.config import Experiment, ModelConfig, TrainConfig

    rng = random.Random(seed)
    chosen, keys = [], set()
    while len(chosen) < n:
        kind = FREE_KINDS[len(chosen) % len(FREE_KINDS)]
        model = ModelConfig(kind=kind, code_size=rng.choice(FREE_CODE_SIZES), n_hidden_layers=rng.choice(FREE_LAYERS))
        train = TrainConfig(noise_level=rng.choice(FREE_NOISE.get(kind, OTHER_NOISE)))
        experiment = Experiment(model=model, train=train)
        experiment = experiment.replace(model=experiment.model.canonical())
        if experiment.key() in keys:
            continue
        keys.add(experiment.key())
        chosen.append({"sidebar_kind": kind, "sidebar_code_size": model.code_size,
                       "sidebar_n_hidden_layers": model.n_hidden_layers, "sidebar_noise_level": train.noise_level})
    return chosen


def status_texts(at: AppTest) -> list[str]:
    """What the progress bars on the page say (the sidebar's job status among them)."""
    return [p.text for p in at.get("progress")]


def says_seconds(text: str) -> bool:
    """Whether a status line gives a time (\"about 40 s\", \"about 2 min\", \"12 s left\")."""
    import re

    return bool(re.search(r"\d+ (s|min)\b", text))


def provisional_shown(at: AppTest) -> bool:
    """Whether the page shows a model of an epoch while its training goes on (progressive results): a page's
    "Provisional:" note, or the training page's charts (loss, this epoch's reconstructions) under an epoch's
    status line."""
    if any("Provisional:" in str(e.value) for e in at.get("info")):
        return True
    return bool(at.get("plotly_chart")) and any(t.startswith("Epoch") for t in status_texts(at))


def map_shown(at: AppTest) -> bool:
    return any(m.label == "kNN accuracy on the map" for m in at.get("metric")) or any(
        str(c.value).startswith("Computed in") for c in at.get("caption"))


def explorer(name: str, settings: dict, delay: float, opens_map: bool, look_every: float, go: threading.Barrier,
             out: dict) -> None:
    """One student: opens the app, picks settings, presses Train ``delay`` s after the class starts, looks at
    the page every ``look_every`` s while waiting (what a browser's status line shows then), sees the model,
    then (``opens_map``) opens the latent page and waits for the map of the codes."""
    try:
        at = AppTest.from_file(apphelpers.APP, default_timeout=600)
        at.session_state[state.SESSION_ID] = name
        run(at)
        for key, value in settings.items():
            at.session_state[key] = value
        run(at)
    except Exception as exc:
        import traceback

        out["error"] = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=-4)}"
        go.wait()
        return
    go.wait()
    try:
        time.sleep(delay)
        queue = jobs.default_queue()
        out["clicked"] = time.perf_counter()
        run(at, at.button(key="sidebar_train").click())
        job = at.session_state[state.JOB]
        if job is None:
            raise RuntimeError(f"no job: {[e.value for e in at.error]}")
        out["job"] = job
        out["position"] = queue.position(job)
        out["estimate"] = queue.wait_estimate(job)  # what the status line says, in seconds
        out["texts"] = [(job.status, t) for t in status_texts(at)]
        out["samples"] = []  # (wall time, status, estimated wait) from the queue every second while queued
        looked = time.perf_counter()
        while not job.done_event.wait(1.0):
            if "first_model" not in out and any(getattr(r, "provisional", None) is not None for r in list(job.reports)):
                # The first epoch's model is there (progressive results): the page's next poll shows it.
                out["first_epoch"] = time.perf_counter()
                run(at)
                looked = time.perf_counter()
                out["first_model"] = looked if provisional_shown(at) else None
                out["texts"] += [(job.status, t) for t in status_texts(at)]
            if job.status == jobs.QUEUED:
                out["samples"].append((time.time(), queue.wait_estimate(job)))
            if look_every and time.perf_counter() - looked >= look_every and job.active:
                run(at)
                looked = time.perf_counter()
                out["texts"] += [(job.status, t) for t in status_texts(at)]
        run(at)
        for _ in range(20):
            if shows_model(at):
                break
            run(at)
        out["shown"] = time.perf_counter() if shows_model(at) and not at.exception else None
        if opens_map and out["shown"]:
            at.switch_page("pages/latent_space.py")
            run(at)
            code_job = at.session_state["latent_code_job"]  # ui/latent_view.SLOTS[0]: the map of the codes
            out["map_job"] = code_job
            while not code_job.done_event.wait(1.0):
                pass
            for _ in range(20):
                run(at)
                if map_shown(at):
                    break
            out["mapped"] = time.perf_counter() if map_shown(at) and not at.exception else None
        out["at"] = at
    except Exception as exc:
        import traceback

        out["error"] = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=-4)}"


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU jiffies of the whole machine since boot, from /proc/stat."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def free_exploration(n: int, spread: float, map_every: int, look_every: float, seed: int,
                     thread_cpu: bool = False, data_autotune: bool = True) -> None:
    """N students, N distinct default-sized models, Train pressed within ``spread`` s, every ``map_every``-th
    student then opens the latent page. Prints one row per student and a summary (``thread_cpu``: and where
    the process's CPU went, see benchmarks/thread_cpu.py)."""
    import random

    queue = jobs.app_queue()
    jobs._default_queue = queue
    profile = contextlib.ExitStack()
    if not data_autotune:
        import thread_cpu as tc

        profile.enter_context(tc.data_autotune_off())
    if thread_cpu:
        import thread_cpu as tc
        from aecore import train

        reruns = profile.enter_context(tc.timed_reruns())
        epoch_starts = profile.enter_context(tc.timed_epoch_starts())
        train.SEEDED_BUILD = seeded = tc.TimedLock(train.SEEDED_BUILD)
        sampler = tc.ThreadCPU(queue)
    arrivals = profile.enter_context(report_arrivals())
    settings = free_settings(n, seed)
    rng = random.Random(seed)
    delays = sorted(rng.uniform(0, spread) for _ in range(n))
    go = threading.Barrier(n + 1)
    outs = [{} for _ in range(n)]
    with PeakMemory() as memory:
        threads = [threading.Thread(target=explorer, args=(f"free-{i}", settings[i], delays[i], i % map_every == 0,
                                                          look_every, go, outs[i])) for i in range(n)]
        for t in threads:
            t.start()
        go.wait()
        wall0, cpu0, (busy0, total0) = time.perf_counter(), time.process_time(), machine_busy()
        if thread_cpu:
            sampler.start()
        loads = []
        while any(t.is_alive() for t in threads):
            loads.append(os.getloadavg()[0])
            for t in threads:
                t.join(timeout=5.0 / n)
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        busy1, total1 = machine_busy()
        if thread_cpu:
            sampler.stop()
        profile.close()
    errors = [o["error"] for o in outs if "error" in o]
    if errors:
        print(f"{len(errors)} session(s) failed, first: {errors[0]}")
    offset = time.time() - time.perf_counter()
    first = min(o["clicked"] for o in outs if "clicked" in o)
    from aecore.config import TrainConfig

    defaults = TrainConfig()
    print(f"\nFree exploration: {n} sessions, {n} distinct default-sized models (mnist-5k, 256 nodes, at most "
          f"{defaults.epochs} epochs × batch {defaults.batch_size}), "
          f"Train pressed within {spread:.0f} s, every {map_every}. session then opens the latent page; "
          f"{queue.workers} worker(s), TensorFlow threads per op: {runtime.tensorflow_threads()}"
          + ("" if data_autotune else "; trainings' tf.data autotuning off"))
    print("| session | type | code | layers | noise | position | estimated wait (s) | real wait (s) | training (s) "
          "| click → first epoch's model (s) | click → model (s) | click → map (s) | every status line with a time |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    to_model, to_map, from_first, honest = [], [], [], []
    to_first, first_not_shown = [], 0
    without_estimate = []
    for i, o in enumerate(outs):
        s, job = settings[i], o.get("job")
        if job is None:
            print(f"| {i} | {s['sidebar_kind']} | failed | | | | | | | | | |")
            continue
        wait = (job.started - job.queued_at) if job.started else float("nan")
        took = (job.finished - job.started) if job.started and job.finished else float("nan")
        model_s = o["shown"] - o["clicked"] if o.get("shown") else None
        map_s = o["mapped"] - o["clicked"] if o.get("mapped") else None
        first_s = o["first_epoch"] - o["clicked"] if o.get("first_epoch") else None
        if "first_epoch" in o and not o.get("first_model"):
            first_not_shown += 1
        if first_s is not None or model_s is not None:  # a model on screen: the first epoch's or the final one
            to_first.append(min(x for x in (first_s, model_s) if x is not None))
        if model_s is not None:
            to_model.append(model_s)
            from_first.append(o["shown"] - first)
        if map_s is not None:
            to_map.append(map_s)
        active_texts = [t for status, t in o.get("texts", []) if status in jobs.ACTIVE]
        shown_time = all(says_seconds(t) for t in active_texts) if active_texts else None
        if shown_time is False:
            without_estimate.append((i, [t for t in active_texts if not says_seconds(t)][:2]))
        for t_wall, estimated in o.get("samples", []):  # estimated against real time left in the queue
            if job.started and job.started - t_wall > 2:
                honest.append(estimated / (job.started - t_wall))
        print(f"| {i} | {s['sidebar_kind']} | {s['sidebar_code_size']} | {s['sidebar_n_hidden_layers']} | "
              f"{s['sidebar_noise_level']:g} | {o['position']} | {o['estimate']:.0f} | {wait:.1f} | {took:.1f} | "
              f"{'—' if first_s is None else f'{first_s:.1f}'}{'' if o.get('first_model') or first_s is None else ' (not on the page)'} | "
              f"{'—' if model_s is None else f'{model_s:.1f}'} | {'—' if map_s is None else f'{map_s:.1f}'} | "
              f"{'—' if shown_time is None else ('yes' if shown_time else 'NO')} |")
    trainings = sum(1 for o in outs if o.get("job") is not None and o["job"].source == "run")
    stats = queue.stats
    print()
    print("| sessions | click → first model on screen (epoch 1 or final), median (s) | last (s) "
          "| models shown | click → final model, median (s) | last (s) | first click → last model (s) "
          "| maps shown | click → map, median (s) | last (s) | trainings | jobs run | CPU of the process (cores) "
          "| machine busy | peak RSS (MB) | load average (min–max) | estimate shown while waiting "
          "| estimated / real wait, median (quartiles) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    q = statistics.quantiles(honest, n=4) if len(honest) >= 2 else [float("nan")] * 3
    print(f"| {n} | {statistics.median(to_first):.1f} | {max(to_first):.1f} "
          f"| {len(to_model)} | {statistics.median(to_model):.1f} | {max(to_model):.1f} | {max(from_first):.1f} "
          f"| {len(to_map)} | {statistics.median(to_map) if to_map else float('nan'):.1f} | "
          f"{max(to_map) if to_map else float('nan'):.1f} | {trainings} | {stats['runs']} | {cpu / wall:.2f} | "
          f"{(busy1 - busy0) / max(total1 - total0, 1):.0%} | {memory.peak:.0f} | {min(loads):.1f}–{max(loads):.1f} | "
          f"{'every session' if not without_estimate else f'{n - len(without_estimate)} of {n}'} | "
          f"{q[1]:.2f} ({q[0]:.2f}–{q[2]:.2f}) |")
    if first_not_shown:
        print(f"  {first_not_shown} session(s) had a first epoch's model the page did not say it showed")
    for i, texts in without_estimate:
        print(f"  session {i} showed without a time: {texts}")
    if thread_cpu:
        print()
        print("\n".join(sampler.table()))
        trained = [o["job"] for o in outs if o.get("job") is not None and o["job"].source == "run"]
        print()
        print("| where the time went | seconds | per second of the run |")
        print("|---|---|---|")
        print(f"| page reruns ({reruns.count}): wall, one at a time | {reruns.wall:.1f} | {reruns.wall / wall:.2f} |")
        print(f"| page reruns: their threads' CPU | {reruns.cpu:.1f} | {reruns.cpu / wall:.2f} |")
        print(f"| SEEDED_BUILD ({seeded.acquisitions}): waited for | {seeded.waited:.1f} | {seeded.waited / wall:.2f} |")
        print(f"| SEEDED_BUILD: held | {seeded.held:.1f} | {seeded.held / wall:.2f} |")
        print(f"| trainings paused for turns (sum over {len(trained)}) | {sum(j.paused_seconds for j in trained):.1f} "
              f"| {sum(j.paused_seconds for j in trained) / wall:.2f} |")
        print(f"| trainings' own work (sum: started → finished minus pauses) | "
              f"{sum(j.finished - j.started - j.paused_seconds for j in trained):.1f} | "
              f"{sum(j.finished - j.started - j.paused_seconds for j in trained) / wall:.2f} |")
        print(f"| turns taken | {stats['turns']} | |")
        print(f"\nKeras epoch start -> first step (the last epoch's data iterator destroyed): {epoch_starts.line()}")
    print()
    print("\n".join(worker_time_table([o["job"] for o in outs if o.get("job") is not None
                                       and o["job"].source == "run"], arrivals)))
    for o in outs:
        o.pop("at", None)


@contextlib.contextmanager
def report_arrivals():
    """{job id: [own work (s) when each report arrived]}: what a training's worker did before its first epoch's
    steps and after its last epoch, which its reports' ``elapsed`` (from the first step's start) do not show."""
    arrived: dict[int, list[float]] = {}
    original = jobs.Job.report

    def report(job, item):
        arrived.setdefault(job.id, []).append(job.worked())
        original(job, item)

    jobs.Job.report = report
    try:
        yield arrived
    finally:
        jobs.Job.report = original


def worker_time_table(trained: list, arrivals: dict) -> list[str]:
    """Medians over the trainings: a worker's time on each part of a training, against what the queue's
    estimates count for it (a first turn: ``_first_epoch_seconds``; the rest: its epochs at their pace)."""
    parts = {"before the first epoch (build, compile, data)": [], "first epoch (report's elapsed)": [],
             "a later epoch": [], "after the last epoch (evaluation, result, cache)": [],
             "first turn, worker's time (start -> epoch 1 report)": [],
             "first turn, what the queue counts at the end (estimate(work, 1))": []}
    queue = jobs.default_queue()
    for job in trained:
        worked_at = arrivals.get(job.id, [])
        points = job.epoch_points()
        if not worked_at or not points:
            continue
        first_elapsed = points[0][2]
        parts["before the first epoch (build, compile, data)"].append(worked_at[0] - first_elapsed)
        parts["first epoch (report's elapsed)"].append(first_elapsed)
        if len(points) > 1:
            parts["a later epoch"].append((points[-1][2] - points[0][2]) / (points[-1][0] - points[0][0]))
        parts["after the last epoch (evaluation, result, cache)"].append(job.worked() - worked_at[-1])
        parts["first turn, worker's time (start -> epoch 1 report)"].append(worked_at[0])
        parts["first turn, what the queue counts at the end (estimate(work, 1))"].append(
            queue.speed.estimate(job.epoch_work, 1))
    lines = ["| a training's worker time (median over trainings) | seconds | quartiles |", "|---|---|---|"]
    for name, values in parts.items():
        if len(values) >= 2:
            q = statistics.quantiles(values, n=4)
            lines.append(f"| {name} | {statistics.median(values):.2f} | {q[0]:.2f}–{q[2]:.2f} |")
    lines.append(f"| machine speed at the end: factor, overhead (s) | {queue.speed.factor or 0:.2f}, "
                 f"{queue.speed.overhead or 0:.2f} | |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 30])
    parser.add_argument("--preset-epochs", type=int, default=5,
                        help="epochs of each preset in the fairness run (fairness does not depend on it)")
    parser.add_argument("--skip-browser", action="store_true")
    parser.add_argument("--closed-tab-only", action="store_true")
    parser.add_argument("--class-run", action="store_true", help="only the class-mode run (class-N, N = --sizes' largest)")
    parser.add_argument("--class-db", default=None, help="class store URL for --class-run (default: SQLite file)")
    parser.add_argument("--free", action="store_true",
                        help="only the free-exploration run (--sessions distinct models, Train within --spread s)")
    parser.add_argument("--sessions", type=int, default=30, help="students in the free-exploration run")
    parser.add_argument("--spread", type=float, default=10.0, help="seconds over which the students press Train")
    parser.add_argument("--map-every", type=int, default=2, help="every k-th student opens the latent page")
    parser.add_argument("--look-every", type=float, default=10.0,
                        help="seconds between a waiting student's looks at the page (full reruns)")
    parser.add_argument("--seed", type=int, default=0, help="draws the free-exploration settings and click times")
    parser.add_argument("--no-data-autotune", action="store_true",
                        help="with --free: trainings' tf.data pipelines without autotuning (thread_cpu.data_autotune_off)")
    parser.add_argument("--thread-cpu", action="store_true",
                        help="with --free: where the process's CPU went (per thread, reruns, locks; thread_cpu.py)")
    args = parser.parse_args()
    if args.free:
        print(f"cores: {os.cpu_count()}, workers: {runtime.default_workers()}, TensorFlow threads per op: "
              f"{runtime.tensorflow_threads()}, load average at start: {os.getloadavg()[0]:.1f}", flush=True)
        runtime.import_tensorflow()
        from aecore.data import load_dataset
        from aecore.config import DataConfig

        load_dataset(DataConfig())
        free_exploration(args.sessions, args.spread, args.map_every, args.look_every, args.seed, args.thread_cpu,
                         not args.no_data_autotune)
        return
    if args.class_run:
        class_run(max(args.sizes), args.class_db)
        return
    if args.closed_tab_only:
        print("| closed tab (real server + chromium) | |\n|---|---|\n" + "\n".join(closed_tab()))
        return
    print(f"cores: {os.cpu_count()}, workers: {runtime.default_workers()}, TensorFlow threads per op: "
          f"{runtime.tensorflow_threads()}, cache: {os.environ['AELAB_CACHE_DIR']}")
    # A running server has imported TensorFlow (start-up warm-up) and parsed mnist-5k into its cache folder
    # long before the class arrives.
    runtime.import_tensorflow()
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
