"""Encrypted backup and restore: own key, verified, atomic, equal to the source."""

from __future__ import annotations

import json
import os

import pytest

from secondme.exporters import BackupError, backup, fingerprint, restore
from secondme.exporters.backup import key_path_for
from storage import FAST_KDF, BankExists, WrongPassphrase, unlock_bank

from .bankdata import populate

BACKUP_PW = "backup passphrase ✓"
HOME_PW = "new home passphrase"


def make_backup(services, tmp_path, name="bank.backup"):
    return backup(services.bank, tmp_path / name, BACKUP_PW, FAST_KDF,
                  created_at=services.clock.now_iso())


def test_backup_then_restore_is_equal_and_needs_its_own_passphrase(services, tmp_path):
    populate(services, tmp_path)
    source = fingerprint(services.bank.db().conn)
    result = make_backup(services, tmp_path)
    assert result.verified and result.path.exists() and result.key_path.exists()
    assert result.counts["memories"] == services.memory.count(None)
    assert result.digest == source.digest
    envelope = json.loads(result.key_path.read_text())
    assert envelope["kind"] == "secondme-backup" and envelope["db_id"] == services.bank.db_id
    # The backup has its own key: the live bank's passphrase does not open it.
    with pytest.raises(WrongPassphrase):
        restore(result.path, "correct horse battery staple", tmp_path / "h0", HOME_PW, FAST_KDF)

    home = tmp_path / "restored"
    restored = restore(result.path, BACKUP_PW, home, HOME_PW, FAST_KDF)
    assert restored.counts == result.counts and restored.digest == source.digest
    bank = unlock_bank(home, HOME_PW)
    try:
        assert fingerprint(bank.db().conn).tables == source.tables
        assert bank.db_id == services.bank.db_id
    finally:
        bank.close()


def test_backup_and_restore_hold_no_plaintext(services, tmp_path):
    services.memory.remember("canary-4b1d7 in a private note")
    result = make_backup(services, tmp_path)
    restore(result.path, BACKUP_PW, tmp_path / "restored", HOME_PW, FAST_KDF)
    for path in [result.path, result.key_path, *(tmp_path / "restored").rglob("*")]:
        if path.is_file():
            assert b"canary-4b1d7" not in path.read_bytes(), path
    assert not result.path.read_bytes().startswith(b"SQLite format 3")


def test_backup_never_overwrites_and_leaves_no_partial_files(services, tmp_path, monkeypatch):
    taken = tmp_path / "taken.db"
    taken.write_bytes(b"keep")
    with pytest.raises(BackupError, match="already exists"):
        backup(services.bank, taken, BACKUP_PW, FAST_KDF, created_at="2024-05-01T12:00:00")
    assert taken.read_bytes() == b"keep"

    import importlib

    module = importlib.import_module("secondme.exporters.backup")  # the package re-exports `backup`

    def corrupt(path, dek, expected, what):
        raise BackupError(f"the {what} failed its integrity check")

    monkeypatch.setattr(module, "_verify", corrupt)
    with pytest.raises(BackupError, match="integrity"):
        make_backup(services, tmp_path, "b2.db")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home", "taken.db", "tmp"]


def test_restore_refuses_an_existing_bank(services, tmp_path, home):
    result = make_backup(services, tmp_path)
    before = (home / "memory.db").stat().st_mtime_ns
    with pytest.raises(BankExists, match="new, empty home"):
        restore(result.path, BACKUP_PW, home, HOME_PW, FAST_KDF)
    assert (home / "memory.db").stat().st_mtime_ns == before


def test_restore_with_a_wrong_passphrase_or_missing_key_writes_nothing(services, tmp_path):
    result = make_backup(services, tmp_path)
    target = tmp_path / "new"
    with pytest.raises(WrongPassphrase):
        restore(result.path, "nope", target, HOME_PW, FAST_KDF)
    assert not (target / "memory.db").exists() and not (target / "memory.key.json").exists()
    os.rename(result.key_path, tmp_path / "elsewhere.json")
    with pytest.raises(BackupError, match="key file"):
        restore(result.path, BACKUP_PW, target, HOME_PW, FAST_KDF)


def test_restore_detects_a_damaged_backup(services, tmp_path):
    populate(services, tmp_path)
    result = make_backup(services, tmp_path)
    data = bytearray(result.path.read_bytes())
    data[4096 * 3 + 100] ^= 0xFF
    result.path.write_bytes(bytes(data))
    target = tmp_path / "new"
    with pytest.raises(Exception, match="(?i)integrity|damaged|corrupt|malformed|not a database"):
        restore(result.path, BACKUP_PW, target, HOME_PW, FAST_KDF)
    assert not (target / "memory.db").exists()


def test_restore_detects_a_key_file_from_another_backup(services, tmp_path, clock, embedder,
                                                        fake_model):
    from .bankdata import fresh_services

    first = make_backup(services, tmp_path, "one.db")
    other = fresh_services(tmp_path, clock, embedder, fake_model)
    try:
        second = backup(other.bank, tmp_path / "two.db", BACKUP_PW, FAST_KDF, created_at="x")
    finally:
        other.close()
    os.replace(second.key_path, key_path_for(first.path))
    with pytest.raises(Exception, match="does not open this database"):
        restore(first.path, BACKUP_PW, tmp_path / "new", HOME_PW, FAST_KDF)
