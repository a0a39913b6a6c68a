"""Grounding check: citations, unsupported sentences, the best memory shown verbatim."""

from __future__ import annotations

from secondme.conversation.grounding import check, nice_day, split_sentences
from secondme.conversation.prompting import MemoryItem


def item(mid: int, text: str, date: str = "2024-05-14T10:00:00") -> MemoryItem:
    return MemoryItem(id=mid, text=text, date=date, source="chat", score=1.0)


PORTUGUESE = item(7, "I'm learning Portuguese at a school in Lisbon.")
SISTER = item(9, "My sister Ana just moved to Porto.", "2024-04-02T09:00:00")


def test_a_sentence_from_memory_cites_it_with_its_recall_number():
    g = check("You are learning Portuguese. Your sister lives in Porto.",
              [(1, PORTUGUESE), (3, SISTER)], question="What am I learning?")
    assert g.supported and g.cited == [[1], [3]]
    assert [c.memory_id for c in g.citations] == [7, 9]
    assert g.citations[1].to_public() == {"number": 3, "memory_id": 9, "date": SISTER.date,
                                          "source": "chat", "text": SISTER.text}
    assert g.marked() == "You are learning Portuguese. [1] Your sister lives in Porto. [3]"
    assert g.note() is None


def test_an_invented_answer_is_unsupported_and_shows_the_real_memory():
    g = check("You're learning English. That's great!", [(1, SISTER), (2, PORTUGUESE)],
              question="What language am I learning?")
    assert g.unsupported == [0] and not g.supported
    assert g.best is not None and g.best.memory_id == 7   # shares the question's words
    assert g.note() == ("From your memory, 14 May 2024: "
                        "I'm learning Portuguese at a school in Lisbon.")
    assert g.to_public()["unsupported"] == [0]


def test_profile_facts_support_a_sentence_and_talk_is_not_a_claim():
    g = check("You work at Acme. I'm not sure I remember more.", [],
              facts=["User — employer: Acme"], question="Where do I work?")
    assert g.supported and g.citations == []


def test_numbers_and_places_must_come_from_the_sources():
    g = check("Your sister moved to Lisbon in 2021.", [(1, SISTER)], question="Where?")
    assert g.unsupported == [0] and g.best == g.best and g.best.memory_id == 9


def test_the_day_a_memory_was_told_may_be_quoted():
    assert check("Ana moved to Porto. You told me on 2 April.", [(1, SISTER)]).supported


def test_sentences_and_days():
    assert split_sentences("One. Two? Three") == ["One.", "Two?", "Three"]
    assert nice_day("2024-05-14T10:00:00") == "14 May 2024"


def test_a_short_invented_answer_to_a_question_is_unsupported():
    # The evening in issue 14: one- or two-word answers from nowhere were never marked.
    for reply, question in [("You're in the house.", "Where does my sister live?"),
                            ("I'm at the airport.", "Where do I work now?"),
                            ("Her house.", "Where does my sister live?")]:
        g = check(reply, [(1, SISTER)], question=question)
        assert g.unsupported == [0], reply
        assert g.best is not None and g.best.memory_id == 9
    assert check("In Porto.", [(1, SISTER)], question="Where does my sister live?").supported
    assert check("Sounds lovely!", [(1, SISTER)], question="").supported   # not an answer


def test_not_knowing_is_no_claim_and_a_question_is_never_shown_as_the_memory():
    asked = item(3, "Where does my sister live?", "2024-05-20T09:00:00")
    assert check("Oh, I don't know.", [(1, asked), (2, SISTER)],
                 question="Where does my sister live?").supported
    g = check("Her house.", [(1, asked), (2, SISTER)], question="Where does my sister live?")
    assert g.unsupported == [0] and g.best is not None and g.best.memory_id == 9
    only_asked = check("Her house.", [(1, asked)], question="Where does my sister live?")
    assert only_asked.unsupported == [0] and only_asked.best is None


DOG = item(5, "My dog is called Biscuit.", "2024-05-01T09:00:00")


def test_not_knowing_what_a_relevant_memory_answers_shows_that_memory():
    # The tmux check (issue 14): "I don't know." with "My dog is called Biscuit" recalled.
    for reply in ["I don't know.", "Sorry, I can't remember.", "I'm not sure, you haven't told me."]:
        g = check(reply, [(1, DOG), (2, SISTER)], question="What's my dog called?",
                  relevant={1, 2})
        assert g.missed_answer and g.supported and g.citations == [], reply
        assert g.best is not None and g.best.memory_id == 5
        assert g.note() == "From your memory, 1 May 2024: My dog is called Biscuit."
        assert g.to_public()["missed_answer"] is True


def test_not_knowing_stays_unmarked_when_nothing_relevant_was_recalled():
    g = check("I don't know.", [(1, DOG)], question="What's my dog called?", relevant=set())
    assert not g.missed_answer and g.best is None and g.note() is None
    # Only memories judged relevant are shown: the relevant one here asks nothing useful.
    g = check("I don't know.", [(1, SISTER), (2, DOG)], question="What's my dog called?",
              relevant={1})
    assert g.missed_answer and g.best.memory_id == 9
    # An answer that used memory, or a reply to a statement, is no missed answer.
    assert not check("Biscuit. I don't remember more.", [(1, DOG)],
                     question="What's my dog called?", relevant={1}).missed_answer
    assert not check("I didn't know that!", [(1, DOG)], question="I got a new dog.",
                     relevant={1}).missed_answer


def test_a_memory_that_only_asks_is_never_shown_for_a_missed_answer():
    asked = item(3, "What's my dog called?", "2024-05-20T09:00:00")
    g = check("I don't know.", [(1, asked)], question="What's my dog called?", relevant={1})
    assert not g.missed_answer and g.best is None and g.note() is None
    g = check("I don't know.", [(1, asked), (2, DOG)], question="What's my dog called?",
              relevant={1, 2})
    assert g.missed_answer and g.best.memory_id == 5


def test_a_stopped_reply_is_checked_but_its_cut_last_word_is_no_claim():
    assert check("Your dog is called Bisc", [(1, DOG)], question="What's my dog called?",
                 cut=True).supported
    assert not check("Your dog is called Bisc", [(1, DOG)],
                     question="What's my dog called?").supported
    g = check("Your dog is called Rex and he lives in Lis", [(1, DOG)],
              question="What's my dog called?", cut=True)
    assert g.unsupported == [0] and g.best.memory_id == 5
