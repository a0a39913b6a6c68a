"""Where a memory came from and what was built from it: the inspector's reads."""

from __future__ import annotations

from .sqlcipher import sqlite_utils

Db = sqlite_utils.Database


def memory_origin(db: Db, memory_id: int) -> tuple[str, str, str] | None:
    """(event_at, kind, source) of a memory, or None when it is gone."""
    row = db.execute("SELECT event_at, kind, source FROM memories WHERE id = ?",
                     [memory_id]).fetchone()
    return None if row is None else (row[0], row[1], row[2])


def document_origin(db: Db, document_id: int) -> tuple[str, str, str] | None:
    """(path, imported_at, state) of a document."""
    row = db.execute("SELECT path, imported_at, state FROM documents WHERE id = ?",
                     [document_id]).fetchone()
    return None if row is None else (row[0], row[1], row[2])


def session_origin(db: Db, session_id: str) -> tuple[str | None, str, str] | None:
    """(title, source, started_at) of a session."""
    row = db.execute("SELECT title, source, started_at FROM sessions WHERE id = ?",
                     [session_id]).fetchone()
    return None if row is None else (row[0], row[1], row[2])


def summaries_citing(db: Db, memory_id: int) -> list[tuple[int, str, str, int]]:
    """(id, level, period_key, version) of current summaries made from the memory."""
    return [tuple(r) for r in db.execute(
        "SELECT s.id, s.level, s.period_key, s.version FROM summary_sources l JOIN summaries s "
        "ON s.id = l.summary_id WHERE l.source_type = 'memory' AND l.source_id = ? "
        "AND s.is_current = 1 ORDER BY s.period_start", [memory_id]).fetchall()]


def evidence_memory(db: Db, memory_id: int) -> dict | None:
    """The memory a fact cites (id, kind, text, event_at, source_ref, meta), or None."""
    rows = list(db.query("SELECT id, kind, text, event_at, source_ref, meta FROM memories "
                         "WHERE id = ?", [memory_id]))
    return rows[0] if rows else None
