"""Errors a person can fix, apart from the program's own bugs.

`UserError` is the one family the CLI shows as a plain one-line `error: …` with exit
code 2 (with `storage.StorageError`: a wrong passphrase, a missing bank). Anything else
that escapes a command is a bug and keeps its traceback, so a programming error never
looks like the user's mistake. Raise the subclass that fits:

- `InvalidInput` for a value the person typed or configured (a date, a level, empty
  text); it is also a `ValueError`, so library callers catching `ValueError` still work.
- `NotFound` for an id or name that does not exist (also a `LookupError`).
- `MissingFile` for a path the person gave that is not there (also a `FileNotFoundError`).
- `UserError` itself for anything else the person must act on (consent, a terminal).
"""

from __future__ import annotations

# Messages of the sqlite/SQLCipher errors that mean the file itself is damaged or is not
# a bank; any other DatabaseError (a SQL mistake, a constraint) is a bug, not damage.
_DAMAGE_MARKERS = ("file is not a database", "database disk image is malformed",
                   "malformed database schema", "database corruption")


class UserError(Exception):
    """A mistake the person can fix: the CLI prints the message on one line, exit 2."""

    exit_code = 2


class InvalidInput(UserError, ValueError):
    """A bad value typed or configured by the person."""


class NotFound(UserError, LookupError):
    """An id or a name that does not exist."""


class MissingFile(UserError, FileNotFoundError):
    """A file the person named is not there."""


def one_line(message: object) -> str:
    """The message on one line: a user error never spills over several lines."""
    return " ".join(str(message).split())


def means_damage(exc: BaseException) -> bool:
    """True only for a database error that says the file is damaged or not a bank."""
    text = str(exc).lower()
    return any(marker in text for marker in _DAMAGE_MARKERS)


__all__ = ["InvalidInput", "MissingFile", "NotFound", "UserError", "means_damage", "one_line"]
