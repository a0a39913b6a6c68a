"""Pieces shared by the timeline, profile, inspector and search views.

A confirmation modal (every destructive or state-changing action asks first), a
one-line text prompt, and the way a memory is shown in a list: a retention bar,
date, kind and source on the first line, the text on the second, faded when archived.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label
from textual.widgets.option_list import Option

MODAL_CSS = """
ConfirmModal, TextPromptModal {
    align: center middle;
    background: $background 60%;
}
ConfirmModal > Vertical, TextPromptModal > Vertical {
    width: 64;
    max-width: 95%;
    height: auto;
    border: round $warning;
    background: $surface;
    padding: 1 2;
}
ConfirmModal .question, TextPromptModal .question {
    width: 100%;
    margin-bottom: 1;
}
ConfirmModal Horizontal, TextPromptModal Horizontal {
    height: auto;
    align: right middle;
}
ConfirmModal Button, TextPromptModal Button {
    margin-left: 2;
}
"""


class ConfirmModal(ModalScreen[bool]):
    """Yes/No. `y` confirms, `n` or Escape cancels; the safe answer has the focus."""

    DEFAULT_CSS = MODAL_CSS
    BINDINGS = [Binding("y", "answer(True)", "Yes"), Binding("n", "answer(False)", "No"),
                Binding("escape", "answer(False)", "Cancel")]

    def __init__(self, question: str, confirm_label: str = "Yes") -> None:
        super().__init__()
        self.question = question
        self.confirm_label = confirm_label

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.question, classes="question")
            with Horizontal():
                yield Button("Cancel", id="no")
                yield Button(self.confirm_label, id="yes", variant="warning")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)


class TextPromptModal(ModalScreen["str | None"]):
    """One line of text (e.g. a corrected fact value); Escape cancels."""

    DEFAULT_CSS = MODAL_CSS
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, question: str, value: str = "") -> None:
        super().__init__()
        self.question = question
        self.value = value

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.question, classes="question")
            yield Input(value=self.value, id="answer")
            with Horizontal():
                yield Button("Cancel", id="cancel")
                yield Button("Save", id="save", variant="primary")

    def on_mount(self) -> None:
        field = self.query_one("#answer", Input)
        field.cursor_blink = False
        field.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            self.dismiss(self.query_one("#answer", Input).value.strip() or None)
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)


def retention_bar(r: float, width: int = 8) -> str:
    filled = round(max(0.0, min(1.0, r)) * width)
    return "█" * filled + "░" * (width - filled)


def one_line(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def memory_option(memory: Any, r: float, *, prefix: str = "", snippet: int = 140) -> Option:
    """A memory as a two-line list entry; archived memories are faded."""
    archived = memory.state == "archived"
    text = Text()
    base = "dim" if archived else ""
    text.append(prefix, style=base)
    text.append(retention_bar(r), style="dim" if archived else "green")
    text.append(f" {r:.2f}  ", style=base)
    text.append(memory.event_at[:10], style="dim" if archived else "bold")
    text.append(f" · {memory.kind} · {memory.source}", style="dim")
    if memory.pinned:
        text.append(" · pinned", style="bold yellow")
    if archived:
        text.append(" · archived", style="italic dim")
    text.append("\n")
    text.append(one_line(memory.text, snippet), style="dim italic" if archived else "")
    return Option(text, id=f"m{memory.id}")


def memory_id_of(option: Option | None) -> int | None:
    if option is None or not option.id or not option.id.startswith("m"):
        return None
    try:
        return int(option.id[1:])
    except ValueError:
        return None


class MemoryActions:
    """Pin / forget / restore for a screen that shows memories; each asks for confirmation.

    The screen provides `services`, `selected_memory_id()` and `after_change(action, id)`.
    """

    services: Any

    def selected_memory_id(self) -> int | None:  # pragma: no cover - overridden
        return None

    def after_change(self, action: str, memory_id: int) -> None:  # pragma: no cover
        pass

    def _target(self):
        from secondme.memory import MemoryNotFound

        memory_id = self.selected_memory_id()
        if memory_id is None:
            self.notify("Select a memory first.", severity="warning")  # type: ignore[attr-defined]
            return None
        try:
            return self.services.memory.get(memory_id)
        except MemoryNotFound:
            self.notify(f"Memory #{memory_id} no longer exists.", severity="warning")  # type: ignore[attr-defined]
            return None

    def _confirm(self, question: str, label: str, apply) -> None:
        def done(ok: bool | None) -> None:
            if ok:
                apply()

        self.app.push_screen(ConfirmModal(question, label), done)  # type: ignore[attr-defined]

    def action_pin(self) -> None:
        memory = self._target()
        if memory is None:
            return
        if memory.pinned:
            question = f"Unpin memory #{memory.id}? It will fade again like any other."
            label, change, action = "Unpin", self.services.memory.unpin, "unpin"
        else:
            question = f"Pin memory #{memory.id}? Pinned memories never fade or get archived."
            label, change, action = "Pin", self.services.memory.pin, "pin"

        def apply() -> None:
            change(memory.id)
            self.notify(f"Memory #{memory.id} {action}ned.")  # type: ignore[attr-defined]
            self.after_change(action, memory.id)

        self._confirm(question, label, apply)

    def action_forget(self) -> None:
        memory = self._target()
        if memory is None:
            return

        def done(error: str | None) -> None:
            if error:
                self.notify(f"Could not forget #{memory.id}: {error}", severity="error")  # type: ignore[attr-defined]
                return
            self.notify(f"Memory #{memory.id} forgotten.")  # type: ignore[attr-defined]
            self.after_change("forget", memory.id)

        def work() -> None:
            # Forgetting rewrites summaries, facts and the search index: off the UI loop.
            try:
                self.services.memory.forget(memory.id)
                error = None
            except Exception as exc:  # shown to the person, never a crash of the app
                error = str(exc)
            self.app.call_from_thread(done, error)  # type: ignore[attr-defined]

        def apply() -> None:
            self.run_worker(work, thread=True, group="forget")  # type: ignore[attr-defined]

        self._confirm(f"Forget memory #{memory.id} for good? It is deleted everywhere: its text, "
                      "the search index, summaries' sources and facts' evidence. This cannot be "
                      "undone.", "Forget", apply)

    def action_restore(self) -> None:
        memory = self._target()
        if memory is None:
            return
        if memory.state != "archived":
            self.notify(f"Memory #{memory.id} is not archived.")  # type: ignore[attr-defined]
            return

        def apply() -> None:
            self.services.memory.restore(memory.id)
            self.notify(f"Memory #{memory.id} restored.")  # type: ignore[attr-defined]
            self.after_change("restore", memory.id)

        self._confirm(f"Restore memory #{memory.id}? It comes back into recall, freshly "
                      "reinforced.", "Restore", apply)
