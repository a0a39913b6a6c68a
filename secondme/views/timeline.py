"""The timeline read model: per period, how much is remembered, how well, and its summary.

Each period reports its current summary (when the scheduler has written one), how
many memories it has by kind and by source, how many have faded into the archive,
and their mean retention, so a person can see at a glance which parts of their life
are vivid and which survive only as gists. The counts of every period in a window
come from one grouped query (`storage.timeline`), never from loading the memories.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from storage import timeline as timeline_rows

from ..clock import EARLIEST_EVENT, latest_event, to_iso
from ..errors import InvalidInput
from ..periods import CALENDAR_LEVELS, Period, period_of, periods_between
from .timeline_data import current_summaries, date_bounds


@dataclass
class PeriodStats:
    period: Period
    summary: dict[str, Any] | None = None
    total: int = 0
    archived: int = 0
    pinned: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    by_source: dict[str, int] = field(default_factory=dict)
    mean_retention: float | None = None

    @property
    def active(self) -> int:
        return self.total - self.archived

    def to_public(self) -> dict[str, Any]:
        return {"level": self.period.level, "key": self.period.key, "label": self.period.short_label,
                "start": to_iso(self.period.start), "end": to_iso(self.period.end),
                "summary": self.summary, "total": self.total, "active": self.active,
                "archived": self.archived, "pinned": self.pinned, "by_kind": self.by_kind,
                "by_source": self.by_source,
                "mean_retention": None if self.mean_retention is None
                else round(self.mean_retention, 4)}


def period_stats(services: Any, level: str, start: datetime,
                 end: datetime) -> dict[str, PeriodStats]:
    """Statistics of every `level` period with memories in [start, end), by period key."""
    now = services.clock.now()
    memory = services.memory

    def retention(kind: str, strength: float, pinned: int, last_reinforced_at: str) -> float:
        return memory.retention_at(strength=strength, pinned=bool(pinned), kind=kind,
                                   last_reinforced_at=last_reinforced_at, at=now)

    by_key: dict[str, PeriodStats] = {}
    kinds: dict[str, Counter[str]] = {}
    sources: dict[str, Counter[str]] = {}
    r_sums: dict[str, float] = {}
    for row in timeline_rows.grouped_counts(services.bank.db(), level, to_iso(start),
                                            to_iso(end), retention):
        bucket = row["bucket"]
        anchor = date(int(bucket[:4]), int(bucket[5:7] or 1) if len(bucket) > 4 else 1,
                      int(bucket[8:10]) if len(bucket) > 7 else 1)
        period = period_of(level, anchor)
        stats = by_key.setdefault(period.key, PeriodStats(period=period))
        n = row["n"]
        stats.total += n
        stats.archived += n if row["state"] == "archived" else 0
        stats.pinned += n if row["pinned"] else 0
        kinds.setdefault(period.key, Counter())[row["kind"]] += n
        sources.setdefault(period.key, Counter())[row["source"]] += n
        r_sums[period.key] = r_sums.get(period.key, 0.0) + (row["r_sum"] or 0.0)
    for key, stats in by_key.items():
        stats.by_kind = dict(kinds[key].most_common())
        stats.by_source = dict(sources[key].most_common())
        stats.mean_retention = r_sums[key] / stats.total if stats.total else None
    return by_key


def stats_of(services: Any, period: Period) -> PeriodStats:
    """One period's statistics with its current summary."""
    stats = period_stats(services, period.level, period.start, period.end).get(period.key) \
        or PeriodStats(period=period)
    stats.summary = current_summaries(services, period.level, period.start,
                                      period.end).get(period.key)
    return stats


def children_stats(services: Any, children: list[Period]) -> list[tuple[Period, PeriodStats]]:
    """Each child period with its statistics and summary: one grouped query for them all."""
    if not children:
        return []
    level, start, end = children[0].level, children[0].start, children[-1].end
    counted = period_stats(services, level, start, end)
    summaries = current_summaries(services, level, start, end)
    out = []
    for child in children:
        stats = counted.get(child.key) or PeriodStats(period=child)
        stats.summary = summaries.get(child.key)
        out.append((child, stats))
    return out


def timeline(services, *, start: datetime | None = None, end: datetime | None = None,
             level: str = "month", include_empty: bool = False) -> list[PeriodStats]:
    """Per-period statistics between `start` and `end` (inclusive dates; default: everything)."""
    if level not in CALENDAR_LEVELS:
        raise InvalidInput(f"unknown timeline level {level!r}; use day, week or month")
    if start is not None and end is not None and end < start:
        raise InvalidInput("--to is before --from")
    bounds = date_bounds(services.bank.db(), start, end)
    if bounds is None:
        return []
    # Rows placed at absurd dates (before the --at check, or by an import) must not break
    # the view: the window stays within the dates a memory may have.
    low = max(bounds[0], EARLIEST_EVENT)
    high = min(bounds[1], latest_event(services.clock.now()) - timedelta(days=1))
    if high < low:
        return []
    bounds = (low, high)
    first = period_of(level, bounds[0])
    last = period_of(level, bounds[1])
    window = Period(level, first.key, first.start, last.end)
    counted = period_stats(services, level, window.start, window.end)
    summaries = current_summaries(services, level, window.start, window.end)
    out = []
    for period in periods_between(level, window.start, window.end - timedelta(seconds=1)):
        stats = counted.get(period.key) or PeriodStats(period=period)
        stats.summary = summaries.get(period.key)
        if not stats.total and stats.summary is None and not include_empty:
            continue
        out.append(stats)
    return out
