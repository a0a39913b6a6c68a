"""Putting vectors on memories: at once when that is cheap, in batches otherwise.

Single memories from chat and `remember` are embedded as they are written, but
only when the embedder is already in memory: loading it costs seconds, and a
one-line `secondme remember` must stay instant. Everything else (imports, or a
memory written before the embedder was loaded) is picked up by `embed_pending`,
which the scheduler's `embed` job and `secondme search` call.
"""

from __future__ import annotations

from collections.abc import Callable

from storage import memories as rows

from ..degradation import note
from .embeddings import Embedder, to_blob
from .service import MemoryService

# Kinds written one at a time, where embedding on write adds milliseconds. Imported notes
# arrive by the thousand and are embedded in batches instead.
EMBED_ON_WRITE_KINDS = frozenset({"turn", "remember", "summary", "fact"})


def embedder_ready(embedder: Embedder | None) -> bool:
    """True when an embedder is in memory (constructing one is free; loading it is not)."""
    return embedder is not None and bool(getattr(embedder, "loaded", True))


def embed_if_cheap(embedder: Embedder | None, text: str, kind: str) -> tuple[bytes, str] | None:
    """(blob, model) for a memory being written, or None to leave it to the embed job.

    `embedder` is the one already in memory, or None when none is loaded yet."""
    if kind not in EMBED_ON_WRITE_KINDS or embedder is None or not embedder_ready(embedder):
        return None
    try:
        vector = embedder.encode([text])[0]
        return to_blob(vector), embedder.name
    except Exception as exc:  # never lose a memory over its vector: the embed job will retry
        note("embeddings", f"embedding on write failed ({type(exc).__name__}: {exc}); "
                           "left to the embed job")
        return None


def pending_count(memory: MemoryService, embedder: Embedder) -> int:
    return rows.count_missing_embeddings(memory.bank.db(), embedder.name)


def embed_pending(memory: MemoryService, embedder: Embedder, batch_size: int = 256,
                  limit: int | None = None, *,
                  on_batch: Callable[[int], None] | None = None) -> int:
    """Embeds memories lacking a vector from `embedder`; returns how many were stored.

    Idempotent and resumable: each batch is read, encoded outside any transaction, and
    written in one short transaction, so killing it at any point loses at most one batch
    of work. Memories edited in between are skipped and caught by the next run.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    model = embedder.name
    stored = 0
    seen = 0
    after = 0
    while limit is None or seen < limit:
        size = batch_size if limit is None else min(batch_size, limit - seen)
        pending = rows.missing_embeddings(memory.bank.db(), model, size, after_id=after)
        if not pending:
            break
        after = pending[-1][0]
        seen += len(pending)
        vectors = embedder.encode([text for _, text in pending])
        items = [(memory_id, to_blob(vector), text)
                 for (memory_id, text), vector in zip(pending, vectors, strict=True)]
        stored += len(memory.store_embeddings(items, model))
        if on_batch is not None:
            on_batch(len(pending))
    return stored
