"""`embed`: give every memory a vector from the current embedder.

The work queue is the set of memories without a (current-model) vector, so the
job resumes by construction; each batch commits on its own.
"""

from __future__ import annotations

from storage import memories as rows

from ..embeddings import to_blob
from .runner import JobContext

BATCH = 64


def run(ctx: JobContext) -> None:
    services = ctx.services
    try:
        from .. import embedding_service
    except ImportError:  # pragma: no cover - the service ships with the memory engine
        embedding_service = None
    embed_pending = getattr(embedding_service, "embed_pending", None)
    done = 0
    total: int | None = None

    def on_batch(count: int) -> None:
        nonlocal done
        done += count
        ctx.report("embed", done, total)

    if embed_pending is not None:
        total = embedding_service.pending_count(services)
        if ctx.options.limit is not None:
            total = min(total, ctx.options.limit)
        ctx.report("embed", 0, total)
        ctx.counts["embedded"] = int(embed_pending(services, batch_size=BATCH,
                                                   limit=ctx.options.limit, on_batch=on_batch))
        return
    ctx.counts["embedded"] = _embed_here(ctx)


def _embed_here(ctx: JobContext) -> int:
    """Fallback when the embedding service is absent: same queue, same short batches."""
    services = ctx.services
    embedder = services.embedder()
    stored = 0
    while not ctx.cancelled:
        pending = rows.missing_embeddings(services.bank.db(), embedder.name, BATCH)
        if not pending:
            break
        vectors = embedder.encode([text for _, text in pending])
        with services.bank.write() as db:
            for (memory_id, _), vector in zip(pending, vectors, strict=True):
                rows.update(db, memory_id, embedding=to_blob(vector),
                            embedding_model=embedder.name)
        stored += len(pending)
        ctx.report("embed", stored)
        if ctx.options.limit is not None and stored >= ctx.options.limit:
            break
    return stored
