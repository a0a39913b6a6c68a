"""The embed, decay and dedupe jobs."""

from __future__ import annotations

from datetime import datetime

from secondme import jobs
from storage import audit
from storage import jobs as job_rows
from storage import memories as rows


def _run(services, name: str):
    (result,) = jobs.run(services, name)
    assert result.status == "ok", result.error
    return result


def test_embed_gives_every_memory_a_vector(unembedded_services):
    services = unembedded_services
    ids = [services.memory.remember(f"note number {i} about tea") for i in range(5)]
    result = _run(services, "embed")
    assert result.counts["embedded"] == 5
    assert all(m.embedding_model == "fake-hashing" for m in services.memory.get_many(ids).values())
    assert _run(services, "embed").counts["embedded"] == 0


def test_decay_archives_faded_memories(services):
    old = services.memory.remember("a long time ago", at=datetime(2020, 1, 1))
    fresh = services.memory.remember("just now")
    result = _run(services, "decay")
    assert result.counts["archived"] == 1
    assert services.memory.get(old).state == "archived"
    assert services.memory.get(fresh).state == "active"


def test_exact_duplicates_fold_into_the_oldest_with_all_provenance(unembedded_services):
    services = unembedded_services
    first = services.memory.remember("The spare key is under the blue pot.", trust="user",
                                     source="cli")
    second = services.memory.remember("The spare key is under the blue pot.", trust="import",
                                      source="import", kind="remember",
                                      source_ref={"path": "notes/keys.md"})
    other = services.memory.remember("The spare key is under the red pot.")
    result = _run(services, "dedupe")
    assert result.counts["exact"] == 1
    survivor, duplicate = services.memory.get(first), services.memory.get(second)
    assert survivor.state == "active" and survivor.trust == "import"     # lowest trust wins
    (merged,) = survivor.meta["merged_from"]
    assert merged["id"] == second and merged["source_ref"] == {"path": "notes/keys.md"}
    assert merged["trust"] == "import"
    assert duplicate.state == "archived" and duplicate.meta["merged_into"] == first
    assert services.memory.get(other).state == "active"
    actions = [e["action"] for e in audit.history(services.bank.db(), "memory", second)]
    assert "merged_into" in actions and "archive" in actions
    # idempotent: nothing more to do, and the duplicate is never a candidate again
    assert _run(services, "dedupe").counts["exact"] == 0


def test_near_duplicates_by_cosine_same_kind_only(services):
    a = services.memory.remember("I walked the dog in the park this morning.", kind="turn")
    b = services.memory.remember("I walked the dog in the park this morning!", kind="turn")
    c = services.memory.remember("I walked the dog in the park this morning", kind="remember")
    result = _run(services, "dedupe")
    assert result.counts["near"] == 1 and result.counts["exact"] == 0
    assert services.memory.get(b).meta["merged_into"] == a
    assert services.memory.get(c).state == "active"        # different kind: kept apart
    mark = job_rows.get_watermark(services.bank.db(), "dedupe")
    assert mark["last_id"] == c and mark["near_id"] == c


def test_near_watermark_waits_for_memories_without_vectors(services, unembedded_services):
    a = services.memory.remember("Lunch with Sam at the noodle bar.")
    unembedded_services.memory.remember("Lunch with Sam at the noodle bar!")  # no vector yet
    _run(services, "dedupe")
    assert job_rows.get_watermark(services.bank.db(), "dedupe")["near_id"] == a
    _run(services, "embed")
    result = _run(services, "dedupe")
    assert result.counts["near"] == 1


def test_summaries_and_facts_are_never_deduplicated(services):
    for _ in range(2):
        services.memory.remember("Week 1: quiet.", kind="summary", trust="derived",
                                 source="summarize")
    assert _run(services, "dedupe").counts["checked"] == 0
    assert rows.count(services.bank.db()) == 2
