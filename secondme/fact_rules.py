"""The attribute vocabulary of the profile, and a conservative rule-based fact extractor.

The rules are the safety net under the LLM extractor: they only fire on plain
first-person statements ("I live in Lyon", "I moved from Lyon to Porto", "my
sister Ana", "I work as a nurse", "I like tea"), skip questions and negations,
and always quote the sentence they read. A small model that produces nothing
usable still leaves an honest, evidence-backed profile.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


@dataclass(frozen=True)
class Attribute:
    name: str
    category: str
    single: bool          # one value at a time: a new value closes the old fact
    phrase: str           # "lives in" → "Emily lives in Porto."
    cue: str              # the evidence must contain this (regex) for an LLM fact to count


ATTRIBUTES: dict[str, Attribute] = {a.name: a for a in [
    Attribute("name", "identity", True, "is called", r"\bname\b|\bcall me\b|\bI'?m\b|\bI am\b"),
    Attribute("age", "identity", True, "is", r"\b\d{1,3}\b"),
    Attribute("birthday", "identity", True, "has a birthday on", r"\bbirthday\b|\bborn\b"),
    Attribute("lives_in", "identity", True, "lives in",
              r"\blive|\bliving\b|\bmoved\b|\bbased in\b|\bhome\b"),
    Attribute("job", "work", True, "works as", r"\bwork|\bjob\b|\bI'?m an?\b|\bI am an?\b"),
    Attribute("employer", "work", True, "works at", r"\bwork"),
    Attribute("studies", "education", True, "studies", r"\bstud"),
    Attribute("partner", "relationship", True, "has a partner called",
              r"\bhusband|\bwife|\bboyfriend|\bgirlfriend|\bpartner|\bfianc"),
    Attribute("family", "relationship", False, "has family:",
              r"\bsister|\bbrother|\bmother|\bmom\b|\bmum\b|\bfather|\bdad\b|\bson\b|\bdaughter"
              r"|\bcousin|\baunt|\buncle|\bgrand"),
    Attribute("friend", "relationship", False, "has a friend called", r"\bfriend"),
    Attribute("pet", "relationship", False, "has a pet:",
              r"\bdog\b|\bcat\b|\bpet\b|\bpuppy|\bkitten|\bhamster|\brabbit|\bparrot"),
    Attribute("likes", "preference", False, "likes", r"\blike|\blove|\benjoy|\badore|\bfavou?rite"),
    Attribute("dislikes", "preference", False, "dislikes",
              r"\bhate|\bdislike|\bdon'?t like|\bdo not like|\bcan'?t stand"),
    Attribute("hobby", "habit", False, "has a hobby:", r"\bhobb|\bfree time\b|\bpastime"),
    Attribute("habit", "habit", False, "usually", r"\busually\b|\boften\b|\bevery\b|\balways\b"),
    Attribute("goal", "goal", False, "wants to", r"\bgoal\b|\bplan|\bdream|\bhope to\b|\baim"),
    Attribute("health", "health", False, "has a health note:",
              r"\ballerg|\bdiabet|\basthma|\binjur|\bsick\b|\bill\b|\bpain\b|\bdiagnos"),
]}

CATEGORIES = sorted({a.category for a in ATTRIBUTES.values()})

RELATIONS = ("sister", "brother", "mother", "mom", "mum", "father", "dad", "son", "daughter",
             "cousin", "aunt", "uncle", "grandmother", "grandfather", "grandma", "grandpa",
             "niece", "nephew")
PARTNERS = ("husband", "wife", "boyfriend", "girlfriend", "partner", "fiancé", "fiancée",
            "fiance", "fiancee")
OCCUPATIONS = _wordset("""
accountant actor actress architect artist baker barista carpenter cashier chef cleaner coach
consultant cook dancer dentist designer developer doctor driver economist editor electrician
engineer farmer firefighter freelancer gardener hairdresser journalist judge lawyer librarian
manager mechanic musician nurse painter pharmacist photographer physician pilot plumber
policeman police professor programmer psychologist researcher scientist singer student
surgeon teacher technician therapist translator tutor veterinarian vet waiter waitress writer
""")

_PRONOUNS = _wordset("it that this them you your him her those these what which everything "
                      "something anything nothing one there here")


@dataclass(frozen=True)
class RuleFact:
    subject: str
    attribute: str
    value: str
    evidence: str


_NAME = r"[A-Z][\w'’-]+(?:[ -][A-Z][\w'’-]+){0,2}"
_PLACE = r"[A-Z][\w'’-]+(?:[ -](?:de |da |du |del |of |upon |on )?[A-Z][\w'’-]+){0,3}"
_END = r"(?![\w'’-])"
_CLAUSE_END = r"(?=$|[.;!?]| but | because | since | when | so | which | that | if )"
_I = r"\bI\s+(?:(?:really|absolutely|also|truly|just|still|now|currently|actually)\s+)*"


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


_RULES: list[tuple[str, re.Pattern[str]]] = [
    ("name", _rx(r"\b[Mm]y name is (" + _NAME + ")")),
    ("name", _rx(r"\b[Cc]all me (" + _NAME + ")")),
    ("age", _rx(r"\bI(?:'m| am) (\d{1,3}) years? old\b")),
    ("age", _rx(r"\bI (?:just )?turned (\d{1,3})\b")),
    ("lives_in", _rx(_I + r"(?:live|am living|'m living) in (" + _PLACE + ")" + _END)),
    ("lives_in", _rx(r"\bI(?:'m| am) based in (" + _PLACE + ")" + _END)),
    ("lives_in", _rx(r"\bI(?:'ve| have)? ?(?:just |recently |finally )?moved (?:back )?"
                     r"(?:from " + _PLACE + r" )?to (" + _PLACE + ")" + _END)),
    ("job", _rx(_I + r"work as (?:an? )?([a-z][a-z -]{1,38}?)" + r"(?= at | in | for |[.,;:!?]|$)")),
    ("job", _rx(r"\b[Mm]y job is an? ([a-z][a-z -]{1,38}?)(?= at | in | for |[.,;:!?]|$)")),
    ("employer", _rx(_I + r"work (?:at|for) (" + _NAME + ")" + _END)),
    ("studies", _rx(_I + r"(?:study|am studying|'m studying) ([a-z][a-z ]{2,30}?)"
                    r"(?= at | in |[.,;:!?]|$)")),
    ("likes", _rx(_I + r"(?:like|love|enjoy|adore) ([^.;!?]{2,80}?)" + _CLAUSE_END)),
    ("dislikes", _rx(r"\bI (?:really )?(?:don't like|do not like|hate|dislike|can't stand) "
                     r"([^.;!?]{2,80}?)" + _CLAUSE_END)),
    ("hobby", _rx(r"\b[Mm]y (?:favou?rite )?hobb(?:y is|ies are) ([^.;!?]{2,60}?)(?=$|[.;!?])")),
    ("goal", _rx(r"\b[Mm]y goal is to ([^.,;!?]{3,60}?)(?=$|[.,;!?])")),
    ("goal", _rx(r"\bI(?:'m| am)? (?:planning|plan|hoping|hope) to ([^.,;!?]{3,60}?)(?=$|[.,;!?])")),
    ("habit", _rx(_I + r"(?:usually|often|always|regularly) ([^.,;!?]{3,60}?)(?=$|[.,;!?])")),
    ("health", _rx(r"\bI(?:'m| am) allergic to ([^.,;!?]{2,40}?)(?=$|[.,;!?]| and )")),
]

_JOB = re.compile(r"\bI(?:'m| am) an? ((?:[a-z]+ )?([a-z]+))\b(?! of\b)")
_RELATIVE = re.compile(r"\b[Mm]y (" + "|".join(RELATIONS) + r")(?:'s name is|, | is called | named | )"
                       r"(" + _NAME + r")\b")
_RELATIVE_LIVES = re.compile(r"\b[Mm]y (" + "|".join(RELATIONS) + r")(?: (" + _NAME + r"))? "
                             r"(?:still |now |also )?lives in (" + _PLACE + ")" + _END)
_PARTNER = re.compile(r"\b[Mm]y (" + "|".join(PARTNERS) + r")(?:'s name is|, | is called | named | )"
                      r"(" + _NAME + r")\b")
_PET = re.compile(r"\b(?:I have|I've got|[Mm]y) an? ?(dog|cat|puppy|kitten|hamster|rabbit|parrot)"
                  r"(?: (?:called|named)| is called|,)? (" + _NAME + r")\b")
_NEGATED = re.compile(r"\b(?:not|never|no longer|don't|doesn't|didn't|won't|wouldn't|if|would|"
                      r"could|should|might|maybe|wish)\b", re.IGNORECASE)
_NOT_NAMES = _wordset("I I'm Im The A An And But So Just Still Also Now Today Yesterday")


_TRAILING = re.compile(r"\s+(?:sometimes|the most|a lot|very much|so much|too|as well|etc\.?|"
                       r"now|these days|after all|again|anyway|though)$")


def _clean_value(value: str) -> str | None:
    value = _TRAILING.sub("", " ".join(value.split()).strip(" '\"“”‘’"))
    words = value.lower().split()
    if not words or len(words) > 6 or any(w in _PRONOUNS for w in words):
        return None
    if value.split()[0] in _NOT_NAMES:
        return None
    return value


_VAGUE = _wordset("etc then doing activities things stuff lot much")
_NOT_HABITS = _wordset("feel think lose get seem want forget wonder worry")


def _list_values(value: str) -> list[str]:
    """"painting, playing piano and tea tasting" → three likes, one evidence.

    If any item is vague or a pronoun ("I like to match it with …"), the whole list is
    dropped: the sentence is not a plain statement of taste.
    """
    value = re.sub(r"\bnow and then\b|\bfrom time to time\b", "", value)
    parts = re.split(r",\s*(?:and\s+)?|\s+and\s+|\s+or\s+|\s+such as\s+|\s*\bespecially\s+",
                     value)
    out: list[str] = []
    for part in parts:
        part = _TRAILING.sub("", part.strip())
        if not part:
            continue
        cleaned = _clean_value(part)
        if cleaned is None or cleaned.lower() in _VAGUE or len(cleaned) < 3 or \
                cleaned.split()[0].lower() in ("and", "am", "is", "are"):
            return []
        if len(cleaned.split()) <= 4:
            out.append(cleaned)
    return out


def _plausible(attribute: str, value: str) -> bool:
    if attribute == "name":
        return value not in _NOT_NAMES
    if attribute == "habit":
        return len(value.split()) >= 2 and value.split()[0] not in _NOT_HABITS
    return True


def sentences_of(text: str) -> list[str]:
    from .extractive import split_sentences

    return split_sentences(text)


def extract(text: str) -> list[RuleFact]:
    """Facts the person states plainly about themselves (or their family), with the quote."""
    found: list[RuleFact] = []

    def add(subject: str, attribute: str, value: str | None, sentence: str) -> None:
        if value:
            fact = RuleFact(subject, attribute, value, sentence)
            if fact not in found:
                found.append(fact)

    for sentence in sentences_of(text):
        if sentence.rstrip().endswith("?"):
            continue
        # Lists in a sentence are kept whole, but rules read the sentence up to its end.
        for attribute, pattern in _RULES:
            for match in pattern.finditer(sentence):
                if _NEGATED.search(sentence[max(0, match.start() - 25):match.start()]):
                    continue
                if attribute in ("likes", "dislikes", "hobby"):
                    for value in _list_values(match.group(1)):
                        add("user", attribute, value, sentence)
                elif not _plausible(attribute, match.group(1)):
                    continue
                else:
                    add("user", attribute, _clean_value(match.group(1)), sentence)
        for match in _JOB.finditer(sentence):
            if match.group(2) in OCCUPATIONS and not _NEGATED.search(
                    sentence[max(0, match.start() - 25):match.start()]):
                add("user", "job", match.group(1), sentence)
        for match in _RELATIVE.finditer(sentence):
            add("user", "family", f"{match.group(2)} ({match.group(1)})", sentence)
        for match in _RELATIVE_LIVES.finditer(sentence):
            subject = match.group(2) or f"user's {match.group(1)}"
            add(subject, "lives_in", _clean_value(match.group(3)), sentence)
        for match in _PARTNER.finditer(sentence):
            add("user", "partner", match.group(2), sentence)
        for match in _PET.finditer(sentence):
            add("user", "pet", f"{match.group(2)} ({match.group(1)})", sentence)
    return found
