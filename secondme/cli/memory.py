"""`secondme memory show|history|pin|unpin|restore|forget|edit`: one memory, inspected and controlled."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from ..clock import from_iso
from ..errors import UserError
from ..views import memory as views
from .app import JsonOpt, NowOpt, app, emit_json, state

memory_app = typer.Typer(help="Inspect and control one memory: its text, curve and history.",
                         no_args_is_help=True)
app.add_typer(memory_app, name="memory")

IdArg = Annotated[int, typer.Argument(help="The memory's id (shown by search and timeline).")]
HORIZONS = (1, 7, 30)
SPARK = "▁▂▃▄▅▆▇█"


def retention_report(services: Any, memory: Any) -> dict[str, Any]:
    """The retention read model, as JSON."""
    return views.retention_report(services, memory, HORIZONS).to_public()


def curve(services: Any, memory: Any, width: int = 30) -> tuple[str, int]:
    """R from the last reinforcement onwards as a sparkline, with ◆ at now; and its span in days.

    Starting at the last reinforcement (not at now) shows where on its curve the memory is.
    """
    points = views.retention_curve(services, memory, days_ahead=30, points=width, min_span=60)
    chars = [SPARK[min(len(SPARK) - 1, int(r * len(SPARK)))] for _, r in points]
    now = min(range(width), key=lambda i: abs(points[i][0]))
    chars[now] = "◆"
    return "".join(chars), round(points[-1][0] - points[0][0])


def _when(iso: str) -> str:
    return from_iso(iso).strftime("%Y-%m-%d %H:%M")


def _clip(text: object, width: int = 60) -> str:
    flat = " ".join(str(text).split())
    return repr(flat if len(flat) <= width else flat[:width - 1] + "…")


def _history_lines(entries: list[dict[str, Any]]) -> list[str]:
    lines = []
    for entry in entries:
        detail = entry.get("note") or ""
        before, after = entry.get("before"), entry.get("after")
        if isinstance(after, dict) and not detail:
            detail = ", ".join(f"{k}={v}" for k, v in after.items()
                               if k not in ("text",))[:100]
        lines.append(f"  {_when(entry['at'])}  {entry['actor']:<8} {entry['action']:<10} {detail}")
        if isinstance(after, dict) and "text" in after:
            old = before.get("text") if isinstance(before, dict) else None
            change = f"{_clip(old)} -> {_clip(after['text'])}" if old is not None else \
                _clip(after["text"])
            lines.append(f"      text: {change}")
    return lines


@memory_app.command("show")
def show(ctx: typer.Context, memory_id: IdArg, now: NowOpt = None,
         as_json: JsonOpt = False) -> None:
    """Text, times, source, strength, retention now and ahead, recalls and audit history."""
    services = state(ctx).services(now)
    memory = services.memory.get(memory_id)
    report = retention_report(services, memory)
    history = services.memory.history(memory_id)
    if as_json:
        emit_json({"memory": memory.to_public(), "retention": report, "history": history,
                   "now": services.clock.now_iso()})
        return
    flags = [memory.kind, memory.source, memory.trust, memory.state] + \
        (["pinned"] if memory.pinned else [])
    typer.echo(f"Memory #{memory.id}  [{' · '.join(flags)}]")
    for line in memory.text.splitlines() or [""]:
        typer.echo(f"  {line}")
    typer.echo(f"Happened      {_when(memory.event_at)}")
    typer.echo(f"Recorded      {_when(memory.recorded_at)}")
    ref = ", ".join(f"{k}={v}" for k, v in memory.source_ref.items())
    typer.echo(f"Source        {memory.source}{f' ({ref})' if ref else ''}")
    typer.echo(f"Strength S    {memory.strength:.2f}   recalled {memory.recall_count}×   "
               f"last reinforced {_when(memory.last_reinforced_at)} "
               f"({report['days_since_reinforced']:.1f} days ago)")
    ahead = "   ".join(f"+{d}d {r:.2f}" for d, r in report["projected"].items())
    typer.echo(f"Retention R   now {report['r_now']:.2f}   {ahead}")
    if report["never_fades"]:
        typer.echo("              never fades (pinned or a profile fact)")
    else:
        line, span = curve(services, memory)
        typer.echo(f"Curve         {line}   (last reinforced → +{span} d, ◆ now; "
                   f"τ {report['tau_days']:g} d, θ {report['threshold']:g})")
        if report["below_threshold"]:
            typer.echo("              below θ: the decay job will archive it"
                       if memory.state == "active" else
                       f"              below θ and archived: `secondme memory restore {memory.id}` "
                       "brings it back")
        else:
            typer.echo(f"              reaches θ in {report['days_until_archive']:.1f} days "
                       "unless it is used again")
    typer.echo("History")
    for line in _history_lines(history):
        typer.echo(line)


@memory_app.command("history")
def history(ctx: typer.Context, memory_id: IdArg, as_json: JsonOpt = False) -> None:
    """Every change to this memory, from the audit log (forgotten text stays redacted)."""
    services = state(ctx).services()
    entries = services.memory.history(memory_id)
    if not entries:
        from ..memory.service import MemoryNotFound

        raise MemoryNotFound(memory_id)
    if as_json:
        emit_json({"id": memory_id, "history": entries})
        return
    for line in _history_lines(entries):
        typer.echo(line)


def _done(services: Any, memory: Any, message: str, as_json: bool) -> None:
    if as_json:
        emit_json({"memory": memory.to_public(), "retention": retention_report(services, memory)})
    else:
        typer.echo(message)


@memory_app.command("pin")
def pin(ctx: typer.Context, memory_id: IdArg, now: NowOpt = None, as_json: JsonOpt = False) -> None:
    """Keep this memory: a pinned memory never fades or gets archived."""
    services = state(ctx).services(now)
    was_pinned = services.memory.get(memory_id).pinned
    memory = services.memory.pin(memory_id)
    _done(services, memory, f"#{memory_id} was already pinned; nothing changed." if was_pinned
          else f"Pinned #{memory_id}: it will not fade.", as_json)


@memory_app.command("unpin")
def unpin(ctx: typer.Context, memory_id: IdArg, now: NowOpt = None,
          as_json: JsonOpt = False) -> None:
    """Let this memory fade normally again."""
    services = state(ctx).services(now)
    was_pinned = services.memory.get(memory_id).pinned
    memory = services.memory.unpin(memory_id)
    r = services.memory.retention_of(memory)
    _done(services, memory, f"Unpinned #{memory_id}: retention now {r:.2f}." if was_pinned
          else f"#{memory_id} was not pinned; nothing changed.", as_json)


@memory_app.command("restore")
def restore(ctx: typer.Context, memory_id: IdArg, now: NowOpt = None,
            as_json: JsonOpt = False) -> None:
    """Bring an archived memory back into everyday recall (freshly reinforced)."""
    services = state(ctx).services(now)
    before = services.memory.get(memory_id)
    memory = services.memory.restore(memory_id)
    was = "was archived" if before.state == "archived" else "was already active"
    _done(services, memory, f"Restored #{memory_id} ({was}); retention now "
          f"{services.memory.retention_of(memory):.2f}.", as_json)


@memory_app.command("edit")
def edit(ctx: typer.Context, memory_id: IdArg,
         text: Annotated[str, typer.Argument(help="The corrected text.")],
         now: NowOpt = None, as_json: JsonOpt = False) -> None:
    """Correct a memory's text (the old text stays in its audit history)."""
    services = state(ctx).services(now)
    memory = services.memory.edit(memory_id, text)
    _done(services, memory, f"Edited #{memory_id}.", as_json)


@memory_app.command("forget")
def forget(ctx: typer.Context, memory_id: IdArg,
           yes: Annotated[bool, typer.Option("--yes", "-y", help="Don't ask for confirmation.")]
           = False,
           now: NowOpt = None, as_json: JsonOpt = False) -> None:
    """Delete a memory for good: its row, chat messages, search index entry, the summaries
    built from it and its fact evidence."""
    services = state(ctx).services(now)
    memory = services.memory.get(memory_id)
    if not yes:
        if not sys.stdin.isatty():
            raise UserError("forgetting cannot be undone: pass --yes to confirm (there is no "
                            "terminal to ask)")
        preview = memory.text if len(memory.text) <= 60 else memory.text[:57] + "..."
        typer.confirm(f"Forget #{memory_id} ({preview!r}) for good?", abort=True)
    removed = services.memory.forget(memory_id)
    if as_json:
        emit_json({"id": memory_id, "forgotten": True, "removed": removed})
    else:
        typer.echo(f"Forgot #{memory_id}: removed the memory, {removed.get('messages', 0)} "
                   f"message(s), {removed.get('summaries', 0)} summary(ies) built from it "
                   f"(rebuilt without it at the next summarize run) and "
                   f"{removed.get('fact_evidence', 0)} piece(s) of fact evidence. "
                   "Only a content-free audit entry remains.")
