"""Connection settings a caller changes for a while (durability during a bulk run)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from .sqlcipher import DatabaseError, sqlite_utils


@contextlib.contextmanager
def relaxed_durability(db: sqlite_utils.Database) -> Iterator[None]:
    """`synchronous = NORMAL` for the block, then the old setting and a passive checkpoint."""
    conn = db.conn
    before = conn.execute("PRAGMA synchronous").fetchone()[0]
    conn.execute("PRAGMA synchronous = NORMAL")
    try:
        yield
    finally:
        conn.execute(f"PRAGMA synchronous = {int(before)}")
        with contextlib.suppress(DatabaseError):
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
