"""Queries for finding duplicate memories. Callers own the transaction.

Only raw memories take part (turns, notes, remembered lines): summaries and facts
are derived and may legitimately repeat each other's words. A memory already
merged into another carries `meta.merged_into` and is never a candidate again.
"""

from __future__ import annotations

from typing import Any

from .sqlcipher import sqlite_utils

_RAW = "kind IN ('turn', 'note', 'remember') AND json_extract(meta, '$.merged_into') IS NULL"


def new_memories(db: sqlite_utils.Database, after_id: int, limit: int) -> list[dict[str, Any]]:
    return list(db.query(f"SELECT id, kind, content_hash, state FROM memories WHERE id > ? "
                         f"AND {_RAW} ORDER BY id LIMIT ?", [after_id, limit]))


def count_new(db: sqlite_utils.Database, after_id: int) -> int:
    """How many raw memories `new_memories` has still to hand out after `after_id`."""
    return int(db.execute(f"SELECT count(*) FROM memories WHERE id > ? AND {_RAW}",
                          [after_id]).fetchone()[0])


def older_twin(db: sqlite_utils.Database, kind: str, digest: str, before_id: int) -> int | None:
    """The oldest active memory of the same kind with exactly the same text."""
    row = db.execute(f"SELECT id FROM memories WHERE content_hash = ? AND kind = ? AND id < ? "
                     f"AND state = 'active' AND {_RAW} ORDER BY id LIMIT 1",
                     [digest, kind, before_id]).fetchone()
    return int(row[0]) if row else None


def dominant_model(db: sqlite_utils.Database) -> str | None:
    row = db.execute("SELECT embedding_model, count(*) FROM memories WHERE embedding_model "
                     "IS NOT NULL GROUP BY 1 ORDER BY 2 DESC LIMIT 1").fetchone()
    return row[0] if row else None


def embedded(db: sqlite_utils.Database, model: str, after_id: int, limit: int,
             before_id: int | None = None) -> list[tuple[int, str, bytes]]:
    """(id, kind, blob) of active raw memories with a vector from `model`, by id."""
    sql = (f"SELECT id, kind, embedding FROM memories WHERE embedding IS NOT NULL "
           f"AND embedding_model = ? AND state = 'active' AND {_RAW} AND id > ?")
    args: list[Any] = [model, after_id]
    if before_id is not None:
        sql += " AND id < ?"
        args.append(before_id)
    args.append(limit)
    return [(r[0], r[1], r[2]) for r in db.execute(sql + " ORDER BY id LIMIT ?", args).fetchall()]


def first_unembedded(db: sqlite_utils.Database, model: str, after_id: int) -> int | None:
    row = db.execute(f"SELECT min(id) FROM memories WHERE id > ? AND state = 'active' AND {_RAW} "
                     "AND (embedding IS NULL OR embedding_model IS NOT ?)",
                     [after_id, model]).fetchone()
    return int(row[0]) if row and row[0] is not None else None
