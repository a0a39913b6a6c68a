"""The chat input: several lines, nothing lost. Enter sends; Shift+Enter, Alt+Enter or
Ctrl+J starts a new line; a pasted text keeps every line."""

from __future__ import annotations

from dataclasses import dataclass

from textual import events
from textual.message import Message
from textual.widgets import TextArea

NEWLINE_KEYS = ("shift+enter", "alt+enter", "ctrl+j")


class PromptInput(TextArea):
    @dataclass
    class Submitted(Message):
        """Enter was pressed; `text` is everything typed or pasted, every line of it."""

        prompt: PromptInput
        text: str

        @property
        def control(self) -> PromptInput:
            return self.prompt

    def __init__(self, *, placeholder: str = "", id: str | None = None) -> None:
        super().__init__(id=id, soft_wrap=True, show_line_numbers=False, tab_behavior="focus",
                         placeholder=placeholder, compact=True)

    def _on_paste(self, event: events.Paste) -> None:
        # TextArea inserts the whole text (every line); it must not bubble on to the app,
        # which would hand it to the focused widget a second time.
        event.stop()

    async def _on_key(self, event: events.Key) -> None:
        # Runs before TextArea's own key handler, which is skipped once the default is
        # prevented: Enter sends instead of breaking the line.
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            self.post_message(self.Submitted(self, self.text))
        elif event.key in NEWLINE_KEYS:
            event.stop()
            event.prevent_default()
            self.insert("\n")
