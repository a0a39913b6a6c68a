"""One memory inspected: its retention report and curve, where it came from, its history.

The retention report is the numbers behind the forgetting curve (R now and ahead, and
the days until the decay job would archive it); the curve is R from the last
reinforcement to some days from now, so a person sees where on its curve a memory is.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from storage import facts as fact_rows
from storage import provenance as provenance_rows
from storage.records import Memory

from ..clock import days_between, from_iso
from ..memory.decay import days_until

HORIZONS = (1, 7, 30)


@dataclass(frozen=True)
class RetentionReport:
    r_now: float
    projected: dict[int, float]          # days ahead -> R then, without use
    days_since_reinforced: float
    never_fades: bool                    # pinned (or a profile fact)
    strength: float
    tau_days: float
    threshold: float
    days_until_archive: float | None     # None when it never fades; 0 once below θ
    below_threshold: bool

    def to_public(self) -> dict[str, Any]:
        return {"r_now": self.r_now, "projected": {str(d): r for d, r in self.projected.items()},
                "days_since_reinforced": self.days_since_reinforced,
                "never_fades": self.never_fades, "strength": self.strength,
                "tau_days": self.tau_days, "threshold": self.threshold,
                "days_until_archive": self.days_until_archive,
                "below_threshold": self.below_threshold}


def retention_report(services: Any, memory: Memory,
                     horizons: Iterable[int] = HORIZONS) -> RetentionReport:
    """R now and ahead, and when it would be archived."""
    view = services.memory.retention_view(memory, tuple(horizons))
    decay = services.memory.decay
    until = None
    if not view.pinned:
        until = max(0.0, days_until(decay.threshold, memory.strength, decay.tau_days)
                    - view.days_since_reinforced)
    return RetentionReport(
        r_now=view.r_now, projected=dict(view.projected),
        days_since_reinforced=view.days_since_reinforced, never_fades=view.pinned,
        strength=memory.strength, tau_days=decay.tau_days, threshold=decay.threshold,
        days_until_archive=until,
        below_threshold=(not view.pinned) and view.r_now < decay.threshold)


def retention_curve(services: Any, memory: Memory, *, days_ahead: float = 30, points: int = 48,
                    min_span: float = 1.0) -> list[tuple[float, float]]:
    """(days from now, R) from the last reinforcement to `days_ahead` days from now.

    The span covers at least `min_span` days, so a fresh memory still shows its slope.
    """
    now = services.clock.now()
    start = from_iso(memory.last_reinforced_at)
    span = max(min_span, days_between(start, now) + days_ahead)
    out = []
    for i in range(points):
        moment = start + timedelta(days=span * i / (points - 1))
        out.append((days_between(now, moment), services.memory.retention_of(memory, moment)))
    return out


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


@dataclass(frozen=True)
class MemoryInspection:
    """Everything the inspector shows about one memory, loaded in one go (off the UI loop)."""

    memory: Memory
    retention: RetentionReport
    curve: list[tuple[float, float]]
    provenance: list[dict[str, str]]
    history: list[dict[str, Any]]


def inspect_memory(services: Any, memory_id: int, *, days_ahead: float = 30,
                   points: int = 60) -> MemoryInspection:
    """The memory with its report, curve, provenance and audit; MemoryNotFound when gone."""
    memory = services.memory.get(memory_id)
    return MemoryInspection(
        memory=memory, retention=retention_report(services, memory),
        curve=retention_curve(services, memory, days_ahead=days_ahead, points=points),
        provenance=provenance(services, memory), history=audit_lines(services, memory.id))
