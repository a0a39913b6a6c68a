"""The background scheduler: APScheduler 3 running the consolidation jobs while the app is open.

A `BackgroundScheduler` (its own thread pool) suits both the Textual app and a
headless process: jobs are plain functions and every thread gets its own bank
connection from `bank.db()`. Job defaults follow the APScheduler guide: a backlog
of missed runs fires once (`coalesce`), a job never overlaps itself
(`max_instances=1`), and a laptop waking up may still run a late job
(`misfire_grace_time`). Exactly one scheduler per memory bank: it holds the bank's
`scheduler` lock for its lifetime; a second app instance gets a handle in state
`locked` that runs nothing. Individual jobs also take their own lock, so a
`secondme jobs run` from a terminal never races the scheduler.
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from storage import BankLocked
from storage import jobs as job_rows

from .. import jobs
from .gate import ChatActivity
from .runner import JobOptions, RunResult

JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 15 * 60}
FIRST_RUN_DELAY_SECONDS = 20      # let the app settle (model load, first reply) before working
STAGGER_SECONDS = 15              # don't start every job in the same second
LOCK_NAME = "scheduler"


@dataclass
class SchedulerHandle:
    """What the app holds: `status()` for the status bar, `shutdown()` on exit."""

    services: Any
    state: str                                 # running | off | locked
    _scheduler: Any = None
    _lock: contextlib.ExitStack | None = None
    _cancel: threading.Event = field(default_factory=threading.Event)
    _running: threading.Event | None = None      # the cancel event of the job running now
    _last: RunResult | None = None
    _mutex: threading.Lock = field(default_factory=threading.Lock)
    _job: str | None = None                      # the job running now
    # The chat tells it when the person types or a reply runs; jobs wait between units.
    activity: ChatActivity = field(default_factory=ChatActivity)

    def _record(self, result: RunResult) -> None:
        with self._mutex:
            self._last = result

    def run_now(self, name: str) -> None:
        """Asks the scheduler to run a job as soon as possible (e.g. a 'consolidate' key)."""
        if self._scheduler is not None and self.state == "running":
            self._scheduler.modify_job(name, next_run_time=datetime.now())

    def run_soon(self, name: str, seconds: float) -> None:
        """Brings a job's next run forward to within `seconds` (never pushes it back): what
        the person just said becomes a profile fact within a minute, not at the next tick."""
        if self._scheduler is None or self.state != "running":
            return
        job = self._scheduler.get_job(name)
        if job is None:
            return
        target = datetime.now() + timedelta(seconds=seconds)
        planned = job.next_run_time
        if planned is None or planned.replace(tzinfo=None) > target:
            self._scheduler.modify_job(name, next_run_time=target)

    def status(self) -> dict[str, Any]:
        last_job = last_status = None
        with self._mutex:
            last = self._last
        if last is not None:
            last_job, last_status = last.job, last.status
        elif self.state != "off":
            with contextlib.suppress(Exception):
                row = job_rows.last_run(self.services.bank.db())
                if row:
                    last_job, last_status = row["job"], row["status"]
        next_run = next_job = None
        if self._scheduler is not None and self.state == "running":
            with contextlib.suppress(Exception):
                upcoming = [j for j in self._scheduler.get_jobs() if j.next_run_time]
                if upcoming:
                    soonest = min(upcoming, key=lambda j: j.next_run_time)
                    next_job = soonest.id
                    next_run = soonest.next_run_time.replace(tzinfo=None, microsecond=0) \
                        .isoformat()
        return {"state": self.state, "last_job": last_job, "last_status": last_status,
                "next_run": next_run, "next_job": next_job,
                "last_counts": last.counts if last is not None else None,
                "running_job": self._job, "held": self.activity.holding}

    def preempt(self) -> bool:
        """Stops the running job at once (an LLM generation included) so the chat gets the
        model; the job ends `interrupted`, keeps what it committed and resumes next time.
        A job already waiting between units for the chat is left to wait (it resumes when
        the chat is quiet). Returns whether a job was stopped."""
        with self._mutex:
            running = self._running
        if running is None or (self.activity.holding and not self._cancel.is_set()):
            return False
        running.set()
        return True

    def shutdown(self, wait: bool = True) -> None:
        """Stops new runs, asks a running job to stop at its next unit, releases the lock."""
        self._cancel.set()
        self.preempt()
        if self._scheduler is not None:
            with contextlib.suppress(Exception):
                self._scheduler.shutdown(wait=wait)
            self._scheduler = None
        if self._lock is not None:
            self._lock.close()
            self._lock = None
        if self.state == "running":
            self.state = "off"


def build_scheduler():
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.schedulers.background import BackgroundScheduler

    # One worker: jobs queue behind each other instead of sharing two cores with the chat.
    return BackgroundScheduler(job_defaults=dict(JOB_DEFAULTS),
                               executors={"default": ThreadPoolExecutor(1)}, daemon=True)


def start_background(services, *, options: JobOptions | None = None,
                     first_run_delay: float = FIRST_RUN_DELAY_SECONDS,
                     stagger: float = STAGGER_SECONDS,
                     intervals: dict[str, float] | None = None) -> SchedulerHandle:
    """Starts the scheduler for this bank, or returns a `locked` handle if another process has it.

    `intervals` (minutes per job) overrides the defaults, e.g. for tests.
    """
    held = contextlib.ExitStack()
    try:
        held.enter_context(services.bank.exclusive(LOCK_NAME))
    except BankLocked:
        held.close()
        return SchedulerHandle(services, "locked")
    handle = SchedulerHandle(services, "running", _lock=held)
    scheduler = build_scheduler()
    start = datetime.now() + timedelta(seconds=first_run_delay)
    for index, spec in enumerate(jobs.JOBS.values()):
        minutes = (intervals or {}).get(spec.name, spec.every_minutes)
        scheduler.add_job(
            _runner(handle, spec.name, options), "interval", minutes=minutes, id=spec.name,
            name=spec.description, replace_existing=True,
            next_run_time=start + timedelta(seconds=index * stagger))
    handle._scheduler = scheduler
    try:
        scheduler.start()
    except Exception:
        held.close()
        raise
    return handle


def _runner(handle: SchedulerHandle, name: str, options: JobOptions | None):
    def run() -> None:
        if handle._cancel.is_set():
            return
        cancel = threading.Event()
        with handle._mutex:
            handle._running, handle._job = cancel, name
        try:
            jobs.run_job(handle.services, name, jobs.JOBS[name].fn, options=options,
                         cancel=cancel, listener=handle._record, gate=handle.activity)
        except Exception:  # the bank was closed under us at exit; nothing to record
            if not handle._cancel.is_set():
                raise
        finally:
            with handle._mutex:
                handle._running, handle._job = None, None
    run.__name__ = f"secondme_{name}"
    return run


def overview(services, *, recent: int = 5) -> dict[str, Any]:
    """For `secondme jobs`: each job's schedule, watermark and last runs; who holds the lock."""
    db = services.bank.db()
    try:
        with services.bank.exclusive(LOCK_NAME):
            scheduler = "off"
    except BankLocked:
        scheduler = "running in another process"
    out = []
    for spec in jobs.JOBS.values():
        runs = job_rows.recent_runs(db, spec.name, recent)
        out.append({"name": spec.name, "description": spec.description,
                    "every_minutes": spec.every_minutes,
                    "watermark": job_rows.get_watermark(db, spec.name),
                    "last_run": runs[0] if runs else None, "recent_runs": runs})
    return {"scheduler": scheduler, "jobs": out}
