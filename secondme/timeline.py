"""The timeline's data: a period's memories, its current summaries, the bank's date range.

The statistics per period are the read model in `secondme.views.timeline`. Periods
are calendar periods in local time; weeks are ISO weeks (Monday first).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from storage.memories import COLUMNS
from storage.records import Memory

from .clock import from_iso, to_iso
from .periods import Period, period_of


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
