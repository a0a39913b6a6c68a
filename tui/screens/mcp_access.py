"""The MCP access view: what other AI tools read (the log) and proposed (the inbox).

Left, the inbox: proposals that are not memories until the owner approves them
(`a` approve, `r` reject, each confirmed first). Right, the newest access-log entries:
which client called which tool, with what, and how many results. Bank work runs in
a thread worker; the worker never touches widgets, it posts the loaded data back.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Label, OptionList, Static
from textual.widgets.option_list import Option

from secondme.mcp.access import McpAccess, ProposalNotFound

from ..widgets.memory_list import one_line
from .modals import ConfirmModal

LOG_ENTRIES = 100


class AccessLoaded(Message):
    def __init__(self, inbox: list[dict[str, Any]], log: list[dict[str, Any]],
                 note: str | None = None) -> None:
        super().__init__()
        self.inbox = inbox
        self.log = log
        self.note = note


def proposal_option(item: dict[str, Any]) -> Option:
    text = Text()
    text.append(f"#{item['id']} ", style="bold")
    text.append(f"{item['proposed_at'][:16].replace('T', ' ')} · from {item['client']}\n",
                style="dim")
    text.append(one_line(item["text"], 200))
    return Option(text, id=f"i{item['id']}")


def log_line(entry: dict[str, Any]) -> Text:
    outcome = "interrupted" if entry["outcome"] == "started" else entry["outcome"]
    colour = {"ok": "green", "refused": "red", "error": "yellow"}.get(outcome, "dim")
    text = Text()
    text.append(f"{entry['at'][:16].replace('T', ' ')} ", style="dim")
    text.append(f"{entry['client']} ", style="bold")
    text.append(f"{entry['tool']}")
    if entry["request"]:
        text.append(f" “{one_line(entry['request'], 60)}”", style="italic")
    if entry["results"] is not None:
        text.append(f" → {entry['results']}")
    text.append(f" [{outcome}]", style=colour)
    return text


class McpAccessScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "close", "Back"),
        Binding("a", "approve", "Approve"),
        Binding("r", "reject", "Reject"),
        Binding("f5", "reload", "Refresh"),
    ]

    def __init__(self, services) -> None:
        super().__init__()
        self.services = services
        self.access = McpAccess(services)
        self._items: dict[int, dict[str, Any]] = {}

    def compose(self) -> ComposeResult:
        yield Label("MCP access · loading…", id="mcp-title")
        with Horizontal(id="mcp-body"):
            with Vertical(id="mcp-inbox-pane"):
                yield Label("Inbox: proposed by other AI tools (a approve · r reject)",
                            classes="mcp-heading")
                yield OptionList(id="mcp-inbox")
            with Vertical(id="mcp-log-pane"):
                yield Label("Access log (newest first)", classes="mcp-heading")
                yield Static("", id="mcp-log")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#mcp-inbox", OptionList).focus()
        self.action_reload()

    def on_screen_resume(self) -> None:
        self.action_reload()

    # -- loading and deciding (off the event loop) -------------------------------------
    def action_reload(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="mcp-load", exit_on_error=False)
    def load(self, note: str | None = None) -> None:
        try:
            self.post_message(AccessLoaded(self.access.inbox(),
                                           self.access.log(limit=LOG_ENTRIES), note))
        except Exception as exc:  # a locked or closing bank: say so, don't crash the app
            self.post_message(AccessLoaded([], [], f"Could not read the access log: {exc}"))

    # Its own group: the reload that follows the closing confirmation must not cancel it.
    @work(thread=True, group="mcp-decide", exit_on_error=False)
    def decide(self, item_id: int, approve: bool) -> None:
        try:
            if approve:
                memory_id = self.access.approve(item_id)
                note = f"Approved #{item_id}: remembered as #{memory_id} (trust external)."
            else:
                self.access.reject(item_id)
                note = f"Rejected #{item_id}; it was deleted."
        except ProposalNotFound as exc:
            note = str(exc)
        except Exception as exc:
            note = f"Could not decide #{item_id}: {exc}"
        self.app.call_from_thread(self.load, note)

    @on(AccessLoaded)
    def _show(self, event: AccessLoaded) -> None:
        listing = self.query_one("#mcp-inbox", OptionList)
        keep = listing.highlighted
        listing.clear_options()
        self._items = {item["id"]: item for item in event.inbox}
        for item in event.inbox:
            listing.add_option(proposal_option(item))
        if not event.inbox:
            listing.add_option(Option(Text("Nothing to review.", style="dim"), id="none",
                                      disabled=True))
        elif keep is not None:
            listing.highlighted = min(keep, listing.option_count - 1)
        log = Text()
        for entry in event.log:
            log.append_text(log_line(entry))
            log.append("\n")
        if not event.log:
            log.append("No calls yet. `secondme mcp grant NAME` lets a client in.", style="dim")
        self.query_one("#mcp-log", Static).update(log)
        self.query_one("#mcp-title", Label).update(
            f"MCP access · {len(event.inbox)} to review · {len(event.log)} recent calls")
        if event.note:
            self.notify(event.note)

    # -- actions --------------------------------------------------------------------
    def selected(self) -> dict[str, Any] | None:
        listing = self.query_one("#mcp-inbox", OptionList)
        if listing.highlighted is None:
            return None
        option = listing.get_option_at_index(listing.highlighted)
        if not option.id or not option.id.startswith("i"):
            return None
        return self._items.get(int(option.id[1:]))

    def _ask(self, approve: bool) -> None:
        item = self.selected()
        if item is None:
            self.notify("Select a proposal first.", severity="warning")
            return
        question = (f"Remember #{item['id']} from {item['client']} as a memory (trust "
                    f"external)?\n“{one_line(item['text'], 160)}”" if approve else
                    f"Reject and delete #{item['id']} from {item['client']}?")

        def done(ok: bool | None) -> None:
            if ok:
                self.decide(item["id"], approve)

        self.app.push_screen(ConfirmModal(question, "Approve" if approve else "Reject"), done)

    def action_approve(self) -> None:
        self._ask(True)

    def action_reject(self) -> None:
        self._ask(False)

    def action_close(self) -> None:
        self.app.pop_screen()
