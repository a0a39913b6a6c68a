"""The encrypted bank: keys, wrong passphrases, foreign or missing key files, no plaintext."""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path

import pytest

from storage import (
    FAST_KDF,
    BankExists,
    DatabaseDamaged,
    KeyFileError,
    KeyMismatch,
    WrongPassphrase,
    create_bank,
    unlock_bank,
)
from storage import migrations as schema
from storage.bank import BankPaths
from storage.sqlcipher import sqlcipher3, sqlite_utils

from .conftest import PASSPHRASE
from .writer_lock import another_thread_can_write


def hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.iterdir()) if p.is_file()}


def grep_tree(folder: Path, needle: bytes) -> int:
    return sum(p.read_bytes().count(needle) for p in folder.rglob("*") if p.is_file())


def test_sqlite_utils_is_bound_to_sqlcipher():
    assert sqlite_utils.utils.sqlite3 is sqlcipher3


def test_database_file_is_not_plain_sqlite(bank):
    header = bank.paths.db.read_bytes()[:16]
    assert header != b"SQLite format 3\x00"


def test_wrong_passphrase_is_clear_and_touches_nothing(bank, home):
    bank.close()
    before = hashes(home)
    with pytest.raises(WrongPassphrase, match="wrong passphrase"):
        unlock_bank(home, "not it")
    assert hashes(home) == before


def test_key_file_from_another_bank_is_refused(bank, home, tmp_path):
    other = create_bank(tmp_path / "other", PASSPHRASE, FAST_KDF)
    other.close()
    bank.close()
    (home / "memory.key.json").write_bytes((tmp_path / "other" / "memory.key.json").read_bytes())
    (home / "memory.key.json.bak").unlink()
    before = hashes(home)
    with pytest.raises(KeyMismatch):
        unlock_bank(home, PASSPHRASE)
    assert hashes(home) == before


def test_missing_key_file_never_creates_a_new_key(bank, home):
    bank.close()
    (home / "memory.key.json").unlink()
    (home / "memory.key.json.bak").unlink()
    before = hashes(home)
    with pytest.raises(KeyFileError, match="missing"):
        unlock_bank(home, PASSPHRASE)
    with pytest.raises(BankExists):
        create_bank(home, PASSPHRASE, FAST_KDF)
    assert hashes(home) == before


def test_garbage_key_file_falls_back_to_backup(bank, home):
    bank.close()
    (home / "memory.key.json").write_text("{ not json")
    with unlock_bank(home, PASSPHRASE) as reopened:
        assert reopened.integrity()["ok"]


def test_garbage_key_file_without_backup_is_a_clear_error(bank, home):
    bank.close()
    (home / "memory.key.json").write_text("\x00garbage")
    (home / "memory.key.json.bak").unlink()
    with pytest.raises(KeyFileError, match="not valid JSON"):
        unlock_bank(home, PASSPHRASE)


@pytest.mark.parametrize("field,value", [("m_kib", 1024), ("t", 1), ("m_kib", 64 * 1024 * 1024),
                                         ("t", 1_000_000)])
def test_weak_or_absurd_kdf_parameters_are_refused(bank, home, field, value):
    bank.close()
    for name in ("memory.key.json", "memory.key.json.bak"):
        path = home / name
        data = json.loads(path.read_text())
        data[field] = value
        path.write_text(json.dumps(data))
    with pytest.raises(KeyFileError, match="refusing"):
        unlock_bank(home, PASSPHRASE)


def test_lowered_kdf_parameter_within_bounds_fails_authentication(home):
    b = create_bank(home, PASSPHRASE)  # default 64 MiB
    b.close()
    for name in ("memory.key.json", "memory.key.json.bak"):
        path = home / name
        data = json.loads(path.read_text())
        data["m_kib"] = 32 * 1024
        path.write_text(json.dumps(data))
    with pytest.raises(WrongPassphrase):
        unlock_bank(home, PASSPHRASE)


@pytest.mark.parametrize("passphrase", ["it's \"quoted\"", "emoji 🔐 ünïcode", "x" * 4000])
def test_unusual_passphrases_work(tmp_path, passphrase):
    with create_bank(tmp_path / "h", passphrase, FAST_KDF):
        pass
    with unlock_bank(tmp_path / "h", passphrase) as b:
        assert b.integrity()["ok"]


@pytest.mark.parametrize("passphrase", ["", "x" * 5000])
def test_empty_or_huge_passphrase_rejected(tmp_path, passphrase):
    with pytest.raises(KeyFileError):
        create_bank(tmp_path / "h", passphrase, FAST_KDF)
    assert not (tmp_path / "h" / "memory.db").exists()


def test_truncated_or_empty_database_is_refused(bank, home):
    bank.close()
    db = home / "memory.db"
    original = db.read_bytes()
    db.write_bytes(original[: len(original) // 2 + 100])
    with pytest.raises(DatabaseDamaged, match="truncated"):
        unlock_bank(home, PASSPHRASE)
    db.write_bytes(b"")
    with pytest.raises(DatabaseDamaged):
        unlock_bank(home, PASSPHRASE)
    assert db.read_bytes() == b""


def test_canary_never_reaches_disk_in_plaintext(bank, home, tmp_path):
    canary = "canary-7f3a-plaintext"
    with bank.write() as db:
        db.execute("INSERT INTO sessions (id, started_at, last_active_at) VALUES ('s', 'x', 'x')")
        for i in range(200):
            db.execute("INSERT INTO memories (kind, text, event_at, recorded_at, source, "
                       "last_reinforced_at, trust, content_hash) VALUES "
                       "('note', ?, 'x', 'x', 'test', 'x', 'user', ?)", [f"{canary} {i}", str(i)])
    hits_open = grep_tree(home, canary.encode()) + grep_tree(tmp_path / "tmp", canary.encode())
    bank.close()
    assert hits_open == 0
    assert grep_tree(home, canary.encode()) == 0
    assert grep_tree(tmp_path / "tmp", canary.encode()) == 0


def test_change_passphrase_rewraps_key_only(bank, home):
    db_hash = hashlib.sha256(bank.paths.db.read_bytes()).hexdigest()
    bank.change_passphrase("new secret", FAST_KDF)
    bank.close()
    assert hashlib.sha256((home / "memory.db").read_bytes()).hexdigest() == db_hash
    with pytest.raises(WrongPassphrase):
        unlock_bank(home, PASSPHRASE)
    with unlock_bank(home, "new secret") as b:
        assert b.integrity()["ok"]


def test_migrations_twice_are_a_noop(bank):
    db = bank.db()
    assert schema.apply(db) == []
    tables = set(db.table_names())
    assert {"messages", "memories", "memories_fts", "summaries", "summary_sources",
            "profile_facts", "documents", "audit_log", "job_runs"} <= tables


def test_pragmas_are_safe(bank):
    conn = bank.db().conn
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA temp_store").fetchone()[0] != 1
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_failed_write_transaction_rolls_back(bank):
    with pytest.raises(RuntimeError), bank.write() as db:
        db.execute("INSERT INTO meta(key, value) VALUES ('x', 'y')")
        raise RuntimeError("boom")
    assert bank.db().execute("SELECT count(*) FROM meta WHERE key = 'x'").fetchone()[0] == 0


def test_closed_bank_wipes_its_key(bank):
    bank.close()
    assert bank._dek == bytearray(32)
    with pytest.raises(DatabaseDamaged):
        bank.db()


def test_closing_from_several_threads_at_once_is_safe(bank):
    """The TUI's idle lock and a re-unlock may both close the same bank."""

    readers = [threading.Thread(target=lambda: bank.db().execute("select 1")) for _ in range(4)]
    for thread in readers:
        thread.start()
    for thread in readers:
        thread.join()
    closers = [threading.Thread(target=bank.close) for _ in range(4)]
    for thread in closers:
        thread.start()
    for thread in closers:
        thread.join()
    assert bank.closed and bank._dek == bytearray(32) and not bank._connections


def test_paths_layout(home, bank):
    assert BankPaths(home).db.exists() and BankPaths(home).key.exists()


def test_after_commit_waits_for_the_outermost_commit_and_a_rollback_drops_it(bank):
    ran: list[str] = []
    bank.after_commit(lambda: ran.append("now"))           # no transaction: at once
    with bank.write():
        with bank.write():
            bank.after_commit(lambda: ran.append("nested"))
        assert bank.writing and ran == ["now"]              # the inner exit is no commit
    assert ran == ["now", "nested"] and not bank.writing
    with pytest.raises(RuntimeError), bank.write():
        bank.after_commit(lambda: ran.append("rolled back"))
        raise RuntimeError("boom")
    assert ran == ["now", "nested"] and not bank.writing


def test_after_commit_callbacks_run_outside_the_writer_lock(bank):
    free: list[bool] = []

    with bank.write():
        bank.after_commit(lambda: free.append(another_thread_can_write(bank)))
        bank.after_commit(lambda: free.append(bank.writing))
    assert free == [True, False]
