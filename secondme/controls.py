"""Inspect and control: what the TUI's timeline, profile and inspector views need.

Reading is plain queries; every change (a corrected or deleted fact) is written
with its audit entry in one transaction, like everything else that touches the
bank. A person's correction is their own word, so it becomes a new fact with
trust 'user' and closes the old one instead of silently overwriting it.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import timedelta
from typing import Any

from storage import audit as audit_log
from storage import facts as fact_rows
from storage.records import Memory

from .clock import days_between, from_iso
from .errors import InvalidInput, NotFound

FACT_ENTITY = "fact"


class FactNotFound(NotFound):
    def __init__(self, fact_id: int) -> None:
        super().__init__(f"no profile fact with id {fact_id}")


# -- profile ------------------------------------------------------------------------
def _columns(db, table: str) -> set[str]:
    return {r[1] for r in db.execute(f"PRAGMA table_info({table})")}


def list_facts(services, *, include_closed: bool = False) -> list[dict[str, Any]]:
    """Facts with their evidence (quote, source memory, its date), category order."""
    db = services.bank.db()
    out = []
    for fact in fact_rows.list_facts(db, include_closed=include_closed):
        sources = []
        for source in fact_rows.sources(db, fact["id"]):
            row = db.execute("SELECT event_at, kind, source FROM memories WHERE id = ?",
                             [source["memory_id"]]).fetchone()
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
    value = value.strip()
    if not value:
        raise InvalidInput("a fact needs a value")
    now = services.clock.now_iso()
    with services.bank.write() as db:
        old = fact_rows.get(db, fact_id)
        if old is None:
            raise FactNotFound(fact_id)
        if value == old["value"]:
            return fact_id
        row = {"subject": old["subject"], "attribute": old["attribute"], "value": value,
               "category": old["category"], "confidence": 1.0,
               "evidence": f"Corrected by you on {now[:10]}", "valid_from": old["valid_from"],
               "valid_to": old["valid_to"], "recorded_at": now, "status": "active",
               "trust": "user", "pinned": old.get("pinned") or 0}
        if "method" in _columns(db, "profile_facts"):
            row["method"] = "user"
        new_id = fact_rows.insert(db, row)
        fact_rows.update(db, fact_id, status="closed", superseded_at=now, superseded_by=new_id)
        audit_log.record(db, at=now, actor=actor, action="create", entity=FACT_ENTITY,
                         entity_id=new_id, after={"value": value, "replaces": fact_id},
                         note="corrected by the user")
        audit_log.record(db, at=now, actor=actor, action="close", entity=FACT_ENTITY,
                         entity_id=fact_id, before={"status": old["status"]},
                         after={"status": "closed", "superseded_by": new_id},
                         note="corrected by the user")
    return new_id


def delete_fact(services, fact_id: int, *, actor: str = "user") -> None:
    """Gone for good: the row, its evidence links, and any text in its audit history."""
    now = services.clock.now_iso()
    with services.bank.write() as db:
        if fact_rows.get(db, fact_id) is None:
            raise FactNotFound(fact_id)
        evidence = db.execute("DELETE FROM fact_sources WHERE fact_id = ?", [fact_id]).rowcount
        db.execute("UPDATE profile_facts SET superseded_by = NULL WHERE superseded_by = ?",
                   [fact_id])
        db.execute("DELETE FROM profile_facts WHERE id = ?", [fact_id])
        audit_log.redact(db, FACT_ENTITY, fact_id)
        audit_log.record(db, at=now, actor=actor, action="delete", entity=FACT_ENTITY,
                         entity_id=fact_id, after={"evidence_links": evidence})


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
        doc = db.execute("SELECT path, imported_at, state FROM documents WHERE id = ?",
                         [memory.document_id]).fetchone()
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
        session = db.execute("SELECT title, source, started_at FROM sessions WHERE id = ?",
                             [memory.session_id]).fetchone()
        if session is not None:
            title = session[0] or "untitled conversation"
            steps.append({"label": "conversation",
                          "detail": f"{title} ({session[1]}, started {session[2]})"})
    message_ids = ref.get("messages") or ref.get("message_ids") or []
    if isinstance(message_ids, list) and message_ids:
        shown = ", ".join(f"#{m}" for m in message_ids[:6])
        steps.append({"label": "messages", "detail": shown})
    for row in db.execute(
            "SELECT s.id, s.level, s.period_key, s.version FROM summary_sources l JOIN summaries s "
            "ON s.id = l.summary_id WHERE l.source_type = 'memory' AND l.source_id = ? "
            "AND s.is_current = 1 ORDER BY s.period_start", [memory.id]):
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
