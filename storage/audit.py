"""The append-only audit trail: who changed what, before and after."""

from __future__ import annotations

import json
from typing import Any

from .sqlcipher import sqlite_utils

REDACTED = "[forgotten]"


def record(db: sqlite_utils.Database, *, at: str, actor: str, action: str, entity: str,
           entity_id: int | None, before: Any = None, after: Any = None,
           note: str | None = None) -> int:
    def dump(value: Any) -> str | None:
        return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True,
                                                      default=str)

    cursor = db.execute(
        "INSERT INTO audit_log (at, actor, action, entity, entity_id, before, after, note) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [at, actor, action, entity, entity_id, dump(before), dump(after), note],
    )
    return int(cursor.lastrowid)


def history(db: sqlite_utils.Database, entity: str, entity_id: int) -> list[dict[str, Any]]:
    rows = db.query("SELECT id, at, actor, action, before, after, note FROM audit_log "
                    "WHERE entity = ? AND entity_id = ? ORDER BY id", [entity, entity_id])
    out = []
    for row in rows:
        row = dict(row)
        for key in ("before", "after"):
            row[key] = json.loads(row[key]) if row[key] else None
        out.append(row)
    return out


def redact(db: sqlite_utils.Database, entity: str, entity_id: int) -> int:
    """Forgetting must not leave the text behind in earlier audit entries."""
    return db.execute("UPDATE audit_log SET before = NULL, after = NULL, note = ? "
                      "WHERE entity = ? AND entity_id = ?",
                      [REDACTED, entity, entity_id]).rowcount
