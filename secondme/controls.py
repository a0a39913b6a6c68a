"""Inspect and control: what the TUI's timeline, profile and inspector views need.

Reading is plain queries; a corrected or deleted fact is written by `ProfileFacts`,
the one write path for facts, which keeps each fact's memory and audit in step. A
person's correction is their own word, so it becomes a new fact with trust 'user' and
closes the old one instead of silently overwriting it.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import timedelta
from typing import Any

from storage import facts as fact_rows
from storage import provenance as provenance_rows
from storage.records import Memory

from .clock import days_between, from_iso
from .profile_facts import FactNotFound, ProfileFacts  # noqa: F401  (the TUI catches it)

# -- profile ------------------------------------------------------------------------

def list_facts(services, *, include_closed: bool = False) -> list[dict[str, Any]]:
    """Facts with their evidence (quote, source memory, its date), category order."""
    db = services.bank.db()
    out = []
    for fact in fact_rows.list_facts(db, include_closed=include_closed):
        sources = []
        for source in fact_rows.sources(db, fact["id"]):
            row = provenance_rows.memory_origin(db, source["memory_id"])
            sources.append({"memory_id": source["memory_id"], "quote": source["quote"],
                            "event_at": row[0] if row else None,
                            "kind": row[1] if row else None, "source": row[2] if row else None})
        out.append({**fact, "sources": sources})
    return out


def facts_by_category(services, *, include_closed: bool = False) -> dict[str, list[dict]]:
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for fact in list_facts(services, include_closed=include_closed):
        grouped[fact["category"]].append(fact)
    return dict(sorted(grouped.items()))


def correct_fact(services, fact_id: int, value: str, *, actor: str = "user") -> int:
    """The person says the value is wrong: a new fact in their words replaces the old one."""
    return ProfileFacts(services).correct(fact_id, value, actor=actor)


def delete_fact(services, fact_id: int, *, actor: str = "user") -> None:
    """Gone for good: the fact, its memory, its evidence links and its audit text."""
    ProfileFacts(services).delete(fact_id, actor=actor)


# -- memory inspector --------------------------------------------------------------------
def provenance(services, memory: Memory) -> list[dict[str, str]]:
    """Where a memory came from and what was built from it, as (label, detail) steps."""
    db = services.bank.db()
    steps: list[dict[str, str]] = []
    ref = memory.source_ref or {}
    origin = {"import:markdown": "Markdown note", "import:text": "text file",
              "import:chatgpt": "ChatGPT export", "chat": "chat", "cli": "command line",
              "user": "told directly"}.get(memory.source, memory.source)
    steps.append({"label": "source", "detail": f"{origin} ({memory.source}), trust {memory.trust}"})
    if memory.document_id is not None:
        doc = provenance_rows.document_origin(db, memory.document_id)
        if doc is not None:
            where = doc[0]
            if ref.get("heading"):
                where += f" › {ref['heading']}"
            if ref.get("line"):
                where += f" (line {ref['line']})"
            state = "" if doc[2] == "present" else f", file {doc[2]}"
            steps.append({"label": "file", "detail": f"{where}, imported {doc[1]}{state}"})
    elif ref.get("path"):
        steps.append({"label": "file", "detail": str(ref["path"])})
    if memory.session_id:
        session = provenance_rows.session_origin(db, memory.session_id)
        if session is not None:
            title = session[0] or "untitled conversation"
            steps.append({"label": "conversation",
                          "detail": f"{title} ({session[1]}, started {session[2]})"})
    message_ids = ref.get("messages") or ref.get("message_ids") or []
    if isinstance(message_ids, list) and message_ids:
        shown = ", ".join(f"#{m}" for m in message_ids[:6])
        steps.append({"label": "messages", "detail": shown})
    for row in provenance_rows.summaries_citing(db, memory.id):
        steps.append({"label": "summarised in",
                      "detail": f"{row[1]} summary {row[2]} (v{row[3]}, #{row[0]})"})
    for fact in fact_rows.facts_citing(db, memory.id):
        steps.append({"label": "evidence for",
                      "detail": f"{fact['subject']} · {fact['attribute']}: {fact['value']} "
                                f"({fact['status']}, #{fact['id']})"})
    return steps


def retention_curve(services, memory: Memory, *, days_ahead: int = 30,
                    points: int = 48) -> list[tuple[float, float]]:
    """(days from now, R) from the last reinforcement to `days_ahead` days from now."""
    now = services.clock.now()
    start = from_iso(memory.last_reinforced_at)
    span = max(1.0, days_between(start, now) + days_ahead)
    out = []
    for i in range(points):
        moment = start + timedelta(days=span * i / (points - 1))
        out.append((days_between(now, moment), services.memory.retention_of(memory, moment)))
    return out


def audit_lines(services, memory_id: int) -> list[dict[str, Any]]:
    """The memory's audit trail with before/after as short JSON (no giant blobs)."""
    out = []
    for entry in services.memory.history(memory_id):
        def short(value: Any) -> str:
            if value is None:
                return ""
            text = json.dumps(value, ensure_ascii=False, sort_keys=True)
            return text if len(text) <= 120 else text[:117] + "…"

        out.append({"at": entry["at"], "actor": entry["actor"], "action": entry["action"],
                    "change": " → ".join(p for p in (short(entry["before"]),
                                                     short(entry["after"])) if p),
                    "note": entry.get("note") or ""})
    return out
