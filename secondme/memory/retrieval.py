"""Finding the memories that matter for a query.

Two signals, fused: FTS5 BM25 (exact words, names, numbers) and embedding cosine
(meaning, paraphrase). The fused relevance is then weighted by the memory's
retention — with a floor, so a faded memory that is clearly the answer still
wins over a fresh one that merely shares a word — and boosted when the query
names a time and the memory happened then. Every hit carries the breakdown and
its provenance so the UI can show why it was recalled.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from storage import evidence
from storage import memories as rows
from storage.records import Memory

from ..clock import from_iso, to_iso
from .embeddings import Embedder
from .recall_levers import LeverParams, apply_levers
from .service import MemoryService
from .timeparse import TimeWindow, find_time_window, strip_window, time_match
from .vector_index import VectorIndex

MODES = ("hybrid", "bm25", "dense")
FUSIONS = ("relative", "minmax", "rrf")
# Words that make a question a question but name nothing to look for ("what happened
# yesterday?"): with only these left besides a time, the time is the whole query.
GENERIC_WORDS = frozenset("""
happen happened happening anything something everything nothing stuff thing things going
went go goes doing done do did up new news recall remind memories memory day days say said
""".split())  # noqa: SIM905


@dataclass
class Scores:
    bm25: float | None = None
    cosine: float | None = None
    fused: float = 0.0
    retention: float = 1.0
    time_match: float = 0.0
    final: float = 0.0
    evidence: float = 1.0     # storage.evidence: a question asked or the assistant's words weigh less


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


@dataclass(frozen=True)
class RetrievalParams:
    """Knobs, with the values measured in bench/retrieval.py --quality (see BENCHMARKS.md)."""
    candidates: int = 50           # per signal, before fusion
    window_candidates: int = 100   # extra candidates from the named time window
    fusion: str = "relative"      # measured better than RRF on both sets (BENCHMARKS.md)
    rrf_k: int = 60
    bm25_weight: float = 1.0
    dense_weight: float = 1.0
    retention_floor: float = 0.7   # final = fused · (floor + (1 − floor)·R') · (1 + w·time)
    time_weight: float = 1.0
    min_cosine: float = 0.15       # below this a vector match is noise, not a dense signal

    def __post_init__(self) -> None:
        if self.fusion not in FUSIONS:
            raise ValueError(f"fusion must be one of {FUSIONS}")
        if not 0.0 <= self.retention_floor <= 1.0:
            raise ValueError("retention_floor must be in [0, 1]")
        if self.candidates < 1 or self.rrf_k < 0 or self.time_weight < 0:
            raise ValueError("candidates must be ≥ 1, rrf_k and time_weight ≥ 0")


EmbedderSource = Embedder | Callable[[], Embedder] | None


class HybridRetriever:
    """BM25 + cosine fusion, weighted by retention and time. The one retriever callers use."""

    def __init__(self, memory: MemoryService, embedder: EmbedderSource = None, *,
                 index: VectorIndex | None = None,
                 params: RetrievalParams | None = None,
                 levers: LeverParams | None = None) -> None:
        self.memory = memory
        self.params = params or RetrievalParams()
        self.levers = levers or LeverParams()
        self._embedder_source = embedder
        self._embedder: Embedder | None = None
        self._index = index
        self._lock = threading.Lock()  # chat workers and the UI may search at once
        self._executor: ThreadPoolExecutor | None = None
        if index is not None:
            index.attach(memory)

    # -- lazy parts ----------------------------------------------------------
    def embedder(self) -> Embedder | None:
        with self._lock:
            if self._embedder is None and self._embedder_source is not None:
                source = self._embedder_source
                self._embedder = source if hasattr(source, "encode") else source()  # type: ignore[operator]
            return self._embedder

    @property
    def index(self) -> VectorIndex | None:
        """The vector index for the current embedder (built from the bank on first use)."""
        if self._index is None:
            embedder = self.embedder()
            if embedder is None:
                return None
            with self._lock:
                if self._index is None:
                    self._index = VectorIndex(self.memory.bank, embedder.name).attach(
                        self.memory)
        return self._index

    def encode_query(self, query: str) -> np.ndarray:
        embedder = self.embedder()
        if embedder is None:
            raise RuntimeError("no embedder configured")
        return embedder.encode([query])[0]

    def _pool(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=1,
                                                    thread_name_prefix="secondme-bm25")
            return self._executor

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False)
            self._executor = None

    # -- search --------------------------------------------------------------
    def search(self, query: str, *, k: int = 8, include_archived: bool = False,
               mode: str = "hybrid", kinds: list[str] | None = None) -> list[Hit]:
        """Best k memories of any kind (turn, note, remember, summary, fact) for the query."""
        return self._search(query, None, k=k, include_archived=include_archived, mode=mode,
                            kinds=kinds)

    def search_with_vector(self, query: str, vector: np.ndarray | None, *, k: int = 8,
                           include_archived: bool = False, mode: str = "hybrid",
                           kinds: list[str] | None = None) -> list[Hit]:
        """As `search`, with the query already embedded (benchmarks; batch evaluation)."""
        return self._search(query, vector, k=k, include_archived=include_archived, mode=mode,
                            kinds=kinds)

    def _search(self, query: str, vector: np.ndarray | None, *, k: int,
                include_archived: bool, mode: str, kinds: list[str] | None) -> list[Hit]:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}")
        query = str(query)
        if k <= 0 or not query.strip():
            return []
        p = self.params
        kinds = list(kinds) if kinds else None
        now = self.memory.clock.now()
        window = find_time_window(query, now)
        db = self.memory.bank.db()
        depth = max(p.candidates, k)
        if window is not None and not [t for t in rows.content_terms(strip_window(query, window))
                                       if t not in GENERIC_WORDS]:
            return self._by_time(window, now, k=k, include_archived=include_archived,
                                 kinds=kinds)

        # "yesterday" is about event time, not a word to find; "April" may be in the text.
        words = strip_window(query, window) if window and window.relative else query

        def keyword_search() -> list[tuple[int, float]]:
            return rows.bm25_search(self.memory.bank.db(), words, limit=depth,
                                    include_archived=include_archived, kinds=kinds)

        index = self.index if mode in ("hybrid", "dense") else None
        use_dense = index is not None and index.has_vectors()
        pending: Future | None = None
        bm25: list[tuple[int, float]] = []
        if mode in ("hybrid", "bm25"):
            if use_dense:
                # FTS5 and the matrix product both release the GIL: run them side by side.
                pending = self._pool().submit(keyword_search)
            else:
                bm25 = keyword_search()
        dense: list[tuple[int, float]] = []
        if use_dense:
            if vector is None:
                vector = self.encode_query(query)
            dense = [(i, c) for i, c in index.search(vector, depth,
                                                    include_archived=include_archived,
                                                    kinds=kinds) if c >= p.min_cosine]
        else:
            vector = None
        if pending is not None:
            bm25 = pending.result()

        candidates = list(dict.fromkeys([i for i, _ in bm25] + [i for i, _ in dense]))
        if window is not None and vector is not None:
            # Things that happened then, even if neither signal ranked them high on its own.
            candidates = list(dict.fromkeys(candidates + rows.ids_in_window(
                db, to_iso(window.start), to_iso(window.end), include_archived=include_archived,
                kinds=kinds, limit=p.window_candidates)))
        if not candidates:
            return []
        fields = rows.rank_fields(db, candidates)  # id, state, kind, event_at, S, last, pinned
        weight = evidence.weights(db, candidates)  # the person's statements outrank the rest
        keep = [i for i in candidates if i in fields
                and (include_archived or fields[i][1] == "active")
                and (not kinds or fields[i][2] in kinds)]
        cosines = index.cosines(vector, keep) if (index is not None and vector is not None) \
            else {}
        # Evidence weighs each signal before fusion, so a question that merely repeats the
        # query neither wins nor sets the scale that squashes the person's real statement.
        signal = {i: p.min_cosine + (c - p.min_cosine) * weight.get(i, 1.0)
                  for i, c in cosines.items() if c >= p.min_cosine}
        bm25_scores = {i: s for i, s in bm25 if i in fields}
        weighted = {i: s * weight.get(i, 1.0) for i, s in bm25_scores.items()}
        fused = self._fuse(keep, weighted, signal,
                           bm25_list=sorted(weighted, key=lambda i: -weighted[i]),
                           use_bm25=bool(bm25), use_dense=vector is not None)
        scored: list[Scores] = []
        for memory_id in keep:
            if fused[memory_id] <= 0.0:
                continue
            _, _, kind, event_at, strength, last, pinned = fields[memory_id]
            r = self.memory.retention_at(strength=strength, pinned=bool(pinned), kind=kind,
                                         last_reinforced_at=last, at=now)
            tm = time_match(from_iso(event_at), window)
            # Cued recall: naming the time a memory is from brings it back, however faded.
            factor = p.retention_floor + (1.0 - p.retention_floor) * max(r, tm)
            w = weight.get(memory_id, 1.0)
            final = fused[memory_id] * factor * (1.0 + p.time_weight * tm) * w
            scored.append(Scores(bm25=bm25_scores.get(memory_id),
                                 cosine=cosines.get(memory_id), fused=fused[memory_id],
                                 retention=r, time_match=tm, final=final, evidence=w))
        ids = [i for i in keep if fused[i] > 0.0]
        scored = apply_levers(db, self.levers, query, ids, scored)   # recall_levers.py
        order = sorted(range(len(scored)),
                       key=lambda j: (-scored[j].final, -scored[j].fused, -ids[j]))[:k]
        found = rows.get_many(db, [ids[j] for j in order])  # full rows for the winners only
        hits = []
        for j in order:
            memory = found.get(ids[j])
            if memory is None:  # forgotten between the two reads
                continue
            hits.append(Hit(memory, scored[j], rank=len(hits) + 1,
                            reasons=_reasons(scored[j], window, memory)))
        return hits

    def _by_time(self, window: TimeWindow, now, *, k: int, include_archived: bool,
                 kinds: list[str] | None) -> list[Hit]:
        """A question that is only a time ("what did I do yesterday?"): what happened then."""
        db = self.memory.bank.db()
        ids = rows.ids_in_window(db, to_iso(window.start), to_iso(window.end),
                                 include_archived=include_archived, kinds=kinds,
                                 limit=max(k, self.params.window_candidates))
        found = rows.get_many(db, ids)
        hits = []
        for memory_id in ids:
            memory = found.get(memory_id)
            if memory is None:
                continue
            r = self.memory.retention_of(memory, now)
            scores = Scores(fused=1.0, retention=r, time_match=1.0,
                            final=1.0 + self.params.time_weight)
            hits.append(Hit(memory, scores, reasons=[f"happened {window.label}"]))
        # Most memorable first (reinforced, important), then the latest.
        hits.sort(key=lambda h: h.memory.event_at, reverse=True)
        hits.sort(key=lambda h: -round(h.scores.retention, 1))  # stable: latest within a band
        for rank, hit in enumerate(hits[:k], 1):
            hit.rank = rank
        return hits[:k]

    def _fuse(self, ids: list[int], bm25: dict[int, float], cosines: dict[int, float], *,
              bm25_list: list[int], use_bm25: bool, use_dense: bool) -> dict[int, float]:
        """Fused relevance in [0, 1] (1 = top of every signal in use)."""
        p = self.params
        weights = (p.bm25_weight if use_bm25 else 0.0) + (p.dense_weight if use_dense else 0.0)
        if weights <= 0:
            return dict.fromkeys(ids, 0.0)
        in_pool = set(ids)
        bm25_order = [i for i in bm25_list if i in in_pool]
        dense_order = sorted(cosines, key=lambda i: (-cosines[i], i))
        out = dict.fromkeys(ids, 0.0)
        if p.fusion == "rrf":
            best = weights / (p.rrf_k + 1)
            if use_bm25:
                for rank, memory_id in enumerate(bm25_order, 1):
                    out[memory_id] += p.bm25_weight / (p.rrf_k + rank)
            if use_dense:
                for rank, memory_id in enumerate(dense_order, 1):
                    out[memory_id] += p.dense_weight / (p.rrf_k + rank)
            return {i: v / best for i, v in out.items()}
        # Score fusion: each signal scaled to [0, 1] relative to this query's best, then a
        # weighted mean. "relative" anchors the bottom at a fixed noise level (BM25 0, cosine
        # min_cosine) so near-ties stay near-ties; "minmax" stretches the candidates' own
        # range (classic relative-score fusion), which turns tiny gaps into 0-vs-1.
        floor_b, floor_c = (0.0, p.min_cosine) if p.fusion == "relative" else (None, None)
        if use_bm25:
            for memory_id, value in _scale({i: bm25[i] for i in bm25_order}, floor_b).items():
                out[memory_id] += p.bm25_weight * value
        if use_dense:
            for memory_id, value in _scale(cosines, floor_c).items():
                out[memory_id] += p.dense_weight * value
        return {i: v / weights for i, v in out.items()}


def _scale(values: dict[int, float], floor: float | None) -> dict[int, float]:
    """(v − lo) / (best − lo), lo = `floor`, or the smallest value when floor is None."""
    if not values:
        return {}
    hi = max(values.values())
    lo = min(values.values()) if floor is None else min(floor, hi)
    if hi - lo < 1e-12:
        return dict.fromkeys(values, 1.0)
    return {i: max(0.0, (v - lo) / (hi - lo)) for i, v in values.items()}


def _reasons(scores: Scores, window: TimeWindow | None, memory: Memory) -> list[str]:
    out = []
    if scores.bm25 is not None:
        out.append(f"keywords (bm25 {scores.bm25:.2f})")
    if scores.cosine is not None and scores.cosine >= 0.3:
        out.append(f"meaning (cosine {scores.cosine:.2f})")
    if window is not None and scores.time_match >= 0.5:
        out.append(f"happened {window.label}" if scores.time_match >= 0.99
                   else f"near {window.label}")
    if scores.evidence < 1.0:
        out.append("a question, not a statement" if scores.evidence == evidence.QUESTION_ONLY
                   and memory.trust != "assistant" else "assistant's words")
    if memory.pinned:
        out.append("pinned")
    elif scores.retention < 0.5:
        out.append(f"fading (R {scores.retention:.2f})")
    if memory.state != "active":
        out.append(memory.state)
    return out
