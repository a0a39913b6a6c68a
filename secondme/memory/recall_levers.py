"""Query-time levers for questions whose answer is spread over a conversation.

Applied to the hybrid retriever's scored candidates before the final cut, all local and cheap
(one indexed read of the best candidates' sessions and openings):

- **session**: a turn gains w · the best score among the candidates of its session, so the
  turns of a session that is about the question outrank stray word matches elsewhere
  (session scoring by its best turn, folded into the turn's own score).
- **speaker**: a turn written as "Name: …" by someone the question names gains a share w of
  its own score ("What did Caroline research?" is about Caroline's own turns).
- **list questions**: a question that gathers over the whole past ("What books has Melanie
  read?", "What have John and Maria both done?", "How many times …?": present perfect, "both",
  "how many", "ever"; not "When …?" / "How long …?") gets a stronger speaker lever, because
  its answer is the named person's own turns scattered over many sessions, not the one
  session that matches the question's words best.

Measured on the LoCoMo dev split and the MemoryBank dev set (docs/BENCHMARKS.md, issue 17),
where neighbour context, diversification across sessions and pseudo-relevance feedback were
tried too and removed: none of them won on every dev conversation.

Nothing is stored: the levers read live rows at query time, so a forgotten or archived turn
neither appears nor lends its score to anyone (tests/test_recall_levers.py).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from storage.turn_context import openings, sessions_of

Scored = TypeVar("Scored")   # the retriever's Scores: a dataclass with a `final` field

_NAME = re.compile(r"\b[A-Z][\w-]+")   # capitalised words: who the question may name
_GATHERS = re.compile(r"\b(?:has|have|both|how many|ever)\b", re.IGNORECASE)
_WHEN = re.compile(r"^\W*(?:when|how long)\b", re.IGNORECASE)   # a date or a span, not a list


def named_in(query: str) -> set[str]:
    """The capitalised words of a question: the people (and things) it may name."""
    return set(_NAME.findall(query))


def speaker_of(text: str) -> str:
    """Who wrote a transcript turn ("Name: …" within its first 40 characters), else ""."""
    head = text[:40]
    return head.split(":", 1)[0].strip() if ":" in head else ""


def asks_for_a_list(query: str) -> bool:
    """Does the question gather everything up to now ("What has X done?", "both", "how many")?"""
    return bool(_GATHERS.search(query)) and not _WHEN.search(query)


@dataclass(frozen=True)
class LeverParams:
    """Weights of each lever; 0 switches it off. Defaults chosen in BENCHMARKS.md (issue 17)."""
    session_weight: float = 0.5     # share of its session's best score a turn gains
    speaker_weight: float = 0.2     # share of its score a turn by a person the query names gains
    list_speaker_weight: float = 1.5  # the same share when the question asks for a list
    depth: int = 20                 # best candidates whose sessions are weighed

    def __post_init__(self) -> None:
        if min(self.session_weight, self.speaker_weight, self.list_speaker_weight) < 0 \
                or self.depth < 0:
            raise ValueError("lever weights and depth must be ≥ 0")

    @property
    def active(self) -> bool:
        return bool((self.session_weight or self.speaker_weight or self.list_speaker_weight)
                    and self.depth)


def apply_levers(db: Any, params: LeverParams, query: str,
                 ids: Sequence[int], scored: Sequence[Scored]) -> list[Scored]:
    """The candidates' scores with `final` re-weighted (same order as `ids`)."""
    scored = list(scored)
    if not params.active or not ids:
        return scored
    base = {i: s.final for i, s in zip(ids, scored, strict=True)}
    top = sorted(base, key=lambda i: -base[i])[:params.depth]
    final = dict(base)
    speaker_weight = params.list_speaker_weight if asks_for_a_list(query) \
        else params.speaker_weight
    if speaker_weight:
        named = named_in(query)
        if named:
            for memory_id, opening in openings(db, base).items():
                if speaker_of(opening) in named:
                    final[memory_id] += speaker_weight * base[memory_id]
    if params.session_weight:
        session_of = sessions_of(db, top)
        best_in: dict[str, float] = {}
        for memory_id, session in session_of.items():
            best_in[session] = max(best_in.get(session, 0.0), base[memory_id])
        for memory_id, session in session_of.items():
            final[memory_id] += params.session_weight * best_in[session]
    return [replace(s, final=final[i]) for i, s in zip(ids, scored, strict=True)]
