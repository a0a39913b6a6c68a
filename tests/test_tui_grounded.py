"""Grounded replies in the TUI (issue 14.2): [n] citations that open the memory inspector,
an unsupported reply marked with the real memory beside it, "I don't remember"."""

from __future__ import annotations

from textual.widgets import Markdown, OptionList

from secondme.conversation.fixed_replies import DONT_REMEMBER
from tui.grounded import linked_memory
from tui.screens.chat import ChatScreen
from tui.screens.inspector import MemoryInspectorScreen
from tui.widgets.message import MessageView
from tui.widgets.recall import RecallPanel

from .test_tui_chat import chat_app, send, settle

FACT = "I'm learning Portuguese at a school in Lisbon."
QUESTION = "What language am I learning at school?"


async def test_a_cited_reply_links_to_the_recall_entry_and_opens_the_inspector(services,
                                                                            fake_model):
    planted = services.memory.remember(FACT)
    fake_model.script = [["You're learning ", "Portuguese."]]
    app = chat_app(services)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await send(pilot, QUESTION)
        await settle(app, pilot)
        reply = app.screen.query(MessageView).last()
        assert reply.markdown.source == f"You're learning Portuguese. [\\[1\\]](memory:{planted})"
        assert not str(reply.query_one(".note").render()).strip()
        first = app.screen.query_one(RecallPanel).query_one(OptionList).get_option_at_index(0)
        assert str(first.prompt).startswith("[1] ")
        app.screen.post_message(Markdown.LinkClicked(reply.markdown, f"memory:{planted}"))
        await pilot.pause()
        await pilot.pause()
        assert isinstance(app.screen, MemoryInspectorScreen) and app.screen.memory_id == planted


async def test_an_invented_answer_is_marked_with_the_real_memory_beside_it(services,
                                                                         fake_model):
    services.memory.remember(FACT)
    fake_model.script = [["You're learning English."]]
    app = chat_app(services)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await send(pilot, QUESTION)
        await settle(app, pilot)
        reply = app.screen.query(MessageView).last()
        assert reply.markdown.source == "*You're learning English.*"
        note = str(reply.query_one(".note").render())
        assert "not found in your memory" in note
        assert f"From your memory, 1 May 2024: {FACT}" in note


async def test_a_question_about_something_never_mentioned_gets_i_dont_remember(services,
                                                                              fake_model):
    services.memory.remember("I had pasta for lunch.")
    app = chat_app(services)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await send(pilot, "What is my dog's name?")
        await settle(app, pilot)
        assert isinstance(app.screen, ChatScreen)
        assert app.screen.query(MessageView).last().markdown.source == DONT_REMEMBER
        assert fake_model.prompts == []


def test_only_memory_links_are_citations():
    assert linked_memory("memory:12") == 12
    assert linked_memory("https://example.org") is None and linked_memory("memory:x") is None
