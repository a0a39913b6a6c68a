"""Running one consolidation job: a lock, a `job_runs` row, and honest bookkeeping.

Every job runs under a cross-process lock of its own (`bank.exclusive("job-NAME")`),
so the TUI's scheduler and a `secondme jobs run` in another terminal never run the
same job at once; the loser reports `busy` and writes nothing. Holding the lock also
proves that any row still marked `running` belongs to a process that died (kill -9,
power cut): it is marked `interrupted` before the new run starts. The job's own work
commits unit by unit with its watermark, so a killed run loses at most one unit.
"""

from __future__ import annotations

import contextlib
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from storage import BankLocked
from storage import jobs as job_rows

from ..progress import Progress

# A running job writes its progress into its `job_runs` row at most this often, so
# `secondme jobs` in another terminal can show a percentage.
PROGRESS_EVERY_S = 1.0


@dataclass
class JobOptions:
    use_llm: bool = True
    limit: int | None = None


@dataclass
class JobContext:
    services: Any
    job: str
    run_id: int
    options: JobOptions
    cancel: threading.Event
    progress: Progress | None = None
    counts: dict[str, Any] = field(default_factory=dict)
    _stored_at: float | None = field(default=None, repr=False)
    gate: Any = None             # a jobs.gate.ChatActivity: the chat comes first

    @property
    def cancelled(self) -> bool:
        self.yield_to_chat()     # checked between units: the natural place to wait
        return self.cancel.is_set()

    def yield_to_chat(self) -> None:
        """Waits (no CPU, no model) while the person is typing or a reply is generating."""
        if self.gate is not None and self.gate.wait_turn(self.job, self.cancel):
            self.counts["waited_for_chat"] = self.counts.get("waited_for_chat", 0) + 1

    def watermark(self) -> dict[str, Any]:
        return job_rows.get_watermark(self.services.bank.db(), self.job)

    def save_watermark(self, db, value: dict[str, Any]) -> None:
        """Call inside the same write transaction as the unit of work it records."""
        job_rows.set_watermark(db, self.job, value, self.services.clock.now_iso())

    def report(self, stage: str, done: int, total: int | None = None) -> None:
        """Progress in the one shape `(stage, done, total or None)`: to the caller's
        callback, and now and then into this run's row (for `secondme jobs`). Called after
        each unit of work, so it is also where a job gives way to the chat."""
        total = total or None
        now = time.monotonic()
        if self._stored_at is None or now - self._stored_at >= PROGRESS_EVERY_S:
            self._stored_at = now
            with self.services.bank.write() as db:
                job_rows.set_progress(db, self.run_id, stage, done, total)
        if self.progress is not None:
            self.progress(stage, done, total)
        self.yield_to_chat()


JobFn = Callable[[JobContext], None]


@dataclass
class RunResult:
    job: str
    status: str                  # ok | error | interrupted | busy
    run_id: int | None
    counts: dict[str, Any]
    seconds: float
    error: str | None = None
    interrupted_before: int = 0  # crashed earlier runs found and marked

    def to_public(self) -> dict[str, Any]:
        return {"job": self.job, "status": self.status, "run_id": self.run_id,
                "counts": self.counts, "seconds": round(self.seconds, 2), "error": self.error,
                "interrupted_before": self.interrupted_before}


def _describe(exc: BaseException) -> str:
    """Type, message and where: enough to act on. Stored inside the encrypted bank only."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" at {frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno}" if frames else ""
    return f"{type(exc).__name__}: {exc}"[:500] + where


def run_job(services, name: str, fn: JobFn, *, options: JobOptions | None = None,
            cancel: threading.Event | None = None, progress: Progress | None = None,
            listener: Callable[[RunResult], None] | None = None, gate: Any = None) -> RunResult:
    bank = services.bank
    cancel = cancel or threading.Event()
    started = time.perf_counter()
    with contextlib.ExitStack() as held:
        try:
            held.enter_context(bank.exclusive(f"job-{name}"))
        except BankLocked:
            result = RunResult(name, "busy", None, {}, 0.0, "another process is running this job")
        else:
            result = _run_locked(services, name, fn, options, cancel, progress, started, gate)
    if listener:
        listener(result)
    return result


def _run_locked(services, name: str, fn: JobFn, options: JobOptions | None,
                cancel: threading.Event, progress: Progress | None, started: float,
                gate: Any = None) -> RunResult:
    bank = services.bank
    now = services.clock.now_iso()
    with bank.write() as db:
        interrupted = job_rows.mark_interrupted(db, name, now)
        run_id = job_rows.start_run(db, name, now)
    ctx = JobContext(services, name, run_id, options or JobOptions(), cancel, progress,
                     gate=gate)
    status, error = "ok", None
    try:
        fn(ctx)
        if ctx.cancelled:
            status = "interrupted"
    except Exception as exc:
        status, error = "error", _describe(exc)
    seconds = time.perf_counter() - started
    ctx.counts["seconds"] = round(seconds, 2)
    with bank.write() as db:
        job_rows.finish_run(db, run_id, services.clock.now_iso(), status, ctx.counts, error)
    return RunResult(name, status, run_id, ctx.counts, seconds, error, interrupted)
