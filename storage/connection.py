"""Opening keyed SQLCipher connections; the only place a database file is opened."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from .diskerrors import classify
from .errors import DatabaseDamaged, PlaintextRefused
from .sqlcipher import DatabaseError, sqlcipher3, sqlite_utils

BUSY_TIMEOUT_MS = 5000
FILE_MODE = 0o600
SIDECARS = ("-wal", "-shm", "-journal")
CACHE_KIB = 64 * 1024


def _pragma_key(dek: bytes | bytearray) -> str:
    return "PRAGMA key = \"x'" + dek.hex() + "'\""  # no intermediate bytes copy


def connect(path: Path, dek: bytes | bytearray, *, read_only: bool = False) -> sqlcipher3.Connection:
    """Opens, keys and verifies one connection.

    PRAGMA key always succeeds; a wrong key only shows at the first read, so the
    read happens here, before anyone can write through an unverified connection.
    """
    if len(dek) != 32:
        raise ValueError("the data key must be 32 bytes")
    if not read_only:
        private_files(Path(path))
    uri = f"file:{path}?mode=ro" if read_only else str(path)
    conn = sqlcipher3.connect(uri, timeout=BUSY_TIMEOUT_MS / 1000, uri=read_only,
                              check_same_thread=False)
    try:
        conn.execute("PRAGMA cipher_log_level = NONE")
        conn.execute(_pragma_key(dek))
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        if not read_only:
            conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA journal_size_limit = 67108864")
        assert_safe(conn)
    except DatabaseError as exc:
        conn.close()
        problem = classify(exc, Path(path).parent)
        if problem is not None:
            raise problem from exc
        raise DatabaseDamaged(
            f"the database at {path} could not be read with its key ({exc}); the key file "
            "unlocked fine, so the database file is damaged or was replaced — restore a backup"
        ) from exc
    except Exception:
        conn.close()
        raise
    return conn


def private_files(path: Path) -> None:
    """The database and its sidecars are 0600 whatever the umask.

    A new database file is created here, 0600, before SQLite opens it: SQLite gives
    the -wal, -shm and -journal files it creates later the database file's mode.
    Files of an older bank that are wider are narrowed."""
    if not path.exists():
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        except FileExistsError:
            pass
        except OSError as exc:
            problem = classify(exc, path.parent)
            if problem is not None:
                raise problem from exc
            raise
        else:
            with contextlib.suppress(OSError):
                os.fchmod(fd, FILE_MODE)  # the umask may have narrowed it further
            os.close(fd)
    for candidate in (path, *(path.with_name(path.name + s) for s in SIDECARS)):
        with contextlib.suppress(OSError):
            if candidate.stat().st_mode & 0o777 != FILE_MODE:
                os.chmod(candidate, FILE_MODE)


def assert_safe(conn: sqlcipher3.Connection) -> None:
    """Refuses connections that could spill plaintext: unkeyed, or with file temp storage."""
    if conn.execute("PRAGMA temp_store").fetchone()[0] == 1:
        raise PlaintextRefused("temp_store=FILE would write plaintext temp files")
    if not conn.execute("PRAGMA cipher_salt").fetchall():
        raise PlaintextRefused("connection is not encrypted")


def as_database(conn: sqlcipher3.Connection) -> sqlite_utils.Database:
    """Wraps a keyed connection; never a path, never plugins."""
    return sqlite_utils.Database(conn, execute_plugins=False)
