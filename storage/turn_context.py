"""What query-time ranking reads about candidates: their session and their opening words.

Read-only queries for secondme/memory/recall_levers.py. Nothing derived is stored, so nothing has to
be rebuilt when a memory changes or is forgotten.
"""

from __future__ import annotations

from collections.abc import Iterable

from .sqlcipher import sqlite_utils


def sessions_of(db: sqlite_utils.Database, ids: Iterable[int]) -> dict[int, str]:
    """id → session for the given memories that have one."""
    wanted = list(dict.fromkeys(int(i) for i in ids))
    out: dict[int, str] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start:start + 500]
        marks = ",".join("?" for _ in chunk)
        for r in db.execute(f"SELECT id, session_id FROM memories WHERE id IN ({marks})"
                            " AND session_id IS NOT NULL", chunk).fetchall():
            out[int(r[0])] = str(r[1])
    return out


def openings(db: sqlite_utils.Database, ids: Iterable[int], length: int = 40) -> dict[int, str]:
    """id → the first `length` characters of each memory (e.g. a transcript's "Name:")."""
    wanted = list(dict.fromkeys(int(i) for i in ids))
    out: dict[int, str] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start:start + 500]
        marks = ",".join("?" for _ in chunk)
        for r in db.execute(f"SELECT id, substr(text, 1, ?) FROM memories WHERE id IN ({marks})",
                            [int(length), *chunk]).fetchall():
            out[int(r[0])] = str(r[1])
    return out
