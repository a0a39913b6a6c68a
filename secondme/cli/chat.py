"""Chat commands. The TUI is imported lazily, here only."""

from __future__ import annotations

import typer

from .app import app, state


@app.command()
def chat(ctx: typer.Context) -> None:
    """Open the chat (the default command)."""
    from tui.app import run_app

    run_app(state(ctx))
