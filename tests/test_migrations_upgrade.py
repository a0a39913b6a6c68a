"""A bank made at the first schema version opens with today's code, its data intact."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from storage import FAST_KDF, keyfile, migrations, unlock_bank
from storage import memories as memory_rows
from storage import messages as message_rows
from storage.bank import BankPaths
from storage.connection import as_database, connect
from storage.sqlcipher import sqlite_utils

from .conftest import PASSPHRASE

AT = "2024-03-05T10:00:00+00:00"


def _first_version_bank(home: Path) -> None:
    """Only m001, applied by sqlite-utils Migrations on a keyed connection, then some rows."""
    paths = BankPaths(home)
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    dek, db_id = keyfile.new_data_key(), uuid.uuid4().hex
    first = sqlite_utils.migrations.Migrations("secondme")
    first(name="m001_core")(migrations.m001_core)
    conn = connect(paths.db, dek)
    try:
        db = as_database(conn)
        first.apply(db)
        with db.atomic():
            db.execute("INSERT INTO meta(key, value) VALUES ('db_id', ?)", [db_id])
            db.execute("INSERT INTO sessions (id, title, source, started_at, last_active_at) "
                       "VALUES ('s1', 'first chat', 'chat', ?, ?)", [AT, AT])
            db.execute("INSERT INTO messages (session_id, role, text, created_at) "
                       "VALUES ('s1', 'user', 'I adopted a greyhound called Biscuit', ?)", [AT])
            db.execute("INSERT INTO documents (path, kind, content_hash, imported_at) "
                       "VALUES ('/notes/trip.md', 'markdown', 'h', ?)", [AT])
            for kind, text, source, trust, doc in (
                    ("turn", "User: I adopted a greyhound called Biscuit", "chat", "user", None),
                    ("note", "Trip to Lisbon: tram 28 and pastel de nata", "import:markdown",
                     "import", 1)):
                db.execute(
                    "INSERT INTO memories (kind, text, event_at, recorded_at, source, "
                    "session_id, document_id, last_reinforced_at, trust, content_hash) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [kind, text, AT, AT, source, "s1" if kind == "turn" else None, doc, AT,
                     trust, memory_rows.content_hash(text)])
            db.execute("INSERT INTO summaries (level, period_key, period_start, period_end, "
                       "text, method, sources_hash, created_at) VALUES ('day', '2024-03-05', "
                       "'2024-03-05', '2024-03-05', 'A day in Lisbon.', 'extractive', 'x', ?)",
                       [AT])
            db.execute("INSERT INTO summary_sources VALUES (1, 'memory', 2)")
            db.execute("INSERT INTO profile_facts (subject, attribute, value, category, "
                       "confidence, evidence, recorded_at, memory_id) VALUES ('user', 'pet', "
                       "'Biscuit', 'life', 0.9, 'adopted a greyhound', ?, 1)", [AT])
            db.execute("INSERT INTO fact_sources VALUES (1, 1, 'a greyhound called Biscuit')")
            db.execute("INSERT INTO audit_log (at, actor, action, entity, entity_id) "
                       "VALUES (?, 'user', 'create', 'memory', 1)", [AT])
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    envelope = keyfile.wrap(dek, PASSPHRASE, db_id, FAST_KDF)
    keyfile.write_envelope(paths.key, envelope, keep_backup=False)
    keyfile.atomic_write_text(paths.key_backup, envelope.to_json())


def test_a_first_version_bank_upgrades_with_its_data(home):
    _first_version_bank(home)
    with unlock_bank(home, PASSPHRASE) as bank:
        db = bank.db()
        assert migrations.migrations.pending(db) == []
        texts = {m.kind: m.text for m in memory_rows.get_many(db, [1, 2]).values()}
        assert texts == {"turn": "User: I adopted a greyhound called Biscuit",
                         "note": "Trip to Lisbon: tram 28 and pastel de nata"}
        assert [m.text for m in message_rows.session_messages(db, "s1")] == \
            ["I adopted a greyhound called Biscuit"]
        assert [i for i, _ in memory_rows.bm25_search(db, "greyhound")] == [1]
        summary = next(iter(db.query("SELECT text, trust FROM summaries")))
        assert summary == {"text": "A day in Lisbon.", "trust": "import"}   # m005: lowest trust
        fact = next(iter(db.query("SELECT value, method, memory_id FROM profile_facts")))
        assert fact == {"value": "Biscuit", "method": "llm", "memory_id": 1}  # m003 default
        assert db.execute("SELECT count(*) FROM audit_log").fetchone()[0] == 1
        with bank.write() as w:   # m006 widened the trust CHECK in place
            new_id = memory_rows.insert(w, {
                "kind": "remember", "text": "approved by the owner", "event_at": AT,
                "recorded_at": AT, "source": "mcp", "last_reinforced_at": AT,
                "trust": "external", "source_ref": {}, "meta": json.dumps({})})
        assert memory_rows.get(db, new_id).trust == "external"
    with unlock_bank(home, PASSPHRASE) as bank:   # and it opens again, with nothing pending
        assert memory_rows.count(bank.db(), state=None) == 3
