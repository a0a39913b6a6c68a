"""The chat's grounding (issue 14.2, 14.4): citations, unsupported replies never become
evidence, "I don't remember" without the model, current facts first."""

from __future__ import annotations

import dataclasses

from secondme.conversation.fixed_replies import DONT_REMEMBER
from secondme.conversation.session import ChatSession
from storage import evidence


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
