"""The in-memory vector index: exact cosine over every stored embedding.

Vectors live only in the encrypted database; this index is rebuilt from there
when first needed and then kept current incrementally, never written anywhere.
Brute force is the right tool at personal scale: a 100k × 384 float32 matrix is
~150 MB and one matrix-vector product over it takes a few milliseconds, with no
approximation error and no second copy to keep consistent.

It stays current two ways: MemoryService change listeners (immediate, this
process) and the audit-log tail (every memory change is audited in the same
transaction, so changes made by another process — a scheduler, an importer —
are picked up before the next search too).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from storage import Bank
from storage import memories as rows
from storage.records import MEMORY_KINDS

_KIND_CODE = {kind: code for code, kind in enumerate(MEMORY_KINDS)}
_blas_controller = None
_blas_lock = threading.Lock()


def _one_blas_thread():
    """numpy's BLAS limited to one thread for the duration of a search.

    A matrix-vector product is memory-bound, so a second thread buys nothing; but
    OpenBLAS worker threads keep spinning after it and starve the embedder's own threads.
    Measured on 2 cores: the next query's embedding went from ~15 ms to 250–380 ms.
    """
    global _blas_controller
    with _blas_lock:
        if _blas_controller is None:
            try:
                from threadpoolctl import ThreadpoolController

                _blas_controller = ThreadpoolController()
            except Exception:  # optional: without it we only lose the isolation
                _blas_controller = False
    if not _blas_controller:
        return contextlib.nullcontext()
    return _blas_controller.limit(limits=1, user_api="blas")


@dataclass
class IndexStats:
    size: int = 0
    dim: int | None = None
    build_seconds: float | None = None
    refreshed: int = 0
    skipped_dim_mismatch: int = 0


class VectorIndex:
    """Exact top-k cosine over unit vectors from one embedding model."""

    def __init__(self, bank: Bank, model: str, *, rebuild_fraction: float = 0.25) -> None:
        self.bank = bank
        self.model = model
        self.stats = IndexStats()
        self._lock = threading.RLock()
        self._built = False
        self._dirty: set[int] = set()
        self._watermark = 0
        self._rebuild_fraction = rebuild_fraction
        self._n = 0
        self._ids = np.zeros(0, dtype=np.int64)
        self._matrix: np.ndarray | None = None
        self._active = np.zeros(0, dtype=bool)
        self._kinds = np.zeros(0, dtype=np.int8)
        self._row: dict[int, int] = {}

    # -- change feed -------------------------------------------------------
    def listen(self, action: str, memory_id: int) -> None:
        """MemoryService listener: O(1) now, the row is reread on the next search."""
        with self._lock:
            self._dirty.add(int(memory_id))

    def attach(self, memory) -> VectorIndex:
        memory.on_change(self.listen)
        return self

    # -- building ----------------------------------------------------------
    def build(self) -> None:
        started = time.perf_counter()
        with self._lock:
            db = self.bank.db()
            watermark = rows.audit_watermark(db)  # before reading: later changes get replayed
            self._reset(capacity=1024)
            for chunk in rows.iter_vectors(db, self.model):
                if chunk:
                    self._append_block(chunk)
            self._watermark = watermark
            self._dirty.clear()
            self._built = True
            self.stats.build_seconds = time.perf_counter() - started
            self.stats.size = self._n

    def sync(self) -> int:
        """Brings the index up to date with the database; returns how many rows were reread."""
        with self._lock:
            if not self._built:
                self.build()
                return self._n
            db = self.bank.db()
            watermark, changed = rows.changed_since(db, self._watermark)
            changed |= self._dirty
            if not changed:
                self._watermark = watermark
                return 0
            if len(changed) > max(1000, self._rebuild_fraction * self._n):
                self.build()
                return len(changed)
            found = rows.vector_rows(db, changed)
            for memory_id in changed:
                row = found.get(memory_id)
                blob, model, state, kind = row if row else (None, None, "", "")
                if blob is None or model != self.model:
                    self._remove(memory_id)
                    continue
                self._ensure_dim(len(blob) // 4)
                self._reserve(self._n + 1)
                self._put(memory_id, blob, state, kind)
            self._watermark = watermark
            self._dirty.clear()
            self.stats.refreshed += len(changed)
            self.stats.size = self._n
            return len(changed)

    # -- queries -----------------------------------------------------------
    def __len__(self) -> int:
        with self._lock:
            return self._n

    @property
    def dim(self) -> int | None:
        return self.stats.dim

    def has_vectors(self) -> bool:
        self.sync()
        return self._n > 0

    def search(self, query: np.ndarray, k: int = 50, *, include_archived: bool = False,
               kinds: Iterable[str] | None = None) -> list[tuple[int, float]]:
        """(id, cosine) best first over the vectors that pass the filters."""
        self.sync()
        with self._lock:
            if self._n == 0 or k <= 0:
                return []
            scores = self._scores(query)
            mask = self._mask(include_archived, kinds)
            if mask is not None:
                scores = np.where(mask, scores, -np.inf)
            k = min(k, self._n)
            top = np.argpartition(-scores, k - 1)[:k] if k < self._n else np.arange(self._n)
            top = top[np.argsort(-scores[top], kind="stable")]
            return [(int(self._ids[i]), float(scores[i])) for i in top if np.isfinite(scores[i])]

    def cosines(self, query: np.ndarray, ids: Iterable[int]) -> dict[int, float]:
        """Exact cosine for the given ids that have a vector (e.g. keyword-only candidates)."""
        self.sync()
        with self._lock:
            if self._n == 0:
                return {}
            wanted = [(i, self._row[i]) for i in ids if i in self._row]
            if not wanted:
                return {}
            positions = np.fromiter((p for _, p in wanted), dtype=np.int64, count=len(wanted))
            values = self._matrix[positions] @ self._unit(query)
            return {memory_id: float(v) for (memory_id, _), v in zip(wanted, values, strict=True)}

    def vector(self, memory_id: int) -> np.ndarray | None:
        with self._lock:
            row = self._row.get(memory_id)
            return None if row is None else self._matrix[row].copy()

    # -- internals ---------------------------------------------------------
    def _unit(self, query: np.ndarray) -> np.ndarray:
        q = np.asarray(query, dtype=np.float32).reshape(-1)
        if self.stats.dim is not None and q.shape[0] != self.stats.dim:
            raise ValueError(f"query vector has dimension {q.shape[0]}, index has "
                             f"{self.stats.dim} (embedder {self.model})")
        norm = float(np.linalg.norm(q))
        return q / norm if norm > 0 else q

    def _scores(self, query: np.ndarray) -> np.ndarray:
        unit = self._unit(query)
        with _one_blas_thread():
            return self._matrix[:self._n] @ unit

    def _mask(self, include_archived: bool, kinds: Iterable[str] | None) -> np.ndarray | None:
        mask = None if include_archived else self._active[:self._n]
        wanted = [_KIND_CODE[k] for k in (kinds or []) if k in _KIND_CODE]
        if kinds:
            by_kind = np.isin(self._kinds[:self._n], np.asarray(wanted, dtype=np.int8))
            mask = by_kind if mask is None else (mask & by_kind)
        return mask

    def _reset(self, capacity: int) -> None:
        self._n = 0
        self._row = {}
        self._ids = np.zeros(capacity, dtype=np.int64)
        self._active = np.zeros(capacity, dtype=bool)
        self._kinds = np.zeros(capacity, dtype=np.int8)
        self._matrix = None if self.stats.dim is None else \
            np.zeros((capacity, self.stats.dim), dtype=np.float32)

    def _ensure_dim(self, dim: int) -> None:
        if self.stats.dim is None:
            self.stats.dim = dim
            self._matrix = np.zeros((len(self._ids), dim), dtype=np.float32)

    def _reserve(self, needed: int) -> None:
        capacity = len(self._ids)
        if needed <= capacity and self._matrix is not None:
            return
        new = max(needed, capacity * 2, 1024)
        self._ids = np.resize(self._ids, new)
        self._active = np.resize(self._active, new)
        self._kinds = np.resize(self._kinds, new)
        matrix = np.zeros((new, self.stats.dim or 0), dtype=np.float32)
        if self._matrix is not None:
            matrix[:self._n] = self._matrix[:self._n]
        self._matrix = matrix

    def _append_block(self, chunk: list[tuple[int, bytes, str, str]]) -> None:
        """Bulk load for a fresh build: one frombuffer + one normalisation per chunk."""
        self._ensure_dim(len(chunk[0][1]) // 4)
        dim = self.stats.dim
        good = [c for c in chunk if len(c[1]) == dim * 4]
        block = np.frombuffer(b"".join(c[1] for c in good), dtype=np.float32).reshape(-1, dim)
        finite = np.isfinite(block).all(axis=1)
        if not finite.all():
            good = [c for c, ok in zip(good, finite, strict=True) if ok]
            block = block[finite]
        self.stats.skipped_dim_mismatch += len(chunk) - len(good)
        if not good:
            return
        self._reserve(self._n + len(good))
        norms = np.linalg.norm(block, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        start, end = self._n, self._n + len(good)
        self._matrix[start:end] = block / norms
        self._ids[start:end] = [c[0] for c in good]
        self._active[start:end] = [c[2] == "active" for c in good]
        self._kinds[start:end] = [_KIND_CODE.get(c[3], -1) for c in good]
        self._row.update(zip((c[0] for c in good), range(start, end), strict=True))
        self._n = end

    def _put(self, memory_id: int, blob: bytes, state: str, kind: str) -> None:
        vector = np.frombuffer(blob, dtype=np.float32)
        if vector.shape[0] != self.stats.dim or not np.all(np.isfinite(vector)):
            self.stats.skipped_dim_mismatch += 1
            self._remove(memory_id)
            return
        row = self._row.get(memory_id)
        if row is None:
            row = self._n
            self._n += 1
            self._row[memory_id] = row
            self._ids[row] = memory_id
        norm = float(np.linalg.norm(vector))
        self._matrix[row] = vector / norm if norm > 0 else vector
        self._active[row] = state == "active"
        self._kinds[row] = _KIND_CODE.get(kind, -1)

    def _remove(self, memory_id: int) -> None:
        row = self._row.pop(memory_id, None)
        if row is None:
            return
        last = self._n - 1
        if row != last:  # move the last row into the hole: O(1), order does not matter
            moved = int(self._ids[last])
            self._ids[row] = moved
            self._matrix[row] = self._matrix[last]
            self._active[row] = self._active[last]
            self._kinds[row] = self._kinds[last]
            self._row[moved] = row
        self._n = last
