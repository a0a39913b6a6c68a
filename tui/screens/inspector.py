"""The memory inspector: one memory in full, where it came from, what happened to it, and
how fast it is fading.

The provenance chain runs from the source (file and heading, or conversation and
messages) to what was built from it (summaries, profile facts). The audit history
lists every change with its actor. The retention curve is drawn from the last
reinforcement to thirty days from now, so a person can see when the memory will
drop below the archive threshold unless it is used again.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Footer, Label, Sparkline, Static

from secondme.memory.service import MemoryNotFound
from secondme.services import Services
from secondme.views.memory import MemoryInspection, inspect_memory

from ..widgets.memory_list import retention_bar
from .base import MemoryScreen

CURVE_POINTS = 60
DAYS_AHEAD = 30


@dataclass
class InspectionLoaded(Message, bubble=False):
    memory_id: int
    inspection: MemoryInspection | None          # None: the memory no longer exists


class MemoryInspectorScreen(MemoryScreen):
    BINDINGS = [
        Binding("escape", "close", "Back"),
        Binding("p", "pin", "Pin/unpin"),
        Binding("f", "forget", "Forget"),
        Binding("r", "restore", "Restore"),
    ]

    def __init__(self, services: Services, memory_id: int) -> None:
        super().__init__(services)
        self.memory_id = memory_id
        self.loaded = False       # the shown memory is loaded (tests wait on it)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="mi-scroll"):
            yield Label("", id="mi-title")
            yield Static("", id="mi-meta")
            yield Static("", id="mi-text")
            yield Label("Provenance", classes="section")
            yield Static("", id="mi-provenance")
            yield Label("Retention", classes="section")
            yield Static("", id="mi-retention")
            yield Sparkline([], id="mi-curve")
            yield Static("", id="mi-axis")
            yield Label("History", classes="section")
            yield DataTable(id="mi-history", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#mi-history", DataTable)
        table.add_columns("when", "who", "what", "change")
        self.reload()

    def reload(self) -> None:
        self.loaded = False
        self.load(self.memory_id)

    @work(thread=True, exclusive=True, group="db", exit_on_error=False)
    def load(self, memory_id: int) -> None:
        try:
            found = inspect_memory(self.services, memory_id, days_ahead=DAYS_AHEAD,
                                   points=CURVE_POINTS)
        except MemoryNotFound:
            found = None
        self.post_message(InspectionLoaded(memory_id, found))

    @on(InspectionLoaded)
    def _loaded(self, event: InspectionLoaded) -> None:
        if event.inspection is None:
            self._show_gone()
        else:
            self._show(event.inspection)
        self.loaded = True

    def _show(self, seen: MemoryInspection) -> None:
        memory, report = seen.memory, seen.retention
        state = memory.state + (" · pinned" if memory.pinned else "")
        self.query_one("#mi-title", Label).update(
            Text(f"Memory #{memory.id} · {memory.kind} · {state}"))
        meta = Text()
        meta.append(f"happened {memory.event_at.replace('T', ' ')}", style="bold")
        meta.append(f" · recorded {memory.recorded_at.replace('T', ' ')} · source "
                    f"{memory.source} · trust {memory.trust} · importance "
                    f"{memory.importance:.2f}", style="dim")
        if memory.embedding_model is None:
            meta.append(" · not embedded yet", style="dim italic")
        self.query_one("#mi-meta", Static).update(meta)
        self.query_one("#mi-text", Static).update(Text(memory.text))

        chain = Text()
        steps = seen.provenance
        for i, step in enumerate(steps):
            chain.append("└─ " if i == len(steps) - 1 else "├─ ", style="dim")
            chain.append(f"{step['label']}: ", style="bold")
            chain.append(step["detail"] + ("\n" if i < len(steps) - 1 else ""))
        self.query_one("#mi-provenance", Static).update(chain)

        threshold = report.threshold
        r = report.r_now
        stats = Text()
        stats.append(f"R now {retention_bar(r, 10)} {r:.2f}", style="bold")
        stats.append(f" · strength S {memory.strength:.2f} · recalled {memory.recall_count}× · "
                     f"{report.days_since_reinforced:.1f} days since last reinforced\n", style="")
        if report.never_fades:
            stats.append("Pinned: it does not fade.", style="yellow")
        else:
            ahead = " · ".join(f"+{d}d {v:.2f}" for d, v in sorted(report.projected.items()))
            stats.append(f"Projected without use: {ahead}. ", style="dim")
            left = report.days_until_archive or 0.0
            if memory.state == "archived":
                stats.append(f"Archived (below θ = {threshold}); restore with r.", style="dim")
            elif left > 0:
                stats.append(f"Falls below θ = {threshold} in about {left:.0f} days.", style="dim")
            else:
                stats.append(f"Below θ = {threshold}: the next decay run archives it.",
                             style="dim")
        self.query_one("#mi-retention", Static).update(stats)
        curve = seen.curve
        self.query_one("#mi-curve", Sparkline).data = [value for _, value in curve]
        first = curve[0][0]
        self.query_one("#mi-axis", Static).update(Text(
            f"{first:+.0f} days (last reinforced) → now → +{DAYS_AHEAD} days   "
            f"R from {curve[0][1]:.2f} to {curve[-1][1]:.2f}", style="dim"))

        table = self.query_one("#mi-history", DataTable)
        table.clear()
        for entry in seen.history:
            change = entry["change"] or entry["note"]
            if entry["note"] and entry["change"]:
                change += f"  ({entry['note']})"
            table.add_row(entry["at"].replace("T", " "), entry["actor"], entry["action"], change)

    def _show_gone(self) -> None:
        self.query_one("#mi-title", Label).update(f"Memory #{self.memory_id}")
        self.query_one("#mi-text", Static).update(
            Text("This memory was forgotten: it no longer exists anywhere.", style="italic"))
        for widget_id in ("#mi-meta", "#mi-provenance", "#mi-retention", "#mi-axis"):
            self.query_one(widget_id, Static).update("")
        self.query_one("#mi-curve", Sparkline).data = []
        self.query_one("#mi-history", DataTable).clear()

    # -- actions ------------------------------------------------------------------
    def selected_memory_id(self) -> int | None:
        return self.memory_id

    def after_change(self, action: str, memory_id: int) -> None:
        if action == "forget":
            self.app.pop_screen()
            return
        self.reload()

    def action_close(self) -> None:
        self.app.pop_screen()
