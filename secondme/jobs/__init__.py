"""Background consolidation jobs: embed, dedupe, profile, summarize, decay.

`run(services, "all")` runs them in dependency order: vectors first (dedupe needs
them), duplicates folded before facts and summaries read them, facts before the
life summary uses them, decay last so a summary can still read what fades today
(summaries read archived memories anyway; the order just keeps counts intuitive).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from ..errors import InvalidInput
from . import decay, dedupe, embed, profile, summarize
from .runner import JobContext, JobFn, JobOptions, Progress, RunResult, run_job


@dataclass(frozen=True)
class JobSpec:
    name: str
    every_minutes: int
    description: str
    fn: JobFn


JOBS: dict[str, JobSpec] = {spec.name: spec for spec in [
    JobSpec("embed", 5, "give new memories a vector", embed.run),
    JobSpec("dedupe", 60, "fold duplicate memories together, keeping provenance", dedupe.run),
    JobSpec("profile", 15, "extract evidence-backed facts from what you said", profile.run),
    JobSpec("summarize", 30, "summarise idle sessions and closed days, weeks, months; life",
            summarize.run),
    JobSpec("decay", 60, "archive memories that have faded below the threshold", decay.run),
]}
ORDER = tuple(JOBS)


def names(selection: str) -> list[str]:
    if selection == "all":
        return list(ORDER)
    if selection not in JOBS:
        raise InvalidInput(f"unknown job {selection!r}; choose one of: all, {', '.join(ORDER)}")
    return [selection]


def run(services, selection: str = "all", *, options: JobOptions | None = None,
        cancel: threading.Event | None = None, progress: Progress | None = None,
        listener: Callable[[RunResult], None] | None = None) -> list[RunResult]:
    results = []
    cancel = cancel or threading.Event()
    for name in names(selection):
        if cancel.is_set():
            break
        results.append(run_job(services, name, JOBS[name].fn, options=options, cancel=cancel,
                               progress=progress, listener=listener))
    return results


__all__ = ["JOBS", "ORDER", "JobContext", "JobOptions", "JobSpec", "RunResult", "names", "run",
           "run_job"]
