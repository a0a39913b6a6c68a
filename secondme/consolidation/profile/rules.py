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
    Attribute("colleague", "work", False, "works with",
              r"\bmanager\b|\bboss\b|\bcolleague|\bco-?worker|\bteammate|\bsupervisor"),
    Attribute("pet", "relationship", False, "has a pet:",
              r"\bdog\b|\bcat\b|\bpet\b|\bpuppy|\bkitten|\bhamster|\brabbit|\bparrot"),
    Attribute("likes", "preference", False, "likes", r"\blike|\blove|\benjoy|\badore|\bfavou?rite"),
    Attribute("dislikes", "preference", False, "dislikes",
              r"\bhate|\bdislike|\bdon'?t like|\bdo not like|\bcan'?t stand"),
    Attribute("hobby", "habit", False, "has a hobby:", r"\bhobb|\bfree time\b|\bpastime"),
    Attribute("learning", "education", False, "is learning", r"\blearn"),
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
    past: bool = False    # "I moved from Acme to Globex": Acme was true before, not now


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
    ("health", _rx(r"\bI(?:'m| am) (allergic to [^.,;!?]{2,40}?)(?=$|[.,;!?]| and )")),
    ("health", _rx(r"\bI (?:have|'ve got) (an? [a-z]+ allergy|asthma|diabetes|celiac disease"
                   r"|coeliac disease|migraines)\b")),
    ("learning", _rx(r"\bI(?:'m| am) (?:currently |still |slowly |also |now )?learning "
                     r"(?:to |how to )?"
                     r"([^.,;!?]{2,40}?)(?=$|[.,;!?]| and | because | since | with | at | in "
                     r"| for )")),
    ("learning", _rx(_I + r"(?:started|began) learning ([^.,;!?]{2,40}?)"
                     r"(?=$|[.,;!?]| and | because | since | with | at | in | on | last "
                     r"| this )")),
]

_JOB = re.compile(r"\bI(?:'m| am) an? ((?:[a-z]+ )?([a-z]+))\b(?! of\b)")
_RELATIVE = re.compile(r"\b[Mm]y (" + "|".join(RELATIONS) + r")(?:'s name is|, | is called | named | )"
                       r"(" + _NAME + r")\b")
_RELATIVE_LIVES = re.compile(r"\b[Mm]y (" + "|".join(RELATIONS) + r")(?: (" + _NAME + r"))? "
                             r"(?:still |now |also |just |recently )?(?:lives in|is living in|"
                             r"(?:has )?moved (?:back )?to) (" + _PLACE + ")" + _END)
_PARTNER = re.compile(r"\b[Mm]y (" + "|".join(PARTNERS) + r")(?:'s name is|, | is called | named | )"
                      r"(" + _NAME + r")\b")
_PET = re.compile(r"\b(?:(?:I have|I've got) an?|[Mm]y) (dog|cat|puppy|kitten|hamster|rabbit|parrot)"
                  r"(?: (?:called|named)| is called|,)? (" + _NAME + r")\b")
_SELF_NAME = re.compile(r"(?:^|[,;:!.] |\b(?:[Hh]i|[Hh]ello|[Hh]ey),? )I(?:'m| am) (" + _NAME + r")"
                        r"(?=$|[.,;!]| and | here\b)")
_COLLEAGUE = re.compile(r"\b[Mm]y (manager|boss|colleague|co-?worker|teammate|supervisor|mentor)"
                        r"(?:'s name is| is called| is named| named| is|,)? (" + _NAME + r")\b"
                        r"(?! (?:is|was) (?:a|an|the|so|very|really)\b)")
_MOVED = re.compile(r"\bI(?:'ve| have)? ?(?:just |recently |finally )?(moved|switched|changed jobs)"
                    r" (?:back )?(?:from (" + _PLACE + r") )?to (" + _PLACE + ")" + _END)
_WORK_CUE = re.compile(r"\b(?:jobs?|work(?:ing|s|ed)?|compan(?:y|ies)|employer|manager|boss|"
                       r"colleagues?|co-?workers?|office|hired|role|position|career|startup|"
                       r"firm|salary|promot(?:ed|ion)|contract|Inc|Ltd|Corp|GmbH|LLC)\b", re.I)
_HOME_CUE = re.compile(r"\b(?:city|town|country|village|flat|apartment|house|neighbou?rhood|"
                       r"abroad|relocat\w*|rent|moving boxes)\b", re.I)
_DAYS = (r"(?:day|morning|evening|night|week|weekend|month|Monday|Tuesday|Wednesday|Thursday"
         r"|Friday|Saturday|Sunday|weekday)")
_ROUTINE = re.compile(_I + r"((?:go |do |have |play |take )?[a-z]+(?: [\w-]+){0,3}?) "
                      r"((?:every|each) (?:other )?" + _DAYS + r"s?|on " + _DAYS + r"s)\b")
_ROUTINE_FIRST = re.compile(r"(?:^|, )((?:[Ee]very|[Ee]ach) (?:other )?" + _DAYS + r"s?|[Oo]n "
                            + _DAYS + r"s),? I ((?:go |do |have |play |take )?[a-z]+"
                            r"(?: [\w-]+){0,3}?)(?=$|[.,;!]| and | with | at | in )")
#: Capitalised words after "I'm" that are not names.
_NOT_SELF_NAMES = _wordset("""
OK Okay Fine Good Back Home Here Done Sorry Ready Catholic Christian Muslim Jewish Buddhist
Hindu Atheist English British American Canadian Australian Irish Scottish Welsh French German
Spanish Portuguese Italian Dutch Belgian Swiss Austrian Swedish Norwegian Danish Finnish Polish
Czech Greek Turkish Russian Ukrainian Chinese Japanese Korean Indian Pakistani Brazilian Mexican
Argentinian Nigerian Kenyan Egyptian Moroccan Vietnamese Thai Filipino Indonesian Vegan
Vegetarian Gemini Leo Aries Taurus Cancer Virgo Libra Scorpio Sagittarius Capricorn Aquarius
Pisces Monday Tuesday Wednesday Thursday Friday Saturday Sunday
""")
#: Well-known places, so that "moved from X to Y" between two of them is a move of home.
KNOWN_PLACES = _wordset("""
Amsterdam Athens Atlanta Austin Bangkok Barcelona Basel Beijing Belfast Belgrade Berlin Bern
Bilbao Birmingham Bogota Bologna Bordeaux Boston Braga Bratislava Brighton Brisbane Bristol
Brussels Bucharest Budapest Cairo Calgary Cambridge Canberra Cardiff Chicago Cologne Copenhagen
Cork Dallas Delhi Denver Dresden Dublin Dubai Edinburgh Florence Frankfurt Geneva Genoa Ghent
Glasgow Gothenburg Granada Hamburg Hanoi Helsinki Houston Istanbul Jakarta Kyiv Krakow Lagos
Leeds Leipzig Lille Lima Lisbon Liverpool Ljubljana London Lyon Madrid Malaga Manchester
Marseille Melbourne Miami Milan Montreal Moscow Mumbai Munich Nairobi Nantes Naples Nice Oslo
Ottawa Oxford Palermo Paris Perth Philadelphia Porto Prague Riga Rome Rotterdam Salzburg Seattle
Seville Shanghai Singapore Sofia Stockholm Stuttgart Sydney Tallinn Tokyo Toronto Toulouse Turin
Utrecht Valencia Vancouver Venice Vienna Vilnius Warsaw Zagreb Zurich Albania Argentina
Australia Austria Belgium Brazil Bulgaria Canada Chile China Colombia Croatia Denmark Egypt
England Estonia Finland France Germany Greece Hungary Iceland India Ireland Italy Japan Kenya
Latvia Lithuania Mexico Morocco Netherlands Nigeria Norway Peru Poland Portugal Romania Russia
Scotland Serbia Slovakia Slovenia Spain Sweden Switzerland Thailand Turkey Ukraine Vietnam Wales
Holland Europe Asia Africa America
""")
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
    from ..extractive import split_sentences

    return split_sentences(text)


def _is_place(name: str | None) -> bool:
    return bool(name) and any(word in KNOWN_PLACES for word in name.split())


def _move(match: re.Match[str], text: str) -> tuple[str, str, str | None] | None:
    """"moved from Acme to Globex" changed employer; "moved from Lyon to Porto", home.

    Returns (attribute, new value, old value), or None when the words cannot tell."""
    verb, old, new = match.group(1), match.group(2), match.group(3)
    if verb != "moved":                                # switched / changed jobs
        return "employer", new, old
    if _is_place(new) or _is_place(old):
        return "lives_in", new, None
    if _WORK_CUE.search(text):
        return "employer", new, old
    if old is None or _HOME_CUE.search(text):
        return "lives_in", new, None
    return None     # two unknown names and no cue: the model may read it, rules don't guess


def _routines(sentence: str) -> list[str]:
    out = [f"{m.group(1)} {m.group(2)}" for m in _ROUTINE.finditer(sentence)]
    out += [f"{m.group(2)} {m.group(1)[0].lower()}{m.group(1)[1:]}"
            for m in _ROUTINE_FIRST.finditer(sentence)]
    return [v for v in out if v.split()[0] not in _NOT_HABITS]


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
            if match.group(2) not in _NOT_NAMES:
                add("user", "pet", f"{match.group(2)} ({match.group(1)})", sentence)
        for match in _SELF_NAME.finditer(sentence):
            if match.group(1).split()[0] not in _NOT_SELF_NAMES | _NOT_NAMES:
                add("user", "name", match.group(1), sentence)
        for match in _COLLEAGUE.finditer(sentence):
            if match.group(2) not in _NOT_NAMES:
                add("user", "colleague", f"{match.group(2)} ({match.group(1)})", sentence)
        for match in _MOVED.finditer(sentence):
            if _NEGATED.search(sentence[max(0, match.start() - 25):match.start()]):
                continue
            move = _move(match, text)
            if move is not None:
                attribute, new, old = move
                add("user", attribute, _clean_value(new), sentence)
                before = _clean_value(old) if old else None
                if before and RuleFact("user", attribute, before, sentence, True) not in found:
                    found.append(RuleFact("user", attribute, before, sentence, True))
        if not _NEGATED.search(sentence):
            for value in _routines(sentence):
                add("user", "habit", value, sentence)
    return found
