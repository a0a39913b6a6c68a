"""Queries over `sessions` and `messages`: the verbatim chat record. Callers own the transaction.

Messages are ground truth: they are inserted, never rewritten.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .sqlcipher import sqlite_utils

ROLES = ("user", "assistant", "system")


@dataclass(frozen=True)
class Message:
    id: int
    session_id: str
    role: str
    text: str
    created_at: str
    source: str = "chat"
    meta: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Message:
        return cls(id=row["id"], session_id=row["session_id"], role=row["role"],
                   text=row["text"], created_at=row["created_at"], source=row["source"],
                   meta=json.loads(row["meta"] or "{}"))

    def to_public(self) -> dict[str, Any]:
        return {"id": self.id, "session_id": self.session_id, "role": self.role,
                "text": self.text, "created_at": self.created_at, "source": self.source,
                "meta": self.meta}


def create_session(db: sqlite_utils.Database, session_id: str, *, at: str,
                   source: str = "chat", title: str | None = None,
                   meta: dict[str, Any] | None = None) -> None:
    db.execute(
        "INSERT OR IGNORE INTO sessions (id, title, source, started_at, last_active_at, meta) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [session_id, title, source, at, at, json.dumps(meta or {}, ensure_ascii=False)])


def touch_session(db: sqlite_utils.Database, session_id: str, at: str) -> None:
    db.execute("UPDATE sessions SET last_active_at = ? WHERE id = ? AND last_active_at < ?",
               [at, session_id, at])


def get_session(db: sqlite_utils.Database, session_id: str) -> dict[str, Any] | None:
    rows = list(db.query("SELECT * FROM sessions WHERE id = ?", [session_id]))
    return rows[0] if rows else None


def insert_message(db: sqlite_utils.Database, *, session_id: str, role: str, text: str,
                   at: str, source: str = "chat",
                   meta: dict[str, Any] | None = None) -> int:
    if role not in ROLES:
        raise ValueError(f"unknown message role {role!r}")
    cursor = db.execute(
        "INSERT INTO messages (session_id, role, text, created_at, source, meta) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [session_id, role, text, at, source, json.dumps(meta or {}, ensure_ascii=False)])
    return int(cursor.lastrowid)


def recent_messages(db: sqlite_utils.Database, session_id: str, limit: int = 20) -> list[Message]:
    """The last `limit` messages of a session, oldest first."""
    rows = list(db.query(
        "SELECT * FROM messages WHERE session_id = ? ORDER BY id DESC LIMIT ?",
        [session_id, int(limit)]))
    return [Message.from_row(r) for r in reversed(rows)]


def get_messages(db: sqlite_utils.Database, ids: list[int]) -> list[Message]:
    if not ids:
        return []
    marks = ",".join("?" for _ in ids)
    return [Message.from_row(r) for r in db.query(
        f"SELECT * FROM messages WHERE id IN ({marks}) ORDER BY id", [int(i) for i in ids])]


def count_messages(db: sqlite_utils.Database, session_id: str | None = None) -> int:
    if session_id is None:
        return db.execute("SELECT count(*) FROM messages").fetchone()[0]
    return db.execute("SELECT count(*) FROM messages WHERE session_id = ?",
                      [session_id]).fetchone()[0]


def latest_session(db: sqlite_utils.Database, source: str | None = None) -> dict[str, Any] | None:
    sql = "SELECT * FROM sessions"
    args: list[Any] = []
    if source:
        sql += " WHERE source = ?"
        args.append(source)
    rows = list(db.query(sql + " ORDER BY last_active_at DESC, rowid DESC LIMIT 1", args))
    return rows[0] if rows else None


def list_sessions(db: sqlite_utils.Database, *, limit: int = 200,
                  offset: int = 0) -> list[dict[str, Any]]:
    """Conversations that hold messages, latest first, with their message count."""
    return list(db.query(
        "SELECT s.id, s.title, s.source, s.started_at, s.last_active_at, "
        "(SELECT count(*) FROM messages m WHERE m.session_id = s.id) AS messages "
        "FROM sessions s WHERE EXISTS (SELECT 1 FROM messages m WHERE m.session_id = s.id) "
        "ORDER BY s.last_active_at DESC, s.rowid DESC LIMIT ? OFFSET ?",
        [int(limit), int(offset)]))


def session_messages(db: sqlite_utils.Database, session_id: str,
                     limit: int = 5000) -> list[Message]:
    """A whole conversation, oldest first (up to `limit` messages)."""
    rows = db.query("SELECT * FROM messages WHERE session_id = ? ORDER BY id LIMIT ?",
                    [session_id, int(limit)])
    return [Message.from_row(r) for r in rows]


def session_last_active(db: sqlite_utils.Database, session_id: str) -> str | None | bool:
    """The session's last_active_at, or False when there is no such session."""
    row = db.execute("SELECT last_active_at FROM sessions WHERE id = ?", [session_id]).fetchone()
    return False if row is None else row[0]


def insert_session(db: sqlite_utils.Database, row: dict[str, Any]) -> None:
    """A session row as given (an import keeps its own start and last-active times)."""
    db["sessions"].insert(row)


def set_last_active(db: sqlite_utils.Database, session_id: str, at: str) -> None:
    db["sessions"].update(session_id, {"last_active_at": at})


def message_ids_by_ref(db: sqlite_utils.Database, session_id: str) -> dict[str | None, int]:
    """source_ref → message id for a session's messages (an import's own message ids)."""
    return {r[0]: r[1] for r in db.execute(
        "SELECT source_ref, id FROM messages WHERE session_id = ?", [session_id]).fetchall()}


def insert_imported_message(db: sqlite_utils.Database, row: dict[str, Any]) -> int:
    """A message from an import (with its `source_ref`); returns its id.

    Plain SQL, not `db["messages"].insert`: an import writes one per message, and the
    table API costs ~165 µs a row against ~7 µs (measured, 5,000 rows).
    """
    columns = list(row)
    cursor = db.execute(f"INSERT INTO messages ({', '.join(columns)}) "
                        f"VALUES ({', '.join('?' for _ in columns)})", [row[c] for c in columns])
    return int(cursor.lastrowid)
