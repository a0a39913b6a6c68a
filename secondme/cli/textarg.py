"""Text arguments that may come on standard input (`-`), out of sight of `ps`."""

from __future__ import annotations

import sys

from ..errors import InvalidInput

STDIN_MARK = "-"
MAX_STDIN_CHARS = 1_000_000


class EmptyInput(InvalidInput):
    pass


def text_or_stdin(value: str, what: str) -> str:
    """`-` reads the whole of stdin (one trailing newline dropped); anything else is the text.

    Command-line arguments are visible to every local user in `ps` and /proc;
    standard input is not."""
    if value != STDIN_MARK:
        return value
    if sys.stdin is None:
        raise EmptyInput(f"`-` reads the {what} from standard input, and there is none")
    text = sys.stdin.read(MAX_STDIN_CHARS + 1)
    if len(text) > MAX_STDIN_CHARS:
        raise EmptyInput(f"the {what} on standard input is longer than {MAX_STDIN_CHARS} "
                         "characters")
    if text.endswith("\n"):
        text = text[:-2] if text.endswith("\r\n") else text[:-1]
    if not text.strip():
        raise EmptyInput(f"no {what} on standard input")
    return text
