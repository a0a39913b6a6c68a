"""Query-time levers for questions whose answer is spread over a conversation.

Applied to the hybrid retriever's scored candidates before the final cut, all local and cheap
(one indexed read of the candidates' sessions, one cosine per pulled-in neighbour):

- **context**: a turn is also scored by its live neighbours in the same session
  (s' = s + w · max(s(prev), s(next))), and the neighbours of the best candidates join the pool.
  A reply ("Yes, last Tuesday") carries the answer while the question before it carries the
  words, so neither alone ranks high.
- **session**: a turn gains w · the best score in its session, so turns of a session that is
  about the question outrank stray word matches elsewhere.
- **speaker**: a turn written as "Name: …" by someone the question names gains a share
  w of its score ("What did Caroline research?" is about Caroline's own turns).
- **diversity**: the n-th pick from one session is discounted by (1 − d)^n, so the top of
  the list reaches into more sessions (multi-hop answers live in several).

Nothing is stored: the levers read live rows at query time, so a forgotten or archived turn
neither appears nor lends its score to anyone (tests/test_recall_levers.py).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from storage.turn_context import openings, turn_context

if TYPE_CHECKING:  # pragma: no cover
    from .retrieval import HybridRetriever, Scores


_NAME = re.compile(r"\b[A-Z][\w-]+")   # capitalised words: who the question may name


@dataclass(frozen=True)
class LeverParams:
    """Weights of each lever; 0 switches it off. Defaults chosen in BENCHMARKS.md (issue 17)."""
    context_weight: float = 0.0     # share of the better neighbour's score a turn gains
    context_depth: int = 20         # best candidates whose neighbours join the pool
    session_weight: float = 0.5     # share of its session's best score a turn gains
    diversity: float = 0.0          # discount per earlier pick from the same session
    diversity_depth: int = 50       # picks ordered greedily; the rest keep their order
    feedback_weight: float = 0.0    # pseudo-relevance feedback: share of the re-query's score
    feedback_docs: int = 3          # best candidates whose vectors move the query
    speaker_weight: float = 0.0     # share of its score a turn by a person the query names gains

    def __post_init__(self) -> None:
        if min(self.context_weight, self.session_weight, self.diversity,
               self.feedback_weight, self.speaker_weight) < 0 or self.feedback_docs < 1 \
                or self.diversity >= 1 or self.context_depth < 0 or self.diversity_depth < 0:
            raise ValueError("lever weights must be ≥ 0 and diversity < 1")

    @property
    def active(self) -> bool:
        return bool(self.context_weight or self.session_weight or self.diversity
                    or self.feedback_weight or self.speaker_weight)


def apply_levers(retriever: HybridRetriever, params: LeverParams, query: str, vector: Any,
                 ids: Sequence[int], scored: Sequence[Scores], *, kinds: list[str] | None
                 ) -> tuple[list[int], list[Scores]]:
    """Returns (ids, scores) with `final` re-weighted; neighbours may be appended."""
    ids, scored = list(ids), list(scored)
    if not params.active or not ids:
        return ids, scored
    turns_allowed = not kinds or "turn" in kinds
    base = {i: s.final for i, s in zip(ids, scored, strict=True)}
    order = sorted(base, key=lambda i: -base[i])
    if params.feedback_weight and vector is not None:
        extra = _feedback(retriever, params, vector, order, base, scored, kinds)
        for memory_id, (scores, gain) in extra.items():
            if memory_id not in base:
                ids.append(memory_id)
                scored.append(scores)
            base[memory_id] = (base.get(memory_id, scores.final)) + gain
        order = sorted(base, key=lambda i: -base[i])
    top = order[:params.context_depth]
    db = retriever.memory.bank.db()
    depth = max(params.context_depth, params.diversity_depth if params.diversity else 0)
    context = turn_context(db, order[:depth]) if turns_allowed else {}
    if params.context_weight and context and vector is not None:
        new = [n for i in top if i in context for n in context[i][1:]
               if n is not None and n not in base]
        new = list(dict.fromkeys(new))
        if new:
            own = _own_scores(retriever, vector, new, scored)
            for memory_id, scores in own.items():
                ids.append(memory_id)
                scored.append(scores)
                base[memory_id] = scores.final
            context.update(turn_context(db, new))
    final = dict(base)
    if params.speaker_weight:
        named = set(_NAME.findall(query))
        if named:
            for memory_id, opening in openings(db, base).items():
                speaker = opening.split(":", 1)[0].strip() if ":" in opening else ""
                if speaker in named:
                    final[memory_id] += params.speaker_weight * base[memory_id]
    if params.context_weight:
        for memory_id in base:
            around = context.get(memory_id)
            if around is None:
                continue
            best = max((base.get(n, 0.0) for n in around[1:] if n is not None), default=0.0)
            final[memory_id] += params.context_weight * best
    session_of = {i: c[0] for i, c in context.items()}
    if params.session_weight and session_of:
        best_in: dict[str, float] = {}
        for memory_id, session in session_of.items():
            best_in[session] = max(best_in.get(session, 0.0), base[memory_id])
        for memory_id, session in session_of.items():
            final[memory_id] += params.session_weight * best_in[session]
    if params.diversity and session_of:
        final = _diversify(final, session_of, params.diversity, params.diversity_depth)
    return ids, [replace(s, final=final[i]) for i, s in zip(ids, scored, strict=True)]


def _feedback(retriever: HybridRetriever, params: LeverParams, vector: Any,
              order: list[int], base: dict[int, float], scored: Sequence[Scores],
              kinds: list[str] | None) -> dict[int, tuple[Scores, float]]:
    """Rocchio on the query vector: move it toward the best candidates, ask again.

    Every pooled candidate gains feedback_weight · its re-query score on the dense scale;
    the re-query's own top finds join the pool. Returns id → (own scores, gain).
    """
    import numpy as np

    index = retriever.index
    if index is None:
        return {}
    vectors = [v for v in (index.vector(i) for i in order[:params.feedback_docs])
               if v is not None]
    if not vectors:
        return {}
    q = np.asarray(vector, dtype=np.float32)
    q = q / max(float(np.linalg.norm(q)), 1e-9)
    moved = q + np.mean(vectors, axis=0)
    moved = moved / max(float(np.linalg.norm(moved)), 1e-9)
    p = retriever.params
    found = dict(index.search(moved, p.candidates, kinds=kinds))
    found.update(index.cosines(moved, [i for i in base if i not in found]))
    best = max(found.values(), default=p.min_cosine)
    span = max(best - p.min_cosine, 1e-6)
    new = [i for i in found if i not in base]
    own = _own_scores(retriever, vector, new, scored) if new else {}
    out: dict[int, tuple[Scores, float]] = {}
    for memory_id, cosine in found.items():
        gain = params.feedback_weight * max(0.0, (cosine - p.min_cosine) / span)
        if memory_id in base:
            out[memory_id] = (scored[0], gain)   # scores unused for pooled ids
        elif memory_id in own:
            out[memory_id] = (own[memory_id], gain)
    return out


def _own_scores(retriever: HybridRetriever, vector: Any, new: list[int],
                scored: Sequence[Scores]) -> dict[int, Scores]:
    """A pulled-in neighbour's own relevance: its cosine on the fusion's dense scale."""
    from .retrieval import Scores

    index = retriever.index
    if index is None:
        return {}
    p = retriever.params
    cosines = index.cosines(vector, new)
    best = max([s.cosine for s in scored if s.cosine is not None] + list(cosines.values()),
               default=p.min_cosine)
    span = max(best - p.min_cosine, 1e-6)
    share = p.dense_weight / (p.dense_weight + p.bm25_weight)
    out = {}
    for memory_id, cosine in cosines.items():
        fused = share * max(0.0, (cosine - p.min_cosine) / span)
        out[memory_id] = Scores(cosine=cosine, fused=fused, final=fused * p.retention_floor)
    return out


def _diversify(final: dict[int, float], session_of: dict[int, str], discount: float,
               depth: int) -> dict[int, float]:
    """Greedy: each pick discounts its session's later turns; picked values never increase."""
    remaining = dict(final)
    picked: dict[str, int] = {}
    out: dict[int, float] = {}
    for _ in range(min(depth, len(remaining))):
        def value(i: int) -> float:
            session = session_of.get(i)
            n = picked.get(session, 0) if session is not None else 0
            return remaining[i] * (1.0 - discount) ** n
        best = max(remaining, key=lambda i: (value(i), -i))
        out[best] = value(best)
        if best in session_of:
            picked[session_of[best]] = picked.get(session_of[best], 0) + 1
        del remaining[best]
    floor = min(out.values(), default=0.0) * (1.0 - 1e-9)
    top = max(remaining.values(), default=0.0)
    for memory_id, v in remaining.items():   # below every pick, in their own order
        out[memory_id] = floor * (v / top if top > 0 else 0.0)
    return out
