"""`secondme model list | pull NAME | use NAME|PATH | remove NAME | info`: better models, one
command away. The embedded Gemma 3 270M stays the zero-download default."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from ..paths import model_cache_dir
from .app import JsonOpt, app, emit_json, state

model_app = typer.Typer(help="List, download and switch the language model.",
                        no_args_is_help=True)
app.add_typer(model_app, name="model")


def _active(ctx: typer.Context) -> str | None:
    return state(ctx).settings().model


def _rows(ctx: typer.Context) -> list[dict[str, Any]]:
    from ..llm.installed import catalog_rows

    return catalog_rows(_active(ctx))


@model_app.command("list")
def list_models(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """The curated catalog: size, licence, memory needed, installed or not."""
    rows = _rows(ctx)
    if as_json:
        emit_json({"models": rows, "active": _active(ctx)})
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Models (secondme model pull NAME)")
    for column in ("name", "model", "size", "RAM", "licence", "template", "here"):
        table.add_column(column)
    for r in rows:
        here = "active" if r["active"] else "yes" if r["installed"] else ""
        table.add_row(r["name"], r["title"], f"{r['size_mb'] / 1024:.1f} GB",
                      f"{r['ram_gb']:g} GB", r["licence"], "yes" if r["chat_template"] else "no",
                      here)
    Console().print(table)
    if not _active(ctx):
        Console().print("active: the embedded Gemma 3 270M (no download needed)")


@model_app.command("pull")
def pull(ctx: typer.Context,
         name: Annotated[str, typer.Argument(help="A catalog name (see `model list`).")],
         as_json: JsonOpt = False) -> None:
    """Download a catalog model (resumable), verifying the hub's SHA-256."""
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    from ..llm.catalog import find
    from ..llm.download import DownloadError
    from ..llm.download import pull as fetch

    entry = find(name)
    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
               TransferSpeedColumn(), TimeRemainingColumn())
    from rich.console import Console

    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task(f"pulling {entry.file}", total=None)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total or None)

        try:
            path = fetch(entry, model_cache_dir(), progress=advance)
        except DownloadError as exc:
            typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
            raise typer.Exit(2) from None
    if as_json:
        emit_json({"name": entry.name, "path": str(path)})
    else:
        typer.echo(f"{entry.title} is ready: {path}\nuse it with `secondme model use {name}`")


@model_app.command("use")
def use(ctx: typer.Context,
        target: Annotated[str, typer.Argument(help="A catalog name, a .gguf path, or "
                                                   "'default' for the embedded model.")]) -> None:
    """Make a model the one chat and ask use (written to config.toml in the home)."""
    from ..llm.installed import resolve, save_active

    path = resolve(target)
    written = save_active(state(ctx).home, path)
    if path is None:
        typer.echo("using the embedded Gemma 3 270M")
    else:
        typer.echo(f"using {path} (saved in {written})")


@model_app.command("remove")
def remove(ctx: typer.Context,
           name: Annotated[str, typer.Argument(help="A downloaded catalog model.")]) -> None:
    """Delete a downloaded catalog model (and any partial download of it)."""
    import shutil

    from ..config_edit import write_setting
    from ..llm.catalog import CatalogError, find
    from ..llm.download import installed_path, staging_dir

    entry = find(name)
    path = installed_path(model_cache_dir(), entry)
    stage = staging_dir(model_cache_dir(), entry)
    if not path.exists() and not stage.exists():
        raise CatalogError(f"{name} is not downloaded")
    active = _active(ctx)
    path.unlink(missing_ok=True)
    shutil.rmtree(stage, ignore_errors=True)
    if active and Path(active).expanduser() == path:
        write_setting(state(ctx).home, "model", None)
        typer.echo(f"removed {name}; back to the embedded Gemma 3 270M")
    else:
        typer.echo(f"removed {name}")


@model_app.command("info")
def info(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """The active model, this machine's memory, and the catalog model that suits it best."""
    from ..llm.catalog import recommend, total_ram_gb

    active = _active(ctx)
    rows = {r["file"]: r for r in _rows(ctx)}
    entry = rows.get(Path(active).name) if active else None
    ram = total_ram_gb()
    gpu = _gpu()
    best = recommend(ram, gpu)
    report = {"active": active or "embedded Gemma 3 270M", "catalog": entry,
              "ram_gb": None if ram is None else round(ram, 1), "gpu_offload": gpu,
              "recommended": None if best is None else best.name}
    if as_json:
        emit_json(report)
        return
    typer.echo(f"active model: {report['active']}"
               + (f" ({entry['title']}, {entry['licence']})" if entry else ""))
    typer.echo(f"this machine: {report['ram_gb']} GB RAM, GPU offload "
               f"{'yes' if gpu else 'no'}")
    if best is not None:
        typer.echo(f"recommended: {best.title} — `secondme model pull {best.name}` then "
                   f"`secondme model use {best.name}`")


def _gpu() -> bool:
    try:
        from ..llm.llama import gpu_offload_supported

        return gpu_offload_supported()
    except Exception:
        return False
