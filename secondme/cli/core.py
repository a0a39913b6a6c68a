"""Foundation commands: init, passwd, doctor, remember, search."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from ..clock import parse_when
from ..unlock import PassphraseUnavailable, resolve_passphrase
from .app import JsonOpt, NowOpt, app, emit_json, prompt_passphrase, state


@app.command()
def init(
    ctx: typer.Context,
    keyring: Annotated[bool, typer.Option("--keyring", help="Also keep the key in the OS keyring.")]
    = False,
    as_json: JsonOpt = False,
) -> None:
    """Create a new encrypted memory bank."""
    st = state(ctx)
    services = st.create()
    result = {"home": str(st.home), "db_id": services.bank.db_id, "keyring": None}
    if keyring:
        from ..unlock import store_in_keyring

        result["keyring"] = store_in_keyring(services.bank)
    if as_json:
        emit_json(result)
    else:
        typer.echo(f"Created an encrypted memory bank in {st.home}")


@app.command()
def passwd(
    ctx: typer.Context,
    new_passphrase_file: Annotated[Path | None, typer.Option(
        "--new-passphrase-file", help="Read the new passphrase from this file.")] = None,
    rotate_key: Annotated[bool, typer.Option(
        "--rotate-key", help="Also re-encrypt the whole bank under a NEW data key (after a "
        "leak of the passphrase or key; safe to interrupt).")] = False,
) -> None:
    """Change the passphrase. Only the small key file is rewritten, never the database
    (unless --rotate-key)."""
    import os

    from storage.rekey import passwd_lock

    st = state(ctx)
    with passwd_lock(st.home):   # two passwd runs at once cannot both succeed
        services = st.services()
        if new_passphrase_file is not None:
            new = resolve_passphrase(new_passphrase_file, None)
        elif os.environ.get("SECONDME_NEW_PASSPHRASE"):
            new = os.environ["SECONDME_NEW_PASSPHRASE"]
        elif not sys.stdin.isatty():
            raise PassphraseUnavailable(
                "no new passphrase: set SECONDME_NEW_PASSPHRASE, pass --new-passphrase-file, or "
                "run `secondme passwd` in a terminal")
        else:
            new = prompt_passphrase("New passphrase", True)
        from ..unlock import kdf_params

        if not rotate_key:
            services.bank.change_passphrase(new, kdf_params())
            typer.echo("Passphrase changed; the database itself was not rewritten.")
            return
        services.bank.rotate_key(new, kdf_params())
        if st.settings().use_keyring:
            from ..unlock import keyring_available, store_in_keyring

            if keyring_available():
                store_in_keyring(services.bank)
    typer.echo("Re-encrypted the bank under a new data key and changed the passphrase; the old "
               "passphrase and the old key no longer open it. Old backups keep their own keys.")


@app.command()
def remember(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(help="What to remember; `-` reads it from stdin "
                                        "(unlike arguments, not visible in `ps`).")],
    at: Annotated[str | None, typer.Option("--at", help="When it happened (ISO date/time).")]
    = None,
    importance: Annotated[float, typer.Option(min=0.0, max=1.0)] = 0.5,
    now: NowOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Store a memory, told in your own words."""
    from .textarg import text_or_stdin

    text = text_or_stdin(text, "memory text")
    when = parse_when(at) if at else None
    if when is not None:   # before unlocking: a one-line error, nothing opened
        from ..clock import check_event_time

        check_event_time(when, state(ctx).clock(now).now())
    services = state(ctx).services(now)
    memory_id = services.memory.remember(text, at=when, importance=importance, source="cli")
    if as_json:
        emit_json(services.memory.get(memory_id).to_public())
    else:
        typer.echo(f"Remembered #{memory_id}")


@app.command()
def doctor(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Check the installation: Python, llama.cpp, models, and the memory bank."""
    from ..doctor import run_checks

    report = run_checks(state(ctx))
    if as_json:
        emit_json(report)
    else:
        from ..doctor import render

        render(report)
    if not report["ok"]:
        raise typer.Exit(1)
