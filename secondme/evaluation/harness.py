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
from ..memory.abstention import judge
from ..memory.embed import embed_pending
from ..memory.embeddings import Embedder, from_blob
from ..progress import Progress
from ..services import Services, build_services
from . import metrics
from .formats import Conversation, Dataset, Question

RETRIEVERS = ("ours", "bm25", "dense")
DEFAULT_KS = (1, 5, 10, 20)
Advance = Callable[[str, int], None]   # (what is happening, units of work just finished)


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
    embedder: str = ""
    latencies_ms: list[float] = field(default_factory=list)   # our retriever, per question
    per_conversation: list[dict[str, Any]] = field(default_factory=list)
    # Our retriever's "nothing relevant" verdict per question: (category, confidence, verdict).
    abstentions: list[tuple[str, float, bool]] = field(default_factory=list)

    def _pooled(self, name: str) -> list[metrics.Outcome]:
        return [o for o in self.outcomes[name] if self.dataset.pooled(o.category)]

    def report(self) -> dict[str, Any]:
        """The `--json` document of `secondme eval`."""
        names = list(self.outcomes)
        pooled = {name: metrics.summarize(self._pooled(name), self.ks) for name in names}
        for summary in pooled.values():
            summary.pop("questions", None)
        per = {name: metrics.by_category(self.outcomes[name], self.ks) for name in names}
        categories: dict[str, dict[str, Any]] = {}
        for category in per["ours"]:
            entry: dict[str, Any] = {"questions": per["ours"][category]["questions"]}
            if category in self.dataset.category_names:
                entry["name"] = self.dataset.category_names[category]
            entry["pooled"] = self.dataset.pooled(category)
            for name in names:
                entry[name] = {k: v for k, v in per[name][category].items() if k != "questions"}
            categories[category] = entry
        report: dict[str, Any] = {
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
            "retrievers": {name: pooled[name] for name in RETRIEVERS},
            "by_category": categories,
            "timings_s": {k: round(v, 2) for k, v in self.timings.items()},
            "latency_ms": _percentiles(self.latencies_ms),
            "per_conversation": self.per_conversation,
        }
        if self.abstentions:
            report["abstention"] = abstention_report(self.abstentions)
        extra = [name for name in names if name not in RETRIEVERS]
        if extra:
            report["variants"] = {name: pooled[name] for name in extra}
        return report


def _percentiles(values: Sequence[float]) -> dict[str, float]:
    if not values:
        return {}
    array = np.asarray(values, dtype=np.float64)
    return {"p50": round(float(np.percentile(array, 50)), 2),
            "p95": round(float(np.percentile(array, 95)), 2), "queries": len(values)}


def abstention_report(rows: Sequence[tuple[str, float, bool]]) -> dict[str, Any]:
    """How well the verdict separates unanswerable (category 5) from answerable questions."""
    flagged = [verdict for _, _, verdict in rows]
    unanswerable = [category == "5" for category, _, _ in rows]
    true_pos = sum(1 for f, u in zip(flagged, unanswerable, strict=True) if f and u)
    precision = true_pos / sum(flagged) if any(flagged) else 0.0
    recall = true_pos / sum(unanswerable) if any(unanswerable) else 0.0
    return {"questions": len(rows), "unanswerable": sum(unanswerable),
            "flagged": sum(flagged), "precision": round(precision, 4),
            "recall": round(recall, 4), "auc": round(_auc(rows), 4),
            "false_alarm_rate": round(sum(1 for f, u in zip(flagged, unanswerable, strict=True)
                                          if f and not u)
                                      / max(1, len(rows) - sum(unanswerable)), 4)}


def _auc(rows: Sequence[tuple[str, float, bool]]) -> float:
    """Chance that an unanswerable question gets lower confidence than an answerable one."""
    low = [c for category, c, _ in rows if category == "5"]
    high = [c for category, c, _ in rows if category != "5"]
    if not low or not high:
        return 0.5
    a, b = np.asarray(low)[:, None], np.asarray(high)[None, :]
    return float((a < b).mean() + 0.5 * (a == b).mean())


def work_units(dataset: Dataset) -> int:
    """Progress total: each turn is ingested and embedded, each scored question asked."""
    return sum(2 * len(c.turns) + sum(1 for q in c.questions if q.evidence)
               for c in dataset.conversations)


RetrieverFactory = Callable[[Services], Any]   # → an object with search(query, *, k, …)


def evaluate(dataset: Dataset, embedder: Embedder, *, ks: Sequence[int] = DEFAULT_KS,
             progress: Progress | None = None, workdir: Path | None = None,
             ablations: bool = False,
             variants: dict[str, RetrieverFactory] | None = None) -> EvalResult:
    """Runs every conversation through our retriever and the two single-signal baselines.

    `ablations` adds our retriever restricted to one signal (its bm25 / dense modes);
    `variants` adds other retrievers built on the same services (e.g. other parameters), so
    a parameter study ingests and embeds each conversation only once.
    """
    ks = tuple(sorted(set(int(k) for k in ks)))
    if not ks or ks[0] < 1:
        raise ValueError("k values must be positive integers")
    result = EvalResult(dataset=dataset, ks=ks, embedder=embedder.name)
    started = time.perf_counter()
    total, finished = work_units(dataset), [0]

    def advance(what: str, units: int) -> None:
        finished[0] += units
        if progress is not None:
            progress(what, finished[0], total)

    for conversation in dataset.conversations:
        _evaluate_conversation(conversation, embedder, result, advance, workdir,
                               ablations, dict(variants or {}))
    result.timings["total"] = time.perf_counter() - started
    return result


def _tick(result: EvalResult, key: str, since: float) -> float:
    now = time.perf_counter()
    result.timings[key] = result.timings.get(key, 0.0) + (now - since)
    return now


def _evaluate_conversation(conversation: Conversation, embedder: Embedder, result: EvalResult,
                           progress: Advance, workdir: Path | None, ablations: bool,
                           variants: dict[str, RetrieverFactory]) -> None:
    result.conversations += 1
    result.turns += len(conversation.turns)
    for question in conversation.questions:
        result.dropped_evidence += len(question.dropped_evidence)
        if not question.evidence:
            result.skipped.append(question.id)
    with tempfile.TemporaryDirectory(prefix="secondme-eval-", dir=workdir) as tmp:
        home = Path(tmp) / "bank"
        bank = create_bank(home, secrets.token_urlsafe(24), FAST_KDF)
        # Thousands of turns at once are an import, not a chat: vectors are computed in
        # batches by the product's embed job (same model, several times faster).
        services = build_services(load_settings(home), bank, Clock(conversation.now),
                                  embedder=embedder, embed_on_write=False)
        try:
            _run(conversation, services, embedder, result, progress, ablations, variants)
        finally:
            services.close()


class _Asker:
    """Runs one retriever for one question and remembers what its hits were."""

    def __init__(self, retriever: Any, depth: int) -> None:
        self.retriever = retriever
        self.depth = depth
        self.with_vector = getattr(retriever, "search_with_vector", None)
        self.modes = "mode" in inspect.signature(retriever.search).parameters
        self.turns: dict[int, str | None] = {}
        self.tokens: dict[int, int] = {}
        self.verdict: tuple[float, bool] | None = None   # last ask's (confidence, nothing)

    def ask(self, question: Question, vector: np.ndarray, mode: str | None = None) -> list[int]:
        kwargs: dict[str, Any] = {"k": self.depth}
        if mode is not None:
            kwargs["mode"] = mode
        hits = (self.with_vector(question.text, vector, **kwargs) if self.with_vector
                else self.retriever.search(question.text, **kwargs))
        if mode is None:
            found = judge(hits, query=question.text)
            self.verdict = (found.confidence, found.nothing_relevant)
        for hit in hits:   # facts or summaries would be no turn: they map to None
            self.turns[hit.memory.id] = hit.memory.source_ref.get("dia_id")
            self.tokens[hit.memory.id] = metrics.approx_tokens(hit.memory.text)
        return [hit.memory.id for hit in hits]


def _run(conversation: Conversation, services: Services, embedder: Embedder,
         result: EvalResult, progress: Advance, ablations: bool,
         variants: dict[str, RetrieverFactory]) -> None:
    label = f"{conversation.id}"
    clock = time.perf_counter()
    before = dict(result.timings)
    entry: dict[str, Any] = {"id": conversation.id, "turns": len(conversation.turns)}
    result.per_conversation.append(entry)
    # Everything about the write is the chat path, except the vectors (embed job below).
    turn_of = ingest(services, conversation,
                     on_turn=lambda: progress(f"{label}: remembering", 1))
    clock = _tick(result, "ingest", clock)
    entry["ingest_s"] = round(result.timings["ingest"] - before.get("ingest", 0.0), 2)

    reported = [0]

    def embedded(count: int) -> None:
        reported[0] += count
        progress(f"{label}: embedding", count)

    embed_pending(services.memory, embedder, on_batch=embedded)   # the `embed` job, audited
    progress(f"{label}: embedding", max(0, len(turn_of) - reported[0]))
    clock = _tick(result, "embed", clock)
    entry["embed_s"] = round(result.timings["embed"] - before.get("embed", 0.0), 2)

    questions = [q for q in conversation.questions if q.evidence]
    if not questions:
        return
    depth = max(result.ks)
    session_of = {t.id: t.session for t in conversation.turns}
    tokens = {m.id: metrics.approx_tokens(m.text)
              for m in services.memory.get_many(turn_of).values()}
    ours = _Asker(services.retriever(), depth)
    others = {name: _Asker(factory(services), depth) for name, factory in variants.items()}
    dense = DenseIndex.load(services, embedder)
    vectors = embedder.encode([q.text for q in questions])
    clock = _tick(result, "prepare", clock)

    searched = 0.0
    for index, question in enumerate(questions):
        vector = vectors[index]
        ranked: dict[str, tuple[list[int], _Asker | None]] = {}
        ranked["ours"] = (ours.ask(question, vector), ours)
        if ours.verdict is not None:
            result.abstentions.append((question.category, *ours.verdict))
        now = time.perf_counter()
        result.latencies_ms.append((now - clock) * 1000.0)
        searched += now - clock
        clock = _tick(result, "search_ours", clock)
        ranked["bm25"] = ([i for i, _ in rows.bm25_search(services.bank.db(), question.text,
                                                          limit=depth)], None)
        clock = _tick(result, "search_bm25", clock)
        ranked["dense"] = (dense.top(vector, depth), None)
        clock = _tick(result, "search_dense", clock)
        if ablations and ours.modes:
            ranked["ours_bm25"] = (ours.ask(question, vector, "bm25"), ours)
            ranked["ours_dense"] = (ours.ask(question, vector, "dense"), ours)
        for name, asker in others.items():
            ranked[name] = (asker.ask(question, vector), asker)
        clock = _tick(result, "search_variants", clock)
        for name, (ids, asker) in ranked.items():
            ids = ids[:depth]
            extra_turns = asker.turns if asker else {}
            extra_tokens = asker.tokens if asker else {}
            turns = tuple(turn_of.get(i, extra_turns.get(i)) for i in ids)
            result.outcomes.setdefault(name, []).append(metrics.Outcome(
                question_id=question.id, category=question.category, gold=question.evidence,
                ranked=turns, tokens=tuple(tokens.get(i, extra_tokens.get(i, 0)) for i in ids),
                sessions=tuple(session_of.get(t) if t else None for t in turns),
                gold_sessions=tuple(sorted({session_of[t] for t in question.evidence
                                            if t in session_of}))))
        progress(f"{label}: asking", 1)
    entry["search_ours_s"] = round(searched, 2)
    entry["questions"] = len(questions)


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


__all__ = ["DEFAULT_KS", "RETRIEVERS", "DenseIndex", "EvalResult", "evaluate", "ingest",
           "work_units"]
