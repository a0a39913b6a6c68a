"""The global options of every `secondme` command; no command at all opens the chat."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..errors import UserError
from ..paths import resolve_home
from .app import CliState
from .chat import chat


def root_callback(
    ctx: typer.Context,
    home: Annotated[Path | None, typer.Option("--home", help="Memory bank folder "
                                              "(default: $SECONDME_HOME or the user data dir).")] = None,
    passphrase_file: Annotated[Path | None, typer.Option(
        "--passphrase-file", help="Read the passphrase from this file.")] = None,
    now: Annotated[str | None, typer.Option(
        "--now", help="Pretend it is this ISO time (also $SECONDME_NOW).")] = None,
    model: Annotated[str | None, typer.Option(
        "--model", help="Path to a GGUF model (default: embedded Gemma 3 270M).")] = None,
) -> None:
    resolved = resolve_home(home)
    if resolved.exists() and not resolved.is_dir():
        raise UserError(f"the home {resolved} is a file, not a folder (--home / SECONDME_HOME)")
    ctx.obj = CliState(home=resolved, passphrase_file=passphrase_file, now=now, model=model)
    ctx.call_on_close(ctx.obj.close)
    if ctx.invoked_subcommand is None:
        ctx.invoke(chat, ctx=ctx)
