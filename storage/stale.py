"""Removing temporary files that a killed process left behind.

Temporary files are named `...-PID`. One is stale when its process is gone, or
when it is older than this run (the PID may have been reused since). A file of
a live process written during this run is left alone: it may be mid-write.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from pathlib import Path

RUN_STARTED = time.time()
_PID_TAIL = re.compile(r"-(\d+)$")


def pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:   # someone else's live process
        return True
    except OSError:
        return False
    return True


def is_stale(path: Path) -> bool:
    """`path` ends in -PID (a SQLite sidecar suffix such as -wal is looked through)."""
    name = re.sub(r"-(wal|shm|journal)$", "", path.name)
    match = _PID_TAIL.search(name)
    if match is None:
        return False
    pid = int(match.group(1))
    if pid == os.getpid():
        return False
    if not pid_alive(pid):
        return True
    try:
        return path.stat().st_mtime < RUN_STARTED
    except OSError:
        return False


def remove_stale(folder: Path, pattern: str) -> list[Path]:
    """Removes stale files matching the glob `pattern` in `folder`; returns what went."""
    removed: list[Path] = []
    with contextlib.suppress(OSError):
        for path in sorted(Path(folder).glob(pattern)):
            if path.is_file() and not path.is_symlink() and is_stale(path):
                with contextlib.suppress(OSError):
                    path.unlink()
                    removed.append(path)
    return removed
