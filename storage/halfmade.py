"""A home that an interrupted `init` or `restore` left half made.

Both build the database under a staging name, then write the key file (and its
.bak), then rename the database into place. Killed between the key file and the
rename, the home holds a key file and a staging database but no `memory.db`.
That state is recognised here: opening the bank finishes the rename (the staging
copy was complete and verified before the key file was written), and a new
`init` / `restore` clears it first. A key file with no database and no staging
copy is an orphan: `restore` moves it aside (never deletes it).
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

STAGING_NAMES = ("memory.db.creating", "memory.db.restoring")


def _sidecars(path: Path) -> list[Path]:
    return [path, *(path.with_name(path.name + s) for s in ("-wal", "-shm", "-journal"))]


def staging_copy(home: Path) -> Path | None:
    for name in STAGING_NAMES:
        if (Path(home) / name).is_file():
            return Path(home) / name
    return None


def is_half_made(db: Path, key: Path) -> bool:
    return not db.exists() and key.exists() and staging_copy(db.parent) is not None


def finish(db: Path, key: Path) -> bool:
    """Completes an interrupted init/restore (the last rename); True when it did."""
    if not is_half_made(db, key):
        return False
    staging = staging_copy(db.parent)
    assert staging is not None
    backup = key.with_name(key.name + ".bak")
    if not backup.exists():
        from .keyfile import atomic_write_text

        atomic_write_text(backup, key.read_text(encoding="utf-8"))
    for suffix in ("-wal", "-shm", "-journal"):   # a closed, checkpointed copy has none
        Path(str(staging) + suffix).unlink(missing_ok=True)
    os.replace(staging, db)
    return True


def before_init(db: Path, key: Path) -> None:
    """A half-made init holds an empty bank: cleared. A half-made restore holds data:
    finished (init then finds a bank and says so)."""
    staging = staging_copy(db.parent)
    if staging is not None and staging.name == "memory.db.restoring":
        finish(db, key)
    else:
        clear(db, key)


def clear(db: Path, key: Path) -> bool:
    """Before a new restore: removes a half-made bank (never a complete one)."""
    if not is_half_made(db, key):
        return False
    for name in STAGING_NAMES:
        for path in _sidecars(db.parent / name):
            path.unlink(missing_ok=True)
    for path in (key, key.with_name(key.name + ".bak")):
        path.unlink(missing_ok=True)
    return True


def move_orphan_key_aside(db: Path, key: Path) -> Path | None:
    """A key file without any database: renamed to `*.orphaned-STAMP`, returned."""
    if db.exists() or not key.exists() or staging_copy(db.parent) is not None:
        return None
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = key.with_name(f"{key.name}.orphaned-{stamp}")
    os.replace(key, target)
    backup = key.with_name(key.name + ".bak")
    with contextlib.suppress(FileNotFoundError):
        os.replace(backup, backup.with_name(f"{backup.name}.orphaned-{stamp}"))
    return target
