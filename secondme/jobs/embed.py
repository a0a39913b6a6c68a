"""`embed`: give every memory a vector from the current embedder.

The work queue is the set of memories without a (current-model) vector, so the
job resumes by construction; each batch commits on its own.
"""

from __future__ import annotations

from ..memory.embed import embed_pending, pending_count
from .runner import JobContext

BATCH = 64


def run(ctx: JobContext) -> None:
    services = ctx.services
    embedder = services.embedder()
    done = 0
    total = pending_count(services.memory, embedder)
    if ctx.options.limit is not None:
        total = min(total, ctx.options.limit)

    def on_batch(count: int) -> None:
        nonlocal done
        done += count
        ctx.report("embed", done, total)

    ctx.report("embed", 0, total)
    ctx.counts["embedded"] = int(embed_pending(services.memory, embedder, batch_size=BATCH,
                                               limit=ctx.options.limit, on_batch=on_batch))
