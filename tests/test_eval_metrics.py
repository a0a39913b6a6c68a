"""Retrieval metrics, checked against hand-computed values."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from secondme.evaluation.metrics import (
    Outcome,
    approx_tokens,
    by_category,
    hit_at_k,
    recall_at_k,
    reciprocal_rank,
    summarize,
)

RANKED = ("x", "a", None, "b", "y")


def test_recall_counts_the_share_of_gold_found():
    assert recall_at_k(RANKED, {"a", "b"}, 1) == 0.0
    assert recall_at_k(RANKED, {"a", "b"}, 2) == 0.5
    assert recall_at_k(RANKED, {"a", "b"}, 4) == 1.0
    assert recall_at_k(RANKED, {"a", "z"}, 10) == 0.5


def test_hit_and_reciprocal_rank():
    assert hit_at_k(RANKED, {"b"}, 3) == 0.0
    assert hit_at_k(RANKED, {"b"}, 4) == 1.0
    assert reciprocal_rank(RANKED, {"b", "a"}) == 0.5
    assert reciprocal_rank(RANKED, {"z"}) == 0.0


def test_a_repeated_memory_is_not_counted_twice():
    assert recall_at_k(("a", "a", "a"), {"a", "b"}, 3) == 0.5


@pytest.mark.parametrize("fn", [recall_at_k, hit_at_k])
def test_no_gold_is_an_error_not_a_zero(fn):
    with pytest.raises(ValueError):
        fn(RANKED, set(), 5)
    with pytest.raises(ValueError):
        reciprocal_rank(RANKED, set())


@given(st.lists(st.sampled_from("abcdefg"), max_size=12),
       st.sets(st.sampled_from("abcdefg"), min_size=1), st.integers(1, 12))
def test_metric_laws(ranked, gold, k):
    recall = recall_at_k(ranked, gold, k)
    assert 0.0 <= recall <= 1.0
    assert recall <= recall_at_k(ranked, gold, k + 1)           # monotone in k
    assert hit_at_k(ranked, gold, k) == (1.0 if recall > 0 else 0.0)
    assert (reciprocal_rank(ranked, gold) >= 1 / k) == bool(hit_at_k(ranked, gold, k))


def test_summaries_and_categories():
    outcomes = [
        Outcome("q1", "1", ("a",), ("a", "x"), (10, 30)),
        Outcome("q2", "2", ("b", "c"), ("x", "b"), (20, 20)),
        Outcome("q3", "10", ("d",), ("x", "y"), (5, 5)),
        Outcome("q4", "name", ("e",), ("e",), (1,)),
    ]
    summary = summarize(outcomes, [2, 1])
    assert summary["questions"] == 4
    assert list(summary) == ["questions", "recall@1", "recall@2", "hit@1", "hit@2", "mrr",
                             "tokens@2"]
    assert summary["recall@1"] == 0.5
    assert summary["recall@2"] == pytest.approx((1 + 0.5 + 0 + 1) / 4, abs=1e-4)
    assert summary["hit@2"] == 0.75
    assert summary["mrr"] == pytest.approx((1 + 0.5 + 0 + 1) / 4, abs=1e-4)
    assert summary["tokens@2"] == pytest.approx((40 + 40 + 10 + 1) / 4, abs=1e-4)
    cats = by_category(outcomes, [1])
    assert list(cats) == ["1", "2", "10", "name"]
    assert cats["2"] == {"questions": 1, "recall@1": 0.0, "hit@1": 0.0, "mrr": 0.5,
                         "tokens@1": 20.0}


def test_empty_summary_is_zero_not_a_crash():
    assert summarize([], [5]) == {"questions": 0, "recall@5": 0.0, "hit@5": 0.0, "mrr": 0.0}


def test_approx_tokens():
    assert approx_tokens("") == 0
    assert approx_tokens("abc") == 1
    assert approx_tokens("a" * 40) == 10


def test_session_recall_counts_sessions_reached_not_turns():
    from secondme.evaluation.metrics import session_recall_at_k

    outcome = Outcome("q", "1", ("a", "b", "c"), ("x", "a", "y"), (1, 1, 1),
                      sessions=("s1", "s2", "s9"), gold_sessions=("s2", "s3"))
    assert session_recall_at_k(outcome, 1) == 0.0
    assert session_recall_at_k(outcome, 2) == 0.5
    summary = summarize([outcome], [1, 3])
    assert summary["session_recall@1"] == 0.0 and summary["session_recall@3"] == 0.5
    with pytest.raises(ValueError):
        session_recall_at_k(Outcome("q", "1", ("a",), ("a",)), 1)
