"""`secondme profile [correct|delete]`: what Second Me believes about you, and why."""

from __future__ import annotations

import sys
from typing import Annotated, NoReturn

import typer

from .app import JsonOpt, NowOpt, app, emit_json, state

profile_app = typer.Typer(help="Your profile: facts with confidence, since when, and the quotes "
                          "they rest on; correct or delete a fact.")
app.add_typer(profile_app, name="profile")

FactIdArg = Annotated[int, typer.Argument(help="The fact's id (`secondme profile --json`).")]


@profile_app.callback(invoke_without_command=True)
def profile(
    ctx: typer.Context,
    history: Annotated[bool, typer.Option("--history", help="Also show closed (superseded) "
                                          "facts and when they stopped being true.")] = False,
    now: NowOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Your profile: facts with confidence, since when, and the quotes they rest on."""
    if ctx.invoked_subcommand is not None:
        return
    from ..views.profile import profile_view

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


def _fail(message: str) -> NoReturn:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(2)


def _fact(facts, fact_id: int) -> dict:
    from ..consolidation.profile.facts import FactNotFound

    try:
        return facts.get(fact_id)
    except FactNotFound as exc:
        _fail(str(exc))


@profile_app.command("correct")
def correct(ctx: typer.Context, fact_id: FactIdArg,
            value: Annotated[str, typer.Argument(help="The right value, in your words.")],
            now: NowOpt = None, as_json: JsonOpt = False) -> None:
    """Correct a fact: your value replaces it (the old one is kept as past, never current)."""
    from ..consolidation.profile.facts import ProfileFacts, fact_text

    services = state(ctx).services(now)
    facts = ProfileFacts(services)
    old = _fact(facts, fact_id)
    if not value.strip():
        _fail("a fact needs a value")
    new_id = facts.correct(fact_id, value)
    new = facts.get(new_id)
    if as_json:
        emit_json({"id": new_id, "replaces": fact_id if new_id != fact_id else None,
                   "fact": new})
        return
    if new_id == fact_id:
        typer.echo(f"Fact #{fact_id} already says {old['value']!r}; nothing changed.")
        return
    typer.echo(f"Corrected #{fact_id} → #{new_id}: "
               f"{fact_text(new, services.settings.user_name)} "
               f"(#{fact_id} is kept as past and is no longer recalled as current)")


@profile_app.command("delete")
def delete(ctx: typer.Context, fact_id: FactIdArg,
           yes: Annotated[bool, typer.Option("--yes", "-y", help="Don't ask for confirmation.")]
           = False,
           now: NowOpt = None, as_json: JsonOpt = False) -> None:
    """Delete a fact for good: the fact, its memory, its evidence links and its audit text."""
    from ..consolidation.profile.facts import ProfileFacts, fact_text

    services = state(ctx).services(now)
    facts = ProfileFacts(services)
    fact = _fact(facts, fact_id)
    if not yes:
        if not sys.stdin.isatty():
            _fail("deleting a fact cannot be undone; pass --yes to confirm")
        typer.confirm(f"Delete #{fact_id} ({fact_text(fact, services.settings.user_name)!r}) "
                      "for good?", abort=True)
    removed = facts.delete(fact_id)
    if as_json:
        emit_json({"id": fact_id, "deleted": True, "removed": removed})
        return
    typer.echo(f"Deleted fact #{fact_id}: its memory, {removed['evidence_links']} evidence "
               "link(s) and the text of its history. The memories it was drawn from stay "
               "(forget them with `secondme memory forget`).")
