"""`secondme profile`: what Second Me believes about you, and why."""

from __future__ import annotations

from typing import Annotated

import typer

from .app import JsonOpt, NowOpt, app, emit_json, state


@app.command()
def profile(
    ctx: typer.Context,
    history: Annotated[bool, typer.Option("--history", help="Also show closed (superseded) "
                                          "facts and when they stopped being true.")] = False,
    now: NowOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Your profile: facts with confidence, since when, and the quotes they rest on."""
    from ..profile import profile_view

    facts = profile_view(state(ctx).services(now), history=history)
    if as_json:
        emit_json({"facts": facts})
        return
    if not facts:
        typer.echo("No facts yet. They are drawn from what you tell Second Me "
                   "(`secondme jobs run profile`).")
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table(title="Profile" + (" (with history)" if history else ""), expand=True)
    table.add_column("category", no_wrap=True)
    table.add_column("fact", ratio=1)
    table.add_column("conf.", justify="right", no_wrap=True)
    table.add_column("valid", no_wrap=True)
    table.add_column("evidence", ratio=2)
    for fact in facts:
        closed = fact["status"] != "active"
        since = (fact["valid_from"] or "")[:10]
        until = (fact["valid_to"] or "")[:10]
        valid = f"{since} → {until}" if closed else f"since {since}"
        quotes = "; ".join(f"“{escape(s['quote'])}” #{s['memory_id']}"
                           + ("" if s["verified"] else " [red](not found)[/]")
                           for s in fact["sources"][:3])
        more = len(fact["sources"]) - 3
        quotes += f" (+{more} more)" if more > 0 else ""
        text = escape(fact["text"])
        table.add_row(fact["category"], f"[dim strike]{text}[/]" if closed else text,
                      f"{fact['confidence']:.2f}", valid, f"[dim]{quotes}[/] ({fact['method']})")
    Console(highlight=False).print(table)
