"""The side panel: which memories were recalled for the last reply, from where, and why."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option


def readable(value: float | None) -> str:
    """Two decimals at most, never scientific notation: 1.61e-06 reads as <0.01."""
    if value is None:
        return "–"
    if value == 0:
        return "0"
    if abs(value) < 0.005:
        return "<0.01" if value > 0 else ">-0.01"
    if abs(value) >= 100:
        return format(value, ".0f")
    return format(value, ".2f")


def score_line(scores: Any) -> str:
    """final, keyword (BM25), semantic (cosine), retention, and time match when it counted.

    Relevance is in [0, 1]; only naming a time ("last May") lifts a memory from then above
    1, and the line says so."""
    parts = [f"score {readable(scores.final)}", f"kw {readable(scores.bm25)}",
             f"sem {readable(scores.cosine)}", f"R {readable(scores.retention)}"]
    if getattr(scores, "time_match", 0):
        parts.append(f"time {readable(scores.time_match)}")
    line = " · ".join(parts)
    if scores.final > 1.0:
        line += " (above 1: boosted for the time you named)"
    return line


def recalled_option(recalled: Any, number: int | None = None) -> Option:
    """One entry; `number` is what a reply's citation marker [n] calls it."""
    memory = recalled.hit.memory
    text = Text()
    if number is not None:
        text.append(f"[{number}] ", style="bold")
    text.append(memory.event_at[:10], style="bold")
    text.append(f" · {memory.source} · {memory.kind}", style="dim")
    if not recalled.placed:
        text.append(" · not used", style="italic dim")
    text.append("\n")
    body = " ".join(memory.text.split())
    text.append(body[:160] + ("…" if len(body) > 160 else ""),
                style="" if recalled.placed else "dim")
    text.append("\n")
    text.append(score_line(recalled.hit.scores), style="dim")
    return Option(text, id=f"m{memory.id}")


class RecallPanel(Vertical):
    """Lists `secondme.conversation.session.Recalled` items; Enter or a click asks to open one."""

    @dataclass
    class Open(Message):
        memory_id: int

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._by_option: dict[str, Any] = {}

    def compose(self) -> ComposeResult:
        yield Label("Recalled memories", classes="title")
        yield Label("Nothing recalled yet.", id="recall-empty", classes="hint")
        yield OptionList(id="recall-list")

    def show(self, recalled: list[Any], question: str = "") -> None:
        options = self.query_one("#recall-list", OptionList)
        options.clear_options()
        self._by_option = {f"m{r.hit.memory.id}": r for r in recalled}
        content: list[Option | None] = []
        for number, item in enumerate(recalled, 1):
            if content:
                content.append(None)   # a rule between memories
            content.append(recalled_option(item, number))
        options.add_options(content)
        if recalled:
            options.highlighted = 0   # Enter opens the first one without an arrow key first
        empty = self.query_one("#recall-empty", Label)
        empty.update("Nothing recalled for this message." if question else
                     "Nothing recalled yet.")
        empty.display = not recalled
        options.display = bool(recalled)

    def recalled(self, memory_id: int) -> Any | None:
        return self._by_option.get(f"m{memory_id}")

    def on_mount(self) -> None:
        self.query_one("#recall-list", OptionList).display = False

    @on(OptionList.OptionSelected, "#recall-list")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            self.post_message(self.Open(int(event.option.id[1:])))
