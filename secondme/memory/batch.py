"""Memory writes inside a caller's write transaction: `with memory.batch() as writes:`.

Imports, JSONL restore, dedupe and summaries write memories together with rows of their
own (documents, messages, summaries, watermarks) in one transaction, so that a failure
keeps none of it. They write memories through a `MemoryWrites` bound to that transaction
(`MemoryService.batch()` opens it, or joins the one already open on this thread): each
change goes in with its audit entry, and its change notification (the vector index, …)
waits for the outermost commit. It is delivered after the writer lock is released, and
never when the transaction rolls back (`Bank.after_commit`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from storage import audit as audit_log
from storage import memories as rows
from storage.sqlcipher import sqlite_utils

Notify = Callable[[str, int], None]


class MemoryWrites:
    """Writes to `memories` in the open transaction `db`; `notify` defers to its commit."""

    def __init__(self, db: sqlite_utils.Database, notify: Notify) -> None:
        self.db = db
        self._notify = notify

    def create(self, record: dict[str, Any], *, actor: str, at: str,
               after: dict[str, Any], note: str | None = None) -> int:
        """Inserts a memory row with its `create` audit entry; returns its id."""
        memory_id = rows.insert(self.db, record)
        audit_log.record(self.db, at=at, actor=actor, action="create", entity="memory",
                         entity_id=memory_id, after=after, note=note)
        self._notify("create", memory_id)
        return memory_id

    def restore_row(self, record: dict[str, Any]) -> int:
        """Inserts a row from an export, keeping its id when given. Its audit entry is the
        caller's: a restore logs its own entries after the export's audit rows."""
        memory_id = rows.insert(self.db, record)
        self._notify("create", memory_id)
        return memory_id

    def update(self, memory_id: int, changes: dict[str, Any], *, action: str, actor: str,
               at: str, before: dict[str, Any] | None = None,
               after: dict[str, Any] | None = None, note: str | None = None) -> None:
        """Changes a memory's columns with an audit entry (`after` defaults to the changes)."""
        rows.update(self.db, memory_id, **dict(changes))
        audit_log.record(self.db, at=at, actor=actor, action=action, entity="memory",
                         entity_id=memory_id, before=before,
                         after=dict(changes) if after is None else after, note=note)
        self._notify(action, memory_id)

    def archive(self, memory_id: int, *, actor: str, at: str, note: str | None = None) -> None:
        """An active memory leaves default retrieval but stays restorable."""
        self.update(memory_id, {"state": "archived"}, action="archive", actor=actor, at=at,
                    before={"state": "active"}, after={"state": "archived"}, note=note)

    def delete(self, memory_id: int, *, actor: str, at: str, note: str) -> dict[str, Any]:
        """Removes a memory row everywhere it is indexed; its audit history loses its text."""
        removed = rows.delete_everywhere(self.db, memory_id)
        audit_log.redact(self.db, "memory", memory_id)
        audit_log.record(self.db, at=at, actor=actor, action="delete", entity="memory",
                         entity_id=memory_id, after=removed, note=note)
        self._notify("forget", memory_id)
        return removed
