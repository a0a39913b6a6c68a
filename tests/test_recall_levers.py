"""Query-time recall levers: neighbour context, session weight, diversity across sessions."""

from __future__ import annotations

from datetime import datetime

import pytest

from secondme.recall_levers import LeverParams
from secondme.retrieval import HybridRetriever
from storage.turn_context import sessions_of, turn_context

DAY = datetime(2024, 5, 1)


def add(services, text: str, session: str) -> int:
    return services.memory.remember(text, at=DAY, kind="turn", source="chat",
                                    session_id=session)


OFF = {"context_weight": 0.0, "session_weight": 0.0, "diversity": 0.0}


def search(services, query: str, k: int = 3, **levers) -> list[int]:
    retriever = HybridRetriever(services.memory, services.embedder,
                                levers=LeverParams(**{**OFF, **levers}))
    return [h.memory.id for h in retriever.search(query, k=k)]


@pytest.fixture
def chat(services):
    """Session a: a question with the words, then the reply that holds the answer."""
    ids = {
        "ask": add(services, "Did you ever adopt that puppy from the shelter?", "a"),
        "reply": add(services, "Yes, last Tuesday, we called him Biscuit.", "a"),
        "other": add(services, "The weather was nice on the beach today.", "a"),
    }
    for n in range(6):
        ids[f"noise{n}"] = add(services, f"Shelter volunteers met about plan {n} today.", "b")
    return ids


def test_turn_context_links_live_neighbours_in_their_session(services, chat):
    found = turn_context(services.memory.bank.db(), [chat["reply"], chat["noise0"]])
    assert found[chat["reply"]] == ("a", chat["ask"], chat["other"])
    assert found[chat["noise0"]][1] is None          # first turn of session b
    assert sessions_of(services.memory.bank.db(), [chat["ask"]]) == {chat["ask"]: "a"}


def test_context_lever_brings_up_the_reply_to_a_matching_question(services, chat):
    query = "adopt puppy shelter"
    assert chat["reply"] not in search(services, query, k=2)
    assert chat["reply"] in search(services, query, k=2, context_weight=0.5)


def test_diversity_reaches_into_another_session(services):
    a = [add(services, f"Melanie painted a sunset painting number {n}", "s1") for n in range(4)]
    b = add(services, "Melanie painted with her kids at camp", "s2")
    plain = search(services, "what did Melanie paint", k=3)
    assert set(plain) <= set(a) and b not in plain
    assert b in search(services, "what did Melanie paint", k=3, diversity=0.6)


def test_session_lever_prefers_the_session_about_the_question(services):
    strong = [add(services, "We hiked the Alps trail to the glacier", "trip"),
              add(services, "Our Alps hike ended at the glacier hut", "trip")]
    near = add(services, "The hut was cold", "trip")
    stray = add(services, "A cold drink helps", "other")
    ranked = search(services, "Alps glacier hike hut cold", k=4, session_weight=0.5)
    assert ranked.index(near) < ranked.index(stray)
    assert set(strong) <= set(ranked[:3])


def test_a_forgotten_turn_is_gone_from_every_lever(services, chat):
    services.memory.forget(chat["ask"])
    db = services.memory.bank.db()
    assert turn_context(db, [chat["reply"]])[chat["reply"]][1] is None   # no longer a neighbour
    ranked = search(services, "adopt puppy shelter", k=9, context_weight=0.5, session_weight=0.5,
                    diversity=0.5)
    assert chat["ask"] not in ranked
    assert chat["reply"] not in ranked[:2]   # nothing left to lend it the question's words


def test_an_archived_neighbour_lends_nothing(services, chat):
    services.memory.archive(chat["ask"])
    assert turn_context(services.memory.bank.db(), [chat["reply"]])[chat["reply"]][1] is None


def test_levers_switched_off_change_nothing(services, chat):
    query = "adopt puppy shelter"
    plain = HybridRetriever(services.memory, services.embedder,
                            levers=LeverParams(**OFF)).search(query, k=5)
    off = search(services, query, k=5)
    assert [h.memory.id for h in plain] == off


@pytest.mark.parametrize("bad", [{"diversity": 1.0}, {"context_weight": -0.1},
                                 {"session_weight": -1}])
def test_lever_params_are_checked(bad):
    with pytest.raises(ValueError):
        LeverParams(**bad)


def test_feedback_lever_finds_what_the_best_hits_talk_about(services):
    first = add(services, "Caroline went to the pride parade with her friends", "p1")
    add(services, "Caroline loved the pride parade music", "p1")
    related = add(services, "Her friends loved the music and went dancing", "p2")
    for n in range(4):
        add(services, f"A cat slept on mat number {n}", "p3")
    query = "Caroline pride parade"
    plain = search(services, query, k=5)
    assert first in plain and related not in plain   # shares no word with the question
    assert related in search(services, query, k=3, feedback_weight=1.0, feedback_docs=2)


def test_speaker_lever_prefers_the_named_persons_own_turns(services):
    other = add(services, "Ben: Ana and I love to bake bread, Ana bakes rye", "k1")
    own = add(services, "Ana: I bake bread on Sundays", "k2")
    assert search(services, "What does Ana bake?", k=2)[0] == other
    assert search(services, "What does Ana's family bake?", k=2, speaker_weight=1.0)[0] == own
