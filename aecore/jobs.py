"""Background jobs: one process-wide queue, a bounded number of workers, shared and fair.

A job is any function ``fn(report, cancel_event) -> result``; training is one
kind. Jobs are keyed (usually by an experiment's stable hash): submitting a key
that is queued, running or finished *attaches* to that job instead of doing the
work again, so thirty students on the same preset cause one training.

- Bounded: ``workers`` threads run the jobs. The queue is plain Python: what
  TensorFlow needs (its import lock, thread sizing, releasing traced graphs)
  comes through ``JobHooks``, which ``app_queue`` takes from ``aecore.runtime``
  (the app's queue: one worker per two cores, each job's loops limited to its
  share of the cores). A job may carry a ``quick`` function (a disk-cache
  load): it runs first on a separate loader thread, so a cached model never
  waits behind a training; only when it returns None does the job join the queue.
- Fair: the next job is taken from the session that was served least recently
  (round robin between sessions, first come first served within one), so a
  session that queues many jobs cannot starve the others: a job waits for at
  most one job of every other session queued before it was.
- Visible: ``position`` (jobs ahead) and ``wait_estimate`` (seconds, from the
  jobs' own estimates scaled by how long jobs really took) follow the same order.
- Attach/detach: sessions attach to the jobs they watch; ``detach(session)``
  (tab closed) cancels a job once its last attached session is gone, and
  ``forget_owner`` drops a session's private results (uploads).
- Bounded in time: a job whose expected time exceeds the teacher's limit
  (``$AELAB_MAX_JOB_SECONDS``, default 300 s) is refused before it is queued,
  and a running job is stopped when it reaches the limit (a training keeps its
  last completed epoch), so one session never holds a worker for longer.
- Turns (``turns``, the app's queue): a training gives its worker up at the end of an epoch while a
  training that has not started waits, and continues when none does (oldest first). Thirty students who
  press Train together each get a first epoch's model (``aecore.train``'s reports make it usable) after
  the others' first epochs, instead of after the others' whole trainings; the final models still come
  first come, first served. At most ``open_jobs`` trainings are open (running or paused) at once.
- Measured: a job that describes its work per epoch (``epoch_work``, in nominal
  seconds) is estimated from this machine's measured speed (``MachineSpeed``,
  recorded by finished jobs and kept on disk), else from a cautious guess.

Finished results stay in an in-memory LRU so returning to a model is instant.
"""

from __future__ import annotations

import collections
import dataclasses
import gc
import itertools
import logging
import os
import threading
import time
import traceback
from contextlib import AbstractContextManager
from typing import Any, Callable

from aecore.progress import Progress

log = logging.getLogger("aecore.jobs")

QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
LOADING = "loading"  # on the loader thread (a quick disk-cache load), ahead of the queue
ACTIVE = (LOADING, QUEUED, RUNNING)
DEFAULT_ESTIMATE = 10.0  # seconds, for a job submitted without an estimate
DEFAULT_MAX_JOB_SECONDS = 300.0
TOO_LONG = "too_long"  # error_kind of a job refused before it was queued
TIME_LIMIT = "time_limit"  # error_kind of a job stopped when it reached the limit
OPEN_JOBS = 32  # trainings open at once with turns (each holds its model and a thread while paused)


def max_job_seconds() -> float:
    """The longest a job may take: ``$AELAB_MAX_JOB_SECONDS`` (the teacher's setting), default 300 s."""
    env = os.environ.get("AELAB_MAX_JOB_SECONDS", "").strip()
    try:
        value = float(env)
    except ValueError:
        return DEFAULT_MAX_JOB_SECONDS
    return value if value > 0 and value == value else DEFAULT_MAX_JOB_SECONDS


def _seconds(value: float) -> str:
    return f"{value:.0f}" if value >= 10 else f"{value:.2g}"


def speed_file() -> str:
    """Where the measured speed is kept: ``$AELAB_SPEED_FILE``, else next to the model cache."""
    env = os.environ.get("AELAB_SPEED_FILE", "").strip()
    if env:
        return env
    cache = os.environ.get("AELAB_CACHE_DIR", "").strip() or os.path.join(
        os.path.expanduser("~"), ".cache", "autoencoder-lab")
    return os.path.join(cache, "machine-speed.json")


class MachineSpeed:
    """This machine's measured training speed, learned from finished jobs.

    A job describes its work as ``epoch_work``: the seconds one epoch takes at nominal speed (a formula of
    the model's size, see ui.training). What jobs really took gives ``factor`` (measured seconds per
    nominal second of an epoch) and ``overhead`` (seconds per job outside the epochs: building the model,
    the first epoch's tracing, the final evaluation). Both are moving averages, kept in ``path`` so a
    restarted server (or one warmed with ``make warm``) starts from what it measured. Until something is
    measured the estimate uses ``FALLBACK_FACTOR``, a cautious guess for a busy 2-core machine.
    """

    FALLBACK_FACTOR = 2.0
    FALLBACK_OVERHEAD = 8.0

    def __init__(self, path: str | None = None):
        self.path = path
        self.factor: float | None = None
        self.overhead: float | None = None
        self.samples = 0
        self._lock = threading.Lock()
        self._load()

    @property
    def measured(self) -> bool:
        return self.factor is not None

    def estimate(self, epoch_work: float, epochs: int) -> float:
        """Seconds for ``epochs`` epochs of ``epoch_work`` nominal seconds each, plus the per-job overhead."""
        factor = self.factor if self.factor is not None else self.FALLBACK_FACTOR
        overhead = self.overhead if self.overhead is not None else self.FALLBACK_OVERHEAD
        return overhead + factor * epoch_work * max(epochs, 0)

    def record(self, epoch_work: float, epoch_seconds: float, overhead_seconds: float | None = None) -> None:
        """One job's measurement: its epochs took ``epoch_seconds`` each for ``epoch_work`` nominal seconds."""
        if not (epoch_work > 0 and epoch_seconds > 0):
            return
        factor = min(max(epoch_seconds / epoch_work, 0.05), 50.0)
        with self._lock:
            # A new measurement counts for half: the machine's load changes during a lecture.
            self.factor = factor if self.factor is None else 0.5 * self.factor + 0.5 * factor
            if overhead_seconds is not None and overhead_seconds >= 0:
                overhead_seconds = min(overhead_seconds, 120.0)
                self.overhead = (overhead_seconds if self.overhead is None
                                 else 0.5 * self.overhead + 0.5 * overhead_seconds)
            self.samples += 1
            self._save()

    def _load(self) -> None:
        if not self.path:
            return
        try:
            import json

            with open(self.path) as f:
                data = json.load(f)
            factor, overhead = float(data["factor"]), float(data.get("overhead", self.FALLBACK_OVERHEAD))
            if 0.05 <= factor <= 50 and 0 <= overhead <= 120:
                self.factor, self.overhead, self.samples = factor, overhead, int(data.get("samples", 1))
        except Exception:  # missing or unreadable: measure again
            pass

    def _save(self) -> None:
        if not self.path:
            return
        try:
            import json

            os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
            tmp = f"{self.path}.{os.getpid()}.tmp"
            with open(tmp, "w") as f:
                json.dump({"factor": self.factor, "overhead": self.overhead, "samples": self.samples,
                           "updated": time.time()}, f)
            os.replace(tmp, self.path)
        except OSError:  # a read-only disk: the measurement still holds in memory
            pass


@dataclasses.dataclass
class JobHooks:
    """What a queue does around its jobs beyond plain Python; the defaults do nothing.

    ``aecore.runtime`` supplies TensorFlow's (see ``app_queue``): the import lock, thread sizing and the
    release of dropped models' traced train steps.
    """

    before_submit: Callable[[], None] = lambda: None  # in the submitting thread, before any job may start
    before_work: Callable[[], None] = lambda: None  # in the job's thread, before its work or quick load
    # Given the jobs running, the threads a starting job may use and a context that limits it to them;
    # None: jobs run unlimited (and their ``threads`` stay None).
    limit_threads: Callable[[int], tuple[int, AbstractContextManager]] | None = None
    release: Callable[[], int] = lambda: 0  # after gc when the workers fall idle; > 0: collect again


class Job:
    """One unit of background work, with progress reports and a cancel flag."""

    _ids = itertools.count(1)

    def __init__(self, key: str, fn: Callable[[Callable[[Any], None], threading.Event], Any], label: str = "",
                 owner: str | None = None, estimate_seconds: float | None = None,
                 submitter: str | None = None, quick: Callable | None = None,
                 epoch_work: float | None = None, epochs: int | None = None, about: Any = None):
        self.id = next(self._ids)
        self.about = about  # what the job works on (e.g. its Experiment), for whoever shows its progress
        self.key = key
        self.fn = fn
        self.quick = quick
        self.label = label or key
        self.owner = owner  # a session id for private work (uploads), None when shareable
        self.submitter = submitter  # the session that asked first: the unit of fairness
        self.estimate_seconds = estimate_seconds
        self.epoch_work = epoch_work  # nominal seconds per epoch (see MachineSpeed), when the job has epochs
        self.epochs = epochs
        self.limit_seconds: float | None = None  # the time limit it ran under
        self.hit_limit = False  # stopped because it reached that limit
        self.status = QUEUED
        self.source: str | None = None  # "cache" when a quick load produced the result, else "run"
        self.reports: list[Any] = []
        self.result: Any = None
        self.error: str | None = None
        self.error_kind: str | None = None
        self.cancel_event = threading.Event()
        self.created = time.time()
        self.queued_at = self.created
        self.started: float | None = None
        self.working: float | None = None  # when its own work began (after TensorFlow's one-time import)
        self.finished: float | None = None
        self.done_event = threading.Event()
        self.attached: set[str] = set()
        self.elsewhere = False  # its work runs on a Dask cluster: it holds no local worker or core
        self.threads: int | None = None  # threads its own parallel loops were given when it started
        self.paused_since: float | None = None  # waiting, between two epochs, for its turn (JobQueue.turns)
        self.paused_seconds = 0.0  # time spent paused in earlier turns
        self.paused_before: list[float] = []  # paused_seconds when each report arrived (parallel to reports)
        # worked() when each report arrived: a report's own ``elapsed`` starts at the first step, so it misses
        # the worker's time building the model before it and finishing the job after the last epoch.
        self.worked_when: list[float] = []

    @property
    def latest(self):
        return self.reports[-1] if self.reports else None

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    @property
    def from_cache(self) -> bool:
        return self.source == "cache"

    @property
    def refused(self) -> bool:
        """Refused before it was queued: its expected time exceeds the limit."""
        return self.error_kind == TOO_LONG


    @property
    def waited(self) -> float | None:
        """Seconds between joining the queue and starting (None until it starts)."""
        return None if self.started is None else self.started - self.queued_at

    @property
    def paused(self) -> bool:
        return self.paused_since is not None

    def paused_total(self, now: float | None = None) -> float:
        """Seconds this job has spent paused for other jobs' turns, the current pause included."""
        current = (now or time.time()) - self.paused_since if self.paused_since is not None else 0.0
        return self.paused_seconds + current

    def worked(self, now: float | None = None) -> float:
        """Seconds of its own work so far (until it finished): since it began working, without its pauses."""
        if self.working is None:
            return 0.0
        now = now or self.finished or time.time()
        return max(now - self.working - self.paused_total(now), 0.0)

    def report(self, item: Any) -> None:
        self.paused_before.append(self.paused_seconds)
        self.worked_when.append(self.worked())
        self.reports.append(item)

    def _epoch_arrivals(self) -> list[float]:
        """worked() when each epoch report arrived (empty for reports set directly, without ``report``)."""
        reports, worked = list(self.reports), list(self.worked_when)
        if len(worked) != len(reports):
            return []
        return [w for r, w in zip(reports, worked) if getattr(r, "epoch", None) and getattr(r, "elapsed", None)]

    def first_turn_seconds(self) -> float | None:
        """The worker's time until the first epoch's report: building the model, tracing, the epoch."""
        arrivals, points = self._epoch_arrivals(), self.epoch_points()
        if not points or points[0][0] != 1:
            return None
        return arrivals[0] if arrivals else points[0][2]

    def since_last_epoch(self) -> float | None:
        """Own work since its last epoch's report arrived (None before one)."""
        arrivals, points = self._epoch_arrivals(), self.epoch_points()
        if not points:
            return None
        return max(self.worked() - (arrivals[-1] if arrivals else points[-1][2]), 0.0)

    def epoch_points(self) -> list[tuple[int, int | None, float]]:
        """(epoch, planned epochs, seconds of its own work when that epoch ended) of its epoch reports."""
        reports, pauses = list(self.reports), list(self.paused_before)
        pauses += [pauses[-1] if pauses else 0.0] * (len(reports) - len(pauses))  # reports set directly
        points = []
        for report, paused in zip(reports, pauses):
            epoch, elapsed = getattr(report, "epoch", None), getattr(report, "elapsed", None)
            if epoch and elapsed:
                points.append((epoch, getattr(report, "epochs", None), elapsed - paused))
        return points

    def cancel(self) -> None:
        self.cancel_event.set()

    def wait(self, timeout: float | None = None) -> bool:
        return self.done_event.wait(timeout)

    def __repr__(self) -> str:
        return f"Job({self.id}, {self.label!r}, {self.status})"


class JobQueue:
    """Fair queue served by ``workers`` threads; identical keys share one job."""

    def __init__(self, workers: int = 1, keep_results: int = 32, release_memory: bool = True,
                 max_seconds: float | None = None, speed: MachineSpeed | None = None,
                 hooks: JobHooks | None = None, turns: bool = False, open_jobs: int = OPEN_JOBS):
        self.workers = workers
        self.turns = turns
        self.open_jobs = open_jobs
        self._holding = 0  # jobs on this server's workers now: running, not paused
        self._paused: list[Job] = []  # trainings waiting between epochs for their turn
        self.hooks = hooks or JobHooks()
        self._max_seconds = max_seconds  # None: read $AELAB_MAX_JOB_SECONDS at every check
        self.speed = speed if speed is not None else MachineSpeed()
        self.keep_results = keep_results
        self.release_memory = release_memory
        self._lock = threading.Condition()
        self._queue: list[Job] = []  # in arrival order; _pick chooses fairly among them
        self._jobs: dict[str, Job] = {}  # active jobs by full key
        self._finished: collections.OrderedDict[str, Job] = collections.OrderedDict()
        self._threads: list[threading.Thread] = []
        self._loading: collections.deque[Job] = collections.deque()
        self._loader: threading.Thread | None = None
        self._last_served: dict[str | None, float] = {}
        self._serve_clock = itertools.count()
        self._speed = 1.0  # measured seconds / estimated seconds (moving average)
        self._turn_scale = (0.0, 1.0)  # (when, measured / estimated first turns): see _first_turn_scale
        self._tail: float | None = None  # seconds a training's worker spends after its last epoch (moving average): _epochs_left
        self.stats = collections.Counter()

    def _key(self, key: str, owner: str | None) -> str:
        return f"{owner}:{key}" if owner else key

    @property
    def max_seconds(self) -> float:
        return self._max_seconds if self._max_seconds is not None else max_job_seconds()

    def estimate(self, epoch_work: float, epochs: int) -> float:
        """Expected seconds of a job with ``epochs`` epochs of ``epoch_work`` nominal seconds (measured speed)."""
        return self.speed.estimate(epoch_work, epochs)

    def too_long_message(self, seconds: float) -> str:
        return (f"This job would take about {seconds:.0f} s on this machine (an estimate from its measured "
                f"speed), more than the limit of {_seconds(self.max_seconds)} s per job that keeps the queue moving "
                "for everyone (the teacher sets it with AELAB_MAX_JOB_SECONDS). Choose smaller settings.")

    def _refuse(self, job: Job) -> bool:
        """Refuse ``job`` when its expected time exceeds the limit (caller holds the lock)."""
        expected = self.expected_seconds(job) if job.epoch_work else (job.estimate_seconds or 0.0)
        if expected <= self.max_seconds:
            return False
        job.status, job.error_kind = FAILED, TOO_LONG
        job.error = self.too_long_message(expected)
        job.finished = time.time()
        job.fn = job.quick = None
        job.done_event.set()
        self.stats["refused"] += 1
        return True

    # -- submitting and finding ----------------------------------------------------------------------------
    def submit(self, key: str, fn, label: str = "", owner: str | None = None,
               estimate_seconds: float | None = None, session: str | None = None,
               quick: Callable | None = None, epoch_work: float | None = None,
               epochs: int | None = None, about: Any = None) -> Job:
        """Queue ``fn`` under ``key`` or return (and attach ``session`` to) the job already doing it.

        ``owner`` makes the job private to that session (its key is prefixed with it). ``quick``, when
        given, is tried first on the loader thread (e.g. loading the result from disk); when it returns
        None the job joins the queue to run ``fn``. ``epoch_work`` and ``epochs`` describe a job of epochs
        (see MachineSpeed): it is then estimated from the measured speed, and teaches it when it ends.

        A new job whose expected time exceeds ``max_seconds`` is refused: the job returned has already
        failed (``refused``), with a message, and is not kept.
        """
        self.hooks.before_submit()  # e.g. imports a worker must not be the first to start
        full_key = self._key(key, owner)
        with self._lock:
            existing = self._jobs.get(full_key) or self._finished.get(full_key)
            if existing is not None and existing.status in (*ACTIVE, DONE):
                if existing.status == DONE:
                    self._finished.move_to_end(full_key)
                    self.stats["memory_hits"] += 1
                else:
                    self.stats["attached"] += 1
                if session:
                    existing.attached.add(session)
                return existing
            job = Job(key, fn, label, owner, estimate_seconds, submitter=session or owner, quick=quick,
                      epoch_work=epoch_work, epochs=epochs, about=about)
            if quick is None and self._refuse(job):
                return job
            if session:
                job.attached.add(session)
            self._jobs[full_key] = job
            if quick is not None:
                job.status = LOADING
                self._loading.append(job)
                self._ensure_loader()
            else:
                self._enqueue(job)
            self._lock.notify_all()
            return job

    def find(self, key: str, owner: str | None = None) -> Job | None:
        full_key = self._key(key, owner)
        with self._lock:
            return self._jobs.get(full_key) or self._finished.get(full_key)

    def active_jobs(self) -> list[Job]:
        with self._lock:
            return list(self._jobs.values())

    def running_count(self) -> int:
        """Jobs running on this server's workers now (a Dask job runs elsewhere and is not counted)."""
        with self._lock:
            return sum(1 for j in self._jobs.values() if j.status == RUNNING and not j.elsewhere and not j.paused)

    def _enqueue(self, job: Job) -> None:
        job.status = QUEUED
        job.queued_at = time.time()
        if getattr(job.fn, "runs_elsewhere", False):  # it only waits for a Dask cluster: no local slot
            self._start_elsewhere(job)
            return
        self._queue.append(job)
        self._ensure_workers()

    # -- fairness, position, waiting time ------------------------------------------------------------------
    def _pick_from(self, queued: list[Job], last_served: dict) -> Job:
        """The oldest job of the session served least recently (never-served sessions first)."""
        oldest: dict[str | None, Job] = {}
        for job in queued:  # arrival order: the first seen per session is its oldest
            oldest.setdefault(job.submitter, job)
        return min(oldest.values(), key=lambda j: (last_served.get(j.submitter, -1), j.queued_at, j.id))

    def _order(self) -> list[Job]:
        """Queued jobs in the order they will run (caller holds the lock)."""
        queued, last_served, order = list(self._queue), dict(self._last_served), []
        clock = max(last_served.values(), default=0)
        while queued:
            job = self._pick_from(queued, last_served)
            queued.remove(job)
            order.append(job)
            clock += 1
            last_served[job.submitter] = clock
        return order

    def expected_seconds(self, job: Job) -> float:
        """The job's time from the machine's measured speed when it describes its epochs, else its own
        estimate scaled by how long jobs have really taken against their estimates."""
        if job.epoch_work and job.epochs:
            return self.speed.estimate(job.epoch_work, job.epochs)
        return (job.estimate_seconds or DEFAULT_ESTIMATE) * self._speed

    def remaining_seconds(self, job: Job) -> float:
        """A running job's time left: from its own progress reports when they say (training epochs do),
        else its expected time minus the time it has run (never below a tenth of it: it is not done). Its
        own work never goes beyond the time limit, where the job is stopped; with turns, the time it will
        spend paused for other trainings comes on top (``turn_wait``)."""
        with self._lock:
            left = self._left(job)
            if job.limit_seconds is not None and job.working is not None:
                left = min(left, max(job.limit_seconds - job.worked(), 0.0))
            return left + self.turn_wait(job)

    def turn_wait(self, job: Job) -> float:
        """Seconds a running training will still spend paused (0 without turns): the first epochs of the
        trainings waiting to start, and what is left of the paused trainings older than it, shared among
        the workers."""
        with self._lock:
            if not self.turns or job.elsewhere or not job.epoch_work or job.status != RUNNING:
                return 0.0
            waiting = sum(self._first_epoch_seconds(q) for q in self._queue if q.epoch_work)
            older = sum(self._left(p) for p in self._paused if p is not job and self._older(p, job))
            return (waiting + older) / max(self.workers, 1)

    @staticmethod
    def _older(a: Job, b: Job) -> bool:
        return ((a.started or 0.0), a.id) < ((b.started or 0.0), b.id)

    def _first_epoch_seconds(self, job: Job) -> float:
        """A waiting training's turn before it pauses: building and tracing its model and one epoch, at the
        machine's speed scaled by what the first turns of the trainings open now really took."""
        return min(self.speed.estimate(job.epoch_work, 1) * self._first_turn_scale(), self.max_seconds)

    def _first_turn_scale(self) -> float:
        """Measured / estimated seconds of the first turns (building, tracing, first epoch) of the trainings
        running or paused now; 1.0 before any. A class's first minutes are all first turns and no training
        has finished to teach ``speed``: a fresh server's guess (8 s a model) made the waits 3.4× too long
        (benchmarks/classroom.py --free, 2 workers, 2026-12-03 07:50). Kept for a second (many calls a second)."""
        now = time.time()
        if now - self._turn_scale[0] < 1.0:
            return self._turn_scale[1]
        measured = estimated = 0.0
        for open_job in self._jobs.values():
            if open_job.status != RUNNING or not open_job.epoch_work:
                continue
            first_turn = open_job.first_turn_seconds()
            if first_turn is not None:
                measured += first_turn
                estimated += self.speed.estimate(open_job.epoch_work, 1)
        scale = min(max(measured / estimated, 0.1), 10.0) if measured > 0 and estimated > 0 else 1.0
        self._turn_scale = (now, scale)
        return scale

    def _left(self, job: Job) -> float:
        epochs_left = self._epochs_left(job)
        if epochs_left is not None:
            return epochs_left
        report = job.latest
        if isinstance(report, Progress) and 0 < report.fraction < 1 and job.working is not None:
            return job.worked() * (1 - report.fraction) / report.fraction  # at its pace so far
        expected = self.expected_seconds(job)
        return max(expected - (time.time() - (job.started or time.time())), 0.1 * expected)

    def _per_epoch(self, job: Job) -> float | None:
        """Seconds of work per epoch: the pace of its epochs after the first (the first also builds and
        traces the model, so it is slower), or at the machine's measured pace after one epoch."""
        points = job.epoch_points()
        if not points or not points[-1][1]:
            return None
        (first, _, first_at), (last, _, last_at) = points[0], points[-1]
        if last > first:
            return (last_at - first_at) / (last - first)
        if job.epoch_work:
            return min(self.speed.estimate(job.epoch_work, 1) - self.speed.estimate(0.0, 0), last_at / last)
        return last_at / last

    def _epochs_left(self, job: Job) -> float | None:
        """Seconds of work left of a job of epochs: its epochs at their ``_per_epoch`` pace, less the part of
        the current one done, and the time a training takes after its last epoch (evaluating, saving)."""
        per_epoch = self._per_epoch(job)
        if per_epoch is None:
            return None
        last, epochs, _ = job.epoch_points()[-1]
        if last >= epochs:
            return max((self._tail or 0.0) - (job.since_last_epoch() or 0.0), 0.0)
        return max(per_epoch * (epochs - last) - (job.since_last_epoch() or 0.0), 0.0) + (self._tail or 0.0)

    def _until_free(self, job: Job, for_training: bool) -> float:
        """Seconds until a running job frees its worker: at its next epoch's end when it will give its turn
        to a waiting training (``for_training`` with turns), else when it is done."""
        left = self.remaining_seconds(job)
        if not (for_training and self.turns and job.epoch_work and not job.elsewhere):
            return left
        per_epoch = self._per_epoch(job)
        if per_epoch is None:  # still building its model: its first epoch ends its turn
            return min(left, max(self._first_epoch_seconds(job) - job.worked(), 0.0))
        last, epochs, _ = job.epoch_points()[-1]
        if epochs is not None and epochs - last <= 1:
            return left  # its last epoch: it finishes instead of pausing
        return min(left, max(per_epoch - (job.since_last_epoch() or 0.0), 0.0))

    def position(self, job: Job) -> int:
        """Jobs ahead of ``job``: running ones plus those that will start before it (0 when not queued)."""
        with self._lock:
            if job.status != QUEUED:
                return 0
            running = sum(1 for j in self._jobs.values() if j.status == RUNNING and not j.paused)
            order = self._order()
            return running + (order.index(job) if job in order else 0)

    def wait_estimate(self, job: Job) -> float:
        """Rough seconds until ``job`` starts: the workers' remaining time, then the jobs ahead of it. With
        turns, a training waits only for the running jobs' current epochs and the first epochs of the
        trainings ahead of it (each then pauses); other jobs wait for every training too."""
        with self._lock:
            if job.status != QUEUED:
                return 0.0
            first_epochs = self.turns and bool(job.epoch_work)
            running = [j for j in self._jobs.values() if j.status == RUNNING and not j.elsewhere]
            free = sorted(self._until_free(j, first_epochs) for j in running if not j.paused)
            free = (free + [0.0] * self.workers)[: max(self.workers, len(free))]
            if self.turns and not first_epochs and self._paused:  # the paused trainings finish first
                for paused in sorted(self._paused, key=lambda p: ((p.started or 0.0), p.id)):
                    free[min(range(len(free)), key=free.__getitem__)] += self._left(paused)
            for queued in self._order():
                if first_epochs and not queued.epoch_work:
                    continue  # a waiting training starts before the other jobs
                slot = min(range(len(free)), key=free.__getitem__)
                if queued is job:
                    return free[slot]
                cost = self._first_epoch_seconds(queued) if first_epochs else self.expected_seconds(queued)
                free[slot] += min(cost, self.max_seconds)  # stopped at the limit
        return 0.0

    # -- cancelling, sessions --------------------------------------------------------------------------------
    def cancel(self, job: Job, session: str | None = None) -> bool:
        """Cancel for ``session`` (or for everyone when None); a job others are attached to keeps running.

        Returns True when the job itself was cancelled.
        """
        with self._lock:
            if session is not None:
                job.attached.discard(session)
                if job.attached:
                    return False
            if not job.active:
                return False
            job.cancel()
            if job.status == QUEUED and job in self._queue:
                self._queue.remove(job)
                self._finish(job, CANCELLED)
            elif job.status == LOADING and job in self._loading:
                self._loading.remove(job)
                self._finish(job, CANCELLED)
            self.stats["cancelled"] += 1
            return True

    def attach(self, job: Job, session: str) -> None:
        with self._lock:
            job.attached.add(session)

    def detach(self, session: str) -> list[Job]:
        """``session`` is gone (its tab closed): leave every job; cancel those it was the last one watching."""
        cancelled = []
        with self._lock:
            for job in list(self._jobs.values()):
                if session in job.attached:
                    job.attached.discard(session)
                    if not job.attached and self.cancel(job):
                        cancelled.append(job)
            for job in self._finished.values():
                job.attached.discard(session)
        if cancelled:
            log.info("session %s left: cancelled %s", session, cancelled)
        return cancelled

    def sessions(self) -> set[str]:
        """Every session attached to a job or owning a kept result."""
        with self._lock:
            found = {s for j in self._jobs.values() for s in j.attached}
            found |= {j.owner for j in self._finished.values() if j.owner}
            found |= {j.owner for j in self._jobs.values() if j.owner}
            return found

    def forget_owner(self, session: str) -> int:
        """Drop every private result of ``session`` (its session ended); returns how many."""
        with self._lock:
            for job in list(self._jobs.values()):
                if job.owner == session:
                    self.cancel(job)
            keys = [k for k, j in self._finished.items() if j.owner == session]
            for k in keys:
                del self._finished[k]
        if keys:
            self._release()
        return len(keys)

    def forget(self, key: str, owner: str | None = None) -> None:
        """Drop a finished result (e.g. when its session ends)."""
        with self._lock:
            self._finished.pop(self._key(key, owner), None)

    # -- the threads -----------------------------------------------------------------------------------------
    def _ensure_workers(self) -> None:
        """A thread for every worker, besides the threads of the trainings paused for their turn."""
        self._threads = [t for t in self._threads if t.is_alive()]
        while len(self._threads) < self.workers + len(self._paused):
            thread = threading.Thread(target=self._work, name=f"aelab-worker-{len(self._threads)}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def _ensure_loader(self) -> None:
        if self._loader is None or not self._loader.is_alive():
            self._loader = threading.Thread(target=self._load, name="aelab-loader", daemon=True)
            self._loader.start()

    def _finish(self, job: Job, status: str) -> None:
        """Record the end of a job (caller holds the lock)."""
        job.status = status
        job.finished = time.time()
        full_key = self._key(job.key, job.owner)
        if self._jobs.get(full_key) is job:
            del self._jobs[full_key]
        if status == DONE:
            self._finished[full_key] = job
            while len(self._finished) > self.keep_results:
                self._finished.popitem(last=False)
        job.fn = job.quick = None  # closures hold data sets: let them go
        job.done_event.set()
        self._lock.notify_all()

    def _run(self, job: Job, fn, bounded: bool = True, turns: bool = False) -> tuple[str, Any]:
        self.hooks.before_work()  # e.g. TensorFlow's one-time import, through its lock (aecore.runtime)
        job.working = time.time()
        timer = None
        if bounded:  # a worker's job is bounded in time; a disk-cache load is quick by nature
            job.limit_seconds = self.max_seconds
            timer = threading.Timer(job.limit_seconds, self._time_up, args=(job,))
            timer.daemon = True
            timer.start()
        try:
            if bounded and not job.elsewhere and self.hooks.limit_threads is not None:
                job.threads, limits = self.hooks.limit_threads(self.running_count())
                with limits:
                    status, result = self._call(job, fn, turns)
            else:
                status, result = self._call(job, fn, turns)
        finally:
            if timer is not None:
                timer.cancel()
        if job.hit_limit:
            job.error_kind = TIME_LIMIT
            job.error = self.time_limit_message(job)
            status = CANCELLED
        return status, result

    def _time_up(self, job: Job) -> None:
        """The job reached the time limit: stop it (a training keeps its last completed epoch). Time paused
        for other trainings' turns does not count: the limit is then checked again when it could be up."""
        with self._lock:
            if job.status != RUNNING or job.cancel_event.is_set():
                return
            left = (job.limit_seconds or 0.0) - job.worked()
            if left > 0.05:
                timer = threading.Timer(left, self._time_up, args=(job,))
                timer.daemon = True
                timer.start()
                return
            job.hit_limit = True
            job.cancel()
            self.stats["time_limit"] += 1
        log.info("job %s stopped at the time limit of %.0f s", job.label, job.limit_seconds or 0)

    def _call(self, job: Job, fn, turns: bool = False) -> tuple[str, Any]:
        report = (lambda item: self._report_and_take_turns(job, item)) if turns else job.report
        try:
            result = fn(report, job.cancel_event)
            # A partial result after Stop: shown to its session, never shared as finished.
            return (CANCELLED if job.cancel_event.is_set() else DONE), result
        except Exception as exc:  # reported on the page; the thread lives on
            status = CANCELLED if type(exc).__name__ == "TrainingCancelled" else FAILED
            job.error = str(exc) or type(exc).__name__
            job.error_kind = type(exc).__name__
            if status == FAILED and not isinstance(exc, (ValueError, RuntimeError)):
                log.error("job %s crashed:\n%s", job.label, traceback.format_exc())
                job.error = f"Something went wrong inside the job ({type(exc).__name__}: {exc})."
            return status, None

    def _report_and_take_turns(self, job: Job, item: Any) -> None:
        """Record a report; at an epoch's end (not the last), give the worker up while a training waits to
        start or an older training is paused, and continue when it is this job's turn again."""
        job.report(item)
        epoch, epochs = getattr(item, "epoch", None), getattr(item, "epochs", None)
        if not job.epoch_work or not epoch or not epochs or epoch >= epochs:
            return
        with self._lock:
            if job.cancel_event.is_set() or not self._gives_turn(job):
                return
            job.paused_since = time.time()
            self._paused.append(job)
            self._holding -= 1
            self.stats["turns"] += 1
            self._ensure_workers()  # a thread to start the waiting training
            self._lock.notify_all()
            while not job.cancel_event.is_set() and not self._takes_turn(job):
                self._lock.wait(0.5)  # Stop wakes it within this
            self._paused.remove(job)
            self._holding += 1
            job.paused_seconds += time.time() - job.paused_since
            job.paused_since = None
            self._lock.notify_all()

    def _gives_turn(self, job: Job) -> bool:
        """Whether a running training pauses now (caller holds the lock)."""
        waiting = any(q.epoch_work for q in self._queue) and len(self._paused) + self.workers < self.open_jobs
        return waiting or any(self._older(p, job) for p in self._paused)

    def _takes_turn(self, job: Job) -> bool:
        """Whether a paused training continues now: a worker is free, no training waits to start, and it is
        the oldest paused one (caller holds the lock)."""
        if self._holding >= self.workers or any(q.epoch_work for q in self._queue):
            return False
        return min(self._paused, key=lambda p: ((p.started or 0.0), p.id)) is job

    def _startable(self) -> list[Job]:
        """Queued jobs a free worker may start: while trainings are paused, only trainings (their first
        epochs), so the paused ones continue before anything else (caller holds the lock)."""
        if not self._paused:
            return self._queue
        return [j for j in self._queue if j.epoch_work]

    @staticmethod
    def time_limit_message(job: Job) -> str:
        report = job.latest
        done = getattr(report, "epoch", None)
        kept = (f" after {done} completed epoch{'s' if done != 1 else ''}: the last one is kept"
                if done else " before its first epoch finished: there is no result")
        return (f"Stopped at the time limit of {_seconds(job.limit_seconds)} s per job{kept}. The limit keeps the "
                "queue moving for everyone (the teacher sets it with AELAB_MAX_JOB_SECONDS); choose smaller "
                "settings (fewer epochs, a smaller model or a larger batch) to train fully within it.")

    def _load(self) -> None:
        while True:
            with self._lock:
                while not self._loading:
                    self._lock.wait()
                job = self._loading.popleft()
            status, result = self._run(job, job.quick, bounded=False)
            with self._lock:
                if status == DONE and result is not None:
                    job.result, job.source = result, "cache"
                    job.started = job.started or time.time()
                    self.stats["cache_loads"] += 1
                    self._finish(job, DONE)
                elif job.cancel_event.is_set():
                    self._finish(job, CANCELLED)
                else:  # not on disk (or unreadable): do the work, if it fits in the time limit
                    job.error = job.error_kind = None
                    if self._refuse(job):
                        self._finish(job, FAILED)
                    else:
                        self._enqueue(job)
                    self._lock.notify_all()

    def _work(self) -> None:
        while True:
            with self._lock:
                while self._holding >= self.workers or not self._startable():
                    self._lock.wait()
                job = self._pick_from(self._startable(), self._last_served)
                self._queue.remove(job)
                self._holding += 1
                self._last_served[job.submitter] = next(self._serve_clock)
                job.status = RUNNING
                job.started = time.time()
            try:
                status, result = self._run(job, job.fn, turns=self.turns)
            finally:
                with self._lock:
                    self._holding -= 1
            with self._lock:
                job.result, job.source = result, "run"
                if status == DONE and job.estimate_seconds:
                    took = time.time() - job.started - job.paused_seconds
                    self._speed = 0.7 * self._speed + 0.3 * min(max(took / job.estimate_seconds, 0.1), 10.0)
                self._measure(job)
                self.stats["runs"] += 1
                self._finish(job, status)
                idle = not any(j.status == RUNNING for j in self._jobs.values())
            del job, result  # an idle worker must not keep the last job (and its model) alive
            if idle:
                self._release()

    def _start_elsewhere(self, job: Job) -> None:
        """Run a job whose work happens elsewhere (a Dask cluster, see aecore.distributed) on its own thread
        (caller holds the lock): it relays progress and Stop, so it must not hold one of this server's slots."""
        job.status = RUNNING
        job.started = time.time()
        job.elsewhere = True

        def relay() -> None:
            status, result = self._run(job, job.fn)
            with self._lock:
                job.result, job.source = result, "run"
                self._measure(job)
                self.stats["remote_runs"] += 1
                self._finish(job, status)

        threading.Thread(target=relay, name=f"aelab-remote-{job.id}", daemon=True).start()

    def _measure(self, job: Job) -> None:
        """Teach the machine's speed what a job of epochs really took (from its own progress reports)."""
        points = job.epoch_points()
        if not job.epoch_work or not points or job.working is None:
            return
        (first, _, first_at), (last, _, last_at) = points[0], points[-1]
        if last > first:  # later epochs: the first one also traces the model
            per_epoch = (last_at - first_at) / (last - first)
        else:
            per_epoch = last_at / last
        overhead = max(job.worked() - per_epoch * last, 0.0)  # jitter can make it < 0
        self.speed.record(job.epoch_work, per_epoch, overhead)
        if last == points[-1][1]:  # trained to its end: the worker's time after its last epoch
            tail = job.since_last_epoch() or 0.0
            self._tail = tail if self._tail is None else 0.5 * self._tail + 0.5 * tail
        self.stats["measured"] += 1

    def _release(self) -> None:
        """Free what finished or forgotten jobs left behind (reference cycles, e.g. tf.function traces).

        The first collection frees the dropped results; the ``release`` hook then frees what a library
        still holds for them (TensorFlow's traced train steps, ``runtime.release_training_graphs``), and a
        second collection frees that.
        """
        if self.release_memory:
            gc.collect()
            if self.hooks.release():
                gc.collect()


_default_queue: JobQueue | None = None
_default_lock = threading.Lock()


def app_queue(**settings) -> JobQueue:
    """A queue set up as the app's: TensorFlow's hooks and one worker per two cores (``aecore.runtime``),
    unless ``settings`` say otherwise (they are JobQueue's)."""
    from aecore import runtime

    settings.setdefault("workers", runtime.default_workers())
    settings.setdefault("turns", True)
    settings.setdefault("hooks", JobHooks(before_submit=runtime.import_modules_drawing_code_probes,
                                          before_work=runtime.import_tensorflow,
                                          limit_threads=runtime.job_limits,
                                          release=runtime.release_training_graphs))
    return JobQueue(**settings)


def default_queue() -> JobQueue:
    """The process-wide queue shared by every session."""
    global _default_queue
    with _default_lock:
        if _default_queue is None:
            _default_queue = app_queue(speed=MachineSpeed(speed_file()))
        return _default_queue


class SessionWatcher:
    """Notices sessions that went away and tells the queue.

    ``is_connected(session) -> bool | None`` says whether a session's browser is connected (None: the
    answer is unknown, e.g. no server, and nothing is done). A session disconnected for ``grace``
    seconds (long enough for a page reload or a network blip to reconnect) is detached from its jobs,
    which cancels the jobs nobody else watches; after ``forget_after`` seconds (the server's
    disconnected-session TTL) its private results are dropped as well.
    """

    def __init__(self, queue: JobQueue, is_connected: Callable[[str], bool | None], grace: float = 5.0,
                 forget_after: float = 60.0, interval: float = 1.0):
        self.queue = queue
        self.is_connected = is_connected
        self.grace = grace
        self.forget_after = forget_after
        self.interval = interval
        self._gone_since: dict[str, float] = {}
        self._detached: set[str] = set()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.events: list[tuple[float, str, str]] = []  # (time, session, "detached" | "forgotten")

    def start(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="aelab-session-watch", daemon=True)
                self._thread.start()

    def _loop(self) -> None:
        while True:
            time.sleep(self.interval)
            try:
                self.check()
            except Exception:  # never let the watcher die
                log.exception("session watcher")

    def check(self, now: float | None = None) -> None:
        now = time.time() if now is None else now
        sessions = self.queue.sessions() | set(self._gone_since)
        for session in sessions:
            connected = self.is_connected(session)
            if connected is None:
                continue
            if connected:
                self._gone_since.pop(session, None)
                self._detached.discard(session)
                continue
            since = self._gone_since.setdefault(session, now)
            if now - since >= self.grace and session not in self._detached:
                self._detached.add(session)
                self.queue.detach(session)
                self.events.append((now, session, "detached"))
            if now - since >= self.forget_after:
                self.queue.forget_owner(session)
                self.events.append((now, session, "forgotten"))
                self._gone_since.pop(session, None)
                self._detached.discard(session)
