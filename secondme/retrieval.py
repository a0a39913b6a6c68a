"""Finding the memories that matter for a query.

The foundation ships full-text (BM25) retrieval; the hybrid retriever extends it.
Every hit carries its score breakdown and provenance so the UI can show why.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from storage import memories as rows
from storage.records import Memory

from .memory import MemoryService


@dataclass
class Scores:
    bm25: float | None = None
    cosine: float | None = None
    fused: float = 0.0
    retention: float = 1.0
    time_match: float = 0.0
    final: float = 0.0


@dataclass
class Hit:
    memory: Memory
    scores: Scores
    rank: int = 0
    reasons: list[str] = field(default_factory=list)

    def to_public(self) -> dict[str, Any]:
        return {"rank": self.rank, "memory": self.memory.to_public(),
                "scores": asdict(self.scores), "reasons": self.reasons}


class FullTextRetriever:
    def __init__(self, memory: MemoryService) -> None:
        self.memory = memory

    def search(self, query: str, *, k: int = 8, include_archived: bool = False) -> list[Hit]:
        db = self.memory.bank.db()
        ranked = rows.bm25_search(db, query, limit=k, include_archived=include_archived)
        found = rows.get_many(db, [i for i, _ in ranked])
        hits = []
        for rank, (memory_id, score) in enumerate(ranked, 1):
            memory = found[memory_id]
            r = self.memory.retention_of(memory)
            hits.append(Hit(memory, Scores(bm25=score, fused=score, retention=r, final=score),
                            rank=rank))
        return hits
