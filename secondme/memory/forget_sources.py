"""Bulk forgetting by source: an import path (file or folder), an import run, a chat session.

`forget --source` resolves what came from the source here, then hands the selection to
the same complete forgetting as `memory forget` (secondme.memory.forgetting).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from storage import Bank
from storage import forgetting as store

from ..clock import Clock
from ..errors import InvalidInput
from .forgetting import Selection

SESSION_PREFIX = "session:"
RUN_PREFIX = "import-run:"


class NothingToForget(InvalidInput):
    """The source matches nothing in the bank (a user mistake: one line, exit 2)."""


@contextlib.contextmanager
def recorded_run(bank: Bank, clock: Clock) -> Iterator[int]:
    """Marks an import run's audit window, so `forget --source import-run:N` can undo it."""
    with bank.write() as db:
        run_id = store.start_import_run(db, clock.now_iso())
    try:
        yield run_id
    finally:
        with bank.write() as db:
            store.finish_import_run(db, run_id, clock.now_iso())


def resolve(bank: Bank, spec: str) -> tuple[Selection, str]:
    """(what to forget, a label for it) from `session:ID`, `import-run:N|last` or a path."""
    db = bank.db()
    spec = spec.strip()
    if spec.startswith(SESSION_PREFIX):
        session_id = spec[len(SESSION_PREFIX):].strip()
        if not session_id or not store.session_exists(db, session_id):
            raise NothingToForget(f"no chat session {session_id!r} in the bank")
        return Selection(session_ids=[session_id], tombstone=False), f"chat session {session_id}"
    if spec.startswith(RUN_PREFIX):
        raw = spec[len(RUN_PREFIX):].strip()
        if raw != "last" and not raw.isdigit():
            raise NothingToForget(f"an import run is a number or 'last', not {raw!r}")
        run = store.import_run(db, None if raw == "last" else int(raw))
        if run is None:
            raise NothingToForget(f"no import run {raw!r} in the bank")
        memories, documents = store.created_in_run(db, run)
        return (Selection(memory_ids=memories, document_ids=documents, tombstone=False),
                f"import run {run['id']} (started {run['started_at']})")
    if store.session_exists(db, spec):
        return Selection(session_ids=[spec], tombstone=False), f"chat session {spec}"
    path = Path(spec).expanduser()
    with contextlib.suppress(OSError, RuntimeError):
        path = path.resolve()
    documents = store.documents_under(db, str(path))
    if not documents:
        raise NothingToForget(f"nothing in the bank was imported from {path}")
    return Selection(document_ids=documents, tombstone=False), f"imports from {path}"
