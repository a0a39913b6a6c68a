"""`summarize`: one pass of hierarchical summaries (see secondme.consolidation.summaries for the rules).

Its idempotency comes from the sources hash of each period, so the watermark only
records the last completed pass (for `secondme jobs`), not a cursor.
"""

from __future__ import annotations

from ..consolidation.summaries import Summarizer
from .models import embedder_for, model_for
from .runner import JobContext


def run(ctx: JobContext) -> None:
    summarizer = Summarizer(ctx.services, model=model_for(ctx), embedder=embedder_for(ctx),
                            use_llm=ctx.options.use_llm, cancel=ctx.cancel,
                            progress=lambda level, done, total: ctx.report(level, done, total))
    try:
        summarizer.run()
    finally:
        ctx.counts.update(summarizer.counts.as_dict())
    if not ctx.cancelled:
        with ctx.services.bank.write() as db:
            ctx.save_watermark(db, {"last_pass": ctx.services.clock.now_iso()})
