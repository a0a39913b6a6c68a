"""A bank with a bit of everything, for export, backup and timeline tests."""

from __future__ import annotations

import os
import shutil
from datetime import datetime
from pathlib import Path

from secondme.config import load_settings
from secondme.importers import import_paths
from secondme.services import build_services
from storage import FAST_KDF, create_bank

ASSETS = Path(__file__).resolve().parents[1] / "assets"
PASSPHRASE = "correct horse battery staple"


def copy_vault(tmp_path: Path) -> Path:
    target = tmp_path / "vault"
    shutil.copytree(ASSETS / "sample-vault", target)
    stamp = datetime(2024, 4, 20, 9, 30).timestamp()
    for path in target.rglob("*"):
        if path.is_file():
            os.utime(path, (stamp, stamp))
    return target


def populate(services, tmp_path: Path) -> dict[str, int]:
    """Imports the samples, then adds what only the other engines would write."""
    import_paths(services, [copy_vault(tmp_path), ASSETS / "sample-chatgpt.json"])
    memory = services.memory
    told = memory.remember("My sister Mia lives in Porto.", at=datetime(2024, 3, 1, 9, 0))
    faded = memory.remember("Bought a blue umbrella.", at=datetime(2024, 1, 3, 18, 0))
    memory.pin(told)
    memory.archive(faded)
    db = services.bank.db()
    first_note = db.execute("SELECT id FROM memories WHERE kind = 'note' ORDER BY id").fetchone()[0]
    with services.bank.write() as w:
        w.execute("UPDATE memories SET embedding = ?, embedding_model = 'fake-hashing' "
                  "WHERE id = ?", [b"\x00\x00\x80\x3f" * 4, first_note])
        cur = w.execute(
            "INSERT INTO summaries (level, period_key, period_start, period_end, text, method, "
            "sources_hash, created_at) VALUES ('month', '2024-03', '2024-03-01T00:00:00', "
            "'2024-04-01T00:00:00', 'March: Porto trip with Mia; back to running.', "
            "'extractive', 'h1', '2024-04-01T03:00:00')")
        month = cur.lastrowid
        w.execute("INSERT INTO summary_sources VALUES (?, 'memory', ?)", [month, told])
        w.execute("INSERT INTO summary_sources VALUES (?, 'memory', ?)", [month, first_note])
        w.execute(
            "INSERT INTO summaries (level, period_key, period_start, period_end, text, method, "
            "sources_hash, created_at, version, is_current) VALUES ('day', '2024-05-19', "
            "'2024-05-19T00:00:00', '2024-05-20T00:00:00', 'Race day.', 'extractive', 'h2', "
            "'2024-05-20T03:00:00', 1, 1)")
        old = w.execute(
            "INSERT INTO profile_facts (subject, attribute, value, category, confidence, evidence, "
            "valid_from, valid_to, recorded_at, superseded_at, status) VALUES ('Mia', 'lives_in', "
            "'Lisbon', 'relationship', 0.6, 'Mia lives in Lisbon', '2020-01-01', '2024-01-31', "
            "'2024-01-02T10:00:00', '2024-03-01T09:00:00', 'closed')").lastrowid
        new = w.execute(
            "INSERT INTO profile_facts (subject, attribute, value, category, confidence, evidence, "
            "valid_from, recorded_at, status, memory_id) VALUES ('Mia', 'lives_in', 'Porto', "
            "'relationship', 0.9, 'My sister Mia lives in Porto.', '2024-02-01', "
            "'2024-03-01T09:00:00', 'active', ?)", [told]).lastrowid
        w.execute("UPDATE profile_facts SET superseded_by = ? WHERE id = ?", [new, old])
        w.execute("INSERT INTO fact_sources VALUES (?, ?, 'My sister Mia lives in Porto.')",
                  [new, told])
    return {"told": told, "faded": faded, "note": first_note, "fact": new}


def fresh_services(root: Path, clock, embedder, model):
    home = root / "other-home"
    bank = create_bank(home, PASSPHRASE, FAST_KDF)
    return build_services(load_settings(home), bank, clock, embedder=embedder, model=model)


def table(services, sql: str) -> list[tuple]:
    return [tuple(r) for r in services.bank.db().execute(sql).fetchall()]


def seed_views(services) -> dict[str, int]:
    """A small, path-free, deterministic bank for the TUI views (fixed clock: 2024-05-01 12:00)."""
    memory = services.memory
    ids = {
        "porto": memory.remember("My sister Mia moved to Porto; her flat looks over the river.",
                                 at=datetime(2024, 4, 12, 18, 30), source="cli"),
        "race": memory.remember("Signed up for the Lisbon half marathon on 19 May.",
                                at=datetime(2024, 4, 16, 8, 15), source="cli", importance=0.9),
        "umbrella": memory.remember("Bought a blue umbrella at the market.",
                                    at=datetime(2024, 4, 3, 17, 0), source="cli"),
        "today": memory.remember("Long lunch with Mia and Rui for the holiday.",
                                 at=datetime(2024, 5, 1, 11, 0), source="cli"),
    }
    memory.archive(ids["umbrella"])
    memory.pin(ids["race"])
    with services.bank.write() as w:
        month = w.execute(
            "INSERT INTO summaries (level, period_key, period_start, period_end, text, method, "
            "sources_hash, created_at) VALUES ('month', '2024-04', '2024-04-01T00:00:00', "
            "'2024-05-01T00:00:00', 'April: Mia settled in Porto; training for the half "
            "marathon began.', 'extractive', 'h', '2024-05-01T03:00:00')").lastrowid
        w.execute("INSERT INTO summary_sources VALUES (?, 'memory', ?)", [month, ids["porto"]])
        old = w.execute(
            "INSERT INTO profile_facts (subject, attribute, value, category, confidence, "
            "evidence, valid_from, valid_to, recorded_at, superseded_at, status) VALUES ('Mia', "
            "'lives in', 'Lisbon', 'relationship', 0.6, 'Mia lives in Lisbon', '2020-01-01', "
            "'2024-03-31', '2024-01-02T10:00:00', '2024-04-12T18:31:00', 'closed')").lastrowid
        fact = w.execute(
            "INSERT INTO profile_facts (subject, attribute, value, category, confidence, "
            "evidence, valid_from, recorded_at, status, memory_id) VALUES ('Mia', 'lives in', "
            "'Porto', 'relationship', 0.85, 'My sister Mia moved to Porto', '2024-04-01', "
            "'2024-04-12T18:31:00', 'active', ?)", [ids["porto"]]).lastrowid
        w.execute("UPDATE profile_facts SET superseded_by = ? WHERE id = ?", [fact, old])
        w.execute("INSERT INTO fact_sources VALUES (?, ?, 'My sister Mia moved to Porto')",
                  [fact, ids["porto"]])
        goal = w.execute(
            "INSERT INTO profile_facts (subject, attribute, value, category, confidence, "
            "evidence, valid_from, recorded_at, status) VALUES ('user', 'goal', "
            "'half marathon under two hours', 'goal', 0.7, 'Signed up for the Lisbon half "
            "marathon', '2024-04-16', '2024-04-16T08:16:00', 'active')").lastrowid
        w.execute("INSERT INTO fact_sources VALUES (?, ?, 'Signed up for the Lisbon half "
                  "marathon')", [goal, ids["race"]])
    ids.update({"month_summary": month, "fact": fact, "old_fact": old, "goal": goal})
    return ids
