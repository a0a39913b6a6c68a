"""The timeline view: year → month → week → day, each with its summary and its memories.

Left: the periods inside the current one (a year's months, a month's weeks, a week's
days, a day's week-mates); Enter zooms in, Backspace zooms out, ←/→ step through
time, y/m/w/d jump straight to a zoom level and g goes to a date. Right: the period's
memories with retention bars; archived ones are faded but shown, because the timeline
is where a person sees what is fading. Pin, forget and restore ask for confirmation;
Enter opens the memory inspector. Everything is read from the bank in a thread
worker: the loop never waits on a big month or year.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Footer, Label, OptionList, Static
from textual.widgets.option_list import Option

from secondme.periods import CALENDAR_LEVELS as LEVELS
from secondme.periods import Period, parse_period, period_of
from secondme.services import Services
from secondme.views.timeline import PeriodStats, children_stats, stats_of
from secondme.views.timeline_data import latest_moment, memories_in
from storage.records import Memory

from ..widgets.memory_list import memory_id_of, memory_option, retention_bar
from .base import MemoryScreen
from .modals import TextPromptModal

MAX_LISTED = 300    # a year can hold thousands: list the best remembered, zoom in for all


@dataclass
class TimelineLoaded(Message, bubble=False):
    period: Period
    stats: PeriodStats
    memories: list[tuple[Memory, float]]            # (memory, retention), as listed
    children: list[tuple[Period, PeriodStats]]


class TimelineScreen(MemoryScreen):
    BINDINGS = [
        Binding("escape", "close", "Back"),
        Binding("left", "shift(-1)", "Earlier"),
        Binding("right", "shift(1)", "Later"),
        Binding("backspace", "zoom_out", "Zoom out"),
        Binding("y", "zoom('year')", "Year"),
        Binding("m", "zoom('month')", "Month"),
        Binding("w", "zoom('week')", "Week"),
        Binding("d", "zoom('day')", "Day"),
        Binding("g", "go_to_date", "Go to date"),
        Binding("p", "pin", "Pin/unpin"),
        Binding("f", "forget", "Forget"),
        Binding("r", "restore", "Restore"),
    ]

    def __init__(self, services: Services, period: Period | None = None) -> None:
        super().__init__(services)
        self.period = period or period_of("month", latest_moment(services))
        self._children: list[Period] = []
        self.loaded = False       # the shown lists belong to `period` (tests wait on it)

    def compose(self) -> ComposeResult:
        yield Label("", id="tl-title")
        yield Static("", id="tl-summary")
        with Horizontal(id="tl-body"):
            with Vertical(id="tl-periods-pane", classes="pane"):
                yield Label("", id="tl-periods-title", classes="pane-title")
                yield OptionList(id="tl-periods")
            with Vertical(id="tl-memories-pane", classes="pane"):
                yield Label("Memories (Enter: inspect)", classes="pane-title",
                            id="tl-memories-title")
                yield OptionList(id="tl-memories")
        yield Footer()

    def on_mount(self) -> None:
        self.reload()
        self.query_one("#tl-periods", OptionList).focus()

    def on_screen_resume(self) -> None:
        self.reload()   # the inspector may have pinned or forgotten something

    # -- data ---------------------------------------------------------------------
    def _siblings_or_children(self, period: Period) -> list[Period]:
        if period.level == "day":
            return period_of("week", period.start).children()
        return period.children()

    def reload(self) -> None:
        self.loaded = False
        self.load(self.period)

    @work(thread=True, exclusive=True, group="db", exit_on_error=False)
    def load(self, period: Period) -> None:
        services = self.services
        memories = memories_in(services, period)
        stats = stats_of(services, period)
        now = services.clock.now()
        listed = [(m, services.memory.retention_of(m, now)) for m in memories]
        if len(listed) > MAX_LISTED:
            listed = sorted(listed, key=lambda pair: -pair[1])[:MAX_LISTED]
            listed.sort(key=lambda pair: (pair[0].event_at, pair[0].id))
        children = children_stats(services, self._siblings_or_children(period))
        self.post_message(TimelineLoaded(period, stats, listed, children))

    @on(TimelineLoaded)
    def _loaded(self, event: TimelineLoaded) -> None:
        if event.period != self.period:
            return                               # the person has moved on already
        period = event.period
        path = " ▸ ".join(LEVELS[::-1][:LEVELS[::-1].index(period.level) + 1])
        self.query_one("#tl-title", Label).update(
            f"Timeline · {period.short_label}   [dim]({path} · ←/→ move · Enter zooms in"
            " · Backspace zooms out · y/m/w/d zoom · g go to date)[/]")
        self.query_one("#tl-summary", Static).update(self._summary_text(event.stats))
        self._fill_periods(event.children)
        self._fill_memories(event.memories, event.stats.total)
        self.loaded = True

    def _summary_text(self, stats) -> Text:
        text = Text()
        if stats.summary:
            text.append(stats.summary["text"].strip())
            text.append(f"  ({stats.summary['method']}, v{stats.summary['version']})", style="dim")
        elif stats.period.level == "year":
            text.append("A year has no summary of its own: open a month for its summary.",
                        style="dim italic")
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

    def _fill_periods(self, children: list[tuple[Period, PeriodStats]]) -> None:
        self._children = [child for child, _ in children]
        title = {"year": "Months (Enter: open)", "month": "Weeks (Enter: open)",
                 "week": "Days (Enter: open)", "day": "This week's days"}[self.period.level]
        self.query_one("#tl-periods-title", Label).update(title)
        options = []
        highlight = 0
        for index, (child, stats) in enumerate(children):
            text = Text()
            current = child.key == self.period.key
            if current:
                highlight = index
            text.append(child.short_label, style="bold" if current or stats.total else "dim")
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

    def _fill_memories(self, memories: list[tuple[Memory, float]], total: int) -> None:
        listing = self.query_one("#tl-memories", OptionList)
        title = "Memories (Enter: inspect)"
        if total > len(memories):
            title = f"The {len(memories)} best remembered of {total} (zoom in for all)"
        self.query_one("#tl-memories-title", Label).update(title)
        keep = listing.highlighted
        listing.clear_options()
        if not memories:
            listing.add_option(Option(Text("(none)", style="dim"), id="none", disabled=True))
            return
        listing.add_options([memory_option(m, r) for m, r in memories])
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

    def action_zoom(self, level: str) -> None:
        """Straight to a level; zooming in goes into the highlighted period."""
        anchor = self.period.start
        periods = self.query_one("#tl-periods", OptionList)
        finer = LEVELS.index(level) < LEVELS.index(self.period.level)
        if finer and periods.highlighted is not None and periods.highlighted < len(self._children):
            anchor = self._children[periods.highlighted].start
        if level != self.period.level or anchor != self.period.start:
            self.go(period_of(level, anchor))

    def action_go_to_date(self) -> None:
        def done(answer: str | None) -> None:
            if not answer:
                return
            try:
                self.go(parse_period(answer))
            except ValueError as exc:
                self.notify(str(exc), severity="warning")

        self.app.push_screen(TextPromptModal(
            "Go to a day, week, month or year: 2024-05-01, 2024-W18, 2024-05 or 2024"), done)

    def action_close(self) -> None:
        self.app.pop_screen()

    # -- memory actions -----------------------------------------------------------
    def selected_memory_id(self) -> int | None:
        listing = self.query_one("#tl-memories", OptionList)
        if listing.highlighted is None:
            return None
        return memory_id_of(listing.get_option_at_index(listing.highlighted))


__all__ = ["TimelineScreen"]
