"""What the chat prompt reads from what other parts of Second Me derived.

Profile facts and summaries come from background jobs that may not have run yet, so
every reader is defensive: an empty or missing table simply contributes nothing.
"""

from __future__ import annotations

from storage import context as context_rows
from storage import facts as fact_rows
from storage import summaries as summary_rows
from storage.sqlcipher import DatabaseError

from ..config import Settings
from ..memory.retrieval import Hit
from ..memory.turns import user_words
from .prompt_text import UNTRUSTED
from .prompting import MAX_FACTS, MemoryItem, PeriodSummary, source_label

SUMMARIES_PER_PROMPT = 3


def known_user_name(settings: Settings, db) -> str:
    """What to call the person: the configured name, else the name they told Second Me
    (their current 'name' fact), else the default ("User")."""
    if settings.user_name != Settings.user_name:
        return settings.user_name
    told = fact_rows.for_key(db, "user", "name")
    return told[-1]["value"] if told else settings.user_name


def load_profile_facts(db, user_name: str, limit: int = MAX_FACTS) -> list[str]:
    try:
        rows = context_rows.current_fact_triples(db, limit)
    except DatabaseError:
        return []
    out = []
    for subject, attribute, value in rows:
        who = user_name if str(subject).lower() in ("user", "me", "i", "self") else subject
        out.append(f"{who} — {str(attribute).replace('_', ' ')}: {value}")
    return out


def load_life_summary(db) -> str | None:
    """The life summary for the trusted part of the prompt: only one made from the person's
    own words. One made from imported text goes with the period summaries, as data."""
    try:
        row = summary_rows.current_life(db)
    except DatabaseError:
        return None
    return row["text"] if row and row["trust"] not in UNTRUSTED else None


def load_period_summaries(db, hits: list[Hit], now_iso: str,
                          limit: int = SUMMARIES_PER_PROMPT) -> list[PeriodSummary]:
    """Summaries of the periods the recalled memories fall in, plus the latest week."""
    hit_ids = {h.memory.id for h in hits}
    found: dict[int, PeriodSummary] = {}

    def add(rows, score: float) -> None:
        for sid, level, start, end, text, memory_id, trust in rows:
            if memory_id in hit_ids:
                continue   # already in the prompt as a memory
            old = found.get(sid)
            if old is None or old.score < score:
                found[sid] = PeriodSummary(level, start, end, text, score, trust)

    try:
        for hit in hits[:limit * 2]:
            day = hit.memory.event_at
            add(context_rows.summaries_covering(db, day), hit.scores.final)
        add(context_rows.latest_week_summary(db, now_iso), 0.0)
        life = summary_rows.current_life(db)
    except DatabaseError:
        return []
    chosen = sorted(found.values(), key=lambda s: -s.score)[:limit]
    if life is not None and life["trust"] in UNTRUSTED and life["memory_id"] not in hit_ids:
        chosen.append(PeriodSummary("life", life["period_start"], life["period_end"],
                                    life["text"], 0.0, life["trust"]))
    return chosen


def memory_item(hit: Hit, user_name: str = "User", assistant_name: str = "Second Me") -> MemoryItem:
    m = hit.memory
    text = user_words(m.text, user_name, assistant_name) if m.kind == "turn" else m.text
    return MemoryItem(id=m.id, text=text, date=m.event_at,
                      source=source_label(m.source, m.source_ref), score=hit.scores.final,
                      kind=m.kind, trust=m.trust)
