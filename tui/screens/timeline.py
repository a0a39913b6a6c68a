"""The timeline view: month → week → day, each with its summary and its memories.

Left: the periods inside the current one (a month's weeks, a week's days, a day's
week-mates); Enter zooms in, Backspace zooms out, ←/→ step through time. Right:
the period's memories with retention bars; archived ones are faded but shown,
because the timeline is where a person sees what is fading. Pin, forget and
restore ask for confirmation; Enter opens the memory inspector.
"""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Label, OptionList, Static
from textual.widgets.option_list import Option

from secondme.clock import from_iso
from secondme.timeline import Period, memories_in, period_of, stats_for, summary_of

from .viewkit import MemoryActions, memory_id_of, memory_option, retention_bar


def _latest_moment(services) -> datetime:
    row = services.bank.db().execute(
        "SELECT max(event_at) FROM memories WHERE kind != 'summary'").fetchone()
    return from_iso(row[0]) if row and row[0] else services.clock.now()


class TimelineScreen(MemoryActions, Screen[None]):
    DEFAULT_CSS = """
    TimelineScreen #tl-title { width: 100%; padding: 0 1; text-style: bold; color: $accent; }
    TimelineScreen #tl-summary {
        height: auto; max-height: 9; padding: 0 1; margin-bottom: 1;
        border: round $primary-darken-2;
    }
    TimelineScreen #tl-body { height: 1fr; }
    TimelineScreen #tl-periods { width: 38; }
    TimelineScreen #tl-memories { width: 1fr; }
    TimelineScreen .pane-title { padding: 0 1; color: $text-muted; }
    """
    BINDINGS = [
        Binding("escape", "close", "Back"),
        Binding("left", "shift(-1)", "Earlier"),
        Binding("right", "shift(1)", "Later"),
        Binding("backspace", "zoom_out", "Zoom out"),
        Binding("p", "pin", "Pin/unpin"),
        Binding("f", "forget", "Forget"),
        Binding("r", "restore", "Restore"),
    ]

    def __init__(self, services, period: Period | None = None) -> None:
        super().__init__()
        self.services = services
        self.period = period or period_of(_latest_moment(services), "month")
        self._children: list[Period] = []

    def compose(self) -> ComposeResult:
        yield Label("", id="tl-title")
        yield Static("", id="tl-summary")
        with Horizontal(id="tl-body"):
            with Vertical(id="tl-periods-pane", classes="pane"):
                yield Label("", id="tl-periods-title", classes="pane-title")
                yield OptionList(id="tl-periods")
            with Vertical(id="tl-memories-pane", classes="pane"):
                yield Label("Memories (Enter: inspect)", classes="pane-title")
                yield OptionList(id="tl-memories")
        yield Footer()

    def on_mount(self) -> None:
        self.reload()
        self.query_one("#tl-periods", OptionList).focus()

    def on_screen_resume(self) -> None:
        self.reload()   # the inspector may have pinned or forgotten something

    # -- data ---------------------------------------------------------------------
    def _siblings_or_children(self) -> list[Period]:
        if self.period.level == "day":
            return period_of(self.period.start, "week").children()
        return self.period.children()

    def reload(self) -> None:
        period = self.period
        memories = memories_in(self.services, period)
        stats = stats_for(self.services, period, memories, summary_of(self.services, period))
        path = {"month": "month", "week": "month ▸ week", "day": "month ▸ week ▸ day"}
        self.query_one("#tl-title", Label).update(
            f"Timeline · {period.label}   [dim]({path[period.level]} · ←/→ move · Enter zooms in"
            " · Backspace zooms out)[/]")
        self.query_one("#tl-summary", Static).update(self._summary_text(stats))
        self._fill_periods()
        self._fill_memories(memories)

    def _summary_text(self, stats) -> Text:
        text = Text()
        if stats.summary:
            text.append(stats.summary["text"].strip())
            text.append(f"  ({stats.summary['method']}, v{stats.summary['version']})", style="dim")
        else:
            text.append("No summary yet — the scheduler writes one once the period is over.",
                        style="dim italic")
        text.append("\n")
        if stats.total:
            kinds = ", ".join(f"{n} {k}" for k, n in stats.by_kind.items())
            sources = ", ".join(f"{n} {k}" for k, n in stats.by_source.items())
            text.append(f"{stats.total} memories ({kinds}) · {stats.archived} archived · "
                        f"mean retention {stats.mean_retention:.2f} · from {sources}",
                        style="dim")
        else:
            text.append("Nothing remembered in this period.", style="dim")
        return text

    def _fill_periods(self) -> None:
        self._children = self._siblings_or_children()
        title = {"month": "Weeks (Enter: open)", "week": "Days (Enter: open)",
                 "day": "This week's days"}[self.period.level]
        self.query_one("#tl-periods-title", Label).update(title)
        options = []
        highlight = 0
        for index, child in enumerate(self._children):
            memories = memories_in(self.services, child)
            stats = stats_for(self.services, child, memories, summary_of(self.services, child))
            text = Text()
            current = child.key == self.period.key
            if current:
                highlight = index
            text.append(child.label, style="bold" if current or stats.total else "dim")
            text.append("\n")
            if stats.total:
                text.append(f"{retention_bar(stats.mean_retention or 0, 6)} {stats.total} · "
                            f"{stats.archived} archived", style="dim")
            else:
                text.append("—", style="dim")
            if stats.summary:
                text.append(" · summary", style="green")
            options.append(Option(text, id=f"p{index}"))
        periods = self.query_one("#tl-periods", OptionList)
        periods.clear_options()
        periods.add_options(options)
        if options:
            periods.highlighted = highlight

    def _fill_memories(self, memories) -> None:
        now = self.services.clock.now()
        listing = self.query_one("#tl-memories", OptionList)
        keep = listing.highlighted
        listing.clear_options()
        if not memories:
            listing.add_option(Option(Text("(none)", style="dim"), id="none", disabled=True))
            return
        listing.add_options([memory_option(m, self.services.memory.retention_of(m, now))
                             for m in memories])
        if keep is not None:
            listing.highlighted = min(keep, len(memories) - 1)

    # -- navigation ---------------------------------------------------------------
    def go(self, period: Period) -> None:
        self.period = period
        self.query_one("#tl-memories", OptionList).highlighted = None
        self.reload()

    @on(OptionList.OptionSelected, "#tl-periods")
    def open_period(self, event: OptionList.OptionSelected) -> None:
        index = int(event.option.id[1:]) if event.option.id else 0
        if index < len(self._children):
            self.go(self._children[index])

    @on(OptionList.OptionSelected, "#tl-memories")
    def inspect(self, event: OptionList.OptionSelected) -> None:
        memory_id = memory_id_of(event.option)
        if memory_id is not None:
            from .inspector import MemoryInspectorScreen

            self.app.push_screen(MemoryInspectorScreen(self.services, memory_id))

    def action_shift(self, steps: int) -> None:
        self.go(self.period.shifted(steps))

    def action_zoom_out(self) -> None:
        parent = self.period.parent()
        if parent is not None:
            self.go(parent)

    def action_close(self) -> None:
        self.app.pop_screen()

    # -- memory actions -----------------------------------------------------------
    def selected_memory_id(self) -> int | None:
        listing = self.query_one("#tl-memories", OptionList)
        if listing.highlighted is None:
            return None
        return memory_id_of(listing.get_option_at_index(listing.highlighted))

    def after_change(self, action: str, memory_id: int) -> None:
        self.reload()


__all__ = ["TimelineScreen"]
