"""Query-time recall levers: session weight and speaker match, and what forgetting does."""

from __future__ import annotations

from datetime import datetime

import pytest

from secondme.memory.recall_levers import LeverParams, asks_for_a_list
from secondme.memory.retrieval import HybridRetriever
from storage.turn_context import openings, sessions_of

DAY = datetime(2024, 5, 1)
OFF = {"session_weight": 0.0, "speaker_weight": 0.0, "list_speaker_weight": 0.0}


def add(services, text: str, session: str | None) -> int:
    return services.memory.remember(text, at=DAY, kind="turn", source="chat",
                                    session_id=session)


def search(services, query: str, k: int = 3, **levers) -> list[int]:
    retriever = HybridRetriever(services.memory, services.embedder,
                                levers=LeverParams(**{**OFF, **levers}))
    return [h.memory.id for h in retriever.search(query, k=k)]


@pytest.fixture
def trip(services):
    """Session "trip" is about the question; "other" shares one word with it."""
    return {
        "alps": add(services, "We hiked the Alps trail to the glacier", "trip"),
        "hut": add(services, "Our Alps hike ended at the glacier hut", "trip"),
        "near": add(services, "The hut was cold", "trip"),
        "stray": add(services, "A cold drink helps", "other"),
        "stray2": add(services, "A cold drink with ice", "other"),
    }


def test_storage_reads_sessions_and_openings(services, trip):
    db = services.memory.bank.db()
    assert sessions_of(db, [trip["near"], trip["stray"]]) == {trip["near"]: "trip",
                                                              trip["stray"]: "other"}
    assert openings(db, [trip["alps"]], length=6) == {trip["alps"]: "We hik"}


def test_session_lever_prefers_the_session_about_the_question(services, trip):
    query = "Alps glacier hike hut cold drink"
    plain = search(services, query, k=5)
    ranked = search(services, query, k=5, session_weight=0.5)
    assert plain.index(trip["near"]) > plain.index(trip["stray"])
    assert ranked.index(trip["near"]) < ranked.index(trip["stray"])
    assert set(ranked[:2]) == {trip["alps"], trip["hut"]}


def test_speaker_lever_prefers_the_named_persons_own_turns(services):
    other = add(services, "Ben: Ana and I love to bake bread, Ana bakes rye", "k1")
    own = add(services, "Ana: I bake bread on Sundays", "k2")
    assert search(services, "What does Ana bake?", k=2)[0] == other
    assert search(services, "What does Ana's family bake?", k=2, speaker_weight=1.0)[0] == own


def test_a_forgotten_turn_is_gone_from_every_lever(services, trip):
    services.memory.forget(trip["alps"])
    services.memory.forget(trip["hut"])
    db = services.memory.bank.db()
    assert sessions_of(db, [trip["alps"]]) == {} and openings(db, [trip["hut"]]) == {}
    ranked = search(services, "Alps glacier hike hut cold drink", k=5, session_weight=0.5,
                    speaker_weight=0.5)
    assert trip["alps"] not in ranked and trip["hut"] not in ranked
    # the session's best is now the leftover turn itself: nothing forgotten lends it strength
    def near_final(weight: float) -> float:
        retriever = HybridRetriever(services.memory, services.embedder,
                                    levers=LeverParams(**{**OFF, "session_weight": weight}))
        hits = retriever.search("Alps glacier hike hut cold drink", k=5)
        return next(h.scores.final for h in hits if h.memory.id == trip["near"])

    assert near_final(0.5) == pytest.approx(1.5 * near_final(0.0))


def test_levers_switched_off_change_nothing(services, trip):
    query = "Alps glacier hut cold"
    plain = HybridRetriever(services.memory, services.embedder,
                            levers=LeverParams(**OFF)).search(query, k=5)
    unlevered = [h.memory.id for h in plain]
    assert unlevered == search(services, query, k=5)
    assert LeverParams(**OFF).active is False and LeverParams().active is True


@pytest.mark.parametrize("bad", [{"session_weight": -0.1}, {"speaker_weight": -1},
                                 {"list_speaker_weight": -1}, {"depth": -1}])
def test_lever_params_are_checked(bad):
    with pytest.raises(ValueError):
        LeverParams(**bad)


@pytest.mark.parametrize("query", ["What books has Melanie read?", "Where has Maria made friends?",
                                   "What have John and Maria both done?",
                                   "How many times has Ana gone to the beach?",
                                   "Did Ana ever bake rye?"])
def test_questions_that_gather_over_the_past_ask_for_a_list(query):
    assert asks_for_a_list(query)


@pytest.mark.parametrize("query", ["What did Caroline research?", "When has Ana baked rye?",
                                   "How long has Melanie painted?", "Where does Ana live?"])
def test_one_fact_or_a_date_is_no_list(query):
    assert not asks_for_a_list(query)


@pytest.fixture
def bakes(services):
    """Ben talks about Ana's baking; Ana's own turns say what she baked, in other words."""
    return {
        "ben": add(services, "Ben: Ana bakes and bakes, Ana has baked bread all week", "s1"),
        "ben2": add(services, "Ben: baked bread again, Ana? Ana loves bread", "s2"),
        "own": add(services, "Ana: I have baked rye bread", "s3"),
        "own2": add(services, "Ana: my sourdough bread came out great", "s4"),
    }


def test_a_list_question_prefers_the_named_persons_own_turns_more(services, bakes):
    own = {bakes["own"], bakes["own2"]}
    listing = "What bread has Ana baked?"
    assert not own & set(search(services, listing, k=2))          # lever off: Ben's chatter
    assert set(search(services, listing, k=2, list_speaker_weight=1.5)) == own
    # the list weight is for list questions only: one fact keeps the plain speaker weight
    one_fact = "What bread did Ana bake?"
    assert search(services, one_fact, k=2, list_speaker_weight=1.5) == search(services,
                                                                               one_fact, k=2)


def test_a_forgotten_turn_lends_nothing_to_a_list_question(services, bakes):
    services.memory.forget(bakes["own"])
    listed = search(services, "What bread has Ana baked?", k=4, list_speaker_weight=1.5)
    assert bakes["own"] not in listed and listed[0] == bakes["own2"]
