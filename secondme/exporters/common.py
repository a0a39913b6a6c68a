"""Rules every export follows: plaintext only with consent, never half-written, never in the home.

An export is the one place Second Me may put readable memories on disk, so the
person has to ask for it explicitly (`--plaintext`), it never lands inside the
bank's own folder (where it could be mistaken for protected data or swept into
a copy of the home), and it appears under its final name only once complete.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, TypeVar

from ..errors import UserError

T = TypeVar("T")


class ExportError(UserError, ValueError):
    """The export cannot go ahead; the message says what to do instead.

    A UserError, so the CLI shows it as a one-line error message, not a traceback.
    """


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """`1 memory`, `2 memories`: a count with its noun in the right number."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


class PlaintextConsentRequired(ExportError):
    def __init__(self, what: str = "this export") -> None:
        super().__init__(
            f"{what} writes your memories UNENCRYPTED to disk. Re-run with --plaintext if you "
            "really want a readable copy, or use `secondme backup PATH` for an encrypted one.")


def check_target(out: Path, home: Path, *, plaintext: bool) -> Path:
    """Resolves the target and refuses the unsafe ones before anything is written."""
    if not plaintext:
        raise PlaintextConsentRequired()
    target = Path(out).expanduser().resolve()
    home = Path(home).expanduser().resolve()
    if target == home or home in target.parents:
        raise ExportError(f"refusing to write a plaintext export inside the bank folder {home}; "
                          "choose a path outside it with --out")
    if target.exists():
        raise ExportError(f"{target} already exists; choose another --out or move it away")
    if not target.parent.is_dir():
        raise ExportError(f"the folder {target.parent} does not exist")
    return target


def _partial(target: Path) -> Path:
    return target.with_name(f".{target.name}.partial-{os.getpid()}")


def _create(path: Path, make: Callable[[], T]) -> T:
    """Creates the first file or folder of an export: a place that refuses it is the
    person's to change (another --out), so it is a one-line error, not a traceback."""
    try:
        return make()
    except OSError as exc:
        raise ExportError(f"cannot write in {path.parent}: {exc.strerror or exc}") from exc


@contextlib.contextmanager
def atomic_file(target: Path) -> Iterator[IO[str]]:
    """Writes to a hidden temp name (mode 0600), fsyncs, then renames into place."""
    tmp = _partial(target)
    fd = _create(tmp, lambda: os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_dir(target: Path) -> Iterator[Path]:
    """A folder that appears under its final name only when everything in it is written."""
    tmp = _partial(target)
    _create(tmp, lambda: tmp.mkdir(mode=0o700))
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)
