"""Where a benchmark process's CPU goes: per-thread CPU from /proc, Streamlit reruns, locks, the queue's slots.

Used by ``classroom.py --free --thread-cpu``. Everything is measured inside the process:

- ``ThreadCPU``: every ``interval`` s the CPU time of each of the process's threads (/proc/self/task/*/stat),
  grouped by what the thread is (Python's thread name, else the kernel's comm: TensorFlow's pools); threads
  that end between two samples count under "ended between samples" (the process total minus the rest).
  Also samples the queue: how many of its worker slots run a job while trainings wait, and a timeline.
- ``timed_reruns``: wall and CPU time of every AppTest script run (the page reruns of the sessions).
- ``TimedLock``: wall time spent waiting for and holding a lock (e.g. ``aecore.train.SEEDED_BUILD``).
"""

from __future__ import annotations

import collections
import contextlib
import os
import re
import threading
import time

TICK = os.sysconf("SC_CLK_TCK")


def _task_cpu() -> dict[int, tuple[str, float]]:
    """{tid: (comm, CPU seconds)} of this process's threads."""
    found = {}
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/stat") as f:
                text = f.read()
        except OSError:  # ended meanwhile
            continue
        comm = text[text.index("(") + 1:text.rindex(")")]
        fields = text[text.rindex(")") + 2:].split()
        found[int(tid)] = (comm, (int(fields[11]) + int(fields[12])) / TICK)
    return found


def _process_cpu() -> float:
    with open("/proc/self/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def _machine() -> tuple[int, int]:
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def category(python_name: str | None, comm: str) -> str:
    if python_name:
        if python_name.startswith("aelab-worker"):
            return "job workers (Python: build, trace, fit loop, epoch ends)"
        if python_name.startswith("ScriptRunner"):
            return "Streamlit reruns (ScriptRunner threads)"
        if python_name == "aelab-loader":
            return "disk-cache loader"
        if "explorer" in python_name:
            return "student threads (benchmark: clicks, polls)"
        if python_name == "MainThread":
            return "main thread"
        return "other Python threads"
    return "native: " + re.sub(r"[-_]?\d+$", "", comm)  # TensorFlow's pools (tf_...), OpenMP, ...


class ThreadCPU:
    """Samples per-thread CPU and the queue's slots every ``interval`` seconds until ``stop``."""

    def __init__(self, queue=None, interval: float = 0.1, window: float = 10.0):
        self.queue = queue
        self.interval = interval
        self.window = window
        self.by_category: collections.Counter = collections.Counter()
        self.timeline: list[tuple[float, collections.Counter, float, float]] = []  # (t, CPU by category, busy, slots)
        self.slots = collections.Counter()  # queue states sampled: "2 running", "1 running, trainings waiting"...
        # The sampler is a Python thread: when it wakes much later than asked, some thread held the GIL.
        self.late = 0.0
        self.late_gaps: list[tuple[float, float]] = []  # (when, seconds) of wake-ups over 0.5 s late
        self._seen: dict[int, tuple[str, float]] = {}
        self._names: dict[int, str] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="thread-cpu-sampler", daemon=True)

    def start(self) -> "ThreadCPU":
        self.t0, self.cpu0, self.machine0 = time.perf_counter(), _process_cpu(), _machine()
        self._seen = _task_cpu()
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()
        self.t1, self.cpu1, self.machine1 = time.perf_counter(), _process_cpu(), _machine()

    def _names_now(self) -> None:
        for t in threading.enumerate():
            if t.native_id is not None:
                self._names[t.native_id] = t.name

    def _sample(self) -> collections.Counter:
        self._names_now()
        now = _task_cpu()
        delta = collections.Counter()
        for tid, (comm, cpu) in now.items():
            before = self._seen.get(tid, (comm, 0.0))[1] if tid in self._seen else 0.0
            delta[category(self._names.get(tid), comm)] += cpu - before
        self._seen = now
        self.by_category.update(delta)
        return delta

    def _queue_state(self) -> str | None:
        queue = self.queue
        if queue is None:
            return None
        with queue._lock:
            holding = queue._holding
            waiting = sum(1 for j in queue._queue if j.epoch_work)
            others = len(queue._queue) - waiting
            paused = len(queue._paused)
        if holding >= queue.workers:
            return f"{holding} slots running"
        if waiting or paused or others:
            return f"{holding} of {queue.workers} slots running while work waits"
        return f"{holding} slots running, nothing waiting"

    def _loop(self) -> None:
        window_start, window_cpu = time.perf_counter(), collections.Counter()
        machine_start = _machine()
        window_slots: list[int] = []
        asked = time.perf_counter()
        while not self._stop.wait(self.interval):
            woke = time.perf_counter()
            late = woke - asked - self.interval
            if late > 0.05:
                self.late += late
                if late > 0.5:
                    self.late_gaps.append((woke - self.t0, late))
            window_cpu.update(self._sample())
            state = self._queue_state()
            if state is not None:
                self.slots[state] += 1
                window_slots.append(self.queue._holding)
            now = time.perf_counter()
            if now - window_start >= self.window:
                busy0, total0 = machine_start
                busy1, total1 = machine_start = _machine()
                self.timeline.append((window_start - self.t0, window_cpu, (busy1 - busy0) / max(total1 - total0, 1),
                                      sum(window_slots) / max(len(window_slots), 1)))
                window_start, window_cpu, window_slots = now, collections.Counter(), []
            asked = time.perf_counter()

    def table(self) -> list[str]:
        wall = self.t1 - self.t0
        total = self.cpu1 - self.cpu0
        counted = sum(self.by_category.values())
        busy0, all0 = self.machine0
        busy1, all1 = self.machine1
        lines = [f"Per-thread CPU over {wall:.0f} s: process {total:.0f} CPU s = {total / wall:.2f} cores; machine "
                 f"busy {(busy1 - busy0) / max(all1 - all0, 1):.0%} of {os.cpu_count()} cores",
                 "| threads | CPU (s) | cores (average) | share of the process |", "|---|---|---|---|"]
        rows = list(self.by_category.items()) + [("ended between samples", total - counted)]
        for name, cpu in sorted(rows, key=lambda r: -r[1]):
            lines.append(f"| {name} | {cpu:.1f} | {cpu / wall:.2f} | {cpu / max(total, 1e-9):.0%} |")
        lines.append(f"\nSampler woke late (GIL held elsewhere or no core free) for {self.late:.1f} s in all; "
                     f"{len(self.late_gaps)} gaps over 0.5 s: "
                     + ", ".join(f"{g:.1f} s at {t:.0f} s" for t, g in self.late_gaps[:12]))
        if self.slots:
            samples = sum(self.slots.values())
            lines += ["", "| queue state (sampled every %.1f s) | share of the time |" % self.interval, "|---|---|"]
            for state, count in sorted(self.slots.items()):
                lines.append(f"| {state} | {count / samples:.0%} |")
        if self.timeline:
            names = [n for n, _ in sorted(self.by_category.items(), key=lambda r: -r[1])][:6]
            lines += ["", "| from (s) | machine busy | worker slots running | " + " | ".join(names) + " |",
                      "|---" * (len(names) + 3) + "|"]
            for start, cpu, busy, slots in self.timeline:
                lines.append(f"| {start:.0f} | {busy:.0%} | {slots:.2f} | "
                             + " | ".join(f"{cpu.get(n, 0.0) / self.window:.2f}" for n in names) + " |")
        return lines


class Reruns:
    """Wall and CPU time of AppTest script runs (each runs in its own ScriptRunner thread)."""

    def __init__(self):
        self.count = 0
        self.wall = 0.0
        self.cpu = 0.0
        self._lock = threading.Lock()

    def add(self, wall: float, cpu: float) -> None:
        with self._lock:
            self.count += 1
            self.wall += wall
            self.cpu += cpu


@contextlib.contextmanager
def timed_reruns():
    """Patch Streamlit's script thread to time each run (wall and the thread's own CPU)."""
    from streamlit.runtime.scriptrunner import script_runner

    reruns = Reruns()
    original = script_runner.ScriptRunner._run_script_thread

    def timed(self, *args, **kwargs):
        wall0, cpu0 = time.perf_counter(), time.thread_time()
        try:
            return original(self, *args, **kwargs)
        finally:
            reruns.add(time.perf_counter() - wall0, time.thread_time() - cpu0)

    script_runner.ScriptRunner._run_script_thread = timed
    try:
        yield reruns
    finally:
        script_runner.ScriptRunner._run_script_thread = original


class EpochStarts:
    """Seconds from each epoch's start (``on_epoch_begin``) to its first step (``on_train_batch_begin``). Keras's
    fit drops the previous epoch's tf.data iterator there (the loop variable is rebound), and the iterator's
    destructor waits for its autotuning thread (seen in gdb: RootDataset::Iterator::~Iterator ->
    ~LogicalThreadWrapper, with the thread still waiting in Model::OptimizeLoop)."""

    def __init__(self):
        self.seconds: list[float] = []
        self._lock = threading.Lock()

    def add(self, seconds: float) -> None:
        with self._lock:
            self.seconds.append(seconds)

    def line(self) -> str:
        s = sorted(self.seconds)
        if not s:
            return "no epoch starts timed"
        slow = [x for x in s if x > 0.5]
        return (f"{len(s)} epoch starts: {sum(s):.1f} s in all, median {1000 * s[len(s) // 2]:.0f} ms, max "
                f"{s[-1]:.1f} s; {len(slow)} over 0.5 s ({sum(slow):.1f} s)")


@contextlib.contextmanager
def timed_epoch_starts():
    """Patch Keras's CallbackList to time each epoch's start to its first step, per training thread."""
    from keras.src.callbacks.callback_list import CallbackList

    starts = EpochStarts()
    since = threading.local()
    begin, batch = CallbackList.on_epoch_begin, CallbackList.on_train_batch_begin

    def on_epoch_begin(self, *args, **kwargs):
        result = begin(self, *args, **kwargs)
        since.value = time.perf_counter()
        return result

    def on_train_batch_begin(self, *args, **kwargs):
        t0 = getattr(since, "value", None)
        if t0 is not None:
            starts.add(time.perf_counter() - t0)
            since.value = None
        return batch(self, *args, **kwargs)

    CallbackList.on_epoch_begin, CallbackList.on_train_batch_begin = on_epoch_begin, on_train_batch_begin
    try:
        yield starts
    finally:
        CallbackList.on_epoch_begin, CallbackList.on_train_batch_begin = begin, batch


@contextlib.contextmanager
def data_autotune_off():
    """Trainings' tf.data pipelines without autotuning (no model thread per iterator): the fix to measure,
    applied from outside aecore.train for the benchmark."""
    import tensorflow as tf

    from aecore import train

    original = train._batches

    def batches(*args, **kwargs):
        options = tf.data.Options()
        options.autotune.enabled = False
        return original(*args, **kwargs).with_options(options)

    train._batches = batches
    try:
        yield
    finally:
        train._batches = original


class TimedLock:
    """A lock that records how long its users waited for it and held it (drop-in for ``threading.Lock``)."""

    def __init__(self, lock=None):
        self._lock = lock or threading.Lock()
        self.waited = self.held = 0.0
        self.acquisitions = 0
        self._since = threading.local()

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        t0 = time.perf_counter()
        got = self._lock.acquire(blocking, timeout)
        if got:
            t1 = time.perf_counter()
            self.waited += t1 - t0
            self.acquisitions += 1
            self._since.value = t1
        return got

    def release(self) -> None:
        self.held += time.perf_counter() - getattr(self._since, "value", time.perf_counter())
        self._lock.release()

    __enter__ = acquire

    def __exit__(self, *exc) -> None:
        self.release()

    def locked(self) -> bool:
        return self._lock.locked()
