"""`secondme search`."""

from __future__ import annotations

from typing import Annotated

import typer

from .app import JsonOpt, NowOpt, app, emit_json, state

# A search that loads the embedder anyway first embeds this many waiting memories; beyond
# that it says so and leaves the bulk to the scheduler's embed job.
CATCH_UP_LIMIT = 2000


def _catch_up(services, embedder, quiet: bool) -> int:
    """Embeds memories written since the last run (e.g. by `remember`), so dense search sees them.

    Returns how many memories are still without a vector (found by keywords only).
    """
    from ..memory.embed import embed_pending, pending_count

    pending = pending_count(services.memory, embedder)
    if not pending or pending > CATCH_UP_LIMIT:
        return pending
    if quiet:
        return pending - embed_pending(services.memory, embedder)
    from rich.progress import Progress

    with Progress(transient=True, console=_stderr_console()) as progress:
        task = progress.add_task("Embedding new memories", total=pending)
        stored = embed_pending(services.memory, embedder,
                               on_batch=lambda n: progress.advance(task, n))
    return pending - stored


def not_embedded_note(count: int) -> str:
    noun = "memory is" if count == 1 else "memories are"
    return (f"{count} {noun} not embedded yet: found by keywords only until "
            "`secondme jobs run embed` has run.")


def search_degraded(services, mode: str, not_embedded: int) -> list[str]:
    """Why this search was less than it asked for (empty when nothing fell back)."""
    if mode == "bm25":
        return []
    degraded = services.degraded()
    if not_embedded:
        degraded.append(not_embedded_note(not_embedded))
    return degraded


def _stderr_console():
    from rich.console import Console

    return Console(stderr=True)


@app.command()
def search(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help="Any text; quotes and symbols are safe; `-` "
                                         "reads it from stdin (not visible in `ps`).")],
    k: Annotated[int, typer.Option("--k", min=1, max=200, help="How many hits.")] = 8,
    include_archived: Annotated[bool, typer.Option("--all", help="Include archived memories.")]
    = False,
    mode: Annotated[str, typer.Option(
        "--mode", help="hybrid (default), bm25 (keywords only) or dense (meaning only).")]
    = "hybrid",
    now: NowOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Search your memories: keywords and meaning, weighted by retention and time."""
    from ..memory.abstention import judge
    from ..memory.retrieval import MODES

    if mode not in MODES:
        raise typer.BadParameter(f"--mode must be one of {', '.join(MODES)}")
    from .textarg import text_or_stdin

    query = text_or_stdin(query, "search text")
    services = state(ctx).services(now)
    if mode != "bm25":
        embedder = services.available_embedder()   # None (and degraded) when it cannot load
        not_embedded = 0 if embedder is None else _catch_up(services, embedder, quiet=as_json)
    else:
        from ..memory.embed import pending_count

        not_embedded = pending_count(services.memory, services.embedder())
    hits = services.retriever().search(query, k=k, include_archived=include_archived, mode=mode)
    degraded = search_degraded(services, mode, not_embedded)
    if as_json:
        emit_json({"query": query, "mode": mode, "now": services.clock.now_iso(),
                   "not_embedded": not_embedded, "degraded": degraded,
                   "hits": [h.to_public() for h in hits], **judge(hits, query=query).to_public()})
        return
    for line in degraded:
        typer.secho(line, fg=typer.colors.YELLOW)
    if not hits:
        typer.echo("No memories match.")
        return
    for hit in hits:
        m, s = hit.memory, hit.scores
        state_mark = "" if m.state == "active" else f" ({m.state})"
        typer.echo(f"#{m.id}  {m.event_at[:10]}  [{m.kind}/{m.source}]{state_mark}  "
                   f"score {s.final:.3f}  R {s.retention:.2f}")
        typer.echo(f"    {m.text[:200]}")
        parts = [f"bm25 {s.bm25:.2f}" if s.bm25 is not None else "bm25 –",
                 f"cos {s.cosine:.2f}" if s.cosine is not None else "cos –",
                 f"fused {s.fused:.2f}", f"time {s.time_match:.2f}"]
        why = "; ".join(hit.reasons)
        typer.echo(f"    {'  '.join(parts)}" + (f"  — {why}" if why else ""))
