"""The timeline's reads: the bank's span, a period's memories and summaries, and the
statistics per period in one grouped query.

A period is a bucket of `event_at` (its day, the Monday of its ISO week, its month
or its year). Retention is a function of each row's decay fields that only the
caller can compute (storage knows no forgetting curve), so the caller passes it and
the query sums it per group. Summaries are left out of the memory reads: they stand
for the period.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .memories import COLUMNS
from .records import Memory
from .sqlcipher import sqlite_utils

Db = sqlite_utils.Database

_DAY = "substr(event_at, 1, 10)"
BUCKETS = {
    "day": _DAY,
    "week": f"date({_DAY}, '-' || ((CAST(strftime('%w', {_DAY}) AS INTEGER) + 6) % 7) || ' days')",
    "month": "substr(event_at, 1, 7)",
    "year": "substr(event_at, 1, 4)",
}

#: (kind, strength, pinned, last_reinforced_at) -> R now
Retention = Callable[[str, float, int, str], float]


def grouped_counts(db: Db, level: str, start: str, end: str,
                   retention: Retention) -> list[dict[str, Any]]:
    """Rows of (bucket, kind, source, state, pinned, n, r_sum) for memories in [start, end)."""
    bucket = BUCKETS[level]
    db.conn.create_function("secondme_retention", 4, retention)
    sql = (f"SELECT {bucket} AS bucket, kind, source, state, pinned, count(*) AS n, "
           "sum(secondme_retention(kind, strength, pinned, last_reinforced_at)) AS r_sum "
           "FROM memories WHERE event_at >= ? AND event_at < ? AND kind != 'summary' "
           "GROUP BY bucket, kind, source, state, pinned")
    return [dict(row) for row in db.query(sql, [start, end])]


def event_span(db: Db) -> tuple[list[str], list[str]]:
    """([earliest…], [latest…]): event times of memories (summaries aside) and period
    starts of current day/week/month summaries, whichever exist."""
    row = db.execute("SELECT min(event_at), max(event_at) FROM memories WHERE kind != 'summary'"
                     ).fetchone()
    srow = db.execute("SELECT min(period_start), max(period_start) FROM summaries "
                      "WHERE is_current = 1 AND level IN ('day', 'week', 'month')").fetchone()
    return [v for v in (row[0], srow[0]) if v], [v for v in (row[1], srow[1]) if v]


def latest_event_at(db: Db) -> str | None:
    """The event time of the newest memory (summaries aside), or None in an empty bank."""
    row = db.execute("SELECT max(event_at) FROM memories WHERE kind != 'summary'").fetchone()
    return row[0] if row and row[0] else None


def memories_between(db: Db, start: str, end: str, *,
                     include_archived: bool = True) -> list[Memory]:
    """Memories (summaries excluded) with event time in [start, end), oldest first."""
    sql = (f"SELECT {COLUMNS} FROM memories WHERE event_at >= ? AND event_at < ? "
           "AND kind != 'summary'")
    if not include_archived:
        sql += " AND state = 'active'"
    return [Memory.from_row(r) for r in db.query(sql + " ORDER BY event_at, id", [start, end])]


def current_summaries_starting(db: Db, level: str, start: str,
                               end: str) -> list[dict[str, Any]]:
    """Current summaries of `level` whose period starts in [start, end), by version."""
    return [dict(r) for r in db.query(
        "SELECT id, level, period_key, period_start, period_end, text, version, method, "
        "model, created_at, memory_id FROM summaries WHERE level = ? AND is_current = 1 "
        "AND period_start >= ? AND period_start < ? ORDER BY version", [level, start, end])]
