"""The profile view: what Second Me believes about the person, by category, and why.

Each fact shows its confidence and validity; the side pane shows its evidence
(the quotes and the memories they come from). `e` corrects a fact (the old one is
closed, not erased: the portrait keeps its history), `d` deletes it for good,
`h` shows closed facts too, Enter opens the first evidence memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Footer, Label, OptionList, Static
from textual.widgets.option_list import Option

from secondme.consolidation.profile.facts import FactNotFound, ProfileFacts
from secondme.services import Services
from secondme.views.profile import by_category, profile_view

from .base import MemoryScreen
from .modals import ConfirmModal, TextPromptModal


def _validity(fact: dict[str, Any]) -> str:
    start = (fact.get("valid_from") or "")[:10] or "…"
    end = (fact.get("valid_to") or "")[:10] or "now"
    return f"{start} → {end}"


def fact_option(fact: dict[str, Any]) -> Option:
    closed = fact["status"] != "active"
    text = Text()
    text.append(f"{fact['subject']} · {fact['attribute']}: ", style="dim" if closed else "")
    text.append(str(fact["value"]), style="dim strike" if closed else "bold")
    text.append("\n")
    text.append(f"confidence {fact['confidence']:.2f} · valid {_validity(fact)}", style="dim")
    if closed:
        text.append(f" · {fact['status']}", style="italic dim")
    if fact.get("trust") == "user":
        text.append(" · confirmed by you", style="green")
    return Option(text, id=f"f{fact['id']}")


@dataclass
class ProfileLoaded(Message, bubble=False):
    history: bool
    grouped: dict[str, list[dict[str, Any]]]


class ProfileScreen(MemoryScreen):
    BINDINGS = [
        Binding("escape", "close", "Back"),
        Binding("e", "edit", "Correct"),
        Binding("d", "delete", "Delete"),
        Binding("h", "toggle_history", "History"),
    ]

    def __init__(self, services: Services) -> None:
        super().__init__(services)
        self.history = False
        self.loaded = False       # the shown facts are loaded (tests wait on it)
        self._facts: dict[int, dict[str, Any]] = {}

    def compose(self) -> ComposeResult:
        yield Label("", id="pf-title")
        with Horizontal(id="pf-body"):
            yield OptionList(id="pf-facts")
            yield Static("", id="pf-detail")
        yield Footer()

    def on_mount(self) -> None:
        self.reload()
        self.query_one("#pf-facts", OptionList).focus()

    def on_screen_resume(self) -> None:
        self.reload()

    def reload(self) -> None:
        self.loaded = False
        self.load(self.history)

    @work(thread=True, exclusive=True, group="db", exit_on_error=False)
    def load(self, history: bool) -> None:
        facts = profile_view(self.services, history=history)
        self.post_message(ProfileLoaded(history, by_category(facts)))

    @on(ProfileLoaded)
    def _loaded(self, event: ProfileLoaded) -> None:
        if event.history != self.history:
            return                               # toggled again meanwhile
        self._fill(event.grouped)
        self.loaded = True

    def _fill(self, grouped: dict[str, list[dict[str, Any]]]) -> None:
        listing = self.query_one("#pf-facts", OptionList)
        keep = listing.highlighted
        listing.clear_options()
        self._facts = {}
        count = 0
        for category, facts in grouped.items():
            listing.add_option(Option(Text(category.upper(), style="bold underline"),
                                      id=f"c-{category}", disabled=True))
            for fact in facts:
                self._facts[fact["id"]] = fact
                listing.add_option(fact_option(fact))
                count += 1
        mode = "with history" if self.history else "current facts"
        self.query_one("#pf-title", Label).update(
            f"Profile · {count} {mode}   [dim](e correct · d delete · h history · "
            "Enter: evidence)[/]")
        if not count:
            listing.add_option(Option(Text(
                "No facts yet. They are drawn from what you tell Second Me, never from "
                "imported notes alone.", style="dim"), id="none", disabled=True))
            self._show(None)
            return
        if keep is not None and keep < listing.option_count:
            listing.highlighted = keep
        if listing.highlighted is None or listing.get_option_at_index(
                listing.highlighted).disabled:
            listing.highlighted = next(i for i in range(listing.option_count)
                                       if not listing.get_option_at_index(i).disabled)
        self._show(self.selected_fact())

    def selected_fact(self) -> dict[str, Any] | None:
        listing = self.query_one("#pf-facts", OptionList)
        if listing.highlighted is None:
            return None
        option = listing.get_option_at_index(listing.highlighted)
        if not option.id or not option.id.startswith("f"):
            return None
        return self._facts.get(int(option.id[1:]))

    def _show(self, fact: dict[str, Any] | None) -> None:
        detail = Text()
        if fact is None:
            self.query_one("#pf-detail", Static).update(detail)
            return
        detail.append(f"{fact['subject']} · {fact['attribute']}\n", style="bold")
        detail.append(f"{fact['value']}\n\n")
        detail.append(f"category {fact['category']} · confidence {fact['confidence']:.2f}\n",
                      style="dim")
        detail.append(f"true {_validity(fact)}\n", style="dim")
        detail.append(f"learned {fact['recorded_at'].replace('T', ' ')}", style="dim")
        if fact.get("superseded_at"):
            detail.append(f"\nretired {fact['superseded_at'].replace('T', ' ')}", style="dim")
        detail.append(f"\nstatus {fact['status']} · trust {fact.get('trust', '?')}\n\n",
                      style="dim")
        detail.append("Evidence\n", style="bold")
        if fact.get("evidence"):
            detail.append(f"“{fact['evidence']}”\n", style="italic")
        for source in fact.get("sources", []):
            when = (source.get("event_at") or "")[:10]
            detail.append(f"• #{source['memory_id']} {when}: ", style="dim")
            detail.append(f"“{source['quote']}”", style="italic")
            if not source.get("verified", True):
                detail.append(" (quote no longer found in the memory)", style="red")
            detail.append("\n")
        if not fact.get("sources"):
            detail.append("(no source memory linked)\n", style="dim")
        self.query_one("#pf-detail", Static).update(detail)

    @on(OptionList.OptionHighlighted, "#pf-facts")
    def highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self._show(self.selected_fact())

    @on(OptionList.OptionSelected, "#pf-facts")
    def open_evidence(self, event: OptionList.OptionSelected) -> None:
        fact = self.selected_fact()
        sources = (fact or {}).get("sources") or []
        if not sources:
            self.notify("This fact has no source memory to open.", severity="warning")
            return
        from .inspector import MemoryInspectorScreen

        self.app.push_screen(MemoryInspectorScreen(self.services, sources[0]["memory_id"]))

    # -- actions ------------------------------------------------------------------
    def action_edit(self) -> None:
        fact = self.selected_fact()
        if fact is None:
            self.notify("Select a fact first.", severity="warning")
            return
        if fact["status"] != "active":
            self.notify("Only current facts can be corrected.", severity="warning")
            return

        def done(value: str | None) -> None:
            if value:
                self._correct(fact, value)

        self.app.push_screen(TextPromptModal(
            f"Correct “{fact['subject']} · {fact['attribute']}” (the old value is kept in "
            "the history):", str(fact["value"])), done)

    def action_delete(self) -> None:
        fact = self.selected_fact()
        if fact is None:
            self.notify("Select a fact first.", severity="warning")
            return

        def done(ok: bool | None) -> None:
            if ok:
                self._delete(fact)

        self.app.push_screen(ConfirmModal(
            f"Delete “{fact['subject']} · {fact['attribute']}: {fact['value']}” for good? "
            "Its evidence links go too; the memories themselves stay.", "Delete"), done)

    # The one fact write path (it rewrites the fact's memory and the search index): off the
    # UI loop, like every change in the views.
    @work(thread=True, group="change", exit_on_error=False)
    def _correct(self, fact: dict[str, Any], value: str) -> None:
        try:
            new_id = ProfileFacts(self.services).correct(fact["id"], value)
        except (FactNotFound, ValueError) as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error")
            return
        self.app.call_from_thread(
            self._changed_fact, f"Corrected: {fact['attribute']} is now “{value}” "
            f"(fact #{new_id}).")

    @work(thread=True, group="change", exit_on_error=False)
    def _delete(self, fact: dict[str, Any]) -> None:
        try:
            ProfileFacts(self.services).delete(fact["id"])
        except FactNotFound as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error")
            return
        self.app.call_from_thread(self._changed_fact, f"Fact #{fact['id']} deleted.")

    def _changed_fact(self, message: str) -> None:
        self.notify(message)
        self.reload()

    def action_toggle_history(self) -> None:
        self.history = not self.history
        self.reload()

    def action_close(self) -> None:
        self.app.pop_screen()
