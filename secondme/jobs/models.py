"""The LLM for a job, or None: consolidation must still run (extractive / rules) without one."""

from __future__ import annotations

from ..llm.base import TextModel
from .runner import JobContext


def model_for(ctx: JobContext) -> TextModel | None:
    if not ctx.options.use_llm:
        return None
    try:
        return ctx.services.model()
    except Exception as exc:
        ctx.counts["model_unavailable"] = f"{type(exc).__name__}: {exc}"[:200]
        return None


def embedder_for(ctx: JobContext):
    def get():
        return ctx.services.embedder()
    return get
