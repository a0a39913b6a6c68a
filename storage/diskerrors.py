"""Telling "the disk is full" and "the folder is read-only" apart from damage.

SQLite reports both as ordinary errors, and the key file's atomic write as an
OSError; either would otherwise reach the person as "damaged — restore a
backup", which sends them to fix the wrong thing.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from .errors import DiskProblem

SQLITE_READONLY, SQLITE_IOERR, SQLITE_CANTOPEN, SQLITE_FULL = 8, 10, 14, 13
_FULL_TEXT = ("database or disk is full", "no space left")
_READONLY_TEXT = ("readonly database", "read-only", "read only file system")
_OS_FULL = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}
_OS_READONLY = {errno.EROFS, errno.EACCES, errno.EPERM}


def full_message(folder: Path) -> str:
    return (f"disk full: there is no space left for the memory bank in {folder}; nothing is "
            "damaged — free some space and try again")


def readonly_message(folder: Path) -> str:
    return (f"read-only: the memory bank's folder {folder} cannot be written (a read-only disk "
            "or missing write permission); nothing is damaged — make it writable and try again")


def _folder_readonly(folder: Path) -> bool:
    try:
        if os.statvfs(folder).f_flag & os.ST_RDONLY:
            return True
    except (OSError, AttributeError):
        pass
    return not os.access(folder, os.W_OK)


def classify(exc: BaseException, folder: Path) -> DiskProblem | None:
    """A DiskProblem saying what is wrong, or None when `exc` is something else."""
    folder = Path(folder)
    if isinstance(exc, OSError) and not type(exc).__module__.startswith("sqlcipher3"):
        if exc.errno in _OS_FULL:
            return DiskProblem(full_message(folder))
        if exc.errno == errno.EROFS or (exc.errno in _OS_READONLY and _folder_readonly(folder)):
            return DiskProblem(readonly_message(folder))
        return None
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    text = str(exc).lower()
    if primary == SQLITE_FULL or any(t in text for t in _FULL_TEXT):
        return DiskProblem(full_message(folder))
    if primary == SQLITE_READONLY or any(t in text for t in _READONLY_TEXT):
        return DiskProblem(readonly_message(folder))
    if primary in (SQLITE_CANTOPEN, SQLITE_IOERR) or "unable to open" in text \
            or "disk i/o error" in text:
        if _folder_readonly(folder):
            return DiskProblem(readonly_message(folder))
        try:
            import shutil

            if shutil.disk_usage(folder).free < 64 * 1024:
                return DiskProblem(full_message(folder))
        except OSError:
            pass
    return None
