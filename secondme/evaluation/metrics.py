"""Retrieval metrics over ranked evidence ids. Pure functions: lists in, numbers out.

A ranked list holds, for each retrieved memory in rank order, the turn id it came from (or
None for a memory that is no turn, e.g. a summary). Gold is the set of evidence turn ids.
"""

from __future__ import annotations

import math
import re
import string
from collections import Counter
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


# -- answer quality (issue 14.1) ----------------------------------------------------------------
# LoCoMo's scoring, as its README and evaluation code state it: lower-case, strip punctuation
# and the articles a/an/the, compare bags of tokens. Category 1 (multi-hop) gold answers are
# comma-separated parts, each scored against the best part of the prediction; category 3 keeps
# the gold answer before the first ';'; category 5 (adversarial) is right when the prediction
# says the information is not there. No stemming (LoCoMo's code also Porter-stems tokens).

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = str.maketrans("", "", string.punctuation)
# The official check is "no information available" / "not mentioned"; the assistant's own
# words for it ("I don't remember") count too, since that is what our prompt asks it to say.
ABSTAIN_PHRASES = ("no information available", "not mentioned", "no information",
                   "don't remember", "do not remember", "don't know", "do not know",
                   "not sure", "can't recall", "cannot recall", "no record", "never mentioned",
                   "don't have any information", "not in my memory", "i don't recall")


def normalize_answer(text: str) -> str:
    text = text.lower().replace(",", "").translate(_PUNCT)
    return " ".join(_ARTICLES.sub(" ", text).split())


def token_f1(prediction: str, gold: str) -> float:
    pred = normalize_answer(prediction).split()
    truth = normalize_answer(gold).split()
    common = sum((Counter(pred) & Counter(truth)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(pred), common / len(truth)
    return 2 * precision * recall / (precision + recall)


def abstains(prediction: str) -> bool:
    low = prediction.lower().replace("’", "'")
    return any(phrase in low for phrase in ABSTAIN_PHRASES)


def answer_f1(prediction: str, gold: str, category: str, *, unanswerable: bool = False) -> float:
    """LoCoMo's per-question score (0..1) for one prediction."""
    if unanswerable:
        return 1.0 if abstains(prediction) else 0.0
    if category == "3":
        gold = gold.split(";")[0].strip()
    if category == "1":
        parts = [p.strip() for p in prediction.split(",")] or [prediction]
        golds = [g.strip() for g in gold.split(",") if g.strip()] or [gold]
        return sum(max(token_f1(p, g) for p in parts) for g in golds) / len(golds)
    return token_f1(prediction, gold)


def contains_answer(prediction: str, gold: str) -> bool:
    """Exact containment: the normalised gold answer appears inside the normalised prediction."""
    wanted = normalize_answer(gold)
    return bool(wanted) and f" {wanted} " in f" {normalize_answer(prediction)} "
