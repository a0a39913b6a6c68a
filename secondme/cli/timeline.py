"""`secondme timeline`."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from .app import JsonOpt, NowOpt, app, emit_json, state


class Level(StrEnum):
    day = "day"
    week = "week"
    month = "month"


def _bar(value: float | None, width: int = 10) -> str:
    if value is None:
        return ""
    filled = round(max(0.0, min(1.0, value)) * width)
    return "█" * filled + "░" * (width - filled)


@app.command()
def timeline(
    ctx: typer.Context,
    start: Annotated[str | None, typer.Option("--from", help="First date (ISO), default: the "
                                              "oldest memory.")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last date (ISO), inclusive.")] = None,
    level: Annotated[Level, typer.Option("--level", help="day, week or month.")] = Level.month,
    empty: Annotated[bool, typer.Option("--empty", help="Also list periods with nothing in them.")]
    = False,
    now: NowOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Per day, week or month: the summary, counts by kind and source, retention, archived."""
    from ..clock import parse_when
    from ..views.timeline import timeline as build

    first = parse_when(start) if start else None
    last = parse_when(end) if end else None
    services = state(ctx).services(now)
    periods = build(services, start=first, end=last, level=level.value, include_empty=empty)
    if as_json:
        emit_json({"level": level.value, "now": services.clock.now_iso(),
                   "periods": [p.to_public() for p in periods]})
        return
    if not periods:
        typer.echo("Nothing in this range yet. Import notes with `secondme import PATH`.")
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=f"Timeline by {level.value}", expand=True)
    table.add_column("period", no_wrap=True)
    table.add_column("memories", justify="right", no_wrap=True)
    table.add_column("retention", no_wrap=True)
    table.add_column("summary · kinds · sources", ratio=1)
    for stats in periods:
        mix = " · ".join([*(f"{k} {n}" for k, n in stats.by_kind.items()),
                          *(f"{k} {n}" for k, n in stats.by_source.items())])
        if stats.summary:
            text = " ".join(stats.summary["text"].split())
            summary = escape(text if len(text) <= 280 else text[:279] + "…")
        else:
            summary = "[dim](no summary yet)[/]"
        mean = stats.mean_retention
        retention = f"{_bar(mean, 8)} {mean:.2f}" if mean is not None else "—"
        archived = f"\n[dim]{stats.archived} archived[/]" if stats.archived else ""
        table.add_row(f"[bold]{stats.period.key}[/]\n[dim]{stats.period.label}[/]",
                      f"{stats.total}{archived}", retention,
                      f"{summary}\n[dim]{escape(mix)}[/]")
    Console(highlight=False).print(table)
