"""`secondme inbox`: memories other AI tools proposed, waiting for your decision."""

from __future__ import annotations

from typing import Annotated

import typer

from .app import JsonOpt, NowOpt, app, emit_json, state
from .mcp import owner_errors

inbox_app = typer.Typer(help="Review what other AI tools asked Second Me to remember.",
                        no_args_is_help=False)
app.add_typer(inbox_app, name="inbox")
ItemArg = Annotated[int, typer.Argument(help="The inbox item's id (see `secondme inbox`).")]


def _access(ctx: typer.Context, now: str | None = None):
    from ..mcp.access import McpAccess

    return McpAccess(state(ctx).services(now))


@inbox_app.callback(invoke_without_command=True)
def inbox_list(ctx: typer.Context, now: NowOpt = None, as_json: JsonOpt = False) -> None:
    """Pending proposals: nothing here is a memory until you approve it."""
    if ctx.invoked_subcommand is not None:
        return
    items = _access(ctx, now).inbox()
    if as_json:
        emit_json({"items": items})
        return
    if not items:
        typer.echo("The inbox is empty.")
        return
    for item in items:
        typer.echo(f"#{item['id']}  {item['proposed_at']}  from {item['client']}")
        typer.echo(f"    {item['text']}")
    typer.echo("`secondme inbox approve ID` stores one as a memory; `secondme inbox reject ID` "
               "deletes it.")


@inbox_app.command()
def approve(ctx: typer.Context, item_id: ItemArg, now: NowOpt = None,
            as_json: JsonOpt = False) -> None:
    """Store a proposal as a memory (trust 'external', from the client that proposed it)."""
    with owner_errors():
        memory_id = _access(ctx, now).approve(item_id)
    if as_json:
        emit_json({"inbox_id": item_id, "memory_id": memory_id})
    else:
        typer.echo(f"Approved: remembered as #{memory_id}.")


@inbox_app.command()
def reject(ctx: typer.Context, item_id: ItemArg, now: NowOpt = None) -> None:
    """Delete a proposal; nothing of it is kept."""
    with owner_errors():
        _access(ctx, now).reject(item_id)
    typer.echo(f"Rejected #{item_id}; it was deleted.")
