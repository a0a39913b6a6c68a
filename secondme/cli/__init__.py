"""`secondme` command line. Each area's commands live in their own module."""

from __future__ import annotations

import sys

import typer

from ..config import ConfigError
from ..memory import MemoryNotFound
from ..unlock import PassphraseUnavailable
from . import chat, core, evaluate, io, jobs, memory, model, profile, search, timeline  # noqa: F401  (registers commands)
from .app import app, root_callback

app.callback(invoke_without_command=True)(root_callback)

USER_ERRORS = (ConfigError, MemoryNotFound, PassphraseUnavailable, FileNotFoundError,
               ValueError)


def main() -> None:
    from storage import StorageError
    from storage.sqlcipher import DatabaseError

    try:
        code = app(standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except (StorageError, *USER_ERRORS) as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        sys.exit(2)
    except DatabaseError as exc:
        typer.secho(
            f"error: the memory bank could not be read ({exc}). It may be damaged: nothing was "
            "changed. Run `secondme doctor` to check it, and `secondme restore BACKUP` to "
            "recover from a backup.", fg=typer.colors.RED, err=True)
        sys.exit(3)
    except typer.Abort:
        typer.echo("aborted", err=True)
        sys.exit(1)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # click usage errors and the like
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise


__all__ = ["app", "main"]
