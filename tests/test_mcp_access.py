"""Grants, the access log and the inbox, in process against a real encrypted bank."""

from __future__ import annotations

import threading
import time

import pytest

from secondme.jobs import run as run_jobs
from secondme.jobs.runner import JobOptions
from secondme.mcp import tools
from secondme.mcp.access import (
    Busy,
    ClientNotFound,
    McpAccess,
    ProposalNotFound,
    retry_locked,
)
from secondme.mcp.grants import Refused
from storage import unlock_bank
from storage.sqlcipher import IntegrityError, OperationalError

from .conftest import PASSPHRASE


@pytest.fixture
def access(services) -> McpAccess:
    return McpAccess(services)


def test_trust_external_is_accepted_and_other_values_still_refused(services):
    memory_id = services.memory.remember("told by a tool", trust="external")
    assert services.memory.get(memory_id).trust == "external"
    with pytest.raises(IntegrityError):
        services.bank.db().execute(
            "INSERT INTO memories (kind, text, event_at, recorded_at, source, "
            "last_reinforced_at, trust, content_hash) VALUES ('note', 'x', '2024', '2024', 's', "
            "'2024', 'bogus', 'h')")


def test_grant_revoke_and_regrant(access):
    first = access.grant("claude")
    assert first["scopes"] == ["search"] and first["status"] == "active"
    assert access.grant("claude", "search,remember", "30d", 5)["expires_at"] == \
        "2024-05-31T12:00:00"
    assert access.grant("claude")["scopes"] == ["search", "remember"]   # kept on renewal
    assert access.revoke("claude")["status"] == "revoked"
    assert access.grant("claude")["status"] == "active"
    with pytest.raises(ClientNotFound):
        access.revoke("nobody")
    assert [c["name"] for c in access.clients()] == ["claude"]


def test_refused_calls_are_logged_and_nothing_is_read(access):
    access.grant("limited")
    access.grant("gone")
    access.revoke("gone")
    for client, tool, why in [("gone", "search", "revoked"), ("limited", "profile", "scope"),
                              ("nobody", "search", "no access")]:
        with pytest.raises(Refused, match=why):
            access.begin_call(client, tool, "q")
    log = access.log()
    assert [(e["client"], e["outcome"], e["results"]) for e in reversed(log)] == [
        ("gone", "refused", 0), ("limited", "refused", 0), ("nobody", "refused", 0)]


def test_rate_limit_counts_calls_in_the_last_minute(access):
    access.grant("loop", rate=3)
    for _ in range(3):
        access.finish_call(access.begin_call("loop", "search", "x"), results=1)
    with pytest.raises(Refused, match="rate limit"):
        access.begin_call("loop", "search", "x")


def test_remember_lands_in_the_inbox_and_approval_makes_an_external_memory(services, access):
    item = access.propose("claude", "  The owner's dentist is Dr. Quill.  ")
    assert services.memory.count() == 0                    # not a memory yet
    assert access.inbox()[0]["text"] == "The owner's dentist is Dr. Quill."
    memory_id = access.approve(item)
    memory = services.memory.get(memory_id)
    assert (memory.trust, memory.source, memory.kind) == ("external", "mcp:claude", "remember")
    assert memory.source_ref["client"] == "claude" and memory.source_ref["inbox_id"] == item
    assert access.inbox() == []
    # (its vector lands after the approval's transaction commits, as an "embed" entry)
    assert [h["action"] for h in services.memory.history(memory_id)
            if h["action"] != "embed"] == ["create"]
    hits, n = tools.search(services, "dentist Quill")
    assert n == 1 and hits["hits"][0]["trust"] == "external"
    with pytest.raises(ProposalNotFound):
        access.approve(item)


def test_reject_deletes_the_text(services, access):
    item = access.propose("claude", "zqxrejected proposal text")
    access.reject(item)
    assert access.inbox() == []
    assert services.bank.db().execute(
        "SELECT count(*) FROM mcp_inbox WHERE text LIKE '%zqxrejected%'").fetchone()[0] == 0
    with pytest.raises(ProposalNotFound):
        access.reject(item)


def test_proposals_are_bounded(access):
    with pytest.raises(ValueError):
        access.propose("c", "   ")
    with pytest.raises(ValueError):
        access.propose("c", "x" * 5000)


def test_profile_never_takes_external_text_as_evidence(services, access):
    services.memory.remember("I live in Lyon.")
    access.approve(access.propose("claude", "I live in Paris. My name is Mallory."))
    run_jobs(services, "profile", options=JobOptions(use_llm=False))
    facts = services.bank.db().execute("SELECT attribute, value FROM profile_facts").fetchall()
    assert ("lives_in", "Lyon") in [tuple(f) for f in facts]
    assert not [f for f in facts if f[1] in ("Paris", "Mallory")]


def test_retry_locked_waits_out_a_lock_and_never_shows_sqlite_words():
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise OperationalError("database is locked")
        return "done"

    assert retry_locked(flaky, backoff=0.0) == "done"

    def stuck():
        raise OperationalError("database is locked")

    with pytest.raises(Busy) as caught:
        retry_locked(stuck, retries=2, backoff=0.0)
    assert "database is locked" not in str(caught.value)
    with pytest.raises(OperationalError, match="no such table"):
        retry_locked(lambda: (_ for _ in ()).throw(OperationalError("no such table: x")))


def test_a_call_waits_for_another_process_writer(services, access, home):
    access.grant("claude")
    other = unlock_bank(home, PASSPHRASE)        # a second connection, like the TUI's
    held = threading.Event()

    def hold() -> None:
        with other.write():
            held.set()
            time.sleep(0.5)

    writer = threading.Thread(target=hold)
    writer.start()
    held.wait(5)
    started = time.perf_counter()
    log_id = access.begin_call("claude", "search", "x")
    waited = time.perf_counter() - started
    writer.join()
    other.close()
    assert log_id and waited >= 0.3


def test_m006_upgrades_a_bank_made_before_it(tmp_path):
    """An existing bank (schema up to m003) gains trust 'external' without a rebuild."""
    from storage import migrations
    from storage.connection import as_database, connect

    db = as_database(connect(tmp_path / "old.db", bytes(range(32))))
    with db.conn:
        for step in (migrations.m001_core, migrations.m002_memories_embedding_model_index,
                     migrations.m003_profile_fact_method):
            step(db)
        db.execute("INSERT INTO memories (kind, text, event_at, recorded_at, source, "
                   "last_reinforced_at, trust, content_hash) VALUES ('note', 'kept', '2024', "
                   "'2024', 's', '2024', 'user', 'h')")
    with db.conn:
        migrations.m006_mcp(db)
    with db.conn:
        db.execute("INSERT INTO memories (kind, text, event_at, recorded_at, source, "
                   "last_reinforced_at, trust, content_hash) VALUES ('note', 'new', '2024', "
                   "'2024', 's', '2024', 'external', 'h2')")
    assert [r[0] for r in db.execute("SELECT text FROM memories ORDER BY id")] == ["kept", "new"]
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("SELECT count(*) FROM memories_fts WHERE memories_fts MATCH 'new'") \
        .fetchone()[0] == 1
    db.conn.close()
