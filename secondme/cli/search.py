"""`secondme search`."""

from __future__ import annotations

from typing import Annotated

import typer

from .app import JsonOpt, NowOpt, app, emit_json, state


@app.command()
def search(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help="Any text; quotes and symbols are safe.")],
    k: Annotated[int, typer.Option("--k", min=1, max=200, help="How many hits.")] = 8,
    include_archived: Annotated[bool, typer.Option("--all", help="Include archived memories.")]
    = False,
    now: NowOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Search your memories."""
    from ..retrieval import FullTextRetriever

    services = state(ctx).services(now)
    hits = FullTextRetriever(services.memory).search(query, k=k, include_archived=include_archived)
    if as_json:
        emit_json({"query": query, "hits": [h.to_public() for h in hits]})
        return
    if not hits:
        typer.echo("No memories match.")
        return
    for hit in hits:
        m = hit.memory
        typer.echo(f"#{m.id}  {m.event_at[:10]}  [{m.kind}/{m.source}]  "
                   f"score {hit.scores.final:.3f}  R {hit.scores.retention:.2f}")
        typer.echo(f"    {m.text[:200]}")
