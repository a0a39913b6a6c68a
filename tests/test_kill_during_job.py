"""kill -9 during `secondme jobs run all`, then run again: integrity ok, nothing doubled, nothing lost.

The CLI runs in a subprocess against a real encrypted bank with the real embedder (the
extractive summaries and near-duplicate search need it). This test process watches the
bank through its own connection and kills the child at chosen moments: while vectors are
being stored, while the profile is being built, while summaries are being written.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from secondme.clock import Clock
from secondme.config import load_settings
from secondme.consolidation.profile.builder import normalise_value
from secondme.services import build_services
from storage import FAST_KDF, create_bank, unlock_bank

from .fakes import HashingEmbedder

pytestmark = pytest.mark.real_model

ROOT = Path(__file__).resolve().parents[1]
PASSPHRASE = "kill test passphrase"
NOW = "2024-05-20"
FRIENDS = ["Lea", "Marco", "Ines", "Tom", "Yuki", "Omar", "Sofia"]
MOODS = ["and it was a lot of fun", "though the weather was awful", "and we laughed all day",
         "but I was tired afterwards", "and I learned something new"]
TOPICS = ["hiking in the hills", "baking sourdough bread", "a chess tournament", "the cello",
          "painting the kitchen", "a visit to the zoo", "repairing my bike", "a jazz concert"]


def _seed(home: Path) -> set[str]:
    bank = create_bank(home, PASSPHRASE, FAST_KDF)
    svc = build_services(load_settings(home, user_name="Ana"), bank, Clock(datetime(2024, 5, 20)),
                         embedder=HashingEmbedder(),
                         embed_on_write=False)      # leave the vectors to the embed job
    hashes = set()
    start = datetime(2024, 4, 25, 12)
    for day in range(12):
        for i, topic in enumerate(TOPICS):
            friend = FRIENDS[(day * 3 + i) % len(FRIENDS)]
            text = (f"Ana: I spent the afternoon on {topic} with {friend}, "
                    f"{MOODS[(day + i) % len(MOODS)]}.\nSecond Me: Tell me more about {topic}!")
            svc.memory.remember(text, kind="turn", source="chat",
                                at=start + timedelta(days=day, minutes=i))
            hashes.add(text)
    svc.memory.remember("Ana: I live in Lyon.\nSecond Me: Lovely.", kind="turn",
                        at=datetime(2024, 5, 2, 9))
    svc.memory.remember("Ana: I moved from Lyon to Porto.\nSecond Me: Wow.", kind="turn",
                        at=datetime(2024, 5, 9, 9))
    svc.memory.remember("Ana: I live in Lyon.\nSecond Me: Lovely.", kind="turn",
                        at=datetime(2024, 5, 2, 9))                   # an exact duplicate
    bank.close()
    return hashes


def _start(home: Path) -> subprocess.Popen:
    env = {**os.environ, "SECONDME_HOME": str(home), "SECONDME_PASSPHRASE": PASSPHRASE,
           "SECONDME_USER": "Ana"}
    return subprocess.Popen([sys.executable, "-m", "secondme", "jobs", "run", "all", "--no-llm",
                             "--now", NOW, "--json"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _kill_when(proc: subprocess.Popen, bank, condition, timeout: float = 240) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if condition(bank.db()):
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait()
                return True
        except Exception:  # the child may hold the write lock for a moment
            pass
        time.sleep(0.01)
    proc.communicate(timeout=timeout)
    return False


def _scalar(db, sql: str) -> int:
    return db.execute(sql).fetchone()[0]


def _running(job: str):
    return f"SELECT count(*) FROM job_runs WHERE job = '{job}' AND status = 'running'"


def _check(bank, hashes: set[str]) -> dict[str, int]:
    # A fresh connection for PRAGMA integrity_check: on a long-lived connection that watched
    # another process write, SQLite's FTS5 integrity hook reads a stale cached structure and
    # reports "corruption" that a new connection (and FTS5's own 'integrity-check') don't see.
    fresh = unlock_bank(bank.paths.home, PASSPHRASE)
    try:
        report = fresh.integrity()
    finally:
        fresh.close()
    assert report["ok"], report
    db = bank.db()
    assert db.execute("INSERT INTO memories_fts(memories_fts) VALUES('integrity-check')") \
        .fetchall() == []
    texts = {r[0] for r in db.execute("SELECT text FROM memories WHERE kind = 'turn'")}
    assert hashes <= texts                                        # nothing lost
    assert _scalar(db, "SELECT count(*) FROM (SELECT level, period_key FROM summaries "
                       "WHERE is_current = 1 GROUP BY 1, 2 HAVING count(*) > 1)") == 0
    assert _scalar(db, "SELECT count(*) FROM summaries WHERE memory_id IS NULL OR memory_id "
                       "NOT IN (SELECT id FROM memories)") == 0
    assert _scalar(db, "SELECT count(*) FROM summaries s WHERE NOT EXISTS (SELECT 1 FROM "
                       "summary_sources x WHERE x.summary_id = s.id)") == 0
    active = [(f[0], f[1], normalise_value(f[2])) for f in db.execute(
        "SELECT subject, attribute, value FROM profile_facts WHERE status = 'active'")]
    assert len(active) == len(set(active))                       # no duplicate facts
    assert _scalar(db, "SELECT count(*) FROM profile_facts f WHERE NOT EXISTS (SELECT 1 FROM "
                       "fact_sources s WHERE s.fact_id = f.id)") == 0
    assert _scalar(db, "SELECT count(*) FROM memories WHERE kind = 'summary' AND state = "
                       "'active'") == _scalar(db, "SELECT count(*) FROM summaries WHERE "
                                                  "is_current = 1")
    return {"summaries": _scalar(db, "SELECT count(*) FROM summaries"),
            "facts": _scalar(db, "SELECT count(*) FROM profile_facts"),
            "fact_sources": _scalar(db, "SELECT count(*) FROM fact_sources"),
            "memories": _scalar(db, "SELECT count(*) FROM memories"),
            "audit": _scalar(db, "SELECT count(*) FROM audit_log")}


def test_kill_minus_nine_anywhere_then_rerun(home):
    hashes = _seed(home)
    bank = unlock_bank(home, PASSPHRASE)
    try:
        kills = [
            lambda db: _scalar(db, _running("embed")) and _scalar(
                db, "SELECT count(*) FROM memories WHERE embedding IS NOT NULL") > 0,
            lambda db: _scalar(db, _running("profile")) or _scalar(
                db, "SELECT count(*) FROM profile_facts") > 0,
            lambda db: _scalar(db, _running("summarize")) and _scalar(
                db, "SELECT count(*) FROM summaries") > 0,
        ]
        killed = 0
        for condition in kills:
            killed += _kill_when(_start(home), bank, condition)
            _check(bank, hashes)
        assert killed >= 2, "the child finished before it could be killed"

        done = _start(home)
        out, err = done.communicate(timeout=600)
        assert done.returncode == 0, err
        first = _check(bank, hashes)
        db = bank.db()
        assert _scalar(db, "SELECT count(*) FROM job_runs WHERE status = 'running'") == 0
        assert _scalar(db, "SELECT count(*) FROM job_runs WHERE status = 'interrupted'") >= killed
        assert _scalar(db, "SELECT count(*) FROM summaries WHERE level = 'day' AND "
                           "is_current = 1") == _scalar(
            db, "SELECT count(DISTINCT substr(event_at, 1, 10)) FROM memories WHERE kind = "
                "'turn' AND json_extract(meta, '$.merged_into') IS NULL")
        assert _scalar(db, "SELECT count(*) FROM summaries WHERE level = 'week' AND "
                           "is_current = 1") == 3
        assert {r[0] for r in db.execute("SELECT value FROM profile_facts WHERE "
                                         "status = 'active' AND attribute = 'lives_in'")} == \
            {"Porto"}

        again = _start(home)
        again.communicate(timeout=600)
        second = _check(bank, hashes)
        assert {k: second[k] for k in ("summaries", "facts", "fact_sources", "memories")} == \
            {k: first[k] for k in ("summaries", "facts", "fact_sources", "memories")}
    finally:
        bank.close()
