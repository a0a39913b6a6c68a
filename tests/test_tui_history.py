"""Past conversations: listed latest first, one reopened read-only."""

from __future__ import annotations

import dataclasses

from textual.widgets import OptionList

from secondme.conversation.session import ChatSession
from storage import messages as msgs
from tui.screens.history import ConversationScreen, HistoryScreen
from tui.widgets.message import MessageView

from .test_tui_chat import chat_app, settle
from .test_tui_views import ViewApp, options, shown


def talk(services, *texts: str) -> str:
    session = ChatSession(services)
    for text in texts:
        session.reply(text)
    return session.session_id or ""


def test_sessions_are_listed_latest_first_with_counts(services):
    first = talk(services, "I planted tomatoes.")
    second = talk(services, "Rui called.", "He is coming on Sunday.")
    rows = msgs.list_sessions(services.bank.db())
    assert [r["id"] for r in rows] == [second, first]     # same minute: the later one first
    counts = {r["id"]: r["messages"] for r in rows}
    assert counts == {first: 2, second: 4}
    whole = msgs.session_messages(services.bank.db(), second)
    assert [m.role for m in whole] == ["user", "assistant", "user", "assistant"]
    assert whole[0].text == "Rui called."


async def test_history_lists_sessions_and_reopens_one_read_only(services, fake_model):
    services.settings = dataclasses.replace(services.settings, fixed_replies=False)
    fake_model.script = [["Lovely."], ["Good to hear."]]
    sid = talk(services, "I planted tomatoes.\nAnd basil.", "They are growing.")
    app = ViewApp(lambda: HistoryScreen(services))
    async with app.run_test(size=(100, 30)) as pilot:
        await shown(pilot)
        listed = options(app.screen, "#hist-list")
        assert len(listed) == 1 and "4 messages" in listed[0] and "I planted tomatoes" in listed[0]
        app.screen.query_one("#hist-list", OptionList).focus()
        await pilot.press("enter")
        await shown(pilot)
        convo = app.screen
        assert isinstance(convo, ConversationScreen) and convo.session_id == sid
        views = list(convo.query(MessageView))
        assert [v.role for v in views] == ["user", "assistant", "user", "assistant"]
        assert views[0].text == "I planted tomatoes.\nAnd basil."
        assert views[1].text == "Lovely."
        assert not convo.query("#prompt")              # read-only: nothing to type into
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, HistoryScreen)


async def test_history_when_nothing_was_said_yet(services):
    app = ViewApp(lambda: HistoryScreen(services))
    async with app.run_test(size=(100, 30)) as pilot:
        await shown(pilot)
        assert "No conversations yet" in str(app.screen.query_one("#hist-status").render())


async def test_history_is_in_the_palette_and_on_f5(services):
    app = chat_app(services, preload=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        assert "History" in [c.title for c in app.get_system_commands(app.screen)]
        await pilot.press("f5")
        await shown(pilot)
        assert isinstance(app.screen, HistoryScreen)
