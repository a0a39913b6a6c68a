"""A canary written through every path must never reach disk in plaintext.

Paths: remember, chat (messages + turn memory), import, summary, profile fact,
embedding; places searched: the bank folder (db, -wal, -shm, key files), the
temp dir, a DEBUG log of the whole run, and an encrypted backup.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

from secondme.conversation.session import ChatSession
from secondme.exporters import backup
from secondme.importers import import_paths
from secondme.jobs import run as run_jobs
from secondme.jobs.runner import JobOptions
from storage import FAST_KDF

CANARY = "zqxcanary7f3a"


def _occurrences(folder: Path, needles: list[bytes]) -> dict[str, int]:
    found: dict[str, int] = {}
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for needle in needles:
                hits = data.count(needle)
                if hits:
                    found[f"{path.name}:{needle[:12]!r}"] = hits
    return found


def test_canary_never_reaches_disk(services, fake_model, embedder, home, tmp_path):
    log_path = tmp_path / "debug.log"
    handler = logging.FileHandler(log_path)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        memory = services.memory
        # remember, back-dated so its day and week are closed for the summarizer
        memory.remember(f"My lucky word is {CANARY}.", at=datetime(2024, 4, 20, 9, 0))
        memory.remember(f"I live in {CANARY.title()}ville.", at=datetime(2024, 4, 21, 9, 0))
        # chat: verbatim messages and a turn memory
        fake_model.script = [[f"Noted, {CANARY}", " stays with me."]]
        ChatSession(services).reply(f"Remember {CANARY} for me please")
        # import
        notes = tmp_path / "notes"
        notes.mkdir()
        (notes / "2024-04-19.md").write_text(f"# Diary\n\nFound a {CANARY} feather today.\n")
        import_paths(services, [notes])
        # embed, summarize (extractive), profile (rules), decay, dedupe
        run_jobs(services, "all", options=JobOptions(use_llm=False))
        # encrypted backup
        (tmp_path / "backups").mkdir()
        backup(services.bank, tmp_path / "backups" / "bank.backup", "backup-pass", FAST_KDF,
               created_at=services.clock.now_iso())
        db = services.bank.db()
        kinds = {row[0] for row in db.execute(
            "SELECT kind FROM memories WHERE text LIKE ?", [f"%{CANARY}%"]).fetchall()}
        assert {"remember", "turn", "note"} <= kinds
        assert db.execute("SELECT count(*) FROM messages WHERE text LIKE ?",
                          [f"%{CANARY}%"]).fetchone()[0] >= 2
        assert db.execute("SELECT count(*) FROM memories WHERE embedding IS NOT NULL") \
            .fetchone()[0] > 0
        summaries = db.execute("SELECT count(*) FROM summaries").fetchone()[0]
        facts = db.execute("SELECT count(*) FROM profile_facts WHERE lower(value) LIKE ?",
                           [f"%{CANARY}%"]).fetchone()[0]
        vector = embedder.encode([f"My lucky word is {CANARY}."])[0].tobytes()
        dek_hex = services.bank.data_key_copy().hex()
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
        handler.close()
    assert summaries > 0
    assert facts > 0
    core = CANARY[1:].encode()  # also matches the capitalised place name
    needles = [core, CANARY.encode("utf-16-le"), vector[:32], dek_hex.encode(),
               bytes.fromhex(dek_hex)]
    services.bank.close()
    assert _occurrences(home, needles) == {}
    assert _occurrences(tmp_path / "tmp", needles) == {}
    assert _occurrences(tmp_path / "backups", needles) == {}
    log_text = log_path.read_bytes()
    assert core not in log_text
    assert dek_hex.encode() not in log_text
