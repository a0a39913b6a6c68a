"""Replies that need no model: "I don't remember" and "Noted".

A question about something the memory holds nothing relevant on (the retriever's calibrated
signal, secondme.memory.abstention, and no profile fact sharing its words) gets an honest fixed
sentence instead of an invented answer; a statement gets a short acknowledgement of what was
stored. Small talk ("hi", "how are you?") states and asks nothing checkable: the model
answers it as before. Switch off with the setting `fixed_replies = false`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from storage.evidence import only_asks

from ..faithfulness import Sources, _set, claims, supported
from ..memory.abstention import judge

DONT_REMEMBER = "I don't remember you telling me about that."
MIN_STATEMENT_WORDS = 4
MAX_ACK_CHARS = 280      # longer statements (a pasted text) go to the model
TOP_HITS = 3


def _text(hit: Any) -> str:
    memory = hit.memory
    return memory.person_text or memory.text if hasattr(memory, "person_text") else memory.text


def _content(text: str) -> list:
    return [c for c in claims(text) if c.kind != "word" or c.text.lower() not in _SMALL_TALK]


_SMALL_TALK = _set("thanks thank please hello okay doing going today")


def is_question(text: str) -> bool:
    return only_asks(text)


def fixed_reply(question: str, hits: Sequence[Any], facts: Sequence[str],
                user_name: str = "User", said: Sequence[str] = ()) -> str | None:
    """The fixed reply for this message, or None when the model should answer.

    `said`: what the person said earlier in this conversation (it is not recalled)."""
    wanted = [c for c in _content(question) if c.text.lower() != user_name.lower()]
    if not wanted:
        return None   # small talk
    if is_question(question):
        if not judge(hits).nothing_relevant:
            return None
        # A profile fact, or a top hit, that shares the question's names or most of its
        # words: there is something to answer from (the cosine floor is tuned for one embedder).
        vocab = Sources([*facts, *said, *(_text(h) for h in hits[:TOP_HITS])], ())
        if any(supported(c, vocab) for c in wanted if c.kind != "word") or \
                sum(supported(c, vocab) for c in wanted) * 2 > len(wanted):
            return None
        return DONT_REMEMBER
    if "?" in question or len(question.split()) < MIN_STATEMENT_WORDS or \
            len(question) > MAX_ACK_CHARS:   # a long text: the model reads it
        return None
    return acknowledge(question)


def acknowledge(statement: str) -> str:
    """'Noted: you're allergic to peanuts.' The person's words, turned to the second person."""
    said = statement.strip().rstrip(".!")
    return f"Noted, I'll remember that: {_second_person(said)}."


_SWAPS = {"i": "you", "i'm": "you're", "im": "you're", "my": "your", "me": "you",
          "mine": "yours", "myself": "yourself", "i've": "you've", "i'll": "you'll",
          "i'd": "you'd", "am": "are", "was": "were"}


def _second_person(text: str) -> str:
    words = text.split()
    out = []
    subject_i = False
    for word in words:
        lower = word.lower()
        if lower == "was" and not subject_i:
            out.append(word)
            continue
        if lower == "am" and not subject_i:
            out.append(word)
            continue
        swap = _SWAPS.get(lower)
        subject_i = lower == "i"
        out.append(swap if swap is not None else word)
    return " ".join(out)
