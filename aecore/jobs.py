"""Background jobs: a process-wide queue with a bounded number of worker threads.

A job is any function ``fn(report, cancel_event) -> result``; training is one
kind. Jobs are keyed (usually by an experiment's stable hash): submitting a key
that is queued, running or finished attaches to that job instead of doing the
work again. Finished results stay in an in-memory LRU so returning is instant.
"""

from __future__ import annotations

import collections
import itertools
import logging
import os
import threading
import time
import traceback
from typing import Any, Callable

log = logging.getLogger("aecore.jobs")

QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"


class Job:
    """One unit of background work, with progress reports and a cancel flag."""

    _ids = itertools.count(1)

    def __init__(self, key: str, fn: Callable[[Callable[[Any], None], threading.Event], Any], label: str = "",
                 owner: str | None = None, estimate_seconds: float | None = None):
        self.id = next(self._ids)
        self.key = key
        self.fn = fn
        self.label = label or key
        self.owner = owner  # a session id for private work (uploads), None when shareable
        self.estimate_seconds = estimate_seconds
        self.status = QUEUED
        self.reports: list[Any] = []
        self.result: Any = None
        self.error: str | None = None
        self.error_kind: str | None = None
        self.cancel_event = threading.Event()
        self.created = time.time()
        self.started: float | None = None
        self.finished: float | None = None
        self.done_event = threading.Event()
        self.attached: set[str] = set()

    @property
    def latest(self):
        return self.reports[-1] if self.reports else None

    @property
    def active(self) -> bool:
        return self.status in (QUEUED, RUNNING)

    def report(self, item: Any) -> None:
        self.reports.append(item)

    def cancel(self) -> None:
        self.cancel_event.set()

    def wait(self, timeout: float | None = None) -> bool:
        return self.done_event.wait(timeout)

    def __repr__(self) -> str:
        return f"Job({self.id}, {self.label!r}, {self.status})"


class JobQueue:
    """FIFO queue served by ``workers`` threads; identical keys share one job."""

    def __init__(self, workers: int | None = None, keep_results: int = 32):
        cores = os.cpu_count() or 1
        # TensorFlow already uses every core for one model: more workers only add contention.
        self.workers = workers or max(1, cores // 2)
        self.keep_results = keep_results
        self._lock = threading.Condition()
        self._queue: collections.deque[Job] = collections.deque()
        self._jobs: dict[str, Job] = {}
        self._finished: collections.OrderedDict[str, Job] = collections.OrderedDict()
        self._threads: list[threading.Thread] = []

    def _key(self, key: str, owner: str | None) -> str:
        return f"{owner}:{key}" if owner else key

    def submit(self, key: str, fn, label: str = "", owner: str | None = None,
               estimate_seconds: float | None = None, session: str | None = None) -> Job:
        """Queue ``fn`` under ``key`` or return the job already doing (or done with) it."""
        full_key = self._key(key, owner)
        with self._lock:
            existing = self._jobs.get(full_key) or self._finished.get(full_key)
            if existing is not None and existing.status in (QUEUED, RUNNING, DONE):
                if existing.status == DONE:
                    self._finished.move_to_end(full_key)
                if session:
                    existing.attached.add(session)
                return existing
            job = Job(key, fn, label, owner, estimate_seconds)
            if session:
                job.attached.add(session)
            self._jobs[full_key] = job
            self._queue.append(job)
            self._ensure_workers()
            self._lock.notify()
            return job

    def find(self, key: str, owner: str | None = None) -> Job | None:
        full_key = self._key(key, owner)
        with self._lock:
            return self._jobs.get(full_key) or self._finished.get(full_key)

    def position(self, job: Job) -> int:
        """Jobs ahead of ``job`` (0 when it is running or next)."""
        with self._lock:
            if job.status != QUEUED:
                return 0
            running = sum(1 for j in self._jobs.values() if j.status == RUNNING)
            ahead = list(self._queue).index(job) if job in self._queue else 0
            return ahead + running

    def wait_estimate(self, job: Job) -> float:
        """Rough seconds until ``job`` starts, from the estimates of the jobs ahead of it."""
        with self._lock:
            ahead = list(itertools.takewhile(lambda j: j is not job, self._queue))
            running = [j for j in self._jobs.values() if j.status == RUNNING]
        left = sum(max((j.estimate_seconds or 10) - (time.time() - (j.started or time.time())), 0) for j in running)
        return (left + sum(j.estimate_seconds or 10 for j in ahead)) / self.workers

    def cancel(self, job: Job, session: str | None = None) -> None:
        """Cancel for ``session`` (or everyone); a job others are attached to keeps running."""
        with self._lock:
            if session is not None:
                job.attached.discard(session)
                if job.attached:
                    return
            job.cancel()
            if job.status == QUEUED and job in self._queue:
                self._queue.remove(job)
                self._finish(job, CANCELLED)

    def _ensure_workers(self) -> None:
        self._threads = [t for t in self._threads if t.is_alive()]
        while len(self._threads) < self.workers:
            thread = threading.Thread(target=self._work, name=f"aelab-worker-{len(self._threads)}", daemon=True)
            thread.start()
            self._threads.append(thread)

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
        job.done_event.set()
        self._lock.notify_all()

    def _work(self) -> None:
        while True:
            with self._lock:
                while not self._queue:
                    self._lock.wait()
                job = self._queue.popleft()
                job.status = RUNNING
                job.started = time.time()
            status = DONE
            try:
                job.result = job.fn(job.report, job.cancel_event)
                if job.cancel_event.is_set():
                    status = CANCELLED  # a partial result: shown to its session, never shared as finished
            except Exception as exc:  # reported on the page; the worker lives on
                status = CANCELLED if type(exc).__name__ == "TrainingCancelled" else FAILED
                job.error = str(exc) or type(exc).__name__
                job.error_kind = type(exc).__name__
                if status == FAILED and not isinstance(exc, (ValueError, RuntimeError)):
                    log.error("job %s crashed:\n%s", job.label, traceback.format_exc())
                    job.error = f"Something went wrong inside the job ({type(exc).__name__}: {exc})."
            with self._lock:
                self._finish(job, status)

    def forget(self, key: str, owner: str | None = None) -> None:
        """Drop a finished result (e.g. when its session ends)."""
        with self._lock:
            self._finished.pop(self._key(key, owner), None)


_default_queue: JobQueue | None = None
_default_lock = threading.Lock()


def default_queue() -> JobQueue:
    """The process-wide queue shared by every session."""
    global _default_queue
    with _default_lock:
        if _default_queue is None:
            _default_queue = JobQueue()
        return _default_queue
