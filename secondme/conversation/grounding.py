"""Is a reply grounded in the person's memory? Citations and a support check, after generation.

Pure functions over the reply, the memories placed in the prompt and the active profile
facts (secondme.faithfulness does the token-level claim check). A sentence that states
something about the person (names, numbers, places, dates, content words) is supported
when its claims appear in those sources; names, numbers and dates must come from the
sources, while plain content words may also echo the question. A memory is cited by the
sentences whose claims it holds; citation numbers are the memory's position in the recall
list (the TUI's recall panel), so a marker [2] opens the second entry there.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ..faithfulness import Claim, Sources, _set, claims, supported
from .prompting import MemoryItem

_SENTENCES = re.compile(r"[^.!?\n]+(?:[.!?]+|$)")
#: What an assistant says about itself or the exchange: not a claim about the person.
TALK_WORDS = _set("""
remember remembers know knows sure sorry think thinks believe notes note memory memories
tell told mention mentioned said okay sounds great thanks thank please help glad nice
anything something nothing don't doesn't didn't can't cannot yes yeah right well
hello hi hey oh ah hmm um uh idea i'm i've i'll i'd you're you've you'll we're they're it's that's here's there's
""")
#: A reply that says it does not know: no claim, but no answer either.
NOT_KNOWING = re.compile(
    r"\b(?:(?:don't|doesn't|didn't|do not|does not|did not|can't|cannot|can not|couldn't"
    r"|could not)\s+(?:really\s+)?(?:know|remember|recall|say|tell)"
    r"|not (?:sure|certain)|no idea|(?:haven't|hasn't|have not|has not|never)\s+"
    r"(?:told|mentioned|said)|(?:don't|do not) have (?:any |that )?(?:information|record|memory))",
    re.IGNORECASE)
STRICT = ("name", "number", "date", "relation")
MIN_WORDS = 3     # a sentence judged on its share of missing content words needs a few


@dataclass(frozen=True)
class Citation:
    number: int          # 1-based position in the recall list
    memory_id: int
    date: str            # ISO event time
    source: str
    text: str            # the memory as the prompt quoted it, verbatim

    def to_public(self) -> dict[str, Any]:
        return {"number": self.number, "memory_id": self.memory_id, "date": self.date,
                "source": self.source, "text": self.text}


@dataclass
class Grounding:
    sentences: list[str]
    cited: list[list[int]]                 # per sentence: citation numbers
    citations: list[Citation]              # every memory some sentence used, by number
    unsupported: list[int] = field(default_factory=list)   # sentence indexes
    best: Citation | None = None           # shown when something is unsupported
    #: The reply says it does not know, yet a relevant memory was recalled: `best` answers.
    missed_answer: bool = False

    @property
    def supported(self) -> bool:
        return not self.unsupported

    def note(self) -> str | None:
        """'From your memory, 14 May 2024: …' when the reply is not supported, or when it
        says it does not know what a recalled memory answers."""
        if (self.supported and not self.missed_answer) or self.best is None:
            return None
        return f"From your memory, {nice_day(self.best.date)}: {self.best.text}"

    def marked(self) -> str:
        """The reply with [n] markers after the sentences that use memory n."""
        out = []
        for sentence, numbers in zip(self.sentences, self.cited, strict=True):
            marks = "".join(f" [{n}]" for n in numbers)
            out.append(sentence + marks)
        return " ".join(out)

    def to_public(self) -> dict[str, Any]:
        return {"supported": self.supported, "unsupported": self.unsupported,
                "missed_answer": self.missed_answer, "sentences": self.sentences,
                "best_memory": None if self.best is None else self.best.to_public(),
                "note": self.note()}


def nice_day(iso: str) -> str:
    try:
        day = date.fromisoformat(iso[:10])
    except ValueError:
        return iso[:10]
    return f"{day.day} {day:%B %Y}"


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCES.findall(text) if s.strip()]


def _about_person(found: Sequence[Claim]) -> list[Claim]:
    return [c for c in found if not (c.kind == "word" and c.text.lower() in TALK_WORDS)
            and c.text.lower() not in TALK_WORDS]


def says_not_knowing(reply: str) -> bool:
    """'I don't know.', 'I don't remember you telling me', 'No idea!'."""
    return bool(NOT_KNOWING.search(reply.replace("’", "'")))


def check(reply: str, memories: Sequence[tuple[int, MemoryItem]], facts: Sequence[str] = (),
          question: str = "", allowed: Sequence[str] = (), *,
          relevant: Collection[int] = (), cut: bool = False) -> Grounding:
    """Checks `reply` against numbered memories (number, item) and the profile facts.

    `relevant`: the numbers of the memories the retriever judged relevant to the question
    (secondme.memory.abstention); a reply to a question that says it does not know while
    one of them is placed gets that memory shown (`missed_answer`). `cut`: the reply was
    stopped mid-stream, so its last word may be a word's first letters ("Bisc")."""
    sentences = split_sentences(reply)
    # A memory's day may be quoted ("you told me on 12 April").
    known = Sources(list(facts) + [f"{m.text} ({nice_day(m.date)})" for _, m in memories],
                    allowed)
    asked = Sources(question, allowed)
    # An answer none of whose claims has a source was made up, however short it is;
    # small talk after a statement ("Sounds lovely!") is no answer and is left alone.
    answering = question.rstrip().endswith("?")
    each = [(n, m, Sources(m.text, ())) for n, m in memories]
    cited: list[list[int]] = []
    unsupported: list[int] = []
    for i, sentence in enumerate(sentences):
        mine = _about_person(claims(sentence))
        if cut and i == len(sentences) - 1 and mine and _unfinished(sentence, mine[-1], known):
            mine = mine[:-1]
        missing = [c for c in mine if not supported(c, known)
                   and (c.kind in STRICT or not supported(c, asked))]
        strict_missing = [c for c in missing if c.kind in STRICT]
        words = [c for c in mine if c.kind == "word"]
        invented = (answering and words and len(missing) == len(mine)   # "I'm at the airport."
                    and not says_not_knowing(sentence))   # "I'm not sure, you haven't said."
        if strict_missing or invented or (len(words) >= MIN_WORDS
                                          and len(missing) * 2 > len(words)):
            unsupported.append(i)
            cited.append([])   # an unsupported sentence cites nothing: it would look backed
            continue
        used = [c for c in mine if supported(c, known)]
        cited.append([n for n, _, vocab in each if any(supported(c, vocab) for c in used)])
    numbers = sorted({n for row in cited for n in row})
    by_number = {n: m for n, m in memories}
    citations = [_citation(n, by_number[n]) for n in numbers]
    # A memory that only asks ("Where does my sister live?") is no evidence to show.
    evidence = [(n, m) for n, m in memories if not _only_asks(m.text)]
    best = _citation(*_best(evidence, question)) if unsupported and evidence else None
    # "I don't know." claims nothing, but when the recall holds a relevant memory, the
    # answer is shown under it (the reply itself used no memory: nothing is cited).
    answers = [(n, m) for n, m in evidence if n in relevant]
    missed = (answering and not numbers and bool(answers)
              and any(says_not_knowing(s) for s in sentences))
    if missed and best is None:
        best = _citation(*_best(answers, question))
    return Grounding(sentences, cited, citations, unsupported, best, missed)


def _unfinished(sentence: str, last: Claim, known: Sources) -> bool:
    """A stopped reply's last word, cut off mid-word: the first letters of a source word."""
    if sentence.rstrip().endswith((".", "!", "?")):
        return False
    tail = sentence.rstrip().split()[-1].lower() if sentence.split() else ""
    word = last.text.lower()
    return tail.endswith(word) and any(w.startswith(word) and w != word for w in known.words)


def _only_asks(text: str) -> bool:
    sentences = split_sentences(text)
    return bool(sentences) and all(s.endswith("?") for s in sentences)


def _best(memories: Sequence[tuple[int, MemoryItem]], question: str) -> tuple[int, MemoryItem]:
    """The memory that shares most of the question's claims; the first placed on a tie."""
    wanted = _about_person(claims(question))

    def overlap(pair: tuple[int, MemoryItem]) -> int:
        vocab = Sources(pair[1].text, ())
        return sum(supported(c, vocab) for c in wanted)

    return max(memories, key=lambda pair: (overlap(pair), -memories.index(pair)))


def _citation(number: int, m: MemoryItem) -> Citation:
    return Citation(number=number, memory_id=m.id, date=m.date, source=m.source, text=m.text)
