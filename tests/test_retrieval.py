"""Hybrid retrieval: fusion, retention and time weighting, safety, forgetting."""

from __future__ import annotations

import inspect
import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from secondme.clock import Clock, parse_when
from secondme.config import load_settings
from secondme.memory.retrieval import Hit, HybridRetriever, RetrievalParams, Scores
from secondme.memory.service import MemoryService
from secondme.services import build_services

from .fakes import HashingEmbedder
from .retrieval_cases import CASES, MEMORIES, NOW, real_embedder

HOSTILE = [
    '"', '""', "'", "NEAR(", "NEAR(a b", "a NEAR/3 b", "*", "run*", "-", "-run", "a - b",
    "AND", "OR NOT", "(", ")", "{a}", "col:run", "^run", "memories_fts MATCH x",
    "'; DROP TABLE memories; --", "🙂", "🏃‍♀️ 5 km", "\x00", "\ud800", "日本語のメモ", " ",
    "a" * 5000, " ".join(["run"] * 500), "%", "_", "\\", "[x]", "\n\t",
]


def ids_of(hits: list[Hit]) -> list[int]:
    return [h.memory.id for h in hits]


def test_contract_signature():
    params = inspect.signature(HybridRetriever.search).parameters
    assert list(params) == ["self", "query", "k", "include_archived", "mode", "kinds"]
    assert params["k"].default == 8 and params["include_archived"].default is False
    assert params["mode"].default == "hybrid" and params["kinds"].default is None
    assert all(params[p].kind is inspect.Parameter.KEYWORD_ONLY
               for p in ("k", "include_archived", "mode", "kinds"))


def test_services_hand_out_the_hybrid_retriever(services):
    assert isinstance(services.retriever(), HybridRetriever)
    assert services.retriever() is services.retriever()


def test_hits_carry_scores_and_provenance(services):
    memory_id = services.memory.remember("My sister Ana lives in Porto", source="cli",
                                         source_ref={"file": "notes.md"},
                                         at=datetime(2024, 4, 20))
    hits = services.retriever().search("where does Ana live")
    assert ids_of(hits) == [memory_id]
    hit = hits[0]
    assert hit.rank == 1 and hit.reasons
    s = hit.scores
    assert isinstance(s, Scores)
    assert s.bm25 > 0 and 0 < s.cosine <= 1 and 0 < s.fused <= 1
    assert 0 < s.retention < 1 and s.time_match == 0.0 and s.final > 0
    assert hit.memory.source == "cli" and hit.memory.source_ref == {"file": "notes.md"}
    assert hit.memory.event_at == "2024-04-20T00:00:00"
    public = json.loads(json.dumps(hit.to_public()))
    assert set(public["scores"]) == {"bm25", "cosine", "fused", "retention", "time_match",
                                     "final", "evidence"}


def test_every_kind_is_searched_and_kinds_filter(services):
    kinds = {}
    for kind, trust in (("turn", "user"), ("note", "import"), ("remember", "user"),
                        ("summary", "derived"), ("fact", "derived")):
        kinds[kind] = services.memory.remember(f"porto {kind} entry", kind=kind, trust=trust)
    from secondme.memory.embed import embed_pending

    embed_pending(services.memory, services.embedder())  # notes are embedded by the job, not on write
    retriever = services.retriever()
    for mode in ("hybrid", "bm25", "dense"):
        assert set(ids_of(retriever.search("porto", k=10, mode=mode))) == set(kinds.values())
    only = retriever.search("porto", k=10, kinds=["summary", "fact"])
    assert set(ids_of(only)) == {kinds["summary"], kinds["fact"]}


def test_archived_only_when_asked(services):
    memory_id = services.memory.remember("the blue folder holds my passport")
    services.memory.archive(memory_id)
    retriever = services.retriever()
    for mode in ("hybrid", "bm25", "dense"):
        assert memory_id not in ids_of(retriever.search("passport folder", mode=mode))
        found = retriever.search("passport folder", mode=mode, include_archived=True)
        assert memory_id in ids_of(found)
        assert "archived" in found[0].reasons


def test_unembedded_memories_are_still_found_by_keywords(unembedded_services):
    services = unembedded_services
    memory_id = services.memory.remember("imported chunk about sourdough starters",
                                         kind="note", trust="import")
    hits = services.retriever().search("sourdough")
    assert ids_of(hits) == [memory_id] and hits[0].scores.cosine is None


def test_no_embedder_at_all_means_keywords_only(services):
    memory_id = services.memory.remember("tulip-88 is the wifi password")
    retriever = HybridRetriever(services.memory, None)
    assert ids_of(retriever.search("tulip-88")) == [memory_id]
    assert retriever.search("tulip-88", mode="dense") == []


def test_bad_arguments(services):
    retriever = services.retriever()
    with pytest.raises(ValueError, match="mode"):
        retriever.search("x", mode="fuzzy")
    assert retriever.search("x", k=0) == []
    assert retriever.search("   ") == []
    with pytest.raises(ValueError):
        RetrievalParams(fusion="magic")
    with pytest.raises(ValueError):
        RetrievalParams(retention_floor=2)


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_queries_are_safe(services, query):
    services.memory.remember('she said "run" - NEAR the * sign 🙂 (a) {b} col:run')
    retriever = services.retriever()
    for mode in ("hybrid", "bm25", "dense"):
        hits = retriever.search(query, mode=mode, include_archived=True)
        assert isinstance(hits, list)
    assert services.memory.count() == 1  # nothing was dropped or altered


def test_hostile_queries_still_match_their_words(services):
    memory_id = services.memory.remember("I went for a run near the river")
    for query in ('"run', "NEAR(run river", "run*", "-run", "river)", "🏃 run"):
        assert memory_id in ids_of(services.retriever().search(query, mode="bm25")), query


# -- retention weighting ---------------------------------------------------------

def test_equal_relevance_prefers_the_fresher_memory(services):
    old = services.memory.remember("my dentist is Dr. Lee", at=datetime(2024, 3, 25))
    new = services.memory.remember("my dentist is Dr. Silva", at=datetime(2024, 4, 29))
    hits = services.retriever().search("who is my dentist")
    assert ids_of(hits)[:2] == [new, old]
    assert hits[0].scores.retention > hits[1].scores.retention


def test_floor_keeps_a_clearly_relevant_faded_memory_on_top(unembedded_services):
    services = unembedded_services
    old = services.memory.remember("passport expires August 2025, renewal form in the folder",
                                   at=datetime(2024, 3, 22))
    fresh = services.memory.remember("bought pens today", at=datetime(2024, 5, 1))
    r_old = services.memory.retention_of(services.memory.get(old))
    assert services.memory.decay.threshold < r_old < 0.1  # faded, not yet archived
    hits = services.retriever().search("when does my passport expire and where is the form")
    assert ids_of(hits)[0] == old and fresh not in ids_of(hits)
    no_floor = HybridRetriever(services.memory, services.embedder(),
                               params=RetrievalParams(retention_floor=0.0))
    assert no_floor.search("passport form", k=1)[0].scores.final < hits[0].scores.final


def test_pinned_memories_do_not_fade_in_ranking(services):
    old = services.memory.remember("my dentist is Dr. Lee", at=datetime(2024, 3, 1))
    new = services.memory.remember("my dentist is Dr. Silva", at=datetime(2024, 4, 29))
    services.memory.pin(old)
    hits = services.retriever().search("who is my dentist")
    assert ids_of(hits)[:2] == [old, new]
    assert hits[0].scores.retention == 1.0 and "pinned" in hits[0].reasons


def test_retention_is_reported_for_the_search_time(services):
    memory_id = services.memory.remember("quarterly report due", at=datetime(2024, 4, 24))
    later = MemoryService(services.bank, Clock(NOW + timedelta(days=7)), services.memory.decay)
    now_r = services.retriever().search("report")[0].scores.retention
    later_r = HybridRetriever(later, services.embedder()).search("report")[0].scores.retention
    assert later_r < now_r
    assert services.memory.get(memory_id).recall_count == 0  # searching is not using


# -- time-aware ----------------------------------------------------------------------

def test_time_windows_pick_the_right_day(services):
    ids = {}
    for day in (1, 2, 10, 30):
        at = NOW - timedelta(days=day)
        ids[day] = services.memory.remember("went for a run in the park", at=at)
    retriever = services.retriever()
    assert ids_of(retriever.search("my run yesterday"))[0] == ids[1]
    assert ids_of(retriever.search("the day before yesterday, my run"))[0] == ids[2]
    top = retriever.search(f"run on {(NOW - timedelta(days=10)):%B} "
                           f"{(NOW - timedelta(days=10)).day}")[0]
    assert top.memory.id == ids[10] and top.scores.time_match == 1.0
    assert "happened" in " ".join(top.reasons)


def test_time_only_question_finds_what_happened_then(services):
    then = services.memory.remember("Cooked a mushroom risotto", at=datetime(2024, 4, 30, 19))
    services.memory.remember("Cooked pasta with friends", at=datetime(2024, 4, 20, 19))
    hits = services.retriever().search("what did I do yesterday")
    assert ids_of(hits)[0] == then and hits[0].scores.time_match == 1.0


def test_named_month_and_year(services):
    may23 = services.memory.remember("visited grandma and planted tomatoes",
                                     at=datetime(2023, 5, 14))
    may24 = services.memory.remember("visited grandma and played cards",
                                     at=datetime(2024, 4, 28))
    retriever = services.retriever()
    assert ids_of(retriever.search("visiting grandma in May 2023"))[0] == may23
    assert ids_of(retriever.search("visiting grandma last week"))[0] == may24


def test_relative_words_are_not_keywords(unembedded_services):
    services = unembedded_services
    said = services.memory.remember("yesterday was a long day", at=datetime(2024, 4, 10))
    did = services.memory.remember("long walk by the sea", at=datetime(2024, 4, 30, 10))
    hits = services.retriever().search("long walk yesterday", mode="bm25")
    assert ids_of(hits)[0] == did and said not in ids_of(hits)[:1]


# -- forgetting leaves no trace ------------------------------------------------------

def test_forget_leaves_no_trace(services):
    db = services.bank.db()
    canary = "zanzibarcanary lives in the blue folder"
    memory_id = services.memory.remember(canary)
    keep = services.memory.remember("an unrelated memory about tea")
    with services.bank.write() as w:
        w.execute("INSERT INTO summaries (level, period_key, period_start, period_end, text, "
                  "method, sources_hash, created_at) VALUES ('day', '2024-05-01', "
                  "'2024-05-01', '2024-05-02', 'a day', 'test', 'h', '2024-05-01T12:00:00')")
        summary_id = w.execute("SELECT max(id) FROM summaries").fetchone()[0]
        w.execute("INSERT INTO summary_sources VALUES (?, 'memory', ?), (?, 'memory', ?)",
                  [summary_id, memory_id, summary_id, keep])
        w.execute("INSERT INTO profile_facts (subject, attribute, value, category, confidence, "
                  "evidence, recorded_at) VALUES ('user', 'folder', 'blue', 'habit', 0.9, "
                  "'zanzibarcanary', '2024-05-01T12:00:00')")
        fact_id = w.execute("SELECT max(id) FROM profile_facts").fetchone()[0]
        w.execute("INSERT INTO fact_sources VALUES (?, ?, ?)", [fact_id, memory_id, canary])
    retriever = services.retriever()
    assert ids_of(retriever.search("zanzibarcanary")) == [memory_id]  # index built, has it

    services.memory.edit(memory_id, canary + " (edited)")
    removed = services.memory.forget(memory_id)
    assert removed["memory"] == 1 and removed["fact_evidence"] == 1
    assert removed["summaries"] == 1 and removed["facts"] == 1   # left without its source

    assert db.execute("SELECT count(*) FROM memories WHERE id = ?", [memory_id]).fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM memories_fts WHERE memories_fts MATCH "
                      "'zanzibarcanary'").fetchone()[0] == 0
    segments = b"".join(r[0] or b"" for r in db.execute("SELECT block FROM memories_fts_data"))
    assert b"zanzibarcanar" not in segments  # not even in FTS segments awaiting a merge
    assert db.execute("SELECT source_id FROM summary_sources").fetchall() == []  # rebuilt later
    assert db.execute("SELECT count(*) FROM fact_sources WHERE memory_id = ?",
                      [memory_id]).fetchone()[0] == 0
    audit = db.execute("SELECT action, coalesce(before, ''), coalesce(after, ''), "
                       "coalesce(note, '') FROM audit_log WHERE entity = 'memory' AND "
                       "entity_id = ?", [memory_id]).fetchall()
    assert audit and audit[-1][0] == "forget"
    assert all("zanzibar" not in " ".join(row) for row in audit)
    for mode in ("hybrid", "bm25", "dense"):
        assert memory_id not in ids_of(retriever.search("zanzibarcanary", mode=mode,
                                                        include_archived=True))
    assert retriever.index.vector(memory_id) is None


# -- the labeled set ---------------------------------------------------------------------

def load_cases(services) -> dict[str, int]:
    return {key: services.memory.remember(text, at=parse_when(at))
            for key, (text, at) in MEMORIES.items()}


def rank_of(retriever, case, ids, mode, k):
    ranked = ids_of(retriever.search(case.query, k=k, mode=mode))
    target = ids[case.answer]
    return ranked.index(target) + 1 if target in ranked else None


def test_fusion_recovers_what_each_signal_misses_fake_embedder(bank, home):
    """Deterministic version: a hashing embedder whose 'synonyms' play the role of meaning."""
    embedder = HashingEmbedder(dim=256, synonyms={"pets": "kitten", "pet": "kitten",
                                                  "sibling": "sister", "living": "moved"})
    services = build_services(load_settings(home), bank, Clock(NOW), embedder=embedder)
    ids = {
        "kitten": services.memory.remember("We adopted a kitten called Miso",
                                           at=datetime(2024, 4, 20)),
        "code": services.memory.remember(
            "Garden shed: the lock code is 4471, spare key under the blue pot, mower inside",
            at=datetime(2024, 4, 20)),
        "sister": services.memory.remember("My sister Ana moved to Porto",
                                           at=datetime(2024, 4, 20)),
    }
    for text in ("Which lock? The lock on the door.", "Lock the lock, lock it",
                 "The bike lock is red", "Which lock is which?", "The lock has a code? Which lock?"):
        services.memory.remember(text, at=datetime(2024, 4, 20))
    retriever = services.retriever()
    code_query = "which lock has code 4471"
    assert ids["code"] not in ids_of(retriever.search(code_query, k=2, mode="dense"))
    assert ids_of(retriever.search(code_query, k=2, mode="bm25"))[0] == ids["code"]
    assert ids["code"] in ids_of(retriever.search(code_query, k=2))
    pet_query = "do I have pets"
    assert ids["kitten"] not in ids_of(retriever.search(pet_query, k=2, mode="bm25"))
    assert ids["kitten"] in ids_of(retriever.search(pet_query, k=2))


@pytest.mark.real_model
def test_labeled_set_with_the_real_embedder(bank, home):
    services = build_services(load_settings(home), bank, Clock(NOW), embedder=real_embedder(),
                              embed_on_write=False)
    ids = load_cases(services)
    from secondme.memory.embed import embed_pending

    assert embed_pending(services.memory, services.embedder()) == len(MEMORIES)
    retriever = services.retriever()
    k = 3
    ranks = {mode: {c.query: rank_of(retriever, c, ids, mode, k) for c in CASES}
             for mode in ("hybrid", "bm25", "dense")}
    hit = {mode: sum(r is not None for r in ranks[mode].values()) for mode in ranks}
    # paraphrases BM25 cannot see, found by the fusion
    assert any(ranks["bm25"][q] is None and ranks["hybrid"][q] for q in ranks["hybrid"]), ranks
    assert hit["hybrid"] > hit["bm25"]
    assert hit["hybrid"] >= 0.8 * len(CASES), ranks["hybrid"]
    exact = [c for c in CASES if c.kind == "lexical"]
    assert all(ranks["hybrid"][c.query] == 1 for c in exact), ranks["hybrid"]
    time_cases = [c for c in CASES if c.kind == "time"]
    assert sum(ranks["hybrid"][c.query] == 1 for c in time_cases) >= 0.7 * len(time_cases)


DEVSET = Path(__file__).resolve().parents[1] / "assets" / "devset" / "memorybank_en.json"


@pytest.mark.real_model
@pytest.mark.skipif(not DEVSET.exists(), reason="dev set not present")
def test_fusion_beats_each_signal_on_real_annotated_chats(tmp_path):
    """Two users of the annotated MemoryBank dev set: each signal alone misses evidence that
    the fusion finds (k = 3), and the fusion finds at least as much as either."""
    from secondme.evaluation.formats import load_dataset
    from secondme.memory.embed import embed_pending
    from storage import FAST_KDF, create_bank

    dataset = load_dataset(DEVSET)
    conversations = [c for c in dataset.conversations if c.id.strip() in ("Jason", "Jack")]
    assert len(conversations) == 2
    found = {"hybrid": 0, "bm25": 0, "dense": 0}
    bm25_missed = dense_missed = 0
    for n, conversation in enumerate(conversations):
        bank = create_bank(tmp_path / f"b{n}", "pw", FAST_KDF)
        services = build_services(load_settings(tmp_path / f"b{n}"), bank,
                                  Clock(conversation.now), embedder=real_embedder(),
                                  embed_on_write=False)
        try:
            turn = {t.id: services.memory.remember(t.text, at=t.at, kind="turn", source="chat")
                    for t in conversation.turns}
            embed_pending(services.memory, services.embedder())
            retriever = services.retriever()
            for question in conversation.questions:
                if not question.evidence:
                    continue
                gold = {turn[e] for e in question.evidence}
                got = {mode: bool(gold & set(ids_of(retriever.search(question.text, k=3,
                                                                      mode=mode))))
                       for mode in found}
                for mode in found:
                    found[mode] += got[mode]
                bm25_missed += got["hybrid"] and not got["bm25"]
                dense_missed += got["hybrid"] and not got["dense"]
        finally:
            services.close()
    assert bm25_missed >= 1 and dense_missed >= 1, (found, bm25_missed, dense_missed)
    assert found["hybrid"] >= max(found["bm25"], found["dense"]), found


def test_near_stopwords_are_pruned_in_large_banks(unembedded_services, monkeypatch):
    from storage import memories as rows

    services = unembedded_services
    for i in range(30):
        services.memory.remember(f"really a common day number {i}")
    rare = services.memory.remember("really rare zephyr sighting")
    db = services.bank.db()
    monkeypatch.setattr(rows, "PRUNE_FROM_MEMORIES", 10)
    assert rows.prune_common_terms(db, rows.fts_query("really zephyr")) == '"zephyr"'
    assert rows.prune_common_terms(db, rows.fts_query("really common")) in ('"really"',
                                                                            '"common"')
    assert rows.bm25_search(db, "really zephyr", limit=5)[0][0] == rare
    monkeypatch.setattr(rows, "PRUNE_FROM_MEMORIES", 10_000)
    assert rows.prune_common_terms(db, rows.fts_query("really zephyr")) == '"really" OR "zephyr"'
