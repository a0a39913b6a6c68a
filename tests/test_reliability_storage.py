"""Storage under faults: kill -9 mid-write, flipped bits, a full disk, a second writer."""

from __future__ import annotations

import os
import random
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from storage import FAST_KDF, BankLocked, DatabaseDamaged, create_bank, unlock_bank
from storage.sqlcipher import DatabaseError

from .conftest import PASSPHRASE

ROOT = Path(__file__).resolve().parents[1]


def _ledger_consistent(home: Path) -> tuple[int, int]:
    with unlock_bank(home, PASSPHRASE) as bank:
        assert bank.integrity()["ok"]
        db = bank.db()
        ledger = db.execute("SELECT coalesce(max(CAST(value AS INTEGER)), 0) FROM meta "
                            "WHERE key = 'ledger'").fetchone()[0]
        rows = db.execute("SELECT count(*) FROM memories WHERE source = 'crash-test'").fetchone()[0]
        per_batch = db.execute(
            "SELECT json_extract(meta, '$.batch') AS b, count(*) FROM memories "
            "WHERE source = 'crash-test' GROUP BY b HAVING count(*) != 20").fetchall()
        fts = db.execute("SELECT count(*) FROM memories_fts WHERE memories_fts MATCH 'batch'") \
            .fetchone()[0]
    assert per_batch == [], "a batch was half-written"
    assert rows == ledger * 20
    assert fts == rows
    return ledger, rows


def _kill_loop(home: Path, trials: int, seed: int) -> int:
    rng = random.Random(seed)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for _ in range(trials):
        child = subprocess.Popen(
            [sys.executable, "-m", "tests.reliability.writer_child", str(home), PASSPHRASE],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert child.stdout.readline().strip() == b"ready"
        time.sleep(rng.uniform(0.02, 0.4))
        child.send_signal(signal.SIGKILL)
        child.wait()
        _ledger_consistent(home)
    return trials


def test_kill_9_during_writes_leaves_every_batch_whole(home):
    create_bank(home, PASSPHRASE, FAST_KDF).close()
    assert _kill_loop(home, trials=25, seed=7) == 25
    ledger, _ = _ledger_consistent(home)
    assert ledger > 0


@pytest.mark.slow
def test_kill_9_during_writes_long(home):
    create_bank(home, PASSPHRASE, FAST_KDF).close()
    _kill_loop(home, trials=200, seed=11)


def test_flipped_bit_is_detected_and_reported(home):
    bank = create_bank(home, PASSPHRASE, FAST_KDF)
    with bank.write() as db:
        for i in range(300):
            db.execute("INSERT INTO meta(key, value) VALUES (?, ?)", [f"k{i}", "v" * 500])
    bank.close()
    db_path = home / "memory.db"
    data = bytearray(db_path.read_bytes())
    page = 3
    data[page * 4096 - 4096 + 200] ^= 0x01
    db_path.write_bytes(bytes(data))
    with pytest.raises((DatabaseDamaged, DatabaseError)) as info, \
            unlock_bank(home, PASSPHRASE) as b:
        report = b.integrity()
        assert not report["ok"]
        raise DatabaseDamaged(str(report["cipher_integrity_check"]))
    assert "3" in str(info.value) or "malformed" in str(info.value)


def _disk_full_child(home: Path, limit: int) -> int:
    code = (
        "import resource, sys\n"
        "from pathlib import Path\n"
        "from storage import unlock_bank\n"
        f"bank = unlock_bank(Path({str(home)!r}), {PASSPHRASE!r})\n"
        f"resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit}))\n"
        "try:\n"
        "    with bank.write() as db:\n"
        "        for i in range(5000):\n"
        "            db.execute(\"INSERT INTO meta(key, value) VALUES (?, ?)\", [f'big{i}', 'z'*2000])\n"
        "except Exception as exc:\n"
        "    print(type(exc).__name__, exc)\n"
        "    sys.exit(3)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                          text=True, preexec_fn=lambda: signal.signal(signal.SIGXFSZ,
                                                                      signal.SIG_IGN))
    return proc.returncode


def test_full_disk_mid_transaction_rolls_back_cleanly(home):
    bank = create_bank(home, PASSPHRASE, FAST_KDF)
    with bank.write() as db:
        db.execute("INSERT INTO meta(key, value) VALUES ('before', 'kept')")
    bank.close()
    size = (home / "memory.db").stat().st_size
    assert _disk_full_child(home, size + 64 * 1024) == 3
    with unlock_bank(home, PASSPHRASE) as b:
        assert b.integrity()["ok"]
        db = b.db()
        assert db.execute("SELECT value FROM meta WHERE key = 'before'").fetchone()[0] == "kept"
        assert db.execute("SELECT count(*) FROM meta WHERE key LIKE 'big%'").fetchone()[0] == 0


def test_second_process_cannot_take_the_scheduler_lock(bank):
    code = (
        "import sys\nfrom pathlib import Path\nfrom storage import unlock_bank, BankLocked\n"
        f"b = unlock_bank(Path({str(bank.paths.home)!r}), {PASSPHRASE!r})\n"
        "try:\n    with b.exclusive('scheduler'):\n        sys.exit(0)\n"
        "except BankLocked:\n    sys.exit(4)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with bank.exclusive("scheduler"):
        proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env)
        assert proc.returncode == 4
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env).returncode == 0


def test_same_process_second_lock_is_refused(bank):
    with bank.exclusive("scheduler"), pytest.raises(BankLocked), bank.exclusive("scheduler"):
        pass


def test_clean_close_truncates_the_wal(bank, home):
    with bank.write() as db:
        for i in range(100):
            db.execute("INSERT INTO meta(key, value) VALUES (?, ?)", [f"w{i}", "v" * 1000])
    bank.close()
    wal = home / "memory.db-wal"
    assert not wal.exists() or wal.stat().st_size == 0


def test_rlimit_is_available():
    assert resource.RLIMIT_FSIZE is not None
