"""The evaluation harness: real ingestion into temporary encrypted banks, three retrievers."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from secondme.evaluation.formats import (
    Conversation,
    Dataset,
    Question,
    Turn,
    load_dataset,
    load_generic,
)
from secondme.evaluation.harness import DenseIndex, evaluate, ingest, work_units
from secondme.memory.embed import embed_pending
from storage import audit
from storage import memories as rows

from .fakes import HashingEmbedder

FIXTURE = Path(__file__).parent / "fixtures" / "locomo_tiny.json"
RETRIEVER_KEYS = {"recall@1", "recall@5", "recall@10", "hit@5", "mrr"}


def _conversation() -> Conversation:
    day1, day2 = datetime(2023, 4, 27), datetime(2023, 5, 2, 9, 30)
    turns = [
        Turn("t1", "Ann: my sister Zoe lives in Porto", day1, "s1"),
        Turn("t2", "Ann: I planted tomatoes and basil in the garden", day1, "s1"),
        Turn("t3", "Ann: the violin recital is on Friday evening", day2, "s2"),
        Turn("t4", "Ann: I adopted a grey kitten called Pixel", day2, "s2"),
    ]
    questions = [
        Question("q1", "where does my sister zoe live", ("t1",), "fact"),
        Question("q2", "what is my kitten called pixel", ("t4",), "fact"),
        Question("q3", "garden tomatoes basil and violin recital", ("t2", "t3"), "multi"),
        Question("q4", "what is my favourite colour", (), "fact"),
    ]
    return Conversation("c1", turns, questions, now=day2)


def test_ingest_takes_the_chat_path(services):
    conversation = _conversation()
    turn_of = ingest(services, conversation)
    assert sorted(turn_of.values()) == ["t1", "t2", "t3", "t4"]
    memories = services.memory.get_many(turn_of)
    for memory_id, memory in memories.items():
        assert memory.kind == "turn"
        assert memory.source_ref == {"dia_id": turn_of[memory_id]}
        assert memory.session_id.startswith("c1/")
        history = audit.history(services.bank.db(), "memory", memory_id)
        assert [h["action"] for h in history] == ["create"]
    by_turn = {m.source_ref["dia_id"]: m for m in memories.values()}
    assert by_turn["t1"].event_at == "2023-04-27T00:00:00"
    assert by_turn["t3"].event_at == "2023-05-02T09:30:00"


def test_embed_pending_embeds_everything_once(unembedded_services, embedder):
    services = unembedded_services
    ingest(services, _conversation())
    assert embed_pending(services.memory, services.embedder(), batch_size=3) == 4
    assert embed_pending(services.memory, services.embedder()) == 0
    assert rows.missing_embeddings(services.bank.db(), embedder.name, 10) == []


def test_dense_index_ranks_by_cosine(services, embedder):
    turn_of = ingest(services, _conversation())
    embed_pending(services.memory, services.embedder())
    index = DenseIndex.load(services, embedder)
    top = index.top(embedder.encode(["grey kitten called Pixel"])[0], 2)
    assert turn_of[top[0]] == "t4" and len(top) == 2


def test_evaluate_scores_three_retrievers_and_leaves_nothing_behind(tmp_path):
    dataset = Dataset("mini", "generic", [_conversation()])
    work = tmp_path / "work"
    work.mkdir()
    seen: list[tuple[int, int | None]] = []
    result = evaluate(dataset, HashingEmbedder(), ks=(1, 5, 10),
                      progress=lambda _stage, done, total: seen.append((done, total)),
                      workdir=work)
    assert list(work.iterdir()) == []                      # the temporary bank is gone
    # The one Progress shape: (stage, done so far, total), ending at done == total.
    assert seen[-1] == (work_units(dataset), work_units(dataset)) == (4 + 4 + 3, 4 + 4 + 3)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
    report = result.report()
    assert report["questions"] == 3 and report["questions_without_evidence"] == 1
    assert set(report["retrievers"]) == {"ours", "bm25", "dense"}
    for name in ("ours", "bm25", "dense"):
        assert set(report["retrievers"][name]) >= RETRIEVER_KEYS
        assert report["retrievers"][name]["recall@10"] == 1.0   # only four memories exist
    # Exact word overlap: BM25 must put the right memory first for the single-fact questions.
    assert report["by_category"]["fact"]["bm25"]["recall@1"] == 1.0
    assert report["by_category"]["multi"]["questions"] == 1


def test_locomo_fixture_end_to_end_with_fakes():
    dataset = load_dataset(FIXTURE)
    result = evaluate(dataset, HashingEmbedder())
    report = result.report()
    assert report["conversations"] == 2 and report["turns"] == 23
    assert report["questions"] == 7                 # categories 1-4 with evidence
    assert report["questions_scored"] == 9          # plus the two adversarial ones
    assert report["questions_without_evidence"] == 2
    assert report["evidence_ids_dropped"] == 1
    assert report["pooled_categories"] == ["1", "2", "3", "4"]
    assert list(report["by_category"]) == ["1", "2", "3", "4", "5"]
    assert report["by_category"]["5"]["pooled"] is False
    assert report["by_category"]["5"]["name"] == "adversarial"
    for name in ("ours", "bm25", "dense"):
        values = report["retrievers"][name]
        assert 0.0 <= values["recall@1"] <= values["recall@5"] <= values["recall@10"] <= 1.0


def test_generic_categories_pool_as_declared():
    doc = {"conversations": [{"id": "x", "sessions": [{"date": "2023-01-01", "turns": [
        {"id": "1", "speaker": "A", "text": "apples are red"},
        {"id": "2", "speaker": "A", "text": "the sky is blue"}]}],
        "questions": [{"question": "what colour are apples", "evidence": ["1"], "category": "a"},
                      {"question": "what colour is the sky", "evidence": ["2"], "category": "b"}],
    }], "pooled_categories": ["a"]}
    report = evaluate(load_generic(doc), HashingEmbedder(), ks=(1,)).report()
    assert report["questions"] == 1 and report["questions_scored"] == 2


def test_variants_search_the_same_memories():
    from secondme.memory.retrieval import FullTextRetriever

    dataset = Dataset("mini", "generic", [_conversation()])
    report = evaluate(dataset, HashingEmbedder(), ks=(1, 5),
                      variants={"fts": lambda services: FullTextRetriever(services.memory)},
                      ablations=True).report()
    assert set(report["retrievers"]) == {"ours", "bm25", "dense"}   # the promised shape stays
    assert report["variants"]["fts"] == report["retrievers"]["bm25"]
    assert "fts" in report["by_category"]["fact"]


def test_bad_k_is_refused():
    with pytest.raises(ValueError, match="positive"):
        evaluate(Dataset("x", "generic", []), HashingEmbedder(), ks=(0, 5))


@pytest.mark.real_model
def test_real_embedder_on_the_locomo_fixture(real_embedder):
    report = evaluate(load_dataset(FIXTURE), real_embedder).report()
    assert report["embedder"] == "all-MiniLM-L6-v2"
    # Paraphrased questions over 15 + 8 turns: meaning-based retrieval finds most evidence.
    assert report["retrievers"]["dense"]["recall@10"] >= 0.8
    assert report["retrievers"]["ours"]["recall@10"] >= 0.8
    assert report["retrievers"]["ours"]["hit@5"] >= report["retrievers"]["bm25"]["hit@5"] - 0.15


@pytest.fixture(scope="module")
def real_embedder():
    from secondme.memory.embeddings import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder()


def test_report_has_session_recall_costs_latency_and_abstention(tmp_path):
    dataset = Dataset("tiny", "generic", [_conversation()])
    report = evaluate(dataset, HashingEmbedder(), ks=(1, 5), workdir=tmp_path).report()
    ours = report["retrievers"]["ours"]
    assert ours["session_recall@5"] == 1.0 and 0.0 <= ours["session_recall@1"] <= 1.0
    assert report["by_category"]["multi"]["ours"]["session_recall@1"] == 0.5  # one of 2 sessions
    (conversation,) = report["per_conversation"]
    assert conversation["id"] == "c1" and conversation["turns"] == 4
    assert conversation["questions"] == 3
    assert {"ingest_s", "embed_s", "search_ours_s"} <= set(conversation)
    assert report["latency_ms"]["queries"] == 3
    assert report["latency_ms"]["p50"] <= report["latency_ms"]["p95"]
    assert report["abstention"]["questions"] == 3 and report["abstention"]["unanswerable"] == 0
