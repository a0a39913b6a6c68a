"""Lookups and inserts for restoring a JSONL export into a bank. Callers own the transaction.

A restored row may carry any column an older or newer export had; only the columns
this bank's table has are written.
"""

from __future__ import annotations

from typing import Any

from .sqlcipher import sqlite_utils

Db = sqlite_utils.Database
TABLES = frozenset({"sessions", "messages", "documents", "memories", "summaries",
                    "profile_facts", "audit_log"})


def _table(table: str) -> str:
    if table not in TABLES:
        raise ValueError(f"not a restorable table: {table!r}")
    return table


def columns(db: Db, table: str) -> list[str]:
    return [c.name for c in db[_table(table)].columns]


def insert_known(db: Db, table: str, row: dict[str, Any]) -> int:
    """Inserts the row's values for the columns `table` has; returns the new id."""
    allowed = set(columns(db, table))
    return db[_table(table)].insert({k: v for k, v in row.items() if k in allowed}).last_pk


def exists(db: Db, table: str, row_id: Any) -> bool:
    return db.execute(f"SELECT 1 FROM {_table(table)} WHERE id = ?", [row_id]).fetchone() \
        is not None


def _first_id(db: Db, sql: str, args: list[Any]) -> int | None:
    row = db.execute(sql, args).fetchone()
    return None if row is None else int(row[0])


def same_message(db: Db, row: dict[str, Any]) -> int | None:
    """The id of a message with the same session, role, text and time (its own id first)."""
    return _first_id(db, "SELECT id FROM messages WHERE session_id = ? AND role = ? AND text = ? "
                     "AND created_at = ? ORDER BY (id = ?) DESC LIMIT 1",
                     [row["session_id"], row["role"], row["text"], row["created_at"], row["id"]])


def same_document(db: Db, path: str) -> int | None:
    return _first_id(db, "SELECT id FROM documents WHERE path = ?", [path])


def same_memory(db: Db, memory_id: int, digest: str, kinds: tuple[str, str]) -> bool:
    return _first_id(db, "SELECT id FROM memories WHERE id = ? AND content_hash = ? "
                     "AND kind IN (?, ?)", [memory_id, digest, *kinds]) is not None


def same_summary(db: Db, level: str, period_key: str, version: int) -> int | None:
    return _first_id(db, "SELECT id FROM summaries WHERE level = ? AND period_key = ? "
                     "AND version = ?", [level, period_key, version])


def same_fact(db: Db, subject: str, attribute: str, value: str, recorded_at: str) -> int | None:
    return _first_id(db, "SELECT id FROM profile_facts WHERE subject = ? AND attribute = ? "
                     "AND value = ? AND recorded_at = ?", [subject, attribute, value, recorded_at])


def same_audit(db: Db, row: dict[str, Any], entity_id: Any) -> bool:
    return _first_id(db, "SELECT 1 FROM audit_log WHERE id = ? AND at = ? AND action = ? "
                     "AND entity = ? AND entity_id IS ?",
                     [row["id"], row["at"], row["action"], row["entity"], entity_id]) is not None


def link_summary_source(db: Db, summary_id: int, source_type: str, source_id: int) -> None:
    db.execute("INSERT OR IGNORE INTO summary_sources (summary_id, source_type, source_id) "
               "VALUES (?, ?, ?)", [summary_id, source_type, source_id])


def link_fact_source(db: Db, fact_id: int, memory_id: int, quote: str) -> None:
    db.execute("INSERT OR IGNORE INTO fact_sources (fact_id, memory_id, quote) VALUES (?, ?, ?)",
               [fact_id, memory_id, quote])


def set_superseded_by(db: Db, fact_id: int, successor: int) -> None:
    db["profile_facts"].update(fact_id, {"superseded_by": successor})
