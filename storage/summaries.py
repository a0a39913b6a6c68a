"""Queries over `summaries` and `summary_sources`. Callers own the transaction.

A summary is versioned per (level, period_key): exactly one row is current; older
versions stay with `is_current = 0` and `superseded_at` set, so nothing is lost.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .sqlcipher import sqlite_utils

COLUMNS = ("id, level, period_key, period_start, period_end, text, version, is_current, method, "
           "model, sources_hash, memory_id, created_at, superseded_at, trust")

#: Trust levels, lowest first: a summary has the lowest trust of its sources ('user' and
#: 'derived' both give 'derived').
TRUST_ORDER = ("import", "assistant", "derived", "user")

#: Memory kinds a summary is made from (summaries and facts are derived, never sources of days).
SOURCE_KINDS = ("turn", "note", "remember")

_NOT_MERGED = "json_extract(meta, '$.merged_into') IS NULL"
_KINDS = "kind IN ('turn', 'note', 'remember')"


def get(db: sqlite_utils.Database, summary_id: int) -> dict[str, Any] | None:
    rows = list(db.query(f"SELECT {COLUMNS} FROM summaries WHERE id = ?", [summary_id]))
    return rows[0] if rows else None


def current(db: sqlite_utils.Database, level: str, period_key: str) -> dict[str, Any] | None:
    rows = list(db.query(f"SELECT {COLUMNS} FROM summaries WHERE level = ? AND period_key = ? "
                         "AND is_current = 1 ORDER BY version DESC LIMIT 1", [level, period_key]))
    return rows[0] if rows else None


def current_between(db: sqlite_utils.Database, level: str, start: str,
                    end: str) -> list[dict[str, Any]]:
    """Current summaries of `level` whose period starts in [start, end)."""
    return list(db.query(f"SELECT {COLUMNS} FROM summaries WHERE level = ? AND is_current = 1 "
                         "AND period_start >= ? AND period_start < ? ORDER BY period_start",
                         [level, start, end]))


def current_life(db: sqlite_utils.Database) -> dict[str, Any] | None:
    rows = list(db.query(f"SELECT {COLUMNS} FROM summaries WHERE is_current = 1 AND "
                         "level = 'life' ORDER BY version DESC, id DESC LIMIT 1"))
    return rows[0] if rows else None


def lowest_trust(trusts: Iterable[str]) -> str:
    """The trust of text derived from sources of these trust levels."""
    rank = {t: i for i, t in enumerate(TRUST_ORDER)}
    found = [t for t in trusts if t in rank]
    low = min(found, key=rank.__getitem__) if found else "derived"
    return "derived" if low == "user" else low


def list_summaries(db: sqlite_utils.Database, level: str | None = None, *,
                   include_old: bool = False) -> list[dict[str, Any]]:
    where, args = [], []
    if level:
        where.append("level = ?")
        args.append(level)
    if not include_old:
        where.append("is_current = 1")
    sql = f"SELECT {COLUMNS} FROM summaries"
    if where:
        sql += " WHERE " + " AND ".join(where)
    order = "CASE level WHEN 'life' THEN 0 WHEN 'month' THEN 1 WHEN 'week' THEN 2 " \
            "WHEN 'day' THEN 3 ELSE 4 END"
    return list(db.query(sql + f" ORDER BY {order}, period_start, version", args))


def next_version(db: sqlite_utils.Database, level: str, period_key: str) -> int:
    row = db.execute("SELECT max(version) FROM summaries WHERE level = ? AND period_key = ?",
                     [level, period_key]).fetchone()
    return int(row[0] or 0) + 1


def insert(db: sqlite_utils.Database, row: dict[str, Any],
           sources: Iterable[tuple[str, int]]) -> int:
    summary_id = int(db.table("summaries").insert(row).last_pk)   # a few a run: the table API
    db.conn.executemany(
        "INSERT OR IGNORE INTO summary_sources (summary_id, source_type, source_id) "
        "VALUES (?, ?, ?)", [(summary_id, kind, int(source_id)) for kind, source_id in sources])
    return summary_id


def supersede(db: sqlite_utils.Database, summary_id: int, at: str) -> None:
    db.execute("UPDATE summaries SET is_current = 0, superseded_at = ? WHERE id = ?",
               [at, summary_id])


def withdraw(db: sqlite_utils.Database, summary_id: int, text: str) -> None:
    db.execute("UPDATE summaries SET text = ? WHERE id = ?", [text, summary_id])


def set_memory(db: sqlite_utils.Database, summary_id: int, memory_id: int) -> None:
    db.execute("UPDATE summaries SET memory_id = ? WHERE id = ?", [memory_id, summary_id])


def sources(db: sqlite_utils.Database, summary_id: int) -> list[dict[str, Any]]:
    return list(db.query("SELECT source_type, source_id FROM summary_sources WHERE summary_id = ? "
                         "ORDER BY source_type, source_id", [summary_id]))


# -- where summaries come from ------------------------------------------------
def source_days(db: sqlite_utils.Database, before: str) -> list[str]:
    """Calendar days (YYYY-MM-DD) before `before` that have summarisable memories."""
    return [r[0] for r in db.execute(
        f"SELECT DISTINCT substr(event_at, 1, 10) FROM memories WHERE {_KINDS} AND {_NOT_MERGED} "
        "AND event_at < ? ORDER BY 1", [before]).fetchall()]


def memories_between(db: sqlite_utils.Database, start: str,
                     end: str) -> list[tuple[int, str]]:
    """(id, content_hash) of summarisable memories in [start, end), archived ones included:
    a faded memory's gist is exactly what a summary is for."""
    return [(r[0], r[1]) for r in db.execute(
        f"SELECT id, content_hash FROM memories WHERE {_KINDS} AND {_NOT_MERGED} "
        "AND event_at >= ? AND event_at < ? ORDER BY event_at, id", [start, end]).fetchall()]


def memories_of_session(db: sqlite_utils.Database, session_id: str) -> list[tuple[int, str]]:
    return [(r[0], r[1]) for r in db.execute(
        f"SELECT id, content_hash FROM memories WHERE {_KINDS} AND {_NOT_MERGED} "
        "AND session_id = ? ORDER BY event_at, id", [session_id]).fetchall()]


def idle_sessions(db: sqlite_utils.Database, idle_before: str) -> list[dict[str, Any]]:
    return list(db.query("SELECT id, title, started_at, last_active_at FROM sessions "
                         "WHERE last_active_at <= ? ORDER BY started_at", [idle_before]))
