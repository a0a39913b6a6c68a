"""The timeline's reads: the span of the bank, a period's memories, its summaries."""

from __future__ import annotations

from typing import Any

from .memories import COLUMNS
from .records import Memory
from .sqlcipher import sqlite_utils

Db = sqlite_utils.Database


def event_span(db: Db) -> tuple[list[str], list[str]]:
    """([earliest…], [latest…]): event times of memories (summaries aside) and period
    starts of current day/week/month summaries, whichever exist."""
    row = db.execute("SELECT min(event_at), max(event_at) FROM memories WHERE kind != 'summary'"
                     ).fetchone()
    srow = db.execute("SELECT min(period_start), max(period_start) FROM summaries "
                      "WHERE is_current = 1 AND level IN ('day', 'week', 'month')").fetchone()
    return [v for v in (row[0], srow[0]) if v], [v for v in (row[1], srow[1]) if v]


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
