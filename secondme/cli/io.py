"""`secondme import`, `export`, `backup` and `restore`."""

from __future__ import annotations

import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from ..errors import UserError
from .app import JsonOpt, NowOpt, app, emit_json, state

BACKUP_ENV = "SECONDME_BACKUP_PASSPHRASE"


def _stderr_console():
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def _print_report(report) -> None:
    from rich.console import Console
    from rich.markup import escape

    console = Console(highlight=False)
    totals = report.totals()
    parts = [f"{totals[s]} {s}" for s in ("imported", "updated", "unchanged", "skipped", "failed")]
    if totals["vanished"]:
        parts.append(f"{totals['vanished']} vanished")
    console.print("[bold]Import finished:[/] " + ", ".join(parts) + ".")
    written = report.written()
    if written:
        labels = {"chunks": "note chunks", "turns": "chat turns", "memories": "memories",
                  "sessions": "chat sessions", "messages": "messages", "summaries": "summaries",
                  "facts": "profile facts", "removed": "old chunks removed",
                  "archived": "memories archived", "kept": "chunks unchanged"}
        shown = [f"{n} {labels.get(k, k.replace('_', ' '))}" for k, n in written.items()
                 if k in labels]
        if shown:
            console.print("Written: " + ", ".join(shown) + ".")
    if written.get("facts_quarantined"):
        console.print(f"[yellow]{written['facts_quarantined']} profile facts came from the file and "
                      "are quarantined until you confirm them (imported text is data).[/]")
    for status, style in (("updated", "cyan"), ("vanished", "yellow"), ("skipped", "dim"),
                          ("failed", "red")):
        items = report.by_status(status)
        if not items:
            continue
        console.print(f"[{style}]{status.capitalize()}:[/]")
        for outcome in items[:50]:
            why = f" — {escape(outcome.reason)}" if outcome.reason else ""
            console.print(f"  [{style}]{escape(outcome.path)}[/]{why}", soft_wrap=True)
        if len(items) > 50:
            console.print(f"  … and {len(items) - 50} more (use --json for the full list)")
    if written.get("chunks") or written.get("turns") or written.get("memories"):
        console.print("[dim]New memories are stored as text now; the scheduler embeds them "
                      "shortly (or run `secondme search` to embed on demand).[/]")


@app.command("import")
def import_(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(
        help="Markdown files, Obsidian vaults or folders, .txt files, ChatGPT conversations.json, "
             "or a Second Me .jsonl export.")],
    max_mb: Annotated[float, typer.Option("--max-mb", min=0.001,
                                          help="Skip files larger than this.")] = 32.0,
    now: NowOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Import notes and chat exports. Re-running only imports what changed."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from ..importers import import_paths

    services = state(ctx).services(now)
    console = _stderr_console()
    with Progress(TextColumn("[bold]Importing"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), TextColumn("{task.description}", markup=False), console=console,
                  transient=True, disable=not console.is_terminal) as progress:
        task = progress.add_task("", total=None)

        def on_progress(path: str, done: int, total: int | None) -> None:
            name = Path(path).name if path else ""
            progress.update(task, completed=done, total=total, description=name[:40])

        report = import_paths(services, paths, max_bytes=int(max_mb * 1024 * 1024),
                              progress=on_progress)
    if not console.is_terminal and not as_json:
        total = len([o for o in report.outcomes if o.status != "vanished"])
        typer.echo(f"Processed {total} files.", err=True)
    if as_json:
        emit_json(report.to_public())
    else:
        _print_report(report)
    totals = report.totals()
    if totals["failed"] and not (totals["imported"] or totals["updated"] or totals["unchanged"]):
        raise typer.Exit(1)  # nothing usable at all; a partly bad folder still succeeds


class ExportFormat(StrEnum):
    jsonl = "jsonl"
    markdown = "markdown"


def _default_out(fmt: ExportFormat, stamp: str) -> Path:
    name = f"secondme-export-{stamp.replace(':', '').replace('-', '').replace('T', '-')}"
    return Path.cwd() / (name + ".jsonl" if fmt is ExportFormat.jsonl else name)


@app.command()
def export(
    ctx: typer.Context,
    fmt: Annotated[ExportFormat, typer.Option("--format", help="jsonl (re-importable) or "
                                              "markdown (readable, by month and day).")]
    = ExportFormat.jsonl,
    plaintext: Annotated[bool, typer.Option("--plaintext", help="Yes, write my memories "
                                            "UNENCRYPTED to disk.")] = False,
    out: Annotated[Path | None, typer.Option("--out", help="File (jsonl) or folder (markdown) to "
                                             "create; default: in the current folder.")] = None,
    now: NowOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Export everything as plaintext JSONL or Markdown (asks for --plaintext)."""
    from ..exporters import PlaintextConsentRequired, export_jsonl, export_markdown
    from ..exporters.common import counted

    if not plaintext:  # before unlocking: nothing is read without consent
        raise PlaintextConsentRequired(f"`secondme export --format {fmt.value}`")
    services = state(ctx).services(now)
    target = out or _default_out(fmt, services.clock.now_iso())
    if fmt is ExportFormat.jsonl:
        result = export_jsonl(services, target, plaintext=plaintext)
    else:
        result = export_markdown(services, target, plaintext=plaintext)
    if as_json:
        emit_json(result.to_public())
        return
    if fmt is ExportFormat.jsonl:
        counts = result.counts
        typer.echo(f"Wrote {counted(counts['memory'], 'memory', 'memories')}, "
                   f"{counted(counts['message'], 'message')}, "
                   f"{counted(counts['session'], 'session')}, "
                   f"{counted(counts['summary'], 'summary', 'summaries')}, "
                   f"{counted(counts['fact'], 'fact')}, {counted(counts['document'], 'document')}"
                   f" and {counted(counts['audit'], 'audit entry', 'audit entries')}")
    else:
        typer.echo(f"Wrote {counted(result.memories, 'memory', 'memories')} in "
                   f"{counted(result.months, 'monthly file')} and "
                   f"{counted(result.facts, 'profile fact')}")
    typer.secho(f"to {result.path}", bold=True)
    typer.secho("This copy is NOT encrypted: keep it somewhere safe and delete it when done.",
                fg=typer.colors.YELLOW)


def _backup_passphrase(passphrase_file: Path | None, confirm: bool,
                       label: str = "Backup passphrase") -> str:
    from ..unlock import PassphraseUnavailable, read_passphrase_file

    if passphrase_file is not None:
        return read_passphrase_file(passphrase_file)
    if os.environ.get(BACKUP_ENV):
        return os.environ[BACKUP_ENV]
    if not sys.stdin.isatty():
        raise PassphraseUnavailable(f"no backup passphrase: set {BACKUP_ENV} or pass "
                                    "--backup-passphrase-file")
    return typer.prompt(label, hide_input=True, confirmation_prompt=confirm)


BackupPassOpt = Annotated[Path | None, typer.Option(
    "--backup-passphrase-file", help=f"Read the backup's passphrase from this file "
    f"(or set {BACKUP_ENV}).")]


@app.command("backup")
def backup_cmd(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="The backup file to create (its key file is "
                                         "written next to it as PATH.key.json).")],
    backup_passphrase_file: BackupPassOpt = None,
    now: NowOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Write an encrypted, verified copy of the bank with its own key and passphrase."""
    from ..exporters import backup
    from ..unlock import kdf_params

    services = state(ctx).services(now)
    passphrase = _backup_passphrase(backup_passphrase_file, confirm=True)
    result = backup(services.bank, path, passphrase, kdf_params(),
                    created_at=services.clock.now_iso())
    if as_json:
        emit_json(result.to_public())
        return
    typer.echo(f"Backed up {bank_contents(result.counts)}; verified (integrity and content "
               "match).")
    typer.secho(f"Backup:   {result.path}", bold=True)
    typer.secho(f"Key file: {result.key_path}", bold=True)
    typer.echo("Keep both files together; the backup opens only with its own passphrase.")


@app.command("restore")
def restore_cmd(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="A backup made by `secondme backup`.")],
    backup_passphrase_file: BackupPassOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Restore a backup into a new, empty home (--home / SECONDME_HOME) and verify it."""
    from storage import WrongPassphrase

    from ..exporters import restore
    from ..unlock import kdf_params, resolve_passphrase
    from .app import prompt_passphrase

    st = state(ctx)
    backup_passphrase = _backup_passphrase(backup_passphrase_file, confirm=False,
                                           label=f"Passphrase of the backup {path.name}")
    from storage.bank import BankPaths

    if BankPaths(st.home).db.exists():
        from storage import BankExists

        raise BankExists(f"a memory bank already exists in {st.home}; restore into a new, "
                         "empty home (--home or SECONDME_HOME)")
    home_passphrase = resolve_passphrase(
        st.passphrase_file, prompt_passphrase, confirm=True,
        label=f"New passphrase for the restored bank in {st.home}")
    try:
        result = restore(path, backup_passphrase, st.home, home_passphrase, kdf_params())
    except WrongPassphrase:
        raise WrongPassphraseForBackup() from None
    if as_json:
        emit_json(result.to_public())
        return
    typer.echo(f"Restored {bank_contents(result.counts)} into {result.home}; verified.")


class WrongPassphraseForBackup(UserError):
    def __init__(self) -> None:
        super().__init__("wrong backup passphrase: the backup's key file could not be unlocked "
                         "(nothing was written)")


def bank_contents(counts: dict[str, int]) -> str:
    """What a backup holds, in words (the same sentence for backup and restore)."""
    from ..exporters.common import counted

    return (f"{counted(counts.get('memories', 0), 'memory', 'memories')}, "
            f"{counted(counts.get('messages', 0), 'message')}, "
            f"{counted(counts.get('summaries', 0), 'summary', 'summaries')} and "
            f"{counted(counts.get('profile_facts', 0), 'fact')}")
