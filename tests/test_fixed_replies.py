"""Fixed replies: "I don't remember" for a question nothing relevant answers; "Noted" for a
statement; small talk and answerable questions go to the model."""

from __future__ import annotations

from types import SimpleNamespace

from secondme.conversation.fixed_replies import DONT_REMEMBER, acknowledge, fixed_reply


def hit(text: str, cosine: float | None):
    return SimpleNamespace(memory=SimpleNamespace(text=text, person_text=None),
                           scores=SimpleNamespace(cosine=cosine))


def test_a_question_with_nothing_relevant_recalled_gets_i_dont_remember():
    hits = [hit("I had pasta for lunch.", 0.12)]
    assert fixed_reply("What is my dog's name?", hits, []) == DONT_REMEMBER
    assert fixed_reply("What is my dog's name?", [], []) == DONT_REMEMBER


def test_a_relevant_hit_or_a_profile_fact_lets_the_model_answer():
    assert fixed_reply("What language am I learning?",
                       [hit("I'm learning Portuguese.", 0.7)], []) is None
    assert fixed_reply("Where do I work?", [], ["User — work: Acme in Lisbon"]) is None
    # A low cosine but the hit names what the question asks about (another embedder).
    assert fixed_reply("Where does my sister live?",
                       [hit("My sister Ana moved to Porto.", 0.2)], []) is None
    # Said earlier in this conversation.
    assert fixed_reply("Where does my sister live?", [], [],
                       said=["My sister lives in Porto"]) is None


def test_a_statement_is_acknowledged_and_small_talk_goes_to_the_model():
    assert fixed_reply("I'm allergic to peanuts.", [], []) == \
        "Noted, I'll remember that: you're allergic to peanuts."
    assert fixed_reply("hi", [], []) is None
    assert fixed_reply("I went to the market. " * 20, [], []) is None   # long: the model reads
    assert fixed_reply("How are you?", [], []) is None
    assert acknowledge("I was born in Faro and my mum is a nurse!") == \
        "Noted, I'll remember that: you were born in Faro and your mum is a nurse."
