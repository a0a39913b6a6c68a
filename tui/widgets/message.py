"""One message in the transcript: who said it, and the text (Markdown for replies)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label, Markdown, Static


class MessageView(Vertical):
    """A user message is plain text (what they typed, verbatim); a reply is Markdown."""

    def __init__(self, role: str, text: str = "", *, who: str, note: str = "") -> None:
        super().__init__(classes=f"message -{role}")
        self.role = role
        self._text = text
        self._who = who
        self._note = note

    def compose(self) -> ComposeResult:
        yield Label(self._who, classes="who")
        if self.role == "user":
            yield Static(self._text, classes="body", markup=False)
        else:
            yield Markdown(self._text, classes="body", open_links=False)   # screen opens them
        yield Label(self._note, classes="note")

    @property
    def markdown(self) -> Markdown:
        return self.query_one(".body", Markdown)

    @property
    def text(self) -> str:
        body = self.query_one(".body")
        return body.source if isinstance(body, Markdown) else self._text

    def set_note(self, note: str, *, error: bool = False) -> None:
        label = self.query_one(".note", Label)
        label.update(note)
        label.display = bool(note)
        label.set_class(error, "-error")

    def on_mount(self) -> None:
        self.query_one(".note", Label).display = bool(self._note)
