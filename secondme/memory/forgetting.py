"""Complete forgetting: one transaction that removes a memory and everything it reached.

From each forgotten memory: the verbatim messages of its chat turn (and a session title
taken from them), every summary built from it at any level and version (deleted, not
marked: the next summarize run rebuilds them from what remains), the profile facts it is
evidence for (a fact left without evidence is redacted through the profile's own path,
and its fact memory forgotten in turn), the full-text index (merged in the same
transaction, so a kill -9 can't leave a committed delete with its tokens in a segment),
and the text in the audit trail (entries keep their action, not their content). Imported
text leaves a tombstone (its content hash) so a re-import does not bring it back.

`MemoryService.forget` is the entry point for one memory; `forget --source` selects many.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from storage import Bank
from storage import audit as audit_log
from storage import facts as fact_rows
from storage import forgetting as store
from storage import memories as rows

from ..clock import Clock

Notify = Callable[[str, int], None]
SESSION_TITLE_CHARS = 80


@dataclass
class Selection:
    """What to forget: memories, whole chat sessions, whole imported documents."""
    memory_ids: list[int] = field(default_factory=list)
    session_ids: list[str] = field(default_factory=list)
    document_ids: list[int] = field(default_factory=list)
    summary_ids: list[int] = field(default_factory=list)
    tombstone: bool = True       # False when a whole file or session goes (re-import knowingly)

    @property
    def empty(self) -> bool:
        return not (self.memory_ids or self.session_ids or self.document_ids
                    or self.summary_ids)


@dataclass
class ForgetCounts:
    memories: int = 0            # everything deleted, summaries' and facts' own memories too
    messages: int = 0
    summaries: int = 0
    facts: int = 0               # facts redacted (left without evidence)
    fact_evidence: int = 0       # evidence links removed
    sessions: int = 0
    documents: int = 0
    forgotten_ids: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        out = {k: v for k, v in self.__dict__.items() if isinstance(v, int)}
        out["memory"] = 1 if self.forgotten_ids else 0   # old key, kept for callers
        out["summary_links"] = self.summaries
        return out


class _DryRun(Exception):
    pass


class Forgetter:
    def __init__(self, bank: Bank, clock: Clock, notify: Notify | None = None) -> None:
        self.bank = bank
        self.clock = clock
        self.notify = notify

    def forget(self, selection: Selection, *, actor: str = "user",
               dry_run: bool = False) -> ForgetCounts:
        """Forgets the selection in one transaction; a dry run counts, then rolls back."""
        counts = ForgetCounts()
        if dry_run:
            if self.bank.db().conn.in_transaction:
                raise RuntimeError("a dry run needs its own transaction")
            try:
                with self.bank.write() as db:
                    self._forget(db, selection, actor, counts, merge=False)
                    raise _DryRun()
            except _DryRun:
                return counts
        with self.bank.write() as db:
            self._forget(db, selection, actor, counts, merge=True)
        if self.notify is not None:
            for memory_id in counts.forgotten_ids:
                self.notify("forget", memory_id)
        return counts

    # -- the walk --------------------------------------------------------------------------
    def _forget(self, db, selection: Selection, actor: str, counts: ForgetCounts, *,
                merge: bool) -> None:
        now = self.clock.now_iso()
        store.secure_delete_on(db)          # zero the freed bytes of every row deleted here
        queue = list(selection.memory_ids)
        sessions = list(dict.fromkeys(selection.session_ids))
        sessions += store.document_sessions(db, selection.document_ids)
        queue += store.document_memory_ids(db, selection.document_ids)
        for session_id in sessions:
            queue += store.session_memory_ids(db, session_id)
        if selection.summary_ids:
            summaries = store.summaries_above(db, selection.summary_ids)
            queue += store.summary_memory_ids(db, summaries)
            counts.summaries += store.delete_summaries(db, summaries)
            store.redact_audit(db, "summary", summaries, audit_log.REDACTED)
        touched: dict[str, list[str]] = {}     # session → texts of its deleted messages
        hashes: list[str] = []
        seen: set[int] = set()
        while queue:
            memory_id = int(queue.pop(0))
            if memory_id in seen:
                continue
            memory = rows.get(db, memory_id)
            if memory is None:
                continue
            seen.add(memory_id)
            queue += store.folded_into(db, memory_id)
            for message in store.delete_messages(db, _message_ids(memory.source_ref)):
                counts.messages += 1
                touched.setdefault(message["session_id"], []).append(message["text"])
                if message["source"] != "chat":
                    hashes.append(rows.content_hash(message["text"]))
            summaries = store.summaries_using(db, [memory_id])
            queue += store.summary_memory_ids(db, summaries)
            counts.summaries += store.delete_summaries(db, summaries)
            store.redact_audit(db, "summary", summaries, audit_log.REDACTED)
            for fact_id in store.facts_reached(db, memory_id):
                queue += self._fact(db, fact_id, memory_id, actor, now, counts)
            counts.fact_evidence += len(store.drop_evidence(db, memory_id))
            rows.delete_everywhere(db, memory_id)
            audit_log.redact(db, "memory", memory_id)
            audit_log.record(db, at=now, actor=actor, action="forget", entity="memory",
                             entity_id=memory_id, after={"kind": memory.kind})
            if selection.tombstone and (memory.document_id is not None or memory.trust == "import"):
                hashes.append(memory.content_hash)
            counts.memories += 1
            counts.forgotten_ids.append(memory_id)
        for session_id in sessions:
            counts.messages += len(store.session_message_ids(db, session_id))
            counts.sessions += store.delete_session(db, session_id)
        for session_id, texts in touched.items():
            if session_id not in sessions:
                self._retitle(db, session_id, texts)
        if selection.document_ids:
            store.redact_audit(db, "document", selection.document_ids, audit_log.REDACTED)
            counts.documents += store.delete_documents(db, selection.document_ids)
        if selection.tombstone and hashes:
            store.add_tombstones(db, hashes, now)
        if merge and counts.memories:
            store.merge_fts(db)

    def _fact(self, db, fact_id: int, memory_id: int, actor: str, now: str,
              counts: ForgetCounts) -> list[int]:
        """Drops this memory's evidence; a fact left without any (or whose own memory this
        is) is redacted. Returns memory ids still to forget (the fact's own memory)."""
        state = store.fact_state(db, fact_id)
        if state is None or state["evidence"] == fact_rows.REDACTED:
            return []
        removed, quotes = store.drop_evidence_for(db, fact_id, memory_id)
        counts.fact_evidence += removed
        left = store.fact_state(db, fact_id) or {"sources": 0, "first_quote": None}
        if left["sources"] == 0 or state["memory_id"] == memory_id:
            counts.facts += 1
            mine = fact_rows.redact(db, fact_id, actor=actor, now=now)   # the profile's one redaction
            return [mine] if mine is not None and mine != memory_id else []
        if state["evidence"] in quotes and left["first_quote"]:
            store.set_fact_evidence(db, fact_id, left["first_quote"])
        return []

    @staticmethod
    def _retitle(db, session_id: str, texts: list[str]) -> None:
        """A title made from a forgotten message goes; the next remaining one takes over."""
        exists, title = store.session_title(db, session_id)
        if not exists or title is None:
            return
        if any(title == text.strip()[:SESSION_TITLE_CHARS] or title in text for text in texts):
            first = store.first_user_message(db, session_id)
            store.set_session_title(db, session_id,
                                    first.strip()[:SESSION_TITLE_CHARS] or None if first else None)


def _message_ids(source_ref: dict[str, Any] | str | None) -> list[int]:
    """The messages a turn memory was made from (chat: message_ids; ChatGPT: messages)."""
    if isinstance(source_ref, str):
        try:
            source_ref = json.loads(source_ref or "{}")
        except json.JSONDecodeError:
            return []
    if not isinstance(source_ref, dict):
        return []
    out: list[int] = []
    for key in ("message_ids", "messages"):
        value = source_ref.get(key)
        if isinstance(value, list):
            out += [int(i) for i in value if isinstance(i, int) or str(i).isdigit()]
    return out


def forget_ids(bank: Bank, clock: Clock, notify: Notify | None, memory_ids: Iterable[int],
               actor: str = "user") -> ForgetCounts:
    return Forgetter(bank, clock, notify).forget(Selection(memory_ids=list(memory_ids)),
                                                 actor=actor)
