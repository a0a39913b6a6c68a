"""Issue 12 item 12: file modes, half-made homes, disk problems, absurd dates, KDF cost."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest

from secondme.exporters import backup, restore
from secondme.exporters.backup import clean_interrupted
from secondme.views.timeline import timeline
from storage import FAST_KDF, KeyFileError, create_bank, unlock_bank
from storage.diskerrors import classify
from storage.errors import DiskProblem
from storage.keyfile import KdfParams
from storage.sqlcipher import dbapi

from .cli_runner import run
from .conftest import PASSPHRASE


def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


# -- 0600 files, 0700 home ------------------------------------------------------
@pytest.mark.parametrize("umask", [0o022, 0o000])
def test_database_and_sidecars_are_private_whatever_the_umask(tmp_path, umask):
    old = os.umask(umask)
    try:
        home = tmp_path / "h"
        with create_bank(home, PASSPHRASE, FAST_KDF) as bank:
            with bank.write() as db:
                db.execute("INSERT INTO meta(key, value) VALUES ('probe', 'x')")
            for name in ("memory.db", "memory.db-wal", "memory.db-shm", "memory.key.json"):
                assert _mode(home / name) == 0o600, name
        assert _mode(home) == 0o700
    finally:
        os.umask(old)


def test_an_older_bank_with_wide_files_is_narrowed_on_open(bank, home):
    bank.close()
    os.chmod(home / "memory.db", 0o644)
    with unlock_bank(home, PASSPHRASE):
        assert _mode(home / "memory.db") == 0o600
        assert _mode(home / "memory.db-wal") == 0o600


# -- half-made homes --------------------------------------------------------------
def _half_made(home: Path, staging: str) -> None:
    """The state a kill between writing the key file and the final rename leaves."""
    os.replace(home / "memory.db", home / staging)
    (home / "memory.key.json.bak").unlink()


def test_an_interrupted_init_is_finished_on_open_and_cleared_by_a_new_init(bank, home):
    bank.close()
    _half_made(home, "memory.db.creating")
    with unlock_bank(home, PASSPHRASE) as reopened:   # before: "restore it from a backup"
        assert reopened.integrity()["ok"]
    assert (home / "memory.key.json.bak").exists()
    assert not (home / "memory.db.creating").exists()

    reopened_db_id = reopened.db_id
    _half_made(home, "memory.db.creating")
    with create_bank(home, "another passphrase", FAST_KDF) as fresh:  # before: "key exists"
        assert fresh.db_id != reopened_db_id


def test_an_interrupted_restore_resumes_and_a_lost_database_can_be_restored(services, tmp_path):
    made = backup(services.bank, tmp_path / "b.backup", "bpw", FAST_KDF,
                  created_at=services.clock.now_iso())
    target = tmp_path / "restored"
    restore(made.path, "bpw", target, "hpw", FAST_KDF)
    _half_made(target, "memory.db.restoring")
    restore(made.path, "bpw", target, "hpw2", FAST_KDF)      # before: "a bank already exists"
    with unlock_bank(target, "hpw2") as bank:
        assert bank.integrity()["ok"]
    _half_made(target, "memory.db.restoring")
    with unlock_bank(target, "hpw2") as bank:                # or simply open it: finished
        assert bank.integrity()["ok"]
    # A key file whose database is gone: unlock says "restore", and restore then works.
    (target / "memory.db").unlink()
    with pytest.raises(Exception, match="restore"):
        unlock_bank(target, "hpw2")
    restore(made.path, "bpw", target, "hpw3", FAST_KDF)
    assert list(target.glob("memory.key.json.orphaned-*"))
    with unlock_bank(target, "hpw3") as bank:
        assert bank.integrity()["ok"]


def test_the_cli_opens_a_half_made_home_instead_of_contradicting_itself(home):
    env = {"SECONDME_HOME": str(home), "SECONDME_PASSPHRASE": "pw"}
    run(["init"], env)
    _half_made(home, "memory.db.creating")
    proc = run(["search", "anything"], env, check=False)
    assert proc.returncode == 0, proc.stderr


def test_the_tui_offers_to_unlock_a_half_made_home_not_to_create_over_it(bank, home):
    from secondme.clock import Clock
    from secondme.config import load_settings
    from secondme.unlock import BankOpener

    bank.close()
    _half_made(home, "memory.db.restoring")
    opener = BankOpener(home, load_settings(home), None, Clock())
    assert opener.exists
    opener.unlock(PASSPHRASE).close()
    assert (home / "memory.db").exists()


# -- disk full / read-only are not "damaged" --------------------------------------
def test_a_full_database_is_reported_as_disk_full_not_damage(bank):
    conn = bank.db().conn
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages + 2}")
    with pytest.raises(DiskProblem, match="disk full") as info, bank.write() as db:
        db.execute("INSERT INTO meta(key, value) VALUES ('big', ?)", ["x" * 200_000])
    assert "nothing is damaged" in str(info.value) and "restore" not in str(info.value)
    conn.execute(f"PRAGMA max_page_count = {2**31}")
    with bank.write() as db:   # the bank is fine afterwards
        db.execute("INSERT INTO meta(key, value) VALUES ('small', 'x')")


@pytest.mark.parametrize("exc,words", [
    (OSError(errno.ENOSPC, "No space left on device"), "disk full"),
    (OSError(errno.EROFS, "Read-only file system"), "read-only"),
    (dbapi.OperationalError("database or disk is full"), "disk full"),
    (dbapi.OperationalError("attempt to write a readonly database"), "read-only"),
])
def test_disk_errors_are_named_for_what_they_are(tmp_path, exc, words):
    problem = classify(exc, tmp_path)
    assert isinstance(problem, DiskProblem) and words in str(problem)
    assert "damaged" not in str(problem).replace("nothing is damaged", "")


def test_real_damage_is_not_mistaken_for_a_disk_problem(tmp_path):
    assert classify(dbapi.DatabaseError("file is not a database"), tmp_path) is None


# -- absurd dates -----------------------------------------------------------------
def test_remember_at_year_9999_is_a_one_line_error(home):
    env = {"SECONDME_HOME": str(home), "SECONDME_PASSPHRASE": "pw"}
    run(["init"], env)
    proc = run(["remember", "--at", "9999-12-31", "the end of time"], env, check=False)
    assert proc.returncode == 2 and "years from now" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    run(["remember", "--at", "2024-05-01", "a normal day"], env)
    assert run(["timeline"], env).returncode == 0


@pytest.mark.parametrize("level", ["month", "week", "day"])
def test_timeline_survives_a_memory_at_the_end_of_time(services, level):
    services.memory.remember("normal", at=datetime(2024, 5, 1), importance=0.5, source="cli")
    services.memory.remember("absurd", at=datetime(9999, 12, 31), importance=0.5, source="cli")
    started = time.monotonic()
    rows = timeline(services, level=level)
    assert time.monotonic() - started < 10
    assert sum(r.total for r in rows) >= 1


# -- interrupted backups ----------------------------------------------------------
def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_partial_backups_of_dead_processes_are_cleaned_on_the_next_backup(services, tmp_path):
    folder = tmp_path / "backups"
    folder.mkdir()
    dead = _dead_pid()
    leftovers = [folder / f".old.backup.partial-{dead}", folder / f".old.backup.partial-{dead}-wal",
                 folder / f".old.backup.key.json.tmp-{dead}"]
    for path in leftovers:
        path.write_bytes(b"\0" * 4096)
    live = folder / ".other.backup.partial-1"   # pid 1 is alive and the file is new: kept
    live.write_bytes(b"\0")
    backup(services.bank, folder / "new.backup", "bpw", FAST_KDF,
           created_at=services.clock.now_iso())
    assert not any(p.exists() for p in leftovers)
    assert live.exists()
    os.utime(live, (time.time() - 3600, time.time() - 3600))  # older than this run: reused pid
    assert clean_interrupted(folder) == [live]


# -- KDF cost ceiling ---------------------------------------------------------------
def test_a_key_file_at_the_old_ceiling_is_refused_before_any_work(bank, home):
    bank.close()
    for name in ("memory.key.json", "memory.key.json.bak"):
        data = json.loads((home / name).read_text())
        data.update(m_kib=1024 * 1024, t=10, p=16)
        (home / name).write_text(json.dumps(data))
    started = time.monotonic()
    with pytest.raises(KeyFileError, match="refusing"):
        unlock_bank(home, PASSPHRASE)
    assert time.monotonic() - started < 1.0


def test_the_ceiling_keeps_the_default_and_the_owasp_floor():
    KdfParams().check()                         # 64 MiB x 3, the default
    KdfParams(19 * 1024, 2, 1).check()          # the OWASP floor
    KdfParams(256 * 1024, 3, 4).check()         # the most memory allowed
    for too_much in (KdfParams(256 * 1024, 4, 4), KdfParams(512 * 1024, 2, 4)):
        with pytest.raises(KeyFileError, match="refusing"):
            too_much.check()


SCENARIO = r"""
set -u
mount -t tmpfs -o size=4m tmpfs "$BOX" || exit 77
export SECONDME_HOME="$BOX/home"
python -m secondme init >/dev/null || exit 78
python -m secondme remember "before the trouble" >/dev/null || exit 79
if [ "$CASE" = readonly ]; then
    mount -o remount,ro "$BOX" || exit 77
else
    dd if=/dev/zero of="$BOX/filler" bs=64k 2>/dev/null; true
fi
python -m secondme remember "after the trouble"
"""


@pytest.mark.parametrize("case,words", [("readonly", "read-only"), ("full", "disk full")])
def test_the_cli_names_a_read_only_or_full_home_for_what_it_is(tmp_path, case, words):
    """A real read-only / full filesystem, in a private mount namespace (skipped where the
    machine does not allow one)."""
    import shutil

    if shutil.which("unshare") is None or not sys.platform.startswith("linux"):
        pytest.skip("needs unshare (Linux)")
    box = tmp_path / "box"
    box.mkdir()
    env = {**os.environ, "BOX": str(box), "CASE": case, "SECONDME_PASSPHRASE": "pw",
           "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    proc = subprocess.run(["unshare", "-rm", "sh", "-c", SCENARIO], env=env, capture_output=True,
                          text=True, timeout=300, cwd=Path(__file__).resolve().parents[1])
    if proc.returncode in (1, 77) and "mount" in proc.stderr + proc.stdout \
            or proc.returncode == 77:
        pytest.skip(f"no private mounts here: {proc.stderr.strip()[:200]}")
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert words in proc.stderr and "restore" not in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
