"""Passphrase-change locking and data-key rotation with a crash journal.

`passwd --rotate-key` re-encrypts the whole database under a new random data
key (for after a leak of the passphrase or the key). The steps, each safe to be
killed after:

1. journal: `memory.key.json.rotating` is written atomically. It is a normal key
   envelope holding the NEW key under the NEW passphrase, plus the OLD key
   wrapped under the NEW key (so whoever holds the new key can finish the job;
   nothing in it helps a holder of the old key or passphrase).
2. rekey: `PRAGMA rekey` in rollback-journal mode, one transaction (atomic under
   kill -9: afterwards the database opens with exactly one of the two keys).
3. promote: the key file and its .bak are replaced by the new envelope.
4. the journal is removed.

On every open with a journal present, `settle` finishes or undoes the rotation:
- holding the NEW key (the new passphrase): finish (rekey again if step 2 did
  not land), promote, drop the journal;
- holding the OLD key and the database still opens with it (killed before step
  2 landed): the rotation never happened; drop the journal;
- holding the OLD key and the database no longer opens with it: refuse with
  `KeyRotationPending` ("unlock with the new passphrase").
So the bank always opens with the new passphrase, or with the old one until the
re-encryption has landed.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from . import keyfile
from .errors import (
    BankLocked,
    DatabaseDamaged,
    KeyFileError,
    KeyMismatch,
    KeyRotationPending,
    WrongPassphrase,
)
from .sqlcipher import DatabaseError

JOURNAL_SUFFIX = ".rotating"
PASSWD_LOCK = ".passwd.lock"
Checkpoint = Callable[[str], None]


def journal_path(key_path: Path) -> Path:
    return key_path.with_name(key_path.name + JOURNAL_SUFFIX)


_HELD: set[Path] = set()


@contextlib.contextmanager
def passwd_lock(home: Path) -> Iterator[None]:
    """One passphrase change or key rotation per bank at a time (across processes).

    Re-entrant within a process (opening the bank under the lock may settle a
    rotation, which takes it too). A home that does not exist yet needs no lock."""
    home = Path(home).expanduser().resolve()
    if home in _HELD or not home.is_dir():
        yield
        return
    fd = os.open(home / PASSWD_LOCK, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BankLocked("another `secondme passwd` is changing this bank's passphrase or "
                             "key right now; nothing was changed — try again when it is done"
                             ) from None
        _HELD.add(home)
        try:
            yield
        finally:
            _HELD.discard(home)
    finally:
        os.close(fd)


def _seal(wrapping_key: bytes | bytearray, secret: bytes | bytearray, db_id: str) -> dict:
    nonce = secrets.token_bytes(12)
    sealed = AESGCM(bytes(wrapping_key)).encrypt(nonce, secret, db_id.encode())
    return {"nonce": base64.b64encode(nonce).decode(), "sealed": base64.b64encode(sealed).decode()}


def _open_sealed(wrapping_key: bytes | bytearray, box: object, db_id: str) -> bytearray | None:
    if not isinstance(box, dict):
        return None
    try:
        nonce = base64.b64decode(box["nonce"], validate=True)
        sealed = base64.b64decode(box["sealed"], validate=True)
        return bytearray(AESGCM(bytes(wrapping_key)).decrypt(nonce, sealed, db_id.encode()))
    except (KeyError, TypeError, ValueError, InvalidTag):
        return None


def _wipe(key: bytearray | None) -> None:
    if key is not None:
        for i in range(len(key)):
            key[i] = 0


def read_journal(key_path: Path) -> keyfile.KeyEnvelope | None:
    path = journal_path(key_path)
    if not path.exists():
        return None
    try:
        return keyfile.read_envelope(path)
    except KeyFileError:
        return None   # a torn journal write: step 1 never completed, nothing else happened


def _opens(db_path: Path, dek: bytes | bytearray) -> bool:
    from .connection import connect

    if not db_path.is_file():
        return False
    try:
        connect(db_path, dek).close()
    except (DatabaseDamaged, DatabaseError):
        return False
    return True


def _rekey(db_path: Path, old: bytes | bytearray, new: bytes | bytearray) -> None:
    """Re-encrypts every page, in rollback-journal mode, as the only connection."""
    from .connection import connect

    conn = connect(db_path, old)
    busy = BankLocked("other Second Me windows or commands have the bank open; close them "
                      "and run `secondme passwd --rotate-key` again (nothing was changed)")
    try:
        conn.execute("PRAGMA busy_timeout = 500")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        try:   # leaving WAL needs the only connection: proof that nobody else has it open
            mode = conn.execute("PRAGMA journal_mode = DELETE").fetchone()[0]
        except DatabaseError:
            raise busy from None
        if str(mode).lower() != "delete":
            raise busy
        conn.execute("PRAGMA rekey = \"x'" + new.hex() + "'\"")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    finally:
        conn.close()


def _promote(key_path: Path, journal: keyfile.KeyEnvelope, checkpoint: Checkpoint) -> None:
    extra = {k: v for k, v in journal.extra.items() if k != "rotation"}
    final = keyfile.KeyEnvelope(journal.db_id, journal.params, journal.salt, journal.nonce,
                                journal.wrapped, extra)
    keyfile.write_envelope(key_path, final, keep_backup=False)
    checkpoint("promoted")
    keyfile.atomic_write_text(key_path.with_name(key_path.name + ".bak"), final.to_json())
    checkpoint("backup")
    journal_path(key_path).unlink(missing_ok=True)


def rotate(db_path: Path, key_path: Path, db_id: str, old: bytearray, new_passphrase: str,
           params: keyfile.KdfParams, checkpoint: Checkpoint | None = None) -> bytearray:
    """Runs steps 1-4; returns the new data key. Call under `passwd_lock`, with no open
    connection to the bank in this process (the caller closes its own first)."""
    checkpoint = checkpoint or (lambda step: None)
    current = keyfile.read_envelope(key_path)
    new = keyfile.new_data_key()
    try:
        extra = dict(current.extra)
        extra["rotation"] = _seal(new, old, db_id)
        journal = keyfile.wrap(new, new_passphrase, db_id, params, extra=extra)
        keyfile.atomic_write_text(journal_path(key_path), journal.to_json())
        checkpoint("journal")
        _rekey(db_path, old, new)
        checkpoint("rekeyed")
        _promote(key_path, journal, checkpoint)
    except BaseException:
        if not _opens(db_path, new):   # nothing landed: undo step 1 so the old key rules
            journal_path(key_path).unlink(missing_ok=True)
        _wipe(new)
        raise
    return new


def unwrap_journal(key_path: Path, passphrase: str) -> bytearray | None:
    """The new key, when `passphrase` is the one a pending rotation is moving to."""
    journal = read_journal(key_path)
    if journal is None:
        return None
    try:
        return keyfile.unwrap(journal, passphrase)
    except WrongPassphrase:
        return None


def settle(db_path: Path, key_path: Path, dek: bytearray) -> bytearray:
    """Finishes or undoes an interrupted rotation; returns the key that opens the bank now."""
    journal = read_journal(key_path)
    if journal is None:
        journal_path(key_path).unlink(missing_ok=True)
        return dek
    previous = _open_sealed(dek, journal.extra.get("rotation"), journal.db_id)
    if previous is not None:          # we hold the new key: finish the rotation
        try:
            if _opens(db_path, previous):     # the re-encryption never landed: redo it
                _rekey(db_path, previous, dek)
            elif not _opens(db_path, dek):
                raise KeyMismatch()
        finally:
            _wipe(previous)
        _promote(key_path, journal, lambda step: None)
        return dek
    if _opens(db_path, dek):          # killed before the re-encryption landed: undo
        journal_path(key_path).unlink(missing_ok=True)
        return dek
    raise KeyRotationPending(
        "a `secondme passwd --rotate-key` was interrupted after the bank was re-encrypted "
        "under its new key; unlock with the NEW passphrase to finish it (nothing is lost)")
