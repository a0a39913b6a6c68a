"""How `secondme` ends: one line for a person's mistake, a traceback only for a bug.

- A command-line mistake (unknown command or option, a missing argument, a value of
  the wrong type) and any `UserError` or `StorageError` print `error: …` on ONE line
  on stderr and exit 2.
- A database error that really means damage (the file is not a bank, the image is
  malformed) gets the "may be damaged" advice and exit 3; any other database error
  (a SQL mistake) is a bug and keeps its traceback, like every other exception.
- Saying no at a confirmation exits 1; Ctrl+C exits 130.

Typer vendors its own copy of click, whose exceptions are not the `click` package's;
the base classes are found through `typer.BadParameter`, so both copies are handled.
"""

from __future__ import annotations

import sys
from typing import Any, NoReturn

import typer

from ..errors import UserError, means_damage, one_line

PROG = "secondme"


def _bases(name: str) -> tuple[type[BaseException], ...]:
    """The click class called `name`, from Typer's bundled click and from `click` if present."""
    found = [cls for cls in typer.BadParameter.__mro__ if cls.__name__ == name]
    try:
        import click

        found.append(getattr(click, name))
    except (ImportError, AttributeError):
        pass
    return tuple(dict.fromkeys(found))


CLICK_ERRORS = _bases("ClickException")
USAGE_ERRORS = _bases("UsageError")


def fail(message: object, code: int = 2) -> NoReturn:
    typer.secho(f"error: {one_line(message)}", fg=typer.colors.RED, err=True)
    sys.exit(code)


def _usage_message(exc: Any) -> str:
    message = one_line(exc.format_message())
    ctx = getattr(exc, "ctx", None)
    path = ctx.command_path if ctx is not None else PROG
    return f"{message} (see `{path} --help`)"


def run(app: typer.Typer) -> NoReturn:
    """Runs the app as the `secondme` command and turns what escapes into an exit code."""
    from storage import StorageError
    from storage.sqlcipher import DatabaseError

    try:
        code = app(standalone_mode=False, prog_name=PROG)
    except (UserError, StorageError) as exc:
        fail(exc, getattr(exc, "exit_code", 2))
    except USAGE_ERRORS as exc:
        fail(_usage_message(exc), 2)
    except CLICK_ERRORS as exc:
        fail(exc.format_message(), 2)  # type: ignore[attr-defined]
    except DatabaseError as exc:
        if not means_damage(exc):
            raise
        fail(f"the memory bank could not be read ({exc}). It may be damaged: nothing was "
             "changed. Run `secondme doctor` to check it, and `secondme restore BACKUP` to "
             "recover from a backup.", 3)
    except typer.Abort:
        typer.echo("aborted", err=True)
        sys.exit(1)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)
