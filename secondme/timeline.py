"""The timeline: what the bank holds per day, week or month, and how well it is remembered.

Each period reports its current summary (when the scheduler has written one),
how many memories it has by kind and by source, how many have faded into the
archive, and their mean retention, so a person can see at a glance which parts
of their life are vivid and which survive only as gists. Periods are calendar
periods in local time; weeks are ISO weeks (Monday first).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from storage.memories import COLUMNS
from storage.records import Memory

from .clock import EARLIEST_EVENT, from_iso, latest_event, to_iso
from .errors import InvalidInput
from .periods import CALENDAR_LEVELS, Period, period_of, periods_between


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


def _bounds(db, start: datetime | None, end: datetime | None) -> tuple[datetime, datetime] | None:
    if start is not None and end is not None:
        return start, end
    row = db.execute("SELECT min(event_at), max(event_at) FROM memories WHERE kind != 'summary'"
                     ).fetchone()
    srow = db.execute("SELECT min(period_start), max(period_start) FROM summaries "
                      "WHERE is_current = 1 AND level IN ('day', 'week', 'month')").fetchone()
    lows = [v for v in (row[0], srow[0]) if v]
    highs = [v for v in (row[1], srow[1]) if v]
    if not lows:
        return None
    return (start or from_iso(min(lows)), end or from_iso(max(highs)))


def memories_in(services, period: Period, *, include_archived: bool = True) -> list[Memory]:
    """The period's memories (summaries excluded: they stand for the period), oldest first."""
    sql = (f"SELECT {COLUMNS} FROM memories WHERE event_at >= ? AND event_at < ? "
           "AND kind != 'summary'")
    if not include_archived:
        sql += " AND state = 'active'"
    rows = services.bank.db().query(sql + " ORDER BY event_at, id",
                                    [to_iso(period.start), to_iso(period.end)])
    return [Memory.from_row(r) for r in rows]


def current_summaries(services, level: str, start: datetime,
                      end: datetime) -> dict[str, dict[str, Any]]:
    """Current summaries whose period starts in [start, end), keyed by our period key."""
    found: dict[str, dict[str, Any]] = {}
    for row in services.bank.db().query(
            "SELECT id, level, period_key, period_start, period_end, text, version, method, "
            "model, created_at, memory_id FROM summaries WHERE level = ? AND is_current = 1 "
            "AND period_start >= ? AND period_start < ? ORDER BY version",
            [level, to_iso(start), to_iso(end)]):
        key = period_of(level, from_iso(row["period_start"])).key
        found[key] = dict(row)
    return found


def summary_of(services, period: Period) -> dict[str, Any] | None:
    return current_summaries(services, period.level, period.start, period.end).get(period.key)


def stats_for(services, period: Period, memories: list[Memory],
              summary: dict[str, Any] | None) -> PeriodStats:
    stats = PeriodStats(period=period, summary=summary, total=len(memories))
    stats.archived = sum(m.state == "archived" for m in memories)
    stats.pinned = sum(m.pinned for m in memories)
    stats.by_kind = dict(Counter(m.kind for m in memories).most_common())
    stats.by_source = dict(Counter(m.source for m in memories).most_common())
    if memories:
        now = services.clock.now()
        stats.mean_retention = sum(services.memory.retention_of(m, now)
                                   for m in memories) / len(memories)
    return stats


def timeline(services, *, start: datetime | None = None, end: datetime | None = None,
             level: str = "month", include_empty: bool = False) -> list[PeriodStats]:
    """Per-period statistics between `start` and `end` (inclusive dates; default: everything)."""
    if level not in CALENDAR_LEVELS:
        raise InvalidInput(f"unknown timeline level {level!r}; use day, week or month")
    if start is not None and end is not None and end < start:
        raise InvalidInput("--to is before --from")
    bounds = _bounds(services.bank.db(), start, end)
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
    grouped: dict[str, list[Memory]] = {}
    for memory in memories_in(services, window):
        key = period_of(level, from_iso(memory.event_at)).key
        grouped.setdefault(key, []).append(memory)
    summaries = current_summaries(services, level, window.start, window.end)
    out = []
    for period in periods_between(level, window.start, window.end - timedelta(seconds=1)):
        memories = grouped.get(period.key, [])
        summary = summaries.get(period.key)
        if not memories and summary is None and not include_empty:
            continue
        out.append(stats_for(services, period, memories, summary))
    return out
