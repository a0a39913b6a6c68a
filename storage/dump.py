"""Reading a whole bank out for an export, from one read snapshot."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from .sqlcipher import sqlite_utils

Db = sqlite_utils.Database
EXPORTED = frozenset({"sessions", "messages", "documents", "memories", "summaries",
                      "profile_facts", "audit_log"})
ORDER = {"sessions": "started_at, id", "audit_log": "id"}


def _table(table: str) -> str:
    if table not in EXPORTED:
        raise ValueError(f"not an exported table: {table!r}")
    return table


@contextlib.contextmanager
def snapshot(conn: Any) -> Iterator[None]:
    """One read transaction, so every table is read as of the same moment."""
    if conn.in_transaction:
        yield
        return
    conn.execute("BEGIN")
    try:
        yield
    finally:
        if conn.in_transaction:
            conn.execute("ROLLBACK")


def count(db: Db, table: str) -> int:
    return db.execute(f"SELECT count(*) FROM {_table(table)}").fetchone()[0]


def rows(db: Db, table: str) -> Iterator[dict[str, Any]]:
    """Every row of `table`, in id order (sessions by start time)."""
    order = ORDER.get(table, "id")
    cursor = db.execute(f"SELECT * FROM {_table(table)} ORDER BY {order}")
    names = [d[0] for d in cursor.description]
    for values in cursor:
        yield dict(zip(names, values, strict=True))


def summary_links(db: Db) -> Iterator[tuple[int, str, int]]:
    """(summary id, source type, source id) for every summary source."""
    yield from db.execute("SELECT summary_id, source_type, source_id FROM summary_sources "
                          "ORDER BY summary_id, source_type, source_id")


def fact_links(db: Db) -> Iterator[tuple[int, int, str]]:
    """(fact id, memory id, quote) for every piece of fact evidence."""
    yield from db.execute("SELECT fact_id, memory_id, quote FROM fact_sources "
                          "ORDER BY fact_id, memory_id")


def memories_for_reading(db: Db) -> list[dict[str, Any]]:
    """Every memory but summaries, in event order (the readable Markdown export)."""
    return [dict(r) for r in db.query(
        "SELECT id, kind, text, event_at, source, source_ref, state, pinned FROM memories "
        "WHERE kind != 'summary' ORDER BY event_at, id")]


def current_day_month_summaries(db: Db) -> list[dict[str, Any]]:
    return [dict(r) for r in db.query("SELECT level, period_start, text FROM summaries "
                                      "WHERE is_current = 1 AND level IN ('day', 'month') "
                                      "ORDER BY id")]


def open_facts(db: Db) -> list[dict[str, Any]]:
    """Every fact that is not closed, by category."""
    return [dict(r) for r in db.query(
        "SELECT * FROM profile_facts WHERE status != 'closed' ORDER BY category, id")]
