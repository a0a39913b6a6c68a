"""The "nothing relevant" verdict on a search result."""

from __future__ import annotations

import json

from secondme.evaluation.harness import abstention_report
from secondme.memory.abstention import THRESHOLD, Recall, judge
from secondme.memory.retrieval import Hit, Scores
from storage.records import Memory

from .cli_runner import run


def hit(cosine: float | None) -> Hit:
    memory = Memory.__new__(Memory)   # scores are all the verdict reads
    return Hit(memory, Scores(cosine=cosine, final=1.0))


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
