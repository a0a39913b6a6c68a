"""Progress of long work on the command line: Rich bars on a terminal, JSON lines on request.

Both take the one callback shape of `secondme.progress` (`stage, done, total`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any

from ..progress import Progress, percent


def stderr_console() -> Any:
    from rich.console import Console

    return Console(stderr=True, highlight=False)


class JobBars:
    """One Rich bar per job: stage, done/total, percent, time left (ETA) and elapsed."""

    def __init__(self, console: Any) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.progress import Progress as RichProgress

        self.bars = RichProgress(
            TextColumn("{task.description:<24}"), BarColumn(), MofNCompleteColumn(),
            TaskProgressColumn(), TextColumn("ETA"), TimeRemainingColumn(),
            TimeElapsedColumn(), console=console, transient=True)

    def __enter__(self) -> JobBars:
        self.bars.__enter__()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.bars.__exit__(kind, exc, tb)

    def job(self, name: str) -> tuple[Progress, Any]:
        """A callback for job `name`, and its task id (pass it to `finish`)."""
        task = self.bars.add_task(name, total=None)
        stages: set[str] = set()

        def progress(stage: str, done: int, total: int | None) -> None:
            label = name if stage == name else f"{name}: {stage}"
            if stage not in stages:            # a new stage starts its own count and ETA
                stages.add(stage)
                self.bars.reset(task, total=total, completed=done, description=label)
            else:
                self.bars.update(task, description=label, completed=done, total=total)
            if (len(stages) == 1 and done == 0) or (total is not None and done >= total):
                self.bars.refresh()            # short stages are shown at least once

        return progress, task

    def finish(self, task: Any) -> None:
        self.bars.remove_task(task)


@contextmanager
def one_bar(description: str, total: int | None) -> Iterator[tuple[Any, Any]]:
    """One transient Rich bar on stderr for one long run (`eval`): the bars and its task id."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.progress import Progress as RichProgress

    bars = RichProgress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), TimeRemainingColumn(), console=stderr_console(),
                        transient=True)
    with bars:
        yield bars, bars.add_task(description, total=total)


def describe(progress: dict[str, Any] | None) -> str:
    """`embed 40/100 (40%)` for a running job's stored progress; '' when there is none."""
    if not progress:
        return ""
    done, total = int(progress.get("done", 0)), progress.get("total")
    pct = percent(done, total)
    count = f"{done}/{total}" if total else f"{done} done"
    return f"{progress.get('stage', '')} {count}" + (f" ({pct}%)" if pct is not None else "")


__all__ = ["JobBars", "describe", "one_bar", "stderr_console"]
