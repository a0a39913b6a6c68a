"""The timeline: what the bank holds per day, week or month, and how well it is remembered.

Each period reports its current summary (when the scheduler has written one),
how many memories it has by kind and by source, how many have faded into the
archive, and their mean retention, so a person can see at a glance which parts
of their life are vivid and which survive only as gists. Periods are calendar
periods in local time; weeks are ISO weeks (Monday first).
"""

from __future__ import annotations

import calendar
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from storage import timeline as timeline_rows
from storage.records import Memory

from .clock import EARLIEST_EVENT, from_iso, latest_event, to_iso
from .errors import InvalidInput

LEVELS = ("day", "week", "month", "year")


@dataclass(frozen=True)
class Period:
    level: str
    start: datetime       # inclusive, midnight
    end: datetime         # exclusive

    @property
    def key(self) -> str:
        if self.level == "day":
            return self.start.strftime("%Y-%m-%d")
        if self.level == "week":
            year, week, _ = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        if self.level == "year":
            return self.start.strftime("%Y")
        return self.start.strftime("%Y-%m")

    @property
    def label(self) -> str:
        s = self.start
        if self.level == "day":
            return f"{calendar.day_abbr[s.weekday()]} {s.day} {calendar.month_abbr[s.month]} {s.year}"
        if self.level == "week":
            last = self.end - timedelta(days=1)
            return (f"Week {s.isocalendar()[1]}, {s.day} {calendar.month_abbr[s.month]} – "
                    f"{last.day} {calendar.month_abbr[last.month]} {last.year}")
        if self.level == "year":
            return str(s.year)
        return f"{calendar.month_name[s.month]} {s.year}"

    def contains(self, moment: datetime) -> bool:
        return self.start <= moment < self.end

    def parent(self) -> Period | None:
        if self.level == "day":
            return period_of(self.start, "week")
        if self.level == "week":
            return period_of(self.start + timedelta(days=3), "month")  # the week's Thursday
        if self.level == "month":
            return period_of(self.start, "year")
        return None

    def children(self) -> list[Period]:
        """Year → its months; month → its ISO weeks (any that touch it); week → its days."""
        if self.level == "year":
            return periods_between(self.start, self.end - timedelta(seconds=1), "month")
        if self.level == "month":
            return periods_between(self.start, self.end - timedelta(seconds=1), "week")
        if self.level == "week":
            return periods_between(self.start, self.end - timedelta(seconds=1), "day")
        return []

    def shifted(self, steps: int) -> Period:
        """The previous (-1) or next (+1) period of the same level."""
        if self.level == "day":
            return period_of(self.start + timedelta(days=steps), "day")
        if self.level == "week":
            return period_of(self.start + timedelta(weeks=steps), "week")
        if self.level == "year":
            return period_of(datetime(self.start.year + steps, 1, 1), "year")
        month = self.start.year * 12 + self.start.month - 1 + steps
        return period_of(datetime(month // 12, month % 12 + 1, 1), "month")


def period_of(moment: datetime | date, level: str) -> Period:
    if level not in LEVELS:
        raise InvalidInput(f"unknown timeline level {level!r}; use day, week, month or year")
    day = moment.date() if isinstance(moment, datetime) else moment
    if level == "day":
        start = datetime.combine(day, datetime.min.time())
        return Period(level, start, start + timedelta(days=1))
    if level == "week":
        start = datetime.combine(day - timedelta(days=day.weekday()), datetime.min.time())
        return Period(level, start, start + timedelta(days=7))
    if level == "year":
        return Period(level, datetime(day.year, 1, 1), datetime(day.year + 1, 1, 1))
    start = datetime(day.year, day.month, 1)
    following = datetime(day.year + (day.month == 12), day.month % 12 + 1, 1)
    return Period(level, start, following)


def periods_between(first: datetime, last: datetime, level: str) -> list[Period]:
    """Every period from the one holding `first` to the one holding `last`, in order."""
    out: list[Period] = []
    current = period_of(first, level)
    while current.start <= last:
        out.append(current)
        current = current.shifted(1)
    return out


def parse_period(key: str) -> Period:
    """'2024-05-01', '2024-W18', '2024-05' or '2024' back to a period."""
    text = key.strip()
    try:
        if "-W" in text:
            year, week = text.split("-W")
            return period_of(date.fromisocalendar(int(year), int(week), 1), "week")
        if len(text) == 4 and text.isdigit():
            return period_of(datetime(int(text), 1, 1), "year")
        if len(text) == 7:
            return period_of(datetime.strptime(text, "%Y-%m"), "month")
        return period_of(datetime.strptime(text, "%Y-%m-%d"), "day")
    except ValueError:
        raise InvalidInput(f"not a period: {key!r} (try 2024, 2024-05, 2024-W18 or 2024-05-01)"
                         ) from None


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
        return {"level": self.period.level, "key": self.period.key, "label": self.period.label,
                "start": to_iso(self.period.start), "end": to_iso(self.period.end),
                "summary": self.summary, "total": self.total, "active": self.active,
                "archived": self.archived, "pinned": self.pinned, "by_kind": self.by_kind,
                "by_source": self.by_source,
                "mean_retention": None if self.mean_retention is None
                else round(self.mean_retention, 4)}


def _bounds(db, start: datetime | None, end: datetime | None) -> tuple[datetime, datetime] | None:
    if start is not None and end is not None:
        return start, end
    lows, highs = timeline_rows.event_span(db)
    if not lows:
        return None
    return (start or from_iso(min(lows)), end or from_iso(max(highs)))


def memories_in(services, period: Period, *, include_archived: bool = True) -> list[Memory]:
    """The period's memories (summaries excluded: they stand for the period), oldest first."""
    return timeline_rows.memories_between(services.bank.db(), to_iso(period.start),
                                          to_iso(period.end), include_archived=include_archived)


def current_summaries(services, level: str, start: datetime,
                      end: datetime) -> dict[str, dict[str, Any]]:
    """Current summaries whose period starts in [start, end), keyed by our period key."""
    found: dict[str, dict[str, Any]] = {}
    for row in timeline_rows.current_summaries_starting(services.bank.db(), level,
                                                        to_iso(start), to_iso(end)):
        key = period_of(from_iso(row["period_start"]), level).key
        found[key] = row
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
    if level not in LEVELS:
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
    first = period_of(bounds[0], level)
    last = period_of(bounds[1], level)
    window = Period(level, first.start, last.end)
    grouped: dict[str, list[Memory]] = {}
    for memory in memories_in(services, window):
        key = period_of(from_iso(memory.event_at), level).key
        grouped.setdefault(key, []).append(memory)
    summaries = current_summaries(services, level, window.start, window.end)
    out = []
    for period in periods_between(window.start, window.end - timedelta(seconds=1), level):
        memories = grouped.get(period.key, [])
        summary = summaries.get(period.key)
        if not memories and summary is None and not include_empty:
            continue
        out.append(stats_for(services, period, memories, summary))
    return out
