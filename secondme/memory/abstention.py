"""Does a search hold anything relevant? A calibrated "nothing relevant" signal.

The chat uses it to say it does not remember instead of inventing. The signal is the
strength of the best hits' meaning match (raw cosine, comparable across queries, unlike the
fused score, which is relative to each query's own best): below a noise floor, nothing
relevant. Threshold chosen on the LoCoMo dev split (two conversations, confirmed on the
third; docs/BENCHMARKS.md, issue 17) for the shipped all-MiniLM-L6-v2 embedder.

Given the query, a second feature catches the commonest unanswerable question in a
conversation: the right event asked about the wrong person ("What did Melanie realize after
the charity race?" when Caroline ran it). When the question names someone who speaks in the
hits ("Name: …" turns), the share of the top hits' fused relevance that comes from somebody
else is measured; from OTHER_SPEAKER up, the memories are about someone else: nothing relevant.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .recall_levers import named_in, speaker_of

NOISE_COSINE = 0.15      # retrieval's own noise level: below it a vector match means nothing
STRONG_COSINE = 0.65     # a paraphrase of the question: confidence 1
THRESHOLD = 0.35         # best cosine below this: nothing relevant
TOP = 3                  # hits considered
OTHER_SPEAKER = 0.5      # share of the top hits' relevance said by someone else: not about them
SPEAKER_TOP = 5          # hits whose speakers are weighed


@dataclass(frozen=True)
class Recall:
    """What a search found, in one verdict: confidence in [0, 1] and "nothing relevant"."""

    confidence: float
    nothing_relevant: bool

    def to_public(self) -> dict[str, Any]:
        return {"confidence": round(self.confidence, 4), "nothing_relevant": self.nothing_relevant}


def best_cosine(hits: Sequence[Any], top: int = TOP) -> float | None:
    values = [h.scores.cosine for h in hits[:top] if h.scores.cosine is not None]
    return max(values) if values else None


def someone_else(query: str, hits: Sequence[Any], top: int = SPEAKER_TOP) -> float | None:
    """Share of the top hits' fused relevance said by others than the people the query names.

    None when the query names nobody who speaks in those hits (then it says nothing).
    """
    speakers = [speaker_of(h.memory.text) for h in hits[:top]]
    asked = named_in(query) & set(speakers)
    total = sum(h.scores.fused for h in hits[:top])
    if not asked or total <= 0:
        return None
    return sum(h.scores.fused for h, who in zip(hits[:top], speakers, strict=True)
               if who not in asked) / total


def judge(hits: Sequence[Any], *, threshold: float = THRESHOLD, query: str | None = None,
          other_speaker: float = OTHER_SPEAKER) -> Recall:
    """The verdict for a ranked hit list (HybridRetriever.search's result).

    No hits: nothing relevant. Hits with no meaning score at all (keyword-only search, no
    embedder): relevant, with the confidence of a bare keyword match. With the query, hits
    mostly said by someone other than the person it asks about are not relevant either.
    """
    if not hits:
        return Recall(0.0, True)
    others = someone_else(query, hits) if query else None
    cosine = best_cosine(hits)
    if cosine is None:
        confidence, weak = 0.5, False
    else:
        confidence = (cosine - NOISE_COSINE) / (STRONG_COSINE - NOISE_COSINE)
        weak = cosine < threshold
    if others is not None:
        confidence = min(confidence, 1.0 - others)
        weak = weak or others >= other_speaker
    return Recall(min(1.0, max(0.0, confidence)), weak)
