"""Encrypted backups and restoring them into a new home.

A backup is a full SQLCipher copy under its own fresh random data key, wrapped by
its own passphrase in a key file next to it (`NAME.key.json`), so handing someone
a backup never hands them the live bank's key. The copy is made with SQLite's
online backup API from one read snapshot (the target is keyed before the first
page is written: never an unkeyed target), written under a temporary name,
reopened with its key and checked (integrity, cipher integrity, and a per-table
content fingerprint equal to the source's) and only then renamed into place.
Restoring runs the same checks in reverse, re-keys the data under a new key for
the new home, and never touches an existing bank.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from storage import backup as backup_db
from storage import halfmade, keyfile, open_with_key
from storage.bank import BankPaths
from storage.connection import connect
from storage.dump import snapshot
from storage.errors import BankExists, DatabaseDamaged, KeyMismatch, WrongPassphrase
from storage.sqlcipher import DatabaseError
from storage.stale import remove_stale

from .common import ExportError

KEY_SUFFIX = ".key.json"
BACKUP_KIND = "secondme-backup"
COUNTED = ("memories", "messages", "sessions", "summaries", "profile_facts", "documents",
           "audit_log")


class BackupError(ExportError):
    """The backup or restore could not be completed or verified; nothing was left behind."""


def key_path_for(backup: Path) -> Path:
    return backup.with_name(backup.name + KEY_SUFFIX)


@dataclass(frozen=True)
class Fingerprint:
    tables: dict[str, dict[str, Any]]

    @property
    def digest(self) -> str:
        body = json.dumps(self.tables, sort_keys=True).encode()
        return hashlib.sha256(body).hexdigest()

    def counts(self) -> dict[str, int]:
        return {t: self.tables[t]["rows"] for t in COUNTED if t in self.tables}


def fingerprint(conn) -> Fingerprint:
    """Row count and a SHA-256 over every row of every table, in a stable order."""
    return Fingerprint(backup_db.table_digests(conn))


def _verify(path: Path, dek: bytes | bytearray, expected: Fingerprint, what: str) -> None:
    try:
        conn = connect(path, dek, read_only=True)
    except (DatabaseDamaged, DatabaseError) as exc:
        raise BackupError(f"the {what} could not be reopened with its key: {exc}") from exc
    try:
        quick = backup_db.integrity_check(conn)
        cipher = backup_db.cipher_integrity_check(conn)
        if quick != ["ok"] or cipher:
            raise BackupError(f"the {what} failed its integrity check: {(quick + cipher)[:3]}")
        got = fingerprint(conn)
        if got.tables != expected.tables:
            differ = sorted(t for t in set(got.tables) | set(expected.tables)
                            if got.tables.get(t) != expected.tables.get(t))
            raise BackupError(f"the {what} does not match its source (tables {differ})")
    finally:
        conn.close()


def _remove_db(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(str(path) + suffix).unlink(missing_ok=True)


def clean_interrupted(folder: Path) -> list[Path]:
    """Removes what killed backups left in `folder`: `.NAME.partial-PID` copies (and their
    -wal/-shm/-journal) and half-written key files, once their process is gone."""
    removed = []
    for pattern in (".*.partial-*", f".*{KEY_SUFFIX}.tmp-*"):
        removed += remove_stale(folder, pattern)
    return removed


def _wipe(key: bytearray) -> None:
    for i in range(len(key)):
        key[i] = 0


@dataclass
class BackupResult:
    path: Path
    key_path: Path
    counts: dict[str, int]
    digest: str
    bytes: int
    verified: bool = True

    def to_public(self) -> dict[str, Any]:
        return {"path": str(self.path), "key_file": str(self.key_path), "counts": self.counts,
                "fingerprint": self.digest, "bytes": self.bytes, "verified": self.verified,
                "encrypted": True}


def backup(bank, target: Path, passphrase: str, params: keyfile.KdfParams, *,
           created_at: str) -> BackupResult:
    target = Path(target).expanduser().resolve()
    key_path = key_path_for(target)
    if target.exists():
        raise BackupError(f"{target} already exists; choose another name or move it away")
    if not target.parent.is_dir():
        raise BackupError(f"the folder {target.parent} does not exist")
    keyfile.normalize_passphrase(passphrase)
    clean_interrupted(target.parent)
    tmp = target.with_name(f".{target.name}.partial-{os.getpid()}")
    _remove_db(tmp)
    dek = keyfile.new_data_key()
    try:
        source = bank.db().conn
        with snapshot(source):
            expected = fingerprint(source)
            backup_db.copy_pages(source, tmp, dek)
        _verify(tmp, dek, expected, "backup")
        envelope = keyfile.wrap(dek, passphrase, bank.db_id, params,
                                extra={"kind": BACKUP_KIND, "created_at": created_at})
        keyfile.atomic_write_text(key_path, envelope.to_json())
        os.replace(tmp, target)
    except BaseException:
        _remove_db(tmp)
        raise
    finally:
        _wipe(dek)
    return BackupResult(path=target, key_path=key_path, counts=expected.counts(),
                        digest=expected.digest, bytes=target.stat().st_size)


@dataclass
class RestoreResult:
    home: Path
    counts: dict[str, int]
    digest: str
    integrity: dict[str, Any] = field(default_factory=dict)

    def to_public(self) -> dict[str, Any]:
        return {"home": str(self.home), "counts": self.counts, "fingerprint": self.digest,
                "verified": True}


def open_backup_key(backup_path: Path, passphrase: str) -> tuple[keyfile.KeyEnvelope, bytearray]:
    key_path = key_path_for(backup_path)
    if not backup_path.is_file():
        raise BackupError(f"no backup at {backup_path}")
    if not key_path.is_file():
        raise BackupError(f"the backup's key file {key_path} is missing; it is needed to "
                          "open the backup")
    envelope = keyfile.read_envelope(key_path)
    try:
        return envelope, keyfile.unwrap(envelope, passphrase)
    except WrongPassphrase:
        raise WrongPassphrase() from None


def restore(backup_path: Path, backup_passphrase: str, home: Path, new_passphrase: str,
            params: keyfile.KdfParams) -> RestoreResult:
    """Restores into `home`, which must not hold a bank; the new bank gets a fresh key."""
    backup_path = Path(backup_path).expanduser().resolve()
    paths = BankPaths(Path(home).expanduser().resolve())
    if paths.db.exists() or any(p.exists() for p in paths.sidecars()):
        raise BankExists(f"a memory bank already exists in {paths.home}; restore into a new, "
                         "empty home (--home or SECONDME_HOME)")
    keyfile.normalize_passphrase(new_passphrase)
    envelope, backup_key = open_backup_key(backup_path, backup_passphrase)
    # A key file without its database: an interrupted init/restore (cleared, the backup
    # is restored again) or the key of a lost database (moved aside, never deleted).
    halfmade.clear(paths.db, paths.key)
    halfmade.move_orphan_key_aside(paths.db, paths.key)
    size = backup_path.stat().st_size
    if size == 0 or size % 4096:
        raise BackupError(f"the backup {backup_path} is truncated ({size} bytes)")
    new_key = keyfile.new_data_key()
    paths.home.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(paths.home, 0o700)
    staging = paths.home / "memory.db.restoring"
    _remove_db(staging)
    try:
        try:
            source = connect(backup_path, backup_key, read_only=True)
        except DatabaseDamaged as exc:
            raise KeyMismatch() if "not a database" in str(exc) else exc from None
        try:
            if backup_db.stored_db_id(source) != envelope.db_id:
                raise KeyMismatch()
            quick = backup_db.integrity_check(source)
            if quick != ["ok"]:
                raise BackupError(f"the backup failed its integrity check: {quick[:3]}")
            expected = fingerprint(source)
            backup_db.copy_pages(source, staging, new_key)
        finally:
            source.close()
        _verify(staging, new_key, expected, "restored copy")
        home_envelope = keyfile.wrap(new_key, new_passphrase, envelope.db_id, params)
        keyfile.write_envelope(paths.key, home_envelope, keep_backup=False)
        keyfile.atomic_write_text(paths.key_backup, home_envelope.to_json())
        os.replace(staging, paths.db)
    except BaseException:
        _remove_db(staging)
        if not paths.db.exists():
            for leftover in (paths.key, paths.key_backup):
                leftover.unlink(missing_ok=True)
        _wipe(new_key)
        raise
    finally:
        _wipe(backup_key)
    # The real unlock path: key file, db_id check, pending migrations for older backups.
    bank = open_with_key(paths.home, new_key, envelope.db_id)
    try:
        integrity = bank.integrity()
        if not integrity["ok"]:
            raise BackupError(f"the restored bank failed its integrity check: {integrity}")
    finally:
        bank.close()
    return RestoreResult(home=paths.home, counts=expected.counts(), digest=expected.digest,
                         integrity=integrity)
