"""The "nothing relevant" verdict on a search result."""

from __future__ import annotations

import json

import pytest

from secondme.evaluation.harness import abstention_report
from secondme.memory.abstention import OTHER_SPEAKER, THRESHOLD, Recall, judge, someone_else
from secondme.memory.retrieval import Hit, Scores
from storage.records import Memory

from .cli_runner import run


def hit(cosine: float | None) -> Hit:
    memory = Memory.__new__(Memory)   # scores are all the verdict reads
    return Hit(memory, Scores(cosine=cosine, final=1.0))


def said(text: str, fused: float, cosine: float = 0.6) -> Hit:
    memory = Memory(id=0, kind="turn", text=text, event_at="", recorded_at="", source="chat",
                    source_ref={}, session_id=None, document_id=None, importance=0.5,
                    strength=1.0, last_reinforced_at="", recall_count=0, state="active",
                    pinned=False, trust="user", content_hash="", embedding_model=None)
    return Hit(memory, Scores(cosine=cosine, fused=fused, final=fused))


RACE = [said("Caroline: I ran the charity race for mental health", 1.0),
        said("Caroline: The race made me realize self-care matters", 0.8),
        said("Melanie: Wow, proud of you!", 0.3)]


def test_no_hits_is_nothing_relevant():
    assert judge([]) == Recall(0.0, True)


def test_weak_meaning_match_is_nothing_relevant_strong_is_not():
    weak = judge([hit(THRESHOLD - 0.05), hit(0.1)])
    strong = judge([hit(0.2), hit(0.7)])
    assert weak.nothing_relevant and not strong.nothing_relevant
    assert 0.0 <= weak.confidence < strong.confidence == 1.0


def test_keyword_only_hits_count_as_relevant():
    verdict = judge([hit(None)])
    assert not verdict.nothing_relevant and 0 < verdict.confidence < 1


def test_only_the_top_hits_speak():
    assert judge([hit(0.1)] * 3 + [hit(0.9)]).nothing_relevant


def test_public_form_is_json():
    assert json.loads(json.dumps(judge([hit(0.5)]).to_public())) == {
        "confidence": 0.7, "nothing_relevant": False}


def test_abstention_report_precision_and_recall():
    rows = [("5", 0.1, True), ("5", 0.9, False), ("1", 0.2, True), ("4", 0.8, False)]
    report = abstention_report(rows)
    assert report["precision"] == 0.5 and report["recall"] == 0.5
    assert report["false_alarm_rate"] == 0.5 and report["unanswerable"] == 2


def test_search_json_says_whether_anything_relevant(home):
    env = {"SECONDME_HOME": str(home), "SECONDME_PASSPHRASE": "pw",
           "SECONDME_NOW": "2024-05-01T12:00:00"}
    run(["init"], env)
    run(["remember", "My umbrella is in the blue car", "--json"], env)
    found = json.loads(run(["search", "umbrella", "--json", "--mode", "bm25"], env).stdout)
    missing = json.loads(run(["search", "volcano", "--json", "--mode", "bm25"], env).stdout)
    assert found["hits"] and found["nothing_relevant"] is False and found["confidence"] > 0
    assert missing == {**missing, "hits": [], "nothing_relevant": True, "confidence": 0.0}


def test_someone_else_is_the_share_of_relevance_said_by_others():
    assert someone_else("What did Melanie realize after the race?", RACE) == \
        pytest.approx(1.8 / 2.1)
    assert someone_else("What did Caroline realize after the race?", RACE) == \
        pytest.approx(0.3 / 2.1)
    # nobody the question names speaks in the hits (or nobody speaks at all): no signal
    assert someone_else("What did Ben realize?", RACE) is None
    assert someone_else("What did Ben realize?", [said("race day", 1.0)]) is None


def test_hits_about_someone_else_are_nothing_relevant():
    wrong = judge(RACE, query="What did Melanie realize after the charity race?")
    right = judge(RACE, query="What did Caroline realize after the charity race?")
    assert wrong.nothing_relevant and not right.nothing_relevant
    assert wrong.confidence < right.confidence
    assert not judge(RACE).nothing_relevant     # without the query the old verdict stands
    # a query naming nobody who speaks, or a weak share of others, changes nothing
    assert judge(RACE, query="What did Ben realize?") == judge(RACE)
    mixed = [said("Melanie: I ran too", 1.0), said("Caroline: me too", 1.0 * OTHER_SPEAKER * 0.9)]
    assert not judge(mixed, query="Did Melanie run?").nothing_relevant


def test_abstention_report_auc_ranks_confidence():
    rows = [("5", 0.1, True), ("5", 0.3, False), ("1", 0.2, True), ("4", 0.8, False)]
    assert abstention_report(rows)["auc"] == 0.75
    assert abstention_report([("1", 0.5, False)])["auc"] == 0.5
