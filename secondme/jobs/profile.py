"""`profile`: facts from new user-authored memories (watermark = last memory id read)."""

from __future__ import annotations

from ..consolidation.profile.builder import ProfileBuilder
from .models import model_for
from .runner import JobContext


def run(ctx: JobContext) -> None:
    builder = ProfileBuilder(ctx.services, model=model_for(ctx), use_llm=ctx.options.use_llm,
                             cancel=ctx.cancel,
                             progress=lambda done, total: ctx.report("profile", done, total))
    try:
        builder.run(limit=ctx.options.limit)
    finally:
        ctx.counts.update(builder.counts.as_dict())
