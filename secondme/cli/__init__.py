"""`secondme` command line. Each area's commands live in their own module."""

from __future__ import annotations

from . import chat, core, demo, evaluate, io, jobs, memory, profile, search, timeline  # noqa: F401  (registers commands)
from .app import app, root_callback

app.callback(invoke_without_command=True)(root_callback)


def main() -> None:
    from .errors import run

    run(app)


__all__ = ["app", "main"]
