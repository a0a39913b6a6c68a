"""Where a turn sits in its conversation: its session and its live neighbours.

Read-only queries for query-time ranking (secondme/recall_levers.py). Nothing derived is
stored: a forgotten or archived turn simply stops being anyone's neighbour.
"""

from __future__ import annotations

from collections.abc import Iterable

from .sqlcipher import sqlite_utils


def turn_context(db: sqlite_utils.Database, ids: Iterable[int]
                 ) -> dict[int, tuple[str, int | None, int | None]]:
    """id → (session, previous live turn, next live turn) for the given active turns.

    Order inside a session is event time, then id (insertion order). Ids that are not active
    turns with a session are left out.
    """
    wanted = list(dict.fromkeys(int(i) for i in ids))
    if not wanted:
        return {}
    marks = ",".join("?" for _ in wanted)
    found = db.execute(
        "SELECT id, session_id, prev_id, next_id FROM ("
        " SELECT id, session_id, LAG(id) OVER w AS prev_id, LEAD(id) OVER w AS next_id"
        " FROM memories WHERE kind = 'turn' AND state = 'active' AND session_id IN ("
        f"  SELECT DISTINCT session_id FROM memories WHERE id IN ({marks})"
        "   AND session_id IS NOT NULL AND kind = 'turn')"
        " WINDOW w AS (PARTITION BY session_id ORDER BY event_at, id))"
        f" WHERE id IN ({marks})", wanted + wanted).fetchall()
    return {int(r[0]): (str(r[1]), r[2], r[3]) for r in found}


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
