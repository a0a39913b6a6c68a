"""`secondme` command line. Each area's commands live in their own module."""

from __future__ import annotations

from . import (  # noqa: F401  (registers commands)
    chat,
    core,
    demo,
    evaluate,
    forget,
    io,
    jobs,
    memory,
    model,
    profile,
    search,
    timeline,
)
from .app import app
from .inbox import inbox_app  # noqa: F401  (registers `secondme inbox`)
from .mcp import mcp_app  # noqa: F401  (registers `secondme mcp`)
from .root import root_callback

app.callback(invoke_without_command=True)(root_callback)


def main() -> None:
    from ..hardening import harden_process

    harden_process()  # before any key is read: no core dumps, no ptrace dumping
    from .errors import run

    run(app)


__all__ = ["app", "main"]
