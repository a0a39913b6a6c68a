"""The timeline's statistics in one grouped query: counts per period, kind, source and state.

A period is a bucket of `event_at` (its day, the Monday of its ISO week, its month
or its year). Retention is a function of each row's decay fields that only the
caller can compute (storage knows no forgetting curve), so the caller passes it and
the query sums it per group. Summaries are left out: they stand for the period.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .sqlcipher import sqlite_utils

_DAY = "substr(event_at, 1, 10)"
BUCKETS = {
    "day": _DAY,
    "week": f"date({_DAY}, '-' || ((CAST(strftime('%w', {_DAY}) AS INTEGER) + 6) % 7) || ' days')",
    "month": "substr(event_at, 1, 7)",
    "year": "substr(event_at, 1, 4)",
}

#: (kind, strength, pinned, last_reinforced_at) -> R now
Retention = Callable[[str, float, int, str], float]


def grouped_counts(db: sqlite_utils.Database, level: str, start: str, end: str,
                   retention: Retention) -> list[dict[str, Any]]:
    """Rows of (bucket, kind, source, state, pinned, n, r_sum) for memories in [start, end)."""
    bucket = BUCKETS[level]
    db.conn.create_function("secondme_retention", 4, retention)
    sql = (f"SELECT {bucket} AS bucket, kind, source, state, pinned, count(*) AS n, "
           "sum(secondme_retention(kind, strength, pinned, last_reinforced_at)) AS r_sum "
           "FROM memories WHERE event_at >= ? AND event_at < ? AND kind != 'summary' "
           "GROUP BY bucket, kind, source, state, pinned")
    return [dict(row) for row in db.query(sql, [start, end])]
