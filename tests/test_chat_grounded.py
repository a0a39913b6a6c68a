"""The chat's grounding (issue 14.2, 14.4): citations, unsupported replies never become
evidence, "I don't remember" without the model, current facts first."""

from __future__ import annotations

import dataclasses

import pytest

from secondme.cli.chat import grounding_line
from secondme.conversation.fixed_replies import DONT_REMEMBER
from secondme.conversation.session import ChatSession, ReplyInterrupted
from storage import evidence

from .fakes import stop_after


def weight_of(services, memory_id):
    return evidence.weights(services.bank.db(), [memory_id])[memory_id]


def test_a_supported_reply_cites_the_memory_it_used(services, fake_model):
    planted = services.memory.remember("I'm learning Portuguese at a school in Lisbon.")
    fake_model.script = [["You're learning Portuguese."]]
    result = ChatSession(services).reply("What language am I learning at school?")
    assert result.grounding.supported and result.reinforced == [planted]
    out = result.to_public()
    assert [c["memory_id"] for c in out["citations"]] == [planted]
    assert out["citations"][0]["number"] == 1 and "Portuguese" in out["citations"][0]["text"]
    assert out["grounding"]["note"] is None
    assert weight_of(services, result.turn_memory_id) == evidence.QUESTION_ONLY   # unmarked


def test_an_unsupported_reply_is_kept_but_never_evidence_nor_reinforcing(services, fake_model):
    planted = services.memory.remember("I'm learning Portuguese at a school in Lisbon.")
    fake_model.script = [["You're learning English."]]
    result = ChatSession(services).reply("What language am I learning at school?")
    assert result.text == "You're learning English."        # stored as said
    assert result.grounding.unsupported == [0] and result.reinforced == []
    assert result.grounding.note().startswith("From your memory, 1 May 2024: I'm learning")
    assert result.to_public()["grounding"]["best_memory"]["memory_id"] == planted
    assert weight_of(services, result.turn_memory_id) == evidence.UNSUPPORTED


def test_nothing_relevant_gets_i_dont_remember_without_the_model(services, fake_model):
    services.memory.remember("I had pasta for lunch.")
    result = ChatSession(services).reply("What is my dog's name?")
    assert result.text == DONT_REMEMBER and fake_model.prompts == []
    assert result.grounding is None and result.to_public()["citations"] == []


def test_fixed_replies_can_be_switched_off(services, fake_model):
    services.settings = dataclasses.replace(services.settings, fixed_replies=False)
    fake_model.script = [["Rex."]]
    assert ChatSession(services).reply("What is my dog's name?").text == "Rex."


DOG = "My dog is called Biscuit."


def test_i_dont_know_with_the_answer_recalled_shows_the_memory(services, fake_model):
    # The tmux check with the real model: a bare "I don't know." although recalled first.
    planted = services.memory.remember(DOG)
    fake_model.script = [["I don't know."]]
    result = ChatSession(services).reply("What's my dog called?")
    assert result.recalled[0].hit.memory.id == planted
    g = result.grounding
    assert g.missed_answer and g.supported and g.citations == []
    assert g.note() == f"From your memory, 1 May 2024: {DOG}"
    out = result.to_public()
    assert out["grounding"]["missed_answer"] is True and out["citations"] == []
    assert out["grounding"]["best_memory"]["memory_id"] == planted
    assert weight_of(services, result.turn_memory_id) == evidence.QUESTION_ONLY   # no claim


def test_i_dont_know_stays_unmarked_when_nothing_relevant_was_recalled(services, fake_model):
    services.settings = dataclasses.replace(services.settings, fixed_replies=False)
    services.memory.remember("I had pasta for lunch.")
    fake_model.script = [["I don't know."]]
    result = ChatSession(services).reply("What's my dog called?")
    assert not result.grounding.missed_answer and result.grounding.note() is None


def test_a_stopped_reply_is_checked_marked_and_never_evidence(services, fake_model):
    planted = services.memory.remember(DOG)
    fake_model.script = [["Your dog ", "is called Rex. ", "He loves ", "the park."]]
    session = ChatSession(services)
    result = session.reply("What's my dog called?", on_piece=stop_after(session, pieces=2))
    assert result.cancelled and result.text == "Your dog is called Rex."
    assert result.grounding is not None and result.grounding.unsupported == [0]
    assert result.grounding.best.memory_id == planted and result.reinforced == []
    assert result.to_public()["grounding"]["supported"] is False
    assert weight_of(services, result.turn_memory_id) == evidence.UNSUPPORTED


def test_a_stopped_true_reply_cut_mid_word_is_not_marked(services, fake_model):
    planted = services.memory.remember(DOG)
    fake_model.script = [["Your dog ", "is called Bisc", "uit."]]
    session = ChatSession(services)
    result = session.reply("What's my dog called?", on_piece=stop_after(session, pieces=2))
    assert result.cancelled and result.text == "Your dog is called Bisc"
    assert result.grounding.supported and result.reinforced == [planted]
    assert weight_of(services, result.turn_memory_id) == evidence.QUESTION_ONLY


def test_ctrl_c_in_ask_keeps_a_checked_reply(services, fake_model):
    # `secondme ask` stopped with Ctrl+C: the kept part's grounding is printed (or its JSON).
    services.memory.remember(DOG)
    fake_model.script = [["Your dog ", "is called Rex. ", "He is ", "five."]]

    def on_piece(piece: str) -> None:
        if piece.startswith("is called"):
            raise KeyboardInterrupt

    with pytest.raises(ReplyInterrupted) as stopped:
        ChatSession(services).reply("What's my dog called?", on_piece=on_piece)
    result = stopped.value.result
    assert result.cancelled and result.to_public()["grounding"]["unsupported"] == [0]
    assert grounding_line(result.grounding) == (
        f"(not found in your memory) From your memory, 1 May 2024: {DOG}")


def test_the_ask_line_for_a_missed_answer_is_the_memory_alone(services, fake_model):
    services.memory.remember(DOG)
    fake_model.script = [["I don't know."]]
    result = ChatSession(services).reply("What's my dog called?")
    assert grounding_line(result.grounding) == f"From your memory, 1 May 2024: {DOG}"
    assert grounding_line(None) is None
