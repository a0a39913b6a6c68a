"""The evaluation run: per conversation a fresh encrypted bank, real ingestion, three retrievers.

Each conversation gets its own temporary bank (same encryption as a real one, fast KDF), its
turns go in through `MemoryService.remember(kind="turn")` exactly like chat memories, get
embedded, and then every question with evidence is asked of our retriever and of BM25 alone
and embeddings alone over the very same stored memories. Nothing outlives the run: the bank
and its folder are deleted when the conversation is done.
"""

from __future__ import annotations

import inspect
import secrets
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from storage import FAST_KDF, create_bank
from storage import memories as rows

from ..clock import Clock
from ..config import load_settings
from ..embeddings import Embedder, from_blob, to_blob
from ..services import Services, build_services
from . import metrics
from .formats import Conversation, Dataset

RETRIEVERS = ("ours", "bm25", "dense")
DEFAULT_KS = (1, 5, 10)
Progress = Callable[[str, int], None]   # (what is happening, units of work just finished)


@dataclass
class EvalResult:
    dataset: Dataset
    ks: tuple[int, ...]
    outcomes: dict[str, list[metrics.Outcome]] = field(
        default_factory=lambda: {name: [] for name in RETRIEVERS})
    skipped: list[str] = field(default_factory=list)   # question ids without usable evidence
    dropped_evidence: int = 0
    turns: int = 0
    conversations: int = 0
    timings: dict[str, float] = field(default_factory=dict)
    baselines: str = "raw"
    embedder: str = ""

    def _pooled(self, name: str) -> list[metrics.Outcome]:
        return [o for o in self.outcomes[name] if self.dataset.pooled(o.category)]

    def report(self) -> dict[str, Any]:
        """The `--json` document of `secondme eval`."""
        pooled = {name: metrics.summarize(self._pooled(name), self.ks) for name in RETRIEVERS}
        categories: dict[str, dict[str, Any]] = {}
        per = {name: metrics.by_category(self.outcomes[name], self.ks) for name in RETRIEVERS}
        for category in per["ours"]:
            entry: dict[str, Any] = {"questions": per["ours"][category]["questions"]}
            if category in self.dataset.category_names:
                entry["name"] = self.dataset.category_names[category]
            entry["pooled"] = self.dataset.pooled(category)
            for name in RETRIEVERS:
                entry[name] = {k: v for k, v in per[name][category].items() if k != "questions"}
            categories[category] = entry
        for summary in pooled.values():
            summary.pop("questions", None)
        return {
            "dataset": self.dataset.name,
            "format": self.dataset.format,
            "questions": len(self._pooled("ours")),
            "questions_scored": len(self.outcomes["ours"]),
            "questions_without_evidence": len(self.skipped),
            "evidence_ids_dropped": self.dropped_evidence,
            "pooled_categories": (None if self.dataset.pooled_categories is None
                                  else sorted(self.dataset.pooled_categories)),
            "conversations": self.conversations,
            "turns": self.turns,
            "k": list(self.ks),
            "embedder": self.embedder,
            "baselines": self.baselines,
            "retrievers": pooled,
            "by_category": categories,
            "timings_s": {k: round(v, 2) for k, v in self.timings.items()},
        }


def work_units(dataset: Dataset) -> int:
    """Progress total: each turn is ingested and embedded, each scored question asked."""
    return sum(2 * len(c.turns) + sum(1 for q in c.questions if q.evidence)
               for c in dataset.conversations)


def evaluate(dataset: Dataset, embedder: Embedder, *, ks: Sequence[int] = DEFAULT_KS,
             progress: Progress | None = None, workdir: Path | None = None) -> EvalResult:
    ks = tuple(sorted(set(int(k) for k in ks)))
    if not ks or ks[0] < 1:
        raise ValueError("k values must be positive integers")
    result = EvalResult(dataset=dataset, ks=ks, embedder=embedder.name)
    started = time.perf_counter()
    for conversation in dataset.conversations:
        _evaluate_conversation(conversation, embedder, result, progress or _no_progress, workdir)
    result.timings["total"] = time.perf_counter() - started
    return result


def _no_progress(_what: str, _done: int) -> None:
    return None


def _tick(result: EvalResult, key: str, since: float) -> float:
    now = time.perf_counter()
    result.timings[key] = result.timings.get(key, 0.0) + (now - since)
    return now


def _evaluate_conversation(conversation: Conversation, embedder: Embedder, result: EvalResult,
                           progress: Progress, workdir: Path | None) -> None:
    result.conversations += 1
    result.turns += len(conversation.turns)
    for question in conversation.questions:
        result.dropped_evidence += len(question.dropped_evidence)
        if not question.evidence:
            result.skipped.append(question.id)
    with tempfile.TemporaryDirectory(prefix="secondme-eval-", dir=workdir) as tmp:
        home = Path(tmp) / "bank"
        bank = create_bank(home, secrets.token_urlsafe(24), FAST_KDF)
        services = build_services(load_settings(home), bank, Clock(conversation.now),
                                  embedder=embedder)
        try:
            _run(conversation, services, embedder, result, progress)
        finally:
            services.close()


def _run(conversation: Conversation, services: Services, embedder: Embedder,
         result: EvalResult, progress: Progress) -> None:
    label = f"{conversation.id}"
    clock = time.perf_counter()
    turn_of = ingest(services, conversation,
                     on_turn=lambda: progress(f"{label}: remembering", 1))
    clock = _tick(result, "ingest", clock)

    embed_pending(services, embedder, on_batch=lambda n: progress(f"{label}: embedding", n))
    clock = _tick(result, "embed", clock)

    questions = [q for q in conversation.questions if q.evidence]
    if not questions:
        return
    depth = max(result.ks)
    texts = {m.id: m.text for m in services.memory.get_many(turn_of).values()}
    tokens = {memory_id: metrics.approx_tokens(text) for memory_id, text in texts.items()}

    retriever = services.retriever()
    modes = "mode" in inspect.signature(retriever.search).parameters
    result.baselines = "retriever-modes" if modes else "raw"
    dense = None if modes else DenseIndex.load(services, embedder)
    query_vectors = None if modes else embedder.encode([q.text for q in questions])
    clock = _tick(result, "prepare", clock)

    for index, question in enumerate(questions):
        ranked: dict[str, list[int]] = {}
        hits = retriever.search(question.text, k=depth)
        ranked["ours"] = [h.memory.id for h in hits]
        extra_turns = {h.memory.id: h.memory.source_ref.get("dia_id") for h in hits}
        extra_tokens = {h.memory.id: metrics.approx_tokens(h.memory.text) for h in hits}
        clock = _tick(result, "search_ours", clock)
        if modes:
            for name, mode in (("bm25", "bm25"), ("dense", "dense")):
                found = retriever.search(question.text, k=depth, mode=mode)
                ranked[name] = [h.memory.id for h in found]
                extra_turns.update({h.memory.id: h.memory.source_ref.get("dia_id")
                                    for h in found})
                clock = _tick(result, f"search_{name}", clock)
        else:
            ranked["bm25"] = [i for i, _ in rows.bm25_search(services.bank.db(), question.text,
                                                             limit=depth)]
            clock = _tick(result, "search_bm25", clock)
            assert dense is not None and query_vectors is not None
            ranked["dense"] = dense.top(query_vectors[index], depth)
            clock = _tick(result, "search_dense", clock)
        for name in RETRIEVERS:
            ids = ranked[name][:depth]
            result.outcomes[name].append(metrics.Outcome(
                question_id=question.id, category=question.category, gold=question.evidence,
                ranked=tuple(turn_of.get(i, extra_turns.get(i)) for i in ids),
                tokens=tuple(tokens.get(i, extra_tokens.get(i, 0)) for i in ids)))
        progress(f"{label}: asking", 1)


def ingest(services: Services, conversation: Conversation,
           on_turn: Callable[[], None] | None = None) -> dict[int, str]:
    """Stores every turn the way chat stores its turns; returns memory id → turn id."""
    turn_of: dict[int, str] = {}
    for turn in conversation.turns:
        memory_id = services.memory.remember(
            turn.text, at=turn.at, kind="turn", source="chat", trust="user",
            session_id=f"{conversation.id}/{turn.session}", source_ref={"dia_id": turn.id},
            actor="eval")
        turn_of[memory_id] = turn.id
        if on_turn is not None:
            on_turn()
    return turn_of


def embed_pending(services: Services, embedder: Embedder, *, batch: int = 256,
                  on_batch: Callable[[int], None] | None = None) -> int:
    """Embeds every memory that lacks a vector from this embedder; returns how many."""
    done = 0
    while True:
        pending = rows.missing_embeddings(services.bank.db(), embedder.name, batch)
        if not pending:
            return done
        vectors = embedder.encode([text for _, text in pending])
        with services.bank.write() as db:
            for (memory_id, _), vector in zip(pending, vectors, strict=True):
                rows.update(db, memory_id, embedding=to_blob(vector),
                            embedding_model=embedder.name)
        done += len(pending)
        if on_batch is not None:
            on_batch(len(pending))


class DenseIndex:
    """Embeddings alone: exact cosine over every stored vector (they are unit-normalised)."""

    def __init__(self, ids: np.ndarray, matrix: np.ndarray) -> None:
        self.ids = ids
        self.matrix = matrix

    @classmethod
    def load(cls, services: Services, embedder: Embedder) -> DenseIndex:
        ids: list[int] = []
        vectors: list[np.ndarray] = []
        for chunk in rows.iter_embeddings(services.bank.db(), embedder.name):
            for memory_id, blob, state in chunk:
                if state == "active":
                    ids.append(memory_id)
                    vectors.append(from_blob(blob))
        matrix = np.vstack(vectors) if vectors else np.zeros((0, embedder.dim), np.float32)
        return cls(np.asarray(ids, dtype=np.int64), matrix)

    def top(self, query: np.ndarray, k: int) -> list[int]:
        if not len(self.ids):
            return []
        scores = self.matrix @ np.asarray(query, dtype=np.float32)
        k = min(k, len(scores))
        best = np.argpartition(-scores, k - 1)[:k]
        best = best[np.lexsort((self.ids[best], -scores[best]))]
        return [int(i) for i in self.ids[best]]


__all__ = ["DEFAULT_KS", "RETRIEVERS", "DenseIndex", "EvalResult", "embed_pending", "evaluate",
           "ingest", "work_units"]
