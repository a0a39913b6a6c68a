"""What query-time ranking reads about candidates: their session and their opening words.

Read-only queries for secondme/memory/recall_levers.py. Nothing derived is stored, so nothing has to
be rebuilt when a memory changes or is forgotten.
"""

from __future__ import annotations

from collections.abc import Iterable

from .by_id import select_memories
from .sqlcipher import sqlite_utils


def sessions_of(db: sqlite_utils.Database, ids: Iterable[int]) -> dict[int, str]:
    """id → session for the given memories that have one."""
    return {int(r[0]): str(r[1]) for r in select_memories(db, "id, session_id", ids,
                                                           where="session_id IS NOT NULL")}


def openings(db: sqlite_utils.Database, ids: Iterable[int], length: int = 40) -> dict[int, str]:
    """id → the first `length` characters of each memory (e.g. a transcript's "Name:")."""
    return {int(r[0]): str(r[1]) for r in select_memories(db, "id, substr(text, 1, ?)", ids,
                                                           args=[int(length)])}
