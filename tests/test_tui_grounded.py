"""Grounded replies in the TUI (issue 14.2): [n] citations that open the memory inspector,
an unsupported reply marked with the real memory beside it, "I don't remember"."""

from __future__ import annotations

import dataclasses

from textual.widgets import Markdown, OptionList

from secondme.conversation.fixed_replies import DONT_REMEMBER
from storage import evidence
from storage import messages as msgs
from tui.grounded import linked_memory
from tui.messages import ReplyFinished
from tui.screens.chat import ChatScreen
from tui.screens.inspector import MemoryInspectorScreen
from tui.widgets.message import MessageView
from tui.widgets.recall import RecallPanel

from .fakes import FakeModel
from .test_tui_chat import chat_app, reply_to, send, settle, stop_reply_to

FACT = "I'm learning Portuguese at a school in Lisbon."
QUESTION = "What language am I learning at school?"


async def test_a_cited_reply_links_to_the_recall_entry_and_opens_the_inspector(services,
                                                                            fake_model):
    planted = services.memory.remember(FACT)
    fake_model.script = [["You're learning ", "Portuguese."]]
    app = chat_app(services)
    async with app.run_test(size=(120, 40)) as pilot:
        reply = await reply_to(app, pilot, QUESTION)
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
        reply = await reply_to(app, pilot, QUESTION)
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


DOG = "My dog is called Biscuit."


async def test_i_dont_know_with_the_answer_recalled_shows_the_memory(services, fake_model):
    # The tmux check with Gemma 3 270M: a bare "I don't know." with the answer recalled first.
    services.memory.remember(DOG)
    fake_model.script = [["I don't ", "know."]]
    app = chat_app(services)
    async with app.run_test(size=(120, 40)) as pilot:
        reply = await reply_to(app, pilot, "What's my dog called?")
        assert reply.markdown.source == "I don't know."        # nothing false to mark
        note = str(reply.query_one(".note").render())
        assert note == f"From your memory, 1 May 2024: {DOG}"


async def test_i_dont_know_stays_unmarked_when_nothing_relevant_was_recalled(services,
                                                                           fake_model):
    services.settings = dataclasses.replace(services.settings, fixed_replies=False)
    services.memory.remember("I had pasta for lunch.")
    fake_model.script = [["I don't know."]]
    app = chat_app(services)
    async with app.run_test(size=(120, 40)) as pilot:
        reply = await reply_to(app, pilot, "What's my dog called?")
        assert reply.markdown.source == "I don't know."
        assert not str(reply.query_one(".note").render()).strip()


async def test_a_stopped_invented_reply_is_marked_and_never_evidence(make_services):
    model = FakeModel(script=[["Your ", "dog ", "is ", "called ", "Rex. ",
                               *[f"w{i} " for i in range(200)]]], delay=0.02)
    services = make_services(model=model)
    services.memory.remember(DOG)
    app = chat_app(services)
    seen = []
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        reply = await stop_reply_to(app, pilot, "What's my dog called?", "w1")
        assert reply.markdown.source.startswith("*Your dog is called Rex.*")
        note = str(reply.query_one(".note").render())
        assert note.startswith("stopped\nnot found in your memory")
        assert f"From your memory, 1 May 2024: {DOG}" in note
        db = services.bank.db()
        stored = msgs.recent_messages(db, app.screen.session.session_id)[-1]
        assert stored.role == "assistant" and stored.meta["cancelled"] is True
        [result] = [m.result for m in seen if isinstance(m, ReplyFinished)]
        assert result.cancelled and result.reinforced == []
        turn = result.turn_memory_id
        assert evidence.weights(db, [turn])[turn] == evidence.UNSUPPORTED


def test_only_memory_links_are_citations():
    assert linked_memory("memory:12") == 12
    assert linked_memory("https://example.org") is None and linked_memory("memory:x") is None
