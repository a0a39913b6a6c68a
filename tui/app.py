"""Placeholder Textual app (the chat screen lands with the chat issue)."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Footer, Header, Static


class SecondMeApp(App[None]):
    TITLE = "Second Me"
    BINDINGS = [("ctrl+q", "quit", "Quit")]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Second Me — chat coming soon.", id="placeholder")
        yield Footer()


def run_app(cli_state) -> None:
    SecondMeApp().run()
