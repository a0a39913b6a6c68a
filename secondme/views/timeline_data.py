"""The timeline's data: a period's memories, its current summaries, the bank's date range.

The statistics per period are the read model in `secondme.views.timeline`. Periods
are calendar periods in local time; weeks are ISO weeks (Monday first).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from storage import timeline as timeline_rows
from storage.records import Memory

from ..clock import from_iso, to_iso
from ..periods import Period, period_of


def date_bounds(db, start: datetime | None, end: datetime | None) -> tuple[datetime, datetime] | None:
    if start is not None and end is not None:
        return start, end
    lows, highs = timeline_rows.event_span(db)
    if not lows:
        return None
    return (start or from_iso(min(lows)), end or from_iso(max(highs)))


def latest_moment(services) -> datetime:
    """When the newest memory (summaries aside) happened; now in an empty bank."""
    latest = timeline_rows.latest_event_at(services.bank.db())
    return from_iso(latest) if latest else services.clock.now()


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
        key = period_of(level, from_iso(row["period_start"])).key
        found[key] = row
    return found


def summary_of(services, period: Period) -> dict[str, Any] | None:
    return current_summaries(services, period.level, period.start, period.end).get(period.key)
