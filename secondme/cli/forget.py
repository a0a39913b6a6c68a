"""`secondme forget --source PATH|import-run:N|session:ID`: undo an import or a conversation."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from ..errors import UserError
from ..exporters.common import counted
from .app import JsonOpt, NowOpt, app, emit_json, state


class ConfirmationNeeded(UserError):
    def __init__(self) -> None:
        super().__init__("forgetting cannot be undone; pass --yes to confirm (or --dry-run "
                         "to see what would go)")


def _summary(counts: dict[str, Any]) -> str:
    return ", ".join([counted(counts["memories"], "memory", "memories"),
                      counted(counts["messages"], "message"),
                      counted(counts["summaries"], "summary", "summaries"),
                      counted(counts["facts"], "fact")])


@app.command("forget")
def forget_source(
    ctx: typer.Context,
    source: Annotated[str, typer.Option(
        "--source", help="An imported file or folder, `import-run:N` (or `import-run:last`), "
                         "or `session:ID` (a chat session).")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only count what would be "
                                          "forgotten.")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Don't ask for confirmation.")]
    = False,
    now: NowOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Forget everything that came from one source, completely (memories, messages,
    summaries built from them, facts they were evidence for)."""
    from ..memory.forget_sources import resolve

    services = state(ctx).services(now)
    selection, label = resolve(services.bank, source)
    planned = services.memory.forget_selection(selection, dry_run=True).as_dict()
    if dry_run:
        if as_json:
            emit_json({"source": label, "dry_run": True, "counts": planned})
        else:
            typer.echo(f"Would forget {_summary(planned)} from {label}.")
        return
    if not yes:
        if not sys.stdin.isatty():
            raise ConfirmationNeeded()
        typer.confirm(f"Forget {_summary(planned)} from {label} for good?", abort=True)
    done = services.memory.forget_selection(selection).as_dict()
    if as_json:
        emit_json({"source": label, "dry_run": False, "counts": done})
    else:
        typer.echo(f"Forgot {_summary(done)} from {label}. Only content-free audit entries "
                   "remain; summaries are rebuilt without them at the next summarize run.")
