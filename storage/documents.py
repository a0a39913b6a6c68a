"""Queries over `documents` (imported files) and the memories cut from them.

Callers own the transaction.
"""

from __future__ import annotations

from typing import Any

from .sqlcipher import sqlite_utils

Db = sqlite_utils.Database


def find(db: Db, path: str) -> dict[str, Any] | None:
    """The document imported from `path`, or None."""
    found = list(db.query("SELECT * FROM documents WHERE path = ?", [path]))
    return found[0] if found else None


def get(db: Db, doc_id: int) -> dict[str, Any] | None:
    found = list(db.query("SELECT * FROM documents WHERE id = ?", [doc_id]))
    return found[0] if found else None


def insert(db: Db, row: dict[str, Any]) -> int:
    """A new document row; returns its id."""
    return int(db["documents"].insert(row).last_pk)


def update(db: Db, doc_id: int, **changes: Any) -> None:
    if changes:
        db["documents"].update(doc_id, changes)


def memories_of(db: Db, doc_id: int) -> list[dict[str, Any]]:
    """The memories cut from a document (for re-import diffing), in id order."""
    return list(db.query("SELECT id, content_hash, state, pinned, event_at, source_ref "
                         "FROM memories WHERE document_id = ? ORDER BY id", [doc_id]))


def active_unpinned_memory_ids(db: Db, doc_id: int) -> list[int]:
    return [r[0] for r in db.execute("SELECT id FROM memories WHERE document_id = ? "
                                     "AND state = 'active' AND pinned = 0", [doc_id]).fetchall()]


def present_under(db: Db, prefix: str, kinds: list[str] | tuple[str, ...]) -> list[dict[str, Any]]:
    """Documents still marked present whose path starts with `prefix`, of the given kinds."""
    marks = ",".join("?" for _ in kinds)
    return list(db.query(
        f"SELECT * FROM documents WHERE substr(path, 1, ?) = ? AND state = 'present' "
        f"AND kind IN ({marks})", [len(prefix), prefix, *kinds]))
