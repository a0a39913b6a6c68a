"""Past conversations: a list of sessions, and any one of them reopened read-only.

Both screens read the bank in a thread worker (the loop never waits on the bank) and
post what they found; the transcript uses the chat's own message widget, so an old
conversation looks like it did, but there is no input: it cannot be continued or
changed here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Label, OptionList
from textual.widgets.option_list import Option

from storage import messages as msgs

from ..widgets.memory_list import one_line
from ..widgets.message import MessageView


@dataclass
class SessionsLoaded(Message, bubble=False):
    sessions: list[dict[str, Any]]


@dataclass
class ConversationLoaded(Message, bubble=False):
    session: dict[str, Any] | None
    messages: list[Any]


def _when(iso: str | None) -> str:
    return (iso or "")[:16].replace("T", " ")


def session_option(row: dict[str, Any]) -> Option:
    text = Text()
    text.append(_when(row["started_at"]), style="bold")
    count = row["messages"]
    text.append(f" · {count} message{'s' if count != 1 else ''} · {row['source']}", style="dim")
    text.append("\n")
    text.append(one_line(row["title"] or "(untitled)", 100))
    return Option(text, id=f"s{row['id']}")


class HistoryScreen(Screen[None]):
    """F5: every past conversation, latest first; Enter reopens one read-only."""

    AUTO_FOCUS = "#hist-list"
    BINDINGS = [Binding("escape", "close", "Back")]

    def __init__(self, services) -> None:
        super().__init__()
        self.services = services
        self.sessions: list[dict[str, Any]] = []
        self.loaded = False

    def compose(self) -> ComposeResult:
        yield Label("Conversations", id="hist-title")
        yield Label("Loading…", id="hist-status", classes="hint")
        yield OptionList(id="hist-list")
        yield Footer()

    def on_mount(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="db", exit_on_error=False)
    def load(self) -> None:
        self.post_message(SessionsLoaded(msgs.list_sessions(self.services.bank.db())))

    @on(SessionsLoaded)
    def _loaded(self, event: SessionsLoaded) -> None:
        self.sessions = event.sessions
        self.loaded = True
        listing = self.query_one("#hist-list", OptionList)
        listing.clear_options()
        listing.add_options([session_option(row) for row in event.sessions])
        status = self.query_one("#hist-status", Label)
        if event.sessions:
            count = len(event.sessions)
            status.update(f"{count} conversation{'s' if count != 1 else ''} · Enter: read one "
                          "(read-only)")
            listing.highlighted = 0
        else:
            status.update("No conversations yet: what you say in the chat is kept here.")

    @on(OptionList.OptionSelected, "#hist-list")
    def _open(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.app.push_screen(ConversationScreen(self.services, event.option.id[1:]))

    def action_close(self) -> None:
        self.app.pop_screen()


class ConversationScreen(Screen[None]):
    """One past conversation, as it was said; read-only."""

    AUTO_FOCUS = "#conv-transcript"
    BINDINGS = [Binding("escape", "close", "Back")]

    def __init__(self, services, session_id: str) -> None:
        super().__init__()
        self.services = services
        self.session_id = session_id
        self.loaded = False

    def compose(self) -> ComposeResult:
        yield Label("Conversation (read-only)", id="conv-title")
        yield VerticalScroll(id="conv-transcript")
        yield Footer()

    def on_mount(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="db", exit_on_error=False)
    def load(self) -> None:
        db = self.services.bank.db()
        self.post_message(ConversationLoaded(msgs.get_session(db, self.session_id),
                                             msgs.session_messages(db, self.session_id)))

    @on(ConversationLoaded)
    async def _loaded(self, event: ConversationLoaded) -> None:
        settings = self.services.settings
        title = self.query_one("#conv-title", Label)
        if event.session is None:
            title.update("This conversation no longer exists.")
        else:
            title.update(f"Conversation of {_when(event.session['started_at'])} "
                         f"· {len(event.messages)} messages · read-only · Esc: back")
        views = [MessageView(m.role, m.text, who="You" if m.role == "user"
                             else settings.assistant_name,
                             note="stopped" if m.meta.get("cancelled") else "")
                 for m in event.messages if m.role in ("user", "assistant")]
        await self.query_one("#conv-transcript", VerticalScroll).mount_all(views)
        self.loaded = True

    def action_close(self) -> None:
        self.app.pop_screen()


__all__ = ["ConversationScreen", "HistoryScreen"]
