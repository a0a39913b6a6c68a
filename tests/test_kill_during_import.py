"""kill -9 at random points of `secondme import`: every file all or nothing, nothing duplicated."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from storage import FAST_KDF, create_bank, unlock_bank

from .conftest import PASSPHRASE

ROOT = Path(__file__).resolve().parents[1]


def _make_vault(folder: Path, notes: int) -> None:
    for i in range(notes):
        sub = folder / f"area{i % 5}"
        sub.mkdir(parents=True, exist_ok=True)
        body = "\n\n".join(f"## Part {p}\n\n" + f"Note {i} part {p}: walked by the river. " * 20
                           for p in range(3))
        (sub / f"2024-03-{1 + i % 28:02d}-note{i}.md").write_text(f"# Note {i}\n\n{body}\n")


def _state(home: Path) -> tuple[int, int]:
    with unlock_bank(home, PASSPHRASE) as bank:
        assert bank.integrity()["ok"]
        db = bank.db()
        orphans = db.execute(
            "SELECT count(*) FROM documents d WHERE NOT EXISTS "
            "(SELECT 1 FROM memories m WHERE m.document_id = d.id)").fetchone()[0]
        assert orphans == 0, "a document was recorded without its chunks"
        dupes = db.execute(
            "SELECT count(*) FROM (SELECT document_id, content_hash FROM memories "
            "WHERE document_id IS NOT NULL GROUP BY document_id, content_hash "
            "HAVING count(*) > 1)").fetchone()[0]
        assert dupes == 0, "a chunk was imported twice"
        fts = db.execute("SELECT count(*) FROM memories_fts").fetchone()[0]
        memories = db.execute("SELECT count(*) FROM memories").fetchone()[0]
        assert fts == memories
        return db.execute("SELECT count(*) FROM documents").fetchone()[0], memories


def _import(home: Path, vault: Path, kill_after: float | None) -> None:
    env = {**os.environ, "SECONDME_HOME": str(home), "SECONDME_PASSPHRASE": PASSPHRASE,
           "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "secondme", "import", str(vault), "--json"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    if kill_after is None:
        assert proc.wait(timeout=300) == 0
        return
    time.sleep(kill_after)
    proc.send_signal(signal.SIGKILL)
    proc.wait()


def _trials(home: Path, vault: Path, count: int, seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(count):
        _import(home, vault, kill_after=rng.uniform(0.8, 3.5))
        _state(home)
    _import(home, vault, kill_after=None)


def test_kill_9_during_import_25_times(tmp_path, home):
    vault = tmp_path / "vault"
    _make_vault(vault, 120)
    reference = tmp_path / "reference"
    create_bank(reference, PASSPHRASE, FAST_KDF).close()
    _import(reference, vault, kill_after=None)
    expected = _state(reference)

    create_bank(home, PASSPHRASE, FAST_KDF).close()
    _trials(home, vault, 25, seed=3)
    assert _state(home) == expected


@pytest.mark.slow
def test_kill_9_during_import_long(tmp_path, home):
    vault = tmp_path / "vault"
    _make_vault(vault, 400)
    create_bank(home, PASSPHRASE, FAST_KDF).close()
    _trials(home, vault, 100, seed=5)
