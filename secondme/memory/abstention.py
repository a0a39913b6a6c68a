"""Does a search hold anything relevant? A calibrated "nothing relevant" signal.

The chat uses it to say it does not remember instead of inventing. The signal is the
strength of the best hits' meaning match (raw cosine, comparable across queries, unlike the
fused score, which is relative to each query's own best): below a noise floor, nothing
relevant. Threshold chosen on the LoCoMo dev split (two conversations, confirmed on the
third; docs/BENCHMARKS.md, issue 17) for the shipped all-MiniLM-L6-v2 embedder.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

NOISE_COSINE = 0.15      # retrieval's own noise level: below it a vector match means nothing
STRONG_COSINE = 0.65     # a paraphrase of the question: confidence 1
THRESHOLD = 0.35         # best cosine below this: nothing relevant
TOP = 3                  # hits considered


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


def judge(hits: Sequence[Any], *, threshold: float = THRESHOLD) -> Recall:
    """The verdict for a ranked hit list (HybridRetriever.search's result).

    No hits: nothing relevant. Hits with no meaning score at all (keyword-only search, no
    embedder): relevant, with the confidence of a bare keyword match.
    """
    if not hits:
        return Recall(0.0, True)
    cosine = best_cosine(hits)
    if cosine is None:
        return Recall(0.5, False)
    confidence = (cosine - NOISE_COSINE) / (STRONG_COSINE - NOISE_COSINE)
    return Recall(min(1.0, max(0.0, confidence)), cosine < threshold)
