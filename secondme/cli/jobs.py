"""`secondme jobs`, `secondme jobs run NAME|all` and `secondme summaries`."""

from __future__ import annotations

from typing import Annotated

import typer

from ..errors import InvalidInput
from ..progress import JsonLines, percent
from .app import JsonOpt, NowOpt, app, emit_json, state
from .progress import JobBars, describe, stderr_console

jobs_app = typer.Typer(help="Background consolidation: list jobs and their runs, or run them now.",
                       no_args_is_help=False)
app.add_typer(jobs_app, name="jobs")


def _counts_line(counts: dict) -> str:
    parts = []
    for key, value in counts.items():
        if key in ("seconds", "reasons") or value in (None, {}, 0):
            continue
        if isinstance(value, dict):
            value = ", ".join(f"{k} {v}" for k, v in value.items())
        parts.append(f"{key} {value}")
    return " · ".join(parts) or "nothing to do"


@jobs_app.callback(invoke_without_command=True)
def jobs_overview(ctx: typer.Context, now: NowOpt = None, as_json: JsonOpt = False) -> None:
    """Jobs, their schedule while the app is open, and their last runs."""
    if ctx.invoked_subcommand is not None:
        return
    from ..jobs.scheduler import overview

    data = overview(state(ctx).services(now))
    for job in data["jobs"]:
        job["progress"] = _running_progress(job["last_run"])
    if as_json:
        emit_json(data)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Jobs (scheduler: {data['scheduler']})", expand=True)
    for column in ("job", "every", "last run", "status", "result"):
        table.add_column(column, no_wrap=column != "result", ratio=1 if column == "result" else None)
    for job in data["jobs"]:
        last = job["last_run"]
        status = last["status"] if last else "never run"
        colour = {"ok": "green", "error": "red", "interrupted": "yellow"}.get(status, "dim")
        if last is None:
            result = job["description"]
        elif status == "running":
            done = describe(job["progress"])
            result = (f"in progress{': ' + done if done else ''} "
                      "(or its process died; the next run will tell)")
        else:
            result = last["error"] or _counts_line(last["counts"])
        table.add_row(job["name"], f"{job['every_minutes']} min",
                      last["started_at"] if last else "—", f"[{colour}]{status}[/]", result)
    Console(highlight=False).print(table)
    typer.echo("Jobs run on this schedule while the chat is open; "
               "`secondme jobs run NAME|all` runs them now.")


def _running_progress(last: dict | None) -> dict | None:
    """A running job's stored progress with its percentage (None when not running)."""
    if not last or last["status"] != "running":
        return None
    stored = last["counts"].get("progress")
    if not isinstance(stored, dict):
        return None
    return {**stored, "percent": percent(int(stored.get("done", 0)), stored.get("total"))}


@jobs_app.command("run")
def jobs_run(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="embed, dedupe, profile, summarize, decay, or all.")],
    no_llm: Annotated[bool, typer.Option("--no-llm", help="Extractive summaries and rule-based "
                                         "facts only (fast; no model load).")] = False,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="At most this many items "
                                              "per job (embed, profile).")] = None,
    show_progress: Annotated[bool | None, typer.Option(
        "--progress/--no-progress", help="Show progress (default: on a terminal). With --json, "
        "progress events go to stderr as JSON lines: {\"event\": \"progress\", \"job\", "
        "\"stage\", \"done\", \"total\", \"percent\"}.")] = None,
    now: NowOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Run one job (or all, in order) now, in this process."""
    from .. import jobs

    selected = jobs.names(name)
    services = state(ctx).services(now)
    options = jobs.JobOptions(use_llm=not no_llm, limit=limit)
    console = stderr_console()
    if show_progress is None:
        show_progress = console.is_terminal and not as_json
    if not show_progress:
        results = jobs.run(services, name, options=options)
    elif as_json:
        results = [jobs.run_job(services, job, jobs.JOBS[job].fn, options=options,
                                progress=JsonLines(job)) for job in selected]
    else:
        results = _run_with_bars(services, selected, options, console)
    if as_json:
        emit_json({"now": services.clock.now_iso(), "runs": [r.to_public() for r in results]})
    else:
        for result in results:
            colour = {"ok": "green", "error": "red"}.get(result.status, "yellow")
            line = result.error if result.error else _counts_line(result.counts)
            typer.echo(typer.style(f"{result.job:<10} {result.status:<11}", fg=colour) +
                       f" {result.seconds:6.1f}s  {line}")
            if result.interrupted_before:
                typer.echo(f"{'':<23}(marked {result.interrupted_before} earlier crashed run(s) "
                           "as interrupted)")
    if any(r.status == "error" for r in results):
        raise typer.Exit(1)


def _run_with_bars(services, selected: list[str], options, console) -> list:
    from .. import jobs

    results = []
    with JobBars(console) as bars:
        for name in selected:
            progress, task = bars.job(name)
            results.append(jobs.run_job(services, name, jobs.JOBS[name].fn, options=options,
                                        progress=progress))
            bars.finish(task)
    return results


@app.command()
def summaries(
    ctx: typer.Context,
    level: Annotated[str | None, typer.Option("--level", help="session, day, week, month or "
                                              "life.")] = None,
    history: Annotated[bool, typer.Option("--history", help="Include superseded versions.")]
    = False,
    now: NowOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The hierarchical summaries, each with the memories/summaries it was made from."""
    from ..periods import SUMMARY_LEVELS as LEVELS
    from ..views.summaries import summaries_view

    if level is not None and level not in LEVELS:
        raise InvalidInput(f"unknown level {level!r}; choose one of: {', '.join(LEVELS)}")
    items = summaries_view(state(ctx).services(now), level=level, history=history)
    if as_json:
        emit_json({"summaries": items})
        return
    if not items:
        typer.echo("No summaries yet: they are made when a day, week or month closes "
                   "(`secondme jobs run summarize`).")
        return
    for item in items:
        old = "" if item["is_current"] else f"  [superseded {item['superseded_at']}]"
        old += f"  [{item['provenance']}]" if item.get("provenance") else ""
        typer.secho(f"{item['level']:<6} {item['label']}  v{item['version']} ({item['method']})"
                    f"{old}", bold=True)
        typer.echo(f"    {item['text']}")
        refs = ", ".join(f"{s['type']} #{s['id']}" for s in item["sources"])
        typer.secho(f"    from {len(item['sources'])}: {refs}", dim=True)
