"""The one write path for profile facts: create, confirm, close, correct, delete, redact.

Every fact has a derived `fact` memory ("Sam lives in Porto.") so that recall and the
chat prompt can find it. Each operation here keeps that memory in step through
`MemoryService` (the only writer of `memories`) and writes its audit entry:

- create: the fact, its first evidence link, its memory (archived at birth when the
  fact is already past);
- confirm: one more source, higher confidence;
- close: the fact becomes past (status 'closed'); its memory is archived, so it is
  recalled only as past, never as current;
- correct: the person's word replaces a value — a new fact (trust 'user', method
  'user correction', its own memory), the old one closed;
- delete: the fact is gone for good — its memory forgotten (row, FTS, vector), its
  evidence links, and the text of its audit history;
- redact: a fact whose every source was forgotten stops quoting them.

The profile job, the CLI and the TUI all write through `ProfileFacts`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from storage import audit as audit_log
from storage import facts as fact_rows

from ...clock import from_iso
from ...errors import InvalidInput, NotFound
from ...memory.service import MemoryNotFound
from .rules import ATTRIBUTES
from .text import normalise_value

FORGOTTEN = fact_rows.REDACTED
CORRECTION = "user correction"     # method (fact) and source (its memory) of a correction
ENTITY = "fact"
FACT_IMPORTANCE = 0.8


class FactNotFound(NotFound):
    def __init__(self, fact_id: int) -> None:
        super().__init__(f"no profile fact with id {fact_id}")
        self.fact_id = fact_id


@dataclass(frozen=True)
class FactDraft:
    """A fact about to be stored, with the memory whose quote backs it (if any)."""
    subject: str
    attribute: str
    value: str
    category: str
    confidence: float
    evidence: str
    method: str                       # 'llm', 'rules' or CORRECTION
    valid_from: str | None
    source_memory_id: int | None = None
    trust: str = "derived"            # 'user' for the person's own word


def fact_text(fact: dict[str, Any] | Any, user_name: str) -> str:
    """The sentence a fact's memory holds: "Sam lives in Porto."."""
    get = fact.get if isinstance(fact, dict) else lambda k: getattr(fact, k)
    subject = get("subject")
    name = user_name if subject == "user" else subject.replace("user's", f"{user_name}'s")
    if get("attribute") == "name":
        return f"{name}'s name is {get('value')}."
    attribute = ATTRIBUTES.get(get("attribute"))
    phrase = attribute.phrase if attribute else get("attribute").replace("_", " ")
    return f"{name} {phrase} {get('value')}."


class ProfileFacts:
    """Writes profile facts and their memories together. Joins a caller's transaction."""

    def __init__(self, services: Any) -> None:
        self.services = services

    # -- read ----------------------------------------------------------------------------
    def get(self, fact_id: int) -> dict[str, Any]:
        fact = fact_rows.get(self.services.bank.db(), fact_id)
        if fact is None:
            raise FactNotFound(fact_id)
        return fact

    def corrected_away(self, subject: str, attribute: str, value: str, said_at: str) -> bool:
        """True when the person corrected this value away after `said_at`.

        Evidence older than a correction must not bring the corrected value back."""
        db = self.services.bank.db()
        key = normalise_value(value)
        for fact in fact_rows.for_key(db, subject, attribute, ("closed",)):
            if normalise_value(fact["value"]) != key or not fact["superseded_by"]:
                continue
            successor = fact_rows.get(db, fact["superseded_by"])
            if successor and successor["method"] == CORRECTION and \
                    successor["recorded_at"] >= said_at:
                return True
        return False

    # -- create / confirm / close ------------------------------------------------------------
    def create(self, draft: FactDraft, *, actor: str, status: str = "active",
               valid_to: str | None = None, superseded_by: int | None = None,
               note: str | None = None) -> int:
        """Stores a fact with its evidence link and its memory; returns the fact id."""
        services = self.services
        now = services.clock.now_iso()
        with services.bank.write() as db:
            fact_id = fact_rows.insert(db, {
                "subject": draft.subject, "attribute": draft.attribute, "value": draft.value,
                "category": draft.category, "confidence": draft.confidence,
                "evidence": draft.evidence, "valid_from": draft.valid_from,
                "valid_to": valid_to, "recorded_at": now,
                "superseded_at": now if status == "closed" else None,
                "superseded_by": superseded_by, "status": status, "trust": draft.trust,
                "method": draft.method,
            })
            sources = []
            if draft.source_memory_id is not None:
                fact_rows.add_source(db, fact_id, draft.source_memory_id, draft.evidence)
                sources = [draft.source_memory_id]
            by_user = draft.trust == "user"
            memory_id = services.memory.remember(
                fact_text(draft, services.settings.user_name), kind="fact",
                source=CORRECTION if by_user else "profile",
                trust="user" if by_user else "derived", importance=FACT_IMPORTANCE,
                at=from_iso(when) if (when := draft.valid_from or valid_to) else None,
                source_ref={"fact_id": fact_id, "memory_ids": sources},
                meta={"method": draft.method, "attribute": draft.attribute}, actor=actor)
            if status != "active":
                services.memory.archive(memory_id, actor=actor)
            fact_rows.update(db, fact_id, memory_id=memory_id)
            audit_log.record(db, at=now, actor=actor, action="create", entity=ENTITY,
                             entity_id=fact_id, note=note, after={
                                 "subject": draft.subject, "attribute": draft.attribute,
                                 "value": draft.value, "status": status,
                                 "method": draft.method, "memory_id": draft.source_memory_id})
        return fact_id

    def confirm(self, fact_id: int, memory_id: int, quote: str, confidence: float, *,
                actor: str) -> None:
        """One more source says the same: link it and set the raised confidence."""
        now = self.services.clock.now_iso()
        with self.services.bank.write() as db:
            fact = fact_rows.get(db, fact_id)
            if fact is None:
                raise FactNotFound(fact_id)
            fact_rows.add_source(db, fact_id, memory_id, quote)
            fact_rows.update(db, fact_id, confidence=confidence)
            audit_log.record(db, at=now, actor=actor, action="confirm", entity=ENTITY,
                             entity_id=fact_id, before={"confidence": fact["confidence"]},
                             after={"confidence": confidence, "memory_id": memory_id})

    def close(self, fact_id: int, *, superseded_by: int | None, valid_to: str | None,
              actor: str, note: str | None = None) -> None:
        """The fact becomes past: closed, and its memory archived (recalled only as past)."""
        now = self.services.clock.now_iso()
        with self.services.bank.write() as db:
            fact = fact_rows.get(db, fact_id)
            if fact is None:
                raise FactNotFound(fact_id)
            fact_rows.update(db, fact_id, status="closed", valid_to=valid_to,
                             superseded_at=now, superseded_by=superseded_by)
            self._archive_memory(fact, actor)
            audit_log.record(db, at=now, actor=actor, action="close", entity=ENTITY,
                             entity_id=fact_id, note=note,
                             before={"status": fact["status"], "value": fact["value"]},
                             after={"status": "closed", "valid_to": valid_to,
                                    "superseded_by": superseded_by})

    def _archive_memory(self, fact: dict[str, Any], actor: str) -> None:
        if not fact["memory_id"]:
            return
        memory = self.services.memory.get_many([fact["memory_id"]]).get(fact["memory_id"])
        if memory is not None and memory.state == "active":
            self.services.memory.archive(memory.id, actor=actor)

    # -- the person's word ---------------------------------------------------------------------
    def correct(self, fact_id: int, value: str, *, actor: str = "user") -> int:
        """The person says the value is wrong: a new fact in their words replaces the old one.

        Returns the new fact's id (the same id when the value did not change). The old
        fact is closed and its memory archived; the new one is trusted as the person's own
        word and carries its own memory."""
        value = " ".join(value.split())
        if not value:
            raise InvalidInput("a fact needs a value")
        now = self.services.clock.now_iso()
        with self.services.bank.write():
            old = self.get(fact_id)
            if value == old["value"]:
                return fact_id
            draft = FactDraft(old["subject"], old["attribute"], value, old["category"], 1.0,
                              f"Corrected by you on {now[:10]}", CORRECTION, old["valid_from"],
                              trust="user")
            if old["status"] == "active":
                new_id = self.create(draft, actor=actor, note="corrected by the user")
                self.close(fact_id, superseded_by=new_id, valid_to=now, actor=actor,
                           note="corrected by the user")
            else:  # a past value corrected: the right value was past too
                new_id = self.create(draft, actor=actor, status="closed",
                                     valid_to=old["valid_to"],
                                     superseded_by=old["superseded_by"],
                                     note="corrected by the user")
                self.close(fact_id, superseded_by=new_id, valid_to=old["valid_to"],
                           actor=actor, note="corrected by the user")
        return new_id

    def delete(self, fact_id: int, *, actor: str = "user") -> dict[str, int]:
        """Gone for good: its memory (row, FTS, vector), its evidence links, its audit text.

        The memory goes first: if the process dies in between, the fact is still listed
        (and can be deleted again) instead of a memory nobody can reach."""
        fact = self.get(fact_id)
        forgot = self._forget_memory(fact, actor)
        now = self.services.clock.now_iso()
        with self.services.bank.write() as db:
            if fact_rows.get(db, fact_id) is None:
                raise FactNotFound(fact_id)
            evidence = fact_rows.delete(db, fact_id)
            audit_log.redact(db, ENTITY, fact_id)
            audit_log.record(db, at=now, actor=actor, action="delete", entity=ENTITY,
                             entity_id=fact_id,
                             after={"evidence_links": evidence, "memory": forgot})
        return {"evidence_links": evidence, "memory": forgot}

    # -- forgetting ------------------------------------------------------------------------------
    def redact(self, fact_id: int, *, actor: str,
               note: str = "every source memory was forgotten") -> bool:
        """Keeps the fact as a closed '[forgotten]' row: no value, no quote, no memory, no
        text in its audit history. False when it was already redacted."""
        fact = self.get(fact_id)
        if fact["value"] == FORGOTTEN and fact["evidence"] == FORGOTTEN:
            return False
        self._forget_memory(fact, actor)   # first: a crash leaves the fact still to redact
        now = self.services.clock.now_iso()
        with self.services.bank.write() as db:
            fact_rows.redact(db, fact_id, actor=actor, now=now, note=note)
        return True

    def redact_orphans(self, *, actor: str) -> list[int]:
        """Redacts every derived fact whose sources were all forgotten; returns their ids."""
        done = []
        for fact_id in fact_rows.orphans(self.services.bank.db(), FORGOTTEN):
            if self.redact(fact_id, actor=actor):
                done.append(fact_id)
        return done

    def _forget_memory(self, fact: dict[str, Any], actor: str) -> int:
        if not fact["memory_id"]:
            return 0
        try:
            self.services.memory.forget(fact["memory_id"], actor=actor)
        except MemoryNotFound:
            return 0
        return 1

