"""`decay`: archive memories whose retention fell below θ (MemoryService does the maths)."""

from __future__ import annotations

from .runner import JobContext


def run(ctx: JobContext) -> None:
    counts = ctx.services.memory.apply_decay(actor="decay")
    ctx.counts.update(counts)
    with ctx.services.bank.write() as db:
        ctx.save_watermark(db, {"last_pass": ctx.services.clock.now_iso()})
