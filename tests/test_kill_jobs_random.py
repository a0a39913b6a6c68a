"""Issue 8's acceptance loop: kill -9 `secondme jobs run all` at random moments, 25 times."""

from __future__ import annotations

import os
import random
import signal
import time

import pytest

from storage import unlock_bank

from .test_kill_during_job import PASSPHRASE, _check, _seed, _start

pytestmark = pytest.mark.real_model


def _messages(bank) -> list[tuple]:
    return bank.db().execute("SELECT id, session_id, role, text, created_at FROM messages "
                             "ORDER BY id").fetchall()


def test_kill_9_at_random_moments_25_times(home):
    hashes = _seed(home)
    bank = unlock_bank(home, PASSPHRASE)
    try:
        with bank.write() as db:
            db.execute("INSERT INTO sessions (id, started_at, last_active_at) VALUES "
                       "('s1', '2024-05-01T10:00:00', '2024-05-01T10:05:00')")
            for i, (role, text) in enumerate([("user", "I live in Lyon."),
                                              ("assistant", "Lovely."),
                                              ("user", "I moved from Lyon to Porto.")]):
                db.execute("INSERT INTO messages (session_id, role, text, created_at) "
                           "VALUES ('s1', ?, ?, ?)", [role, text, f"2024-05-01T10:0{i}:00"])
        before = _messages(bank)
        rng = random.Random(2026)
        for _ in range(25):
            child = _start(home)
            time.sleep(rng.uniform(1.0, 9.0))
            if child.poll() is None:
                os.kill(child.pid, signal.SIGKILL)
            child.communicate(timeout=600)
            _check(bank, hashes)
            assert _messages(bank) == before
        final = _start(home)
        final.communicate(timeout=600)
        assert final.returncode == 0
        _check(bank, hashes)
        assert _messages(bank) == before
    finally:
        bank.close()
