"""One write path for facts: each operation keeps the fact's memory, recall, FTS and audit in step."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from secondme.clock import Clock
from secondme.config import load_settings
from secondme.consolidation.profile.builder import ProfileBuilder
from secondme.consolidation.profile.facts import CORRECTION, FactNotFound, ProfileFacts
from secondme.conversation.context import load_profile_facts
from secondme.memory.service import MemoryNotFound
from secondme.services import build_services
from secondme.views.profile import profile_view
from storage import facts as fact_rows
from storage import memories as memory_rows

from .fakes import FakeModel, HashingEmbedder

NOW = datetime(2024, 5, 8, 9, 0)


@pytest.fixture
def svc(bank, home):
    services = build_services(load_settings(home, user_name="Ana"), bank, Clock(NOW),
                              embedder=HashingEmbedder(), model=FakeModel())
    yield services
    services.retriever().close()


def said(svc, text, when):
    return svc.memory.remember(f"Ana: {text}\nSecond Me: Noted!", kind="turn", at=when,
                               source="chat")


def build(svc):
    return ProfileBuilder(svc, use_llm=False).run()


def only(svc, attribute, history=False):
    return [f for f in profile_view(svc, history=history) if f["attribute"] == attribute]


def bm25_ids(svc, query, include_archived=False):
    return {i for i, _ in memory_rows.bm25_search(svc.bank.db(), query,
                                                   include_archived=include_archived)}


def recalled(svc, query, include_archived=False):
    hits = svc.retriever().search(query, k=20, include_archived=include_archived)
    return {h.memory.id: h for h in hits}


def audit_text(svc) -> str:
    """Everything the audit log holds, as one string (to look for plaintext in it)."""
    rows = svc.bank.db().query("SELECT before, after, note FROM audit_log")
    return json.dumps([dict(r) for r in rows], ensure_ascii=False)


# The TUI's profile screen and the CLI both call ProfileFacts: one write path.
CORRECT = {"service": lambda svc, fid, value: ProfileFacts(svc).correct(fid, value)}
DELETE = {"service": lambda svc, fid: ProfileFacts(svc).delete(fid)}


# -- correct ----------------------------------------------------------------------------------
@pytest.mark.parametrize("way", sorted(CORRECT))
def test_a_correction_is_recalled_as_current_and_the_old_value_only_as_past(svc, way):
    said(svc, "I live in Lyon.", datetime(2024, 3, 1, 10))
    build(svc)
    (lyon,) = only(svc, "lives_in")
    new_id = CORRECT[way](svc, lyon["id"], "Porto")

    old = fact_rows.get(svc.bank.db(), lyon["id"])
    new = fact_rows.get(svc.bank.db(), new_id)
    assert old["status"] == "closed" and old["superseded_by"] == new_id
    assert (new["value"], new["status"], new["trust"], new["method"], new["confidence"]) == \
        ("Porto", "active", "user", CORRECTION, 1.0)
    # The old value's memory is past (archived), the new value has its own current memory.
    old_memory = svc.memory.get(lyon["memory_id"])
    assert old_memory.state == "archived"
    new_memory = svc.memory.get(new["memory_id"])
    assert (new_memory.text, new_memory.state, new_memory.kind, new_memory.trust) == \
        ("Ana lives in Porto.", "active", "fact", "user")
    # Recall and FTS: current recall finds Porto, never Lyon's fact; Lyon only as past.
    current = recalled(svc, "where do I live")
    assert new_memory.id in current and old_memory.id not in current
    assert old_memory.id not in bm25_ids(svc, "Lyon")
    assert new_memory.id in bm25_ids(svc, "Porto")
    past = recalled(svc, "Lyon", include_archived=True)
    assert "archived" in past[old_memory.id].reasons
    assert load_profile_facts(svc.bank.db(), "Ana") == ["Ana — lives in: Porto"]
    # Audit: the old fact was closed by the correction, the new one created by the person.
    old_log = svc.bank.db().query("SELECT actor, action, note FROM audit_log WHERE entity = "
                                  "'fact' AND entity_id = ? ORDER BY id", [lyon["id"]])
    assert [tuple(r.values()) for r in old_log][-1] == ("user", "close", "corrected by the user")
    new_log = list(svc.bank.db().query("SELECT actor, action, after FROM audit_log WHERE "
                                       "entity = 'fact' AND entity_id = ?", [new_id]))
    assert [(r["actor"], r["action"]) for r in new_log] == [("user", "create")]
    assert json.loads(new_log[0]["after"])["value"] == "Porto"
    # (its vector lands after the fact's transaction commits, as an "embed" entry)
    assert [h["action"] for h in svc.memory.history(old_memory.id)
            if h["action"] != "embed"] == ["create", "archive"]


def test_the_next_profile_run_keeps_the_correction_and_not_the_old_value(svc):
    said(svc, "I live in Lyon.", datetime(2024, 3, 1, 10))
    build(svc)
    (lyon,) = only(svc, "lives_in")
    new_id = ProfileFacts(svc).correct(lyon["id"], "Porto")
    said(svc, "I like tea.", datetime(2024, 5, 2, 10))
    counts = build(svc)
    assert counts.redacted == 0
    (porto,) = only(svc, "lives_in")
    assert (porto["id"], porto["value"]) == (new_id, "Porto")
    assert svc.memory.get(porto["memory_id"]).state == "active"
    # Words said before the correction (a diary line processed late) don't undo it.
    said(svc, "I live in Lyon, and honestly I love it.", datetime(2024, 4, 1, 10))
    counts = build(svc)
    assert [f["value"] for f in only(svc, "lives_in")] == ["Porto"]
    assert counts.reasons.get("corrected by the user") == 1
    assert counts.created == 0
    # A new statement after the correction is the person's new word: it counts.
    said(svc, "I moved to Lyon again.", datetime(2024, 5, 9, 10))
    build(svc)
    assert [f["value"] for f in only(svc, "lives_in")] == ["Lyon"]


def test_correcting_a_past_value_keeps_it_past(svc):
    said(svc, "I live in Lyon.", datetime(2024, 3, 1, 10))
    said(svc, "I moved to Porto.", datetime(2024, 4, 1, 10))
    build(svc)
    (lyon,) = [f for f in only(svc, "lives_in", history=True) if f["status"] == "closed"]
    new_id = ProfileFacts(svc).correct(lyon["id"], "Lyon-Villeurbanne")
    new = fact_rows.get(svc.bank.db(), new_id)
    assert new["status"] == "closed" and new["valid_to"] == lyon["valid_to"]
    assert svc.memory.get(new["memory_id"]).state == "archived"
    assert [f["value"] for f in only(svc, "lives_in")] == ["Porto"]


def test_correct_and_delete_refuse_unknown_ids_and_empty_values(svc):
    facts = ProfileFacts(svc)
    with pytest.raises(FactNotFound):
        facts.correct(99, "Porto")
    with pytest.raises(FactNotFound):
        facts.delete(99)
    said(svc, "I live in Lyon.", datetime(2024, 3, 1, 10))
    build(svc)
    (lyon,) = only(svc, "lives_in")
    with pytest.raises(ValueError):
        facts.correct(lyon["id"], "   ")
    assert facts.correct(lyon["id"], "Lyon") == lyon["id"]       # nothing to correct


# -- delete -----------------------------------------------------------------------------------
@pytest.mark.parametrize("way", sorted(DELETE))
def test_a_deleted_fact_is_not_searchable_anywhere(svc, way):
    said(svc, "I work as a nurse.", datetime(2024, 3, 1, 10))
    build(svc)
    (nurse,) = only(svc, "job")
    zoo = ProfileFacts(svc).correct(nurse["id"], "zookeeper")
    zoo_memory = fact_rows.get(svc.bank.db(), zoo)["memory_id"]
    assert zoo_memory in bm25_ids(svc, "zookeeper") and zoo_memory in recalled(svc, "zookeeper")

    DELETE[way](svc, zoo)
    DELETE[way](svc, nurse["id"])
    assert fact_rows.get(svc.bank.db(), zoo) is None
    for memory_id in (zoo_memory, nurse["memory_id"]):
        with pytest.raises(MemoryNotFound):
            svc.memory.get(memory_id)
    # Nothing of the corrected value is left: not in FTS, hybrid recall, facts or audit.
    assert bm25_ids(svc, "zookeeper", include_archived=True) == set()
    assert not any("zookeeper" in h.memory.text
                   for h in recalled(svc, "zookeeper", include_archived=True).values())
    assert "zookeeper" not in json.dumps(profile_view(svc, history=True))
    assert "zookeeper" not in audit_text(svc)
    # The derived "Ana works as nurse." is gone too; the person's own words stay.
    assert nurse["memory_id"] not in recalled(svc, "nurse", include_archived=True)
    assert nurse["memory_id"] not in bm25_ids(svc, "nurse", include_archived=True)
    assert bm25_ids(svc, "nurse") == {nurse["sources"][0]["memory_id"]}
    log = svc.bank.db().query("SELECT action, before, after, note FROM audit_log WHERE "
                              "entity = 'fact' AND entity_id = ? ORDER BY id", [nurse["id"]])
    *earlier, last = [dict(r) for r in log]
    assert last["action"] == "delete" and "nurse" not in json.dumps(last)
    assert all(r["before"] is None and r["after"] is None for r in earlier)
    assert [h["action"] for h in svc.memory.history(nurse["memory_id"])][-1] == "forget"


def test_a_deleted_fact_is_not_made_again_by_the_next_run(svc):
    said(svc, "I work as a nurse.", datetime(2024, 3, 1, 10))
    build(svc)
    (nurse,) = only(svc, "job")
    ProfileFacts(svc).delete(nurse["id"])
    build(svc)
    assert only(svc, "job", history=True) == []


# -- redact -----------------------------------------------------------------------------------
def test_redacting_an_orphan_forgets_its_memory_and_its_audit_text(svc):
    source = said(svc, "I live in Lyon.", datetime(2024, 3, 1, 10))
    build(svc)
    (lyon,) = only(svc, "lives_in")
    svc.memory.forget(source)          # forgetting redacts the fact it leaves without evidence
    assert ProfileFacts(svc).redact_orphans(actor="test") == []
    (gone,) = only(svc, "lives_in", history=True)
    assert (gone["value"], gone["evidence"], gone["status"]) == \
        ("[forgotten]", "[forgotten]", "closed")
    with pytest.raises(MemoryNotFound):
        svc.memory.get(lyon["memory_id"])
    assert "Lyon" not in audit_text(svc)
    assert bm25_ids(svc, "Lyon", include_archived=True) == set()
