"""Is a derived text supported by its sources? A pure check, shared by summaries, the
profile's LLM path and the `bench/derived.py` measure.

A derived text (a summary, an LLM-proposed fact) may only assert what its sources
say. We cannot check meaning, but we can check the claims a small model most often
invents, token by token:

- names and places: capitalised words (also at the start of a sentence, unless the
  word is a plain function word like "Then");
- numbers: digit tokens ("5.2", "5:31", "2024-05-01") and number words ("three");
- dates: weekday and month names;
- relations: family and social words (sister, manager, …) and the modifiers that
  change who is meant ("older sister" is not "younger sister");
- content words: every other word of four letters or more must share its stem with a
  source word, so "toothache" cannot appear from nowhere.

`allowed` lists text the writer may use without the sources spelling it out: the
person's name, the period's label ("Monday 29 April 2024").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

_TOKEN = re.compile(r"\d+(?:[.:,/-]\d+)*|[A-Za-zÀ-ÿ][A-Za-zÀ-ÿ'’-]*")
_DIGITS = re.compile(r"\d")
_SENTENCE = re.compile(r"(?<=[.!?…;:])\s+")


def _set(text: str) -> frozenset[str]:
    return frozenset(text.split())


DATE_WORDS = _set("""
monday tuesday wednesday thursday friday saturday sunday january february march april may
june july august september october november december
""")
NUMBER_WORDS = _set("""
one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen
twenty thirty forty fifty hundred thousand million twice thrice dozen first third fourth
fifth sixth seventh eighth ninth tenth
""")
RELATION_NOUNS = _set("""
mother father mum mom dad mummy daddy parent parents sister sisters brother brothers sibling
siblings son sons daughter daughters child children kid kids wife husband partner spouse
girlfriend boyfriend fiance fiancee fiancé fiancée aunt uncle cousin cousins niece nephew
grandmother grandfather grandma grandpa granny grandson granddaughter grandchild twin
friend friends colleague colleagues coworker manager boss neighbour neighbor roommate
flatmate teacher doctor ex
""")
RELATION_MODIFIERS = _set("""
older younger elder eldest youngest little big baby step half twin best ex late former new
""")
#: Function words: never names, never claims.
FUNCTION_WORDS = _set("""
a about above after again against all also am an and any are as at be because been before
being below between both but by can could did do does doing down during each few for from
further had has have having he her here hers herself him himself his how i if in into is it
its itself just me more most my myself no nor not now of off on once only or other our ours
out over own same she should so some such than that the their theirs them themselves then
there these they this those through to too under until up very was we were what when where
which while who whom why will with would you your yours yourself later afterwards finally
overall meanwhile together today yesterday tonight earlier also still even next last
""")
#: Words a summary may use to report what was said without adding a fact.
REPORTING = _set("""
mentioned mention talked talk talking said says told tells shared share discussed discuss
described describe noted wrote writes spoke speaks spent time times evening morning afternoon
night period several things thing various including mostly mainly main summary life
recorded record notes note conversation conversations chatted about user person weeks
months days week month year years also again later then both while others other
""")


@dataclass(frozen=True)
class Claim:
    kind: str      # 'name', 'number', 'date', 'relation', 'word'
    text: str

    def __str__(self) -> str:
        return f"{self.kind} {self.text}"


def _tokens(text: str) -> list[str]:
    return [t.rstrip("'’").removesuffix("'s").removesuffix("’s") for t in _TOKEN.findall(text)]


def _stem(word: str) -> str:
    return word[:5]


class Sources:
    """The vocabulary of the sources (plus allowed text), built once, checked many times."""

    def __init__(self, sources: str | Iterable[str], allowed: Sequence[str] = ()) -> None:
        text = sources if isinstance(sources, str) else "\n".join(sources)
        extra = " ".join(allowed)
        tokens = [t.lower() for t in _tokens(text + "\n" + extra)]
        self.words = frozenset(tokens)
        self.stems = frozenset(_stem(t) for t in tokens if not _DIGITS.search(t))
        self.numbers = frozenset(t for t in tokens if _DIGITS.search(t))
        self.pairs = frozenset(zip(tokens, tokens[1:], strict=False))

    def has_word(self, word: str) -> bool:
        w = word.lower()
        return w in self.words or w.rstrip("s") in self.words or w + "s" in self.words

    def has_number(self, token: str) -> bool:
        return token in self.numbers or token.rstrip(".,:") in self.numbers


def claims(text: str) -> list[Claim]:
    """The checkable claims of `text`: names, numbers, dates, relations and content words."""
    out: list[Claim] = []
    for sentence in _SENTENCE.split(text):
        tokens = _tokens(sentence)
        for i, token in enumerate(tokens):
            lower = token.lower()
            if _DIGITS.search(token):
                out.append(Claim("number", token))
            elif lower in DATE_WORDS:
                out.append(Claim("date", token))
            elif lower in NUMBER_WORDS:
                out.append(Claim("number", lower))
            elif lower in RELATION_NOUNS:
                before = tokens[i - 1].lower() if i else ""
                phrase = f"{before} {lower}" if before in RELATION_MODIFIERS else lower
                out.append(Claim("relation", phrase))
            elif token[0].isupper() and lower not in FUNCTION_WORDS and lower not in REPORTING:
                out.append(Claim("name", token))
            elif len(lower) >= 4 and lower not in FUNCTION_WORDS and lower not in REPORTING \
                    and lower not in RELATION_MODIFIERS:
                out.append(Claim("word", lower))
    return out


def supported(claim: Claim, vocab: Sources) -> bool:
    if claim.kind == "number":
        return vocab.has_number(claim.text) if _DIGITS.search(claim.text) \
            else vocab.has_word(claim.text)
    if claim.kind in ("name", "date"):
        return vocab.has_word(claim.text)
    if claim.kind == "relation":
        parts = claim.text.split()
        if not all(vocab.has_word(p) for p in parts):
            return False
        return len(parts) == 1 or tuple(parts) in vocab.pairs or \
            (parts[0], parts[1] + "s") in vocab.pairs or (parts[0], parts[1].rstrip("s")) in vocab.pairs
    return _stem(claim.text) in vocab.stems


def unsupported(text: str, sources: str | Iterable[str] | Sources,
                allowed: Sequence[str] = ()) -> list[Claim]:
    """The claims of `text` that neither the sources nor `allowed` support."""
    vocab = sources if isinstance(sources, Sources) else Sources(sources, allowed)
    return [c for c in claims(text) if not supported(c, vocab)]


_REASONS = {
    "name": "names something the sources don't",
    "number": "invents a number",
    "date": "invents a date",
    "relation": "changes a relation",
    "word": "states something the sources don't",
}


def check(text: str, sources: str | Iterable[str], allowed: Sequence[str] = ()) -> str | None:
    """Why `text` is not supported by `sources` (None = every claim is supported)."""
    missing = unsupported(text, sources, allowed)
    if not missing:
        return None
    first = missing[0]
    return f"{_REASONS[first.kind]} ({first.text})"


def unsupported_rate(text: str, sources: str | Iterable[str], allowed: Sequence[str] = (),
                     kinds: tuple[str, ...] = ("name", "number", "date")) -> tuple[int, int]:
    """(unsupported, total) claims of the given kinds: the measure `bench/derived.py` reports."""
    vocab = Sources(sources, allowed)
    mine = [c for c in claims(text) if c.kind in kinds]
    return sum(not supported(c, vocab) for c in mine), len(mine)
