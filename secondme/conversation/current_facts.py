"""Current facts first (issue 14.4): for a question about the present, the newest memory of a
changed fact goes first in the prompt and superseded profile values are labelled as past.

"Where do I work now?" must not be answered from a 2022 note when a 2024 one says the person
changed jobs. The prompt already lists active, open profile facts before any memory; here the
closed values join them with their end ("(past, until May 2024)"), and among the recalled
memories that are about as relevant as the best one, the newest is placed first.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import date

from storage import past_facts
from storage.sqlcipher import DatabaseError

from .prompting import MemoryItem

_PRESENT = re.compile(
    r"(?i)\b(now|currently|current|these days|nowadays|at the moment|right now|today|"
    r"still|presently|lately|my address|where do i (live|work|stay)|who do i (work|live)|"
    r"what do i do|where am i (living|working|based)|where'?s my (home|office|work))\b")
_ASKS = re.compile(r"(?i)^\s*(who|what|when|where|which|how|is|are|am|do|does|did)\b|\?\s*$")
CLOSE_SHARE = 0.6     # memories within this share of the best score count as "as relevant"
MAX_PAST = 10


def about_present(question: str) -> bool:
    """A question about how things are now ("where do I work now?", "what's my address?")."""
    return bool(_ASKS.search(question)) and bool(_PRESENT.search(question))


def month_year(iso: str | None) -> str:
    if not iso:
        return ""
    try:
        day = date.fromisoformat(iso[:10])
    except ValueError:
        return iso[:10]
    return f"{day:%B %Y}"


def past_fact_lines(db, user_name: str, limit: int = MAX_PAST) -> list[str]:
    """Closed profile values, each labelled '(past, until May 2024)'."""
    try:
        rows = past_facts.past_fact_rows(db, limit)
    except DatabaseError:
        return []
    out = []
    for subject, attribute, value, until in rows:
        who = user_name if str(subject).lower() in ("user", "me", "i", "self") else subject
        when = month_year(until)
        label = f"(past, until {when})" if when else "(past)"
        out.append(f"{who} — {str(attribute).replace('_', ' ')}: {value} {label}")
    return out


def newest_first(memories: Sequence[MemoryItem]) -> list[MemoryItem]:
    """The newest of the memories about as relevant as the best one is scored first."""
    if len(memories) < 2:
        return list(memories)
    top = max(m.score for m in memories)
    close = [m for m in memories if m.score >= top * CLOSE_SHARE]
    newest = max(close, key=lambda m: (m.date, m.score))
    if newest.score >= top:
        return list(memories)
    return [replace(m, score=top + 1e-6) if m is newest else m for m in memories]
