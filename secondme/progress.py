"""One shape for progress of long work (jobs, embedding): `(stage, done, total)`.

`stage` names what is being done ("embed", "day", "profile"), `done` counts units
finished so far in that stage, and `total` is how many there are, or None when it is
not known in advance. Reporters (a Rich bar, JSON lines, the `job_runs` row) all take
this one callback.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from typing import IO, Any

Progress = Callable[[str, int, int | None], None]


def percent(done: int, total: int | None) -> int | None:
    """Whole percent done, or None when the total is unknown."""
    if not total:
        return None
    return max(0, min(100, int(done * 100 / total)))


def event(job: str, stage: str, done: int, total: int | None) -> dict[str, Any]:
    """One progress event as a JSON-ready dict (the `--json` progress stream's line)."""
    return {"event": "progress", "job": job, "stage": stage, "done": done, "total": total,
            "percent": percent(done, total)}


class JsonLines:
    """Writes progress events as JSON lines (default: stderr), at most one per `every` s per stage.

    The first and the last event of each stage (done == total) are always written.
    """

    def __init__(self, job: str, stream: IO[str] | None = None, every: float = 0.5) -> None:
        self.job = job
        self.stream = stream
        self.every = every
        self._last: dict[str, float] = {}

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        now = time.monotonic()
        last = self._last.get(stage)
        if last is not None and now - last < self.every and done != total:
            return
        self._last[stage] = now
        stream = self.stream or sys.stderr
        stream.write(json.dumps(event(self.job, stage, done, total)) + "\n")
        stream.flush()


__all__ = ["JsonLines", "Progress", "event", "percent"]
