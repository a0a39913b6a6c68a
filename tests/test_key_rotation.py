"""Issue 12 item 7: stale key temp files, one passwd at a time, `passwd --rotate-key`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from storage import FAST_KDF, WrongPassphrase, create_bank, unlock_bank
from storage.errors import BankLocked, KeyRotationPending
from storage.rekey import journal_path, passwd_lock

from .cli_runner import ROOT, run
from .conftest import PASSPHRASE

NEW = "a brand new passphrase"


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _texts(bank) -> list[str]:
    return [r[0] for r in bank.db().execute("SELECT value FROM meta WHERE key = 'probe'")]


@pytest.fixture
def filled(home):
    with create_bank(home, PASSPHRASE, FAST_KDF) as bank, bank.write() as db:
        db.execute("INSERT INTO meta(key, value) VALUES ('probe', 'kept through it all')")
    return home


# -- stale temporary key files ------------------------------------------------------
def test_stale_temp_key_files_are_removed_on_every_open(filled):
    key_text = (filled / "memory.key.json").read_text()   # unwraps under the OLD passphrase
    dead = _dead_pid()
    stale = [filled / f".memory.key.json.tmp-{dead}", filled / f".memory.key.json.bak.tmp-{dead}"]
    for path in stale:
        path.write_text(key_text)
    old_live = filled / ".memory.key.json.tmp-1"            # pid 1 lives, but the file predates us
    old_live.write_text(key_text)
    os.utime(old_live, (time.time() - 3600, time.time() - 3600))
    fresh_live = filled / ".memory.key.json.tmp-1-fresh"    # not ours to judge: no pid tail
    fresh_live.write_text("x")
    with unlock_bank(filled, PASSPHRASE):
        pass
    assert not any(p.exists() for p in stale) and not old_live.exists()
    assert fresh_live.exists()


# -- one passwd at a time -------------------------------------------------------------
def test_passwd_refuses_while_another_passwd_holds_the_lock(home):
    env = {"SECONDME_HOME": str(home), "SECONDME_PASSPHRASE": "pw",
           "SECONDME_NEW_PASSPHRASE": "pw2"}
    run(["init"], env)
    with passwd_lock(home):
        proc = run(["passwd"], env, check=False)
    assert proc.returncode == 2 and "another `secondme passwd`" in proc.stderr
    run(["search", "x"], env)                              # the old passphrase still works
    run(["passwd"], env)
    run(["search", "x"], {**env, "SECONDME_PASSPHRASE": "pw2"})


def test_two_concurrent_passwd_runs_cannot_both_succeed(home):
    base = {"SECONDME_HOME": str(home), "SECONDME_PASSPHRASE": "pw"}
    run(["init"], base)
    procs = [subprocess.Popen([sys.executable, "-m", "secondme", "passwd"], cwd=ROOT,
                              env={**os.environ, **base, "SECONDME_NEW_PASSPHRASE": new},
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
             for new in ("first-new", "second-new")]
    codes = [p.wait(timeout=120) for p in procs]
    winners = [new for new, code in zip(("first-new", "second-new"), codes, strict=True) if code == 0]
    assert len(winners) == 1, codes
    run(["search", "x"], {**base, "SECONDME_PASSPHRASE": winners[0]})


# -- key rotation -------------------------------------------------------------------
def test_rotate_key_reencrypts_under_a_new_key_and_new_passphrase(filled):
    with unlock_bank(filled, PASSPHRASE) as bank:
        old_key = bank.data_key_copy()
        bank.rotate_key(NEW, FAST_KDF)
        assert _texts(bank) == ["kept through it all"]   # usable right after
        assert bank.data_key_copy() != old_key
    with pytest.raises(WrongPassphrase):
        unlock_bank(filled, PASSPHRASE)
    with unlock_bank(filled, NEW) as bank:
        assert _texts(bank) == ["kept through it all"] and bank.integrity()["ok"]
    from storage import KeyMismatch, open_with_key

    with pytest.raises(KeyMismatch):                     # the leaked old key opens nothing
        open_with_key(filled, old_key, bank.db_id)
    assert not journal_path(filled / "memory.key.json").exists()
    assert json.loads((filled / "memory.key.json.bak").read_text()) == \
        json.loads((filled / "memory.key.json").read_text())


def test_cli_passwd_rotate_key(home):
    env = {"SECONDME_HOME": str(home), "SECONDME_PASSPHRASE": "pw",
           "SECONDME_NEW_PASSPHRASE": "pw2"}
    run(["init"], env)
    run(["remember", "rotation canary"], env)
    proc = run(["passwd", "--rotate-key"], env)
    assert "new data key" in proc.stdout
    assert run(["search", "x"], env, check=False).returncode == 2
    out = run(["search", "--mode", "bm25", "--json", "canary"],
              {**env, "SECONDME_PASSPHRASE": "pw2"}).stdout
    assert "rotation canary" in out


KILLER = textwrap.dedent("""
    import os, signal, sys
    from storage import unlock_bank, FAST_KDF
    from storage.rekey import passwd_lock
    home, step = sys.argv[1], sys.argv[2]

    def checkpoint(name):
        if name == step:
            os.kill(os.getpid(), signal.SIGKILL)

    with passwd_lock(home):
        bank = unlock_bank(home, {old!r})
        bank.rotate_key({new!r}, FAST_KDF, checkpoint=checkpoint)
    print("finished")
""").format(old=PASSPHRASE, new=NEW)


@pytest.mark.parametrize("step", ["journal", "rekeyed", "promoted", "backup"])
def test_a_rotation_killed_at_any_step_leaves_an_openable_bank(filled, step):
    proc = subprocess.run([sys.executable, "-c", KILLER, str(filled), step], cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert journal_path(filled / "memory.key.json").exists()
    if step == "journal":
        # Killed before the re-encryption: the old passphrase still rules (and undoes it)...
        with unlock_bank(filled, PASSPHRASE) as bank:
            assert _texts(bank) == ["kept through it all"]
        assert not journal_path(filled / "memory.key.json").exists()
        return
    # After the re-encryption the old passphrase gets a clear sentence, not "damaged"...
    if step == "rekeyed":
        with pytest.raises(KeyRotationPending, match="NEW passphrase"):
            unlock_bank(filled, PASSPHRASE)
    else:
        with pytest.raises(WrongPassphrase):
            unlock_bank(filled, PASSPHRASE)
    # ...and the new one finishes the rotation.
    with unlock_bank(filled, NEW) as bank:
        assert _texts(bank) == ["kept through it all"] and bank.integrity()["ok"]
    assert not journal_path(filled / "memory.key.json").exists()
    with unlock_bank(filled, NEW):
        pass
    with pytest.raises(WrongPassphrase):
        unlock_bank(filled, PASSPHRASE)


def test_new_passphrase_finishes_a_rotation_killed_before_the_rekey(filled):
    proc = subprocess.run([sys.executable, "-c", KILLER, str(filled), "journal"], cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    with unlock_bank(filled, NEW) as bank:                 # rolls forward: re-encrypts now
        assert _texts(bank) == ["kept through it all"]
    with pytest.raises(WrongPassphrase):
        unlock_bank(filled, PASSPHRASE)


def test_rotation_refuses_while_another_connection_is_open(filled):
    other = unlock_bank(filled, PASSPHRASE)
    other.db()
    try:
        with unlock_bank(filled, PASSPHRASE) as bank, pytest.raises(BankLocked):
            bank.rotate_key(NEW, FAST_KDF)
        assert not journal_path(filled / "memory.key.json").exists()
    finally:
        other.close()
    with unlock_bank(filled, PASSPHRASE) as bank:
        assert _texts(bank) == ["kept through it all"]

