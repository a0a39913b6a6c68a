"""Reading many memories by id: one query per 500 ids, far below SQLite's host-parameter
limit, so a candidate list of any size is read in a few round trips."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from .sqlcipher import sqlite_utils

CHUNK = 500


def chunks(ids: Iterable[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    """The ids without repeats, in order, `size` at a time."""
    wanted = list(dict.fromkeys(ids))
    for start in range(0, len(wanted), size):
        yield wanted[start:start + size]


def marks(chunk: Sequence[Any]) -> str:
    """`?,?,?` for an `IN (…)` over `chunk`."""
    return ",".join("?" for _ in chunk)


def select_memories(db: sqlite_utils.Database, columns: str, ids: Iterable[int], *,
                    where: str = "", args: Sequence[Any] = ()) -> Iterator[tuple]:
    """Rows of `SELECT columns FROM memories WHERE id IN (ids) [AND where]`; `args` bind the
    parameters inside `columns` (they come before the ids)."""
    extra = f" AND {where}" if where else ""
    for chunk in chunks(int(i) for i in ids):
        sql = f"SELECT {columns} FROM memories WHERE id IN ({marks(chunk)}){extra}"
        yield from db.execute(sql, [*args, *chunk]).fetchall()
