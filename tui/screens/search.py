"""The search view: the same retriever the chat uses, with every hit's score breakdown.

The search runs in a worker thread (the first query may load the embedder), so
typing never freezes. Ctrl+T includes archived memories; Enter on a hit opens the
memory inspector.
"""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Input, Label, OptionList
from textual.widgets.option_list import Option

from secondme.services import Services

from ..widgets.memory_list import memory_id_of, one_line, retention_bar
from .base import MemoryScreen

RESULTS = 20


def _num(value: float | None, fmt: str = ".2f") -> str:
    return "–" if value is None else format(value, fmt)


def hit_option(hit) -> Option:
    memory, scores = hit.memory, hit.scores
    archived = memory.state == "archived"
    text = Text()
    text.append(f"{hit.rank:>2}. ", style="bold")
    text.append(memory.event_at[:10], style="dim" if archived else "bold")
    text.append(f" · {memory.kind} · {memory.source}", style="dim")
    if archived:
        text.append(" · archived", style="italic dim")
    text.append("\n    ")
    text.append(one_line(memory.text, 150), style="dim italic" if archived else "")
    text.append("\n    ")
    text.append(f"score {_num(scores.final, '.3f')} · kw {_num(scores.bm25, '.3g')} · "
                f"sem {_num(scores.cosine)} · R {retention_bar(scores.retention, 5)} "
                f"{_num(scores.retention)}", style="dim")
    if getattr(scores, "time_match", 0):
        text.append(f" · time {_num(scores.time_match)}", style="dim")
    return Option(text, id=f"m{memory.id}")


class SearchScreen(MemoryScreen):
    AUTO_FOCUS = "#sr-query"
    BINDINGS = [
        Binding("escape", "close", "Back"),
        Binding("ctrl+t", "toggle_archived", "Archived on/off"),
    ]

    def __init__(self, services: Services, query: str = "") -> None:
        super().__init__(services)
        self.initial = query
        self.include_archived = False
        self.searching = False

    def compose(self) -> ComposeResult:
        yield Input(value=self.initial, placeholder="Search your memories…  (Enter)",
                    id="sr-query")
        yield Label("Type a question or some words and press Enter.", id="sr-status")
        yield OptionList(id="sr-results")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#sr-query", Input).cursor_blink = False
        if self.initial:
            self.start(self.initial)

    @on(Input.Submitted, "#sr-query")
    def submitted(self, event: Input.Submitted) -> None:
        self.start(event.value)

    def start(self, query: str) -> None:
        query = query.strip()
        if not query:
            return
        self.searching = True
        scope = " (archived included)" if self.include_archived else ""
        self.query_one("#sr-status", Label).update(f"Searching{scope}…")
        self.run_search(query, self.include_archived)

    @work(thread=True, exclusive=True, group="search")
    def run_search(self, query: str, include_archived: bool) -> None:
        try:
            hits = self.services.retriever().search(query, k=RESULTS,
                                                   include_archived=include_archived)
        except Exception as exc:  # a broken query or a missing model must not kill the view
            self.app.call_from_thread(self.show_error, str(exc))
            return
        self.app.call_from_thread(self.show_hits, query, hits)

    def show_hits(self, query: str, hits: list) -> None:
        self.searching = False
        results = self.query_one("#sr-results", OptionList)
        results.clear_options()
        scope = ", archived included" if self.include_archived else ""
        if not hits:
            self.query_one("#sr-status", Label).update(
                Text(f"Nothing matches “{one_line(query, 60)}”{scope}.", style="dim"))
            return
        self.query_one("#sr-status", Label).update(Text(
            f"{len(hits)} memories for “{one_line(query, 60)}”{scope} · Enter: inspect"))
        results.add_options([hit_option(h) for h in hits])
        results.highlighted = 0

    def show_error(self, message: str) -> None:
        self.searching = False
        self.query_one("#sr-status", Label).update(Text(f"Search failed: {message}",
                                                        style="bold red"))

    @on(OptionList.OptionSelected, "#sr-results")
    def inspect(self, event: OptionList.OptionSelected) -> None:
        memory_id = memory_id_of(event.option)
        if memory_id is not None:
            from .inspector import MemoryInspectorScreen

            self.app.push_screen(MemoryInspectorScreen(self.services, memory_id))

    def action_toggle_archived(self) -> None:
        self.include_archived = not self.include_archived
        state = "included" if self.include_archived else "left out"
        self.notify(f"Archived memories {state}.")
        query = self.query_one("#sr-query", Input).value
        if query.strip():
            self.start(query)

    def action_close(self) -> None:
        self.app.pop_screen()
