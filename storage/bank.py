"""A memory bank on disk: one encrypted database plus its key file, in one home folder.

`Bank` holds the unwrapped data key and hands each thread its own keyed
connection (SQLCipher connections must not be shared across threads). All writes
go through `Bank.write()`, which serialises writers inside the process and takes
SQLite's write lock up front (BEGIN IMMEDIATE) so transactions never deadlock
on a lock upgrade.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from . import halfmade, keyfile, migrations, rekey
from .connection import as_database, connect
from .diskerrors import classify
from .errors import (
    BankExists,
    BankLocked,
    BankMissing,
    DatabaseDamaged,
    KeyFileError,
    KeyMismatch,
    WrongPassphrase,
)
from .sqlcipher import DatabaseError, sqlite_utils
from .stale import remove_stale

DB_NAME = "memory.db"
KEY_NAME = "memory.key.json"
PAGE_SIZE = 4096


@dataclass(frozen=True)
class BankPaths:
    home: Path

    @property
    def db(self) -> Path:
        return self.home / DB_NAME

    @property
    def key(self) -> Path:
        return self.home / KEY_NAME

    @property
    def key_backup(self) -> Path:
        return self.home / (KEY_NAME + ".bak")

    def sidecars(self) -> list[Path]:
        return [self.db.with_name(self.db.name + s) for s in ("-wal", "-shm", "-journal")]

    def lock(self, name: str) -> Path:
        return self.home / f".{name}.lock"


def _check_db_file(path: Path) -> None:
    """A zero-length or truncated file would open as a *new* empty database; refuse it."""
    size = path.stat().st_size
    if size == 0 or size % PAGE_SIZE:
        raise DatabaseDamaged(
            f"the database file {path} is truncated ({size} bytes); refusing to open it so "
            "nothing is overwritten — restore it from a backup (`secondme restore`)"
        )


def _read_envelope_with_fallback(paths: BankPaths) -> keyfile.KeyEnvelope:
    try:
        return keyfile.read_envelope(paths.key)
    except KeyFileError as primary:
        if not paths.key.exists():
            raise KeyFileError(
                f"the key file {paths.key} is missing but the database exists; refusing to "
                "create a new key over existing data — restore the key file from a backup"
            ) from None
        if paths.key_backup.exists():
            try:
                return keyfile.read_envelope(paths.key_backup)
            except KeyFileError:
                pass
        raise KeyFileError(f"{primary} (file: {paths.key})") from None


BANK_LOCKED = "the memory bank is locked; unlock it again"


def _run_all(callbacks: list[Callable[[], None]]) -> None:
    """Runs every callback (one failing does not stop the rest); re-raises the first error."""
    error: BaseException | None = None
    for callback in callbacks:
        try:
            callback()
        except Exception as exc:
            error = error or exc
    if error is not None:
        raise error


class Bank:
    """An unlocked memory bank. Create with `create_bank` or `unlock_bank`."""

    def __init__(self, paths: BankPaths, dek: bytearray, db_id: str) -> None:
        self.paths = paths
        self.db_id = db_id
        self._dek = dek
        self._local = threading.local()
        self._connections: list[sqlite_utils.Database] = []
        self._registry_lock = threading.Lock()
        self._write_lock = threading.RLock()
        self._closed = False

    # -- connections -------------------------------------------------------
    def db(self) -> sqlite_utils.Database:
        """This thread's connection (opened on first use; raw keys make that ~0.2 ms)."""
        if self._closed:
            raise DatabaseDamaged(BANK_LOCKED)
        database = getattr(self._local, "db", None)
        if database is None:
            database = as_database(connect(self.paths.db, self._dek))
            with self._registry_lock:
                if self._closed:   # closed while this thread was connecting
                    database.conn.close()
                    raise DatabaseDamaged(BANK_LOCKED)
                self._connections.append(database)
            self._local.db = database
        return database

    @contextlib.contextmanager
    def write(self) -> Iterator[sqlite_utils.Database]:
        """One short write transaction; nested calls join the outer one.

        Callbacks given to `after_commit` meanwhile run once the outermost one commits,
        after the writer lock is released; a rollback drops them."""
        database = self.db()
        callbacks: list[Callable[[], None]] = []
        with self._write_lock:
            if database.conn.in_transaction:
                yield database
                return
            self._local.after_commit = callbacks
            try:
                database.conn.execute("BEGIN IMMEDIATE")
                try:
                    yield database
                except BaseException:
                    if database.conn.in_transaction:
                        database.conn.execute("ROLLBACK")
                    raise
                else:
                    database.conn.execute("COMMIT")
            except DatabaseError as exc:   # a full disk or read-only folder is not damage
                problem = classify(exc, self.paths.home)
                if problem is None:
                    raise
                if database.conn.in_transaction:
                    with contextlib.suppress(DatabaseError):
                        database.conn.execute("ROLLBACK")
                raise problem from exc
            finally:
                self._local.after_commit = None
        _run_all(callbacks)

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Runs `callback` when this thread's write transaction commits (at once outside
        one), never inside the writer lock and never if the transaction rolls back."""
        pending = getattr(self._local, "after_commit", None)
        if pending is None:
            callback()
        else:
            pending.append(callback)

    @property
    def writing(self) -> bool:
        """True inside this thread's `write()` transaction."""
        return getattr(self._local, "after_commit", None) is not None

    # -- lifecycle ---------------------------------------------------------
    def close(self) -> None:
        """Checkpoints the WAL, closes every connection and wipes the data key.

        Safe from two threads at once (an idle lock and a re-unlock may overlap)."""
        with self._registry_lock:
            if self._closed:
                return
            self._drop_connections()
            for i in range(len(self._dek)):
                self._dek[i] = 0
            self._closed = True

    def _drop_connections(self) -> None:
        """Checkpoints and closes every connection; call under `_registry_lock`."""
        for database in self._connections:
            with contextlib.suppress(Exception):
                database.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            with contextlib.suppress(Exception):
                database.conn.close()
        self._connections.clear()
        self._local = threading.local()

    @property
    def closed(self) -> bool:
        return self._closed

    def __enter__(self) -> Bank:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def data_key_copy(self) -> bytearray:
        """For the keyring slot and backups only."""
        return bytearray(self._dek)

    # -- maintenance -------------------------------------------------------
    def rotate_key(self, new_passphrase: str, params: keyfile.KdfParams | None = None,
                   checkpoint: rekey.Checkpoint | None = None) -> None:
        """Re-encrypts the database under a new data key, wrapped under `new_passphrase`.

        Call under `rekey.passwd_lock`, from the only thread using this bank: every
        connection is closed first (SQLCipher re-keys as the only connection)."""
        old = keyfile.read_envelope(self.paths.key)
        with self._registry_lock:
            self._drop_connections()
        new = rekey.rotate(self.paths.db, self.paths.key, self.db_id, self._dek, new_passphrase,
                           params or old.params, checkpoint)
        self._dek[:] = new
        for i in range(len(new)):
            new[i] = 0

    def change_passphrase(self, new_passphrase: str,
                          params: keyfile.KdfParams | None = None) -> None:
        """Re-wraps the data key; the database file is not touched."""
        old = keyfile.read_envelope(self.paths.key)
        envelope = keyfile.wrap(self._dek, new_passphrase, self.db_id,
                                params or old.params, extra=old.extra)
        keyfile.write_envelope(self.paths.key, envelope)
        # The .bak now holds the old wrapping; replace it so the old passphrase stops working.
        keyfile.atomic_write_text(self.paths.key_backup, envelope.to_json())

    def integrity(self) -> dict[str, object]:
        conn = self.db().conn
        quick = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall()]
        cipher = [r[0] for r in conn.execute("PRAGMA cipher_integrity_check").fetchall()]
        version = conn.execute("PRAGMA cipher_version").fetchone()[0]
        return {"integrity_check": quick, "cipher_integrity_check": cipher,
                "ok": quick == ["ok"] and not cipher, "cipher_version": version}

    @contextlib.contextmanager
    def exclusive(self, name: str) -> Iterator[None]:
        """A cross-process advisory lock (e.g. one scheduler per bank)."""
        path = self.paths.lock(name)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise BankLocked(f"another Second Me process holds the {name!r} lock") from None
            yield
        finally:
            os.close(fd)


def _verify_and_migrate(paths: BankPaths, dek: bytearray, db_id: str) -> Bank:
    bank = Bank(paths, dek, db_id)
    try:
        database = bank.db()
        stored = database.execute("SELECT value FROM meta WHERE key = 'db_id'").fetchone()
        if stored is None or stored[0] != db_id:
            raise KeyMismatch()
        migrations.apply(database)
    except DatabaseError as exc:
        bank.close()
        raise DatabaseDamaged(f"the database could not be read: {exc}") from exc
    except BaseException:
        bank.close()
        raise
    return bank


def _private_home(home: Path) -> None:
    with contextlib.suppress(OSError):
        if home.stat().st_mode & 0o777 != 0o700:
            os.chmod(home, 0o700)


def clean_leftovers(paths: BankPaths) -> None:
    """Temporary key files of killed processes (they may unwrap the key under an old
    passphrase) are removed on every open."""
    remove_stale(paths.home, f".{KEY_NAME}*.tmp-*")


def create_bank(home: Path, passphrase: str,
                params: keyfile.KdfParams = keyfile.DEFAULT_KDF) -> Bank:
    paths = BankPaths(Path(home))
    halfmade.before_init(paths.db, paths.key)   # an interrupted init/restore
    if paths.db.exists() or any(p.exists() for p in paths.sidecars()):
        raise BankExists(f"a memory bank already exists at {paths.home}")
    if paths.key.exists():
        raise BankExists(f"a key file already exists at {paths.key} without its database; "
                         "move it away before creating a new bank")
    keyfile.normalize_passphrase(passphrase)
    paths.home.mkdir(parents=True, exist_ok=True, mode=0o700)
    _private_home(paths.home)
    clean_leftovers(paths)
    dek = keyfile.new_data_key()
    db_id = uuid.uuid4().hex
    staging = paths.home / (DB_NAME + ".creating")
    for stale in [staging, *(staging.with_name(staging.name + s) for s in ("-wal", "-shm"))]:
        stale.unlink(missing_ok=True)
    conn = connect(staging, dek)
    try:
        database = as_database(conn)
        migrations.apply(database)
        with database.atomic():
            database.execute("INSERT INTO meta(key, value) VALUES ('db_id', ?)", [db_id])
            version = conn.execute("PRAGMA cipher_version").fetchone()[0]
            database.execute("INSERT INTO meta(key, value) VALUES ('cipher_version', ?)", [version])
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    envelope = keyfile.wrap(dek, passphrase, db_id, params)
    keyfile.write_envelope(paths.key, envelope, keep_backup=False)
    keyfile.atomic_write_text(paths.key_backup, envelope.to_json())
    os.replace(staging, paths.db)
    return _verify_and_migrate(paths, dek, db_id)


def read_db_id(home: Path) -> str:
    """The bank's id from its key file, without unlocking (e.g. for a keyring lookup)."""
    paths = BankPaths(Path(home))
    halfmade.finish(paths.db, paths.key)
    if not paths.db.exists():
        raise BankMissing(f"no memory bank at {paths.home}; run `secondme init` first")
    return _read_envelope_with_fallback(paths).db_id


def unlock_bank(home: Path, passphrase: str) -> Bank:
    """Unwraps the key (a wrong passphrase fails here, before the database is opened)."""
    paths = BankPaths(Path(home))
    halfmade.finish(paths.db, paths.key)   # an interrupted init/restore: complete it
    if not paths.db.exists():
        if paths.key.exists():
            raise DatabaseDamaged(f"the key file exists but the database {paths.db} is missing; "
                                  "restore it from a backup (`secondme restore BACKUP` moves "
                                  "the orphaned key file aside)")
        raise BankMissing(f"no memory bank at {paths.home}; run `secondme init` first")
    envelope = _read_envelope_with_fallback(paths)
    try:
        dek = keyfile.unwrap(envelope, passphrase)
    except WrongPassphrase:   # maybe the new passphrase of an interrupted key rotation
        dek = rekey.unwrap_journal(paths.key, passphrase)
        if dek is None:
            raise
    return open_with_key(home, dek, envelope.db_id)


def open_with_key(home: Path, dek: bytearray, db_id: str) -> Bank:
    paths = BankPaths(Path(home))
    clean_leftovers(paths)
    _check_db_file(paths.db)
    if rekey.journal_path(paths.key).exists():
        try:
            with rekey.passwd_lock(paths.home):
                dek = rekey.settle(paths.db, paths.key, dek)
        except BankLocked:
            pass   # a rotation is running in another process right now; leave it alone
    try:
        return _verify_and_migrate(paths, dek, db_id)
    except DatabaseDamaged as exc:
        raise KeyMismatch() if "not a database" in str(exc) else exc from None
