"""Retrieval metrics over ranked evidence ids. Pure functions: lists in, numbers out.

A ranked list holds, for each retrieved memory in rank order, the turn id it came from (or
None for a memory that is no turn, e.g. a summary). Gold is the set of evidence turn ids.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass


def recall_at_k(ranked: Sequence[str | None], gold: Collection[str], k: int) -> float:
    """Share of the gold ids found among the first k retrieved."""
    if not gold:
        raise ValueError("recall is undefined without gold evidence")
    return len(set(gold) & set(ranked[:k])) / len(set(gold))


def hit_at_k(ranked: Sequence[str | None], gold: Collection[str], k: int) -> float:
    """1.0 when at least one gold id is among the first k, else 0.0."""
    if not gold:
        raise ValueError("hit is undefined without gold evidence")
    wanted = set(gold)
    return 1.0 if any(r in wanted for r in ranked[:k]) else 0.0


def reciprocal_rank(ranked: Sequence[str | None], gold: Collection[str]) -> float:
    """1/rank of the first gold id in the list (0.0 when none was retrieved)."""
    if not gold:
        raise ValueError("reciprocal rank is undefined without gold evidence")
    wanted = set(gold)
    for rank, item in enumerate(ranked, 1):
        if item in wanted:
            return 1.0 / rank
    return 0.0


def approx_tokens(text: str) -> int:
    """About four characters per token: enough to compare context budgets, no tokenizer needed."""
    return max(1, math.ceil(len(text) / 4)) if text else 0


@dataclass(frozen=True)
class Outcome:
    """One question answered by one retriever."""

    question_id: str
    category: str
    gold: tuple[str, ...]
    ranked: tuple[str | None, ...]
    tokens: tuple[int, ...] = ()   # approximate tokens of each retrieved memory, rank order
    sessions: tuple[str | None, ...] = ()   # session of each retrieved memory, rank order
    gold_sessions: tuple[str, ...] = ()     # sessions holding the gold evidence


def session_recall_at_k(outcome: Outcome, k: int) -> float:
    """Share of the evidence's sessions that any of the first k retrieved memories comes from."""
    if not outcome.gold_sessions:
        raise ValueError("session recall is undefined without gold sessions")
    wanted = set(outcome.gold_sessions)
    return len(wanted & set(outcome.sessions[:k])) / len(wanted)


def summarize(outcomes: Iterable[Outcome], ks: Sequence[int]) -> dict[str, float | int]:
    """Mean recall@k and hit@k for every k, MRR over the whole ranked list, mean top-k tokens."""
    rows = [o for o in outcomes if o.gold]
    ks = sorted(set(ks))
    result: dict[str, float | int] = {"questions": len(rows)}
    for k in ks:
        result[f"recall@{k}"] = _mean(recall_at_k(o.ranked, o.gold, k) for o in rows)
    for k in ks:
        result[f"hit@{k}"] = _mean(hit_at_k(o.ranked, o.gold, k) for o in rows)
    result["mrr"] = _mean(reciprocal_rank(o.ranked, o.gold) for o in rows)
    if rows and all(o.gold_sessions for o in rows):
        for k in ks:
            result[f"session_recall@{k}"] = _mean(session_recall_at_k(o, k) for o in rows)
    depth = ks[-1] if ks else 0
    if rows and any(o.tokens for o in rows):
        result[f"tokens@{depth}"] = _mean(sum(o.tokens[:depth]) for o in rows)
    return result


def by_category(outcomes: Iterable[Outcome], ks: Sequence[int]) -> dict[str, dict]:
    groups: dict[str, list[Outcome]] = {}
    for outcome in outcomes:
        groups.setdefault(outcome.category, []).append(outcome)
    return {category: summarize(groups[category], ks) for category in _category_order(groups)}


def _category_order(categories: Iterable[str]) -> list[str]:
    """Numeric codes in numeric order, then names alphabetically."""
    return sorted(categories, key=lambda c: (0, int(c), "") if c.isdigit() else (1, 0, c))


def _mean(values: Iterable[float]) -> float:
    items = list(values)
    return round(sum(items) / len(items), 4) if items else 0.0
