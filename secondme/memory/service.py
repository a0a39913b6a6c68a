"""The memory service: create, inspect, reinforce, pin, archive, restore and forget memories.

Every change is written together with its audit entry in one short transaction. Callers
with rows of their own in the same transaction (imports, restore, dedupe, summaries) write
memories through `batch()` (secondme.memory.batch). Listeners and embedding on write hear of
a change only after the outermost transaction commits, outside the writer lock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from storage import Bank, evidence
from storage import audit as audit_log
from storage import memories as rows
from storage.records import Memory

from ..clock import Clock, days_between, from_iso, to_iso
from ..errors import InvalidInput, NotFound
from .batch import MemoryWrites
from .decay import DecayParams, initial_strength, reinforced_strength, retention, should_archive
from .forgetting import ForgetCounts, Forgetter, Selection

NEVER_FADE_KINDS = ("fact",)


class MemoryNotFound(NotFound):
    def __init__(self, memory_id: int) -> None:
        super().__init__(f"no memory with id {memory_id}")
        self.memory_id = memory_id


@dataclass(frozen=True)
class RetentionView:
    r_now: float
    projected: dict[int, float]   # days ahead → R, assuming no reinforcement
    days_since_reinforced: float
    pinned: bool


ChangeListener = Callable[[str, int], None]
# (text, kind) → (float32 blob, model name), or None when embedding now would not be cheap.
EmbedHook = Callable[[str, str], "tuple[bytes, str] | None"]


class MemoryService:
    def __init__(self, bank: Bank, clock: Clock, decay: DecayParams, *,
                 embed_hook: EmbedHook | None = None) -> None:
        self.bank = bank
        self.clock = clock
        self.decay = decay
        self._listeners: list[ChangeListener] = []
        self.embed_hook = embed_hook   # set once, here (build_services: embed_on_write)

    def on_change(self, listener: ChangeListener) -> None:
        """Called with (action, memory_id) after commit; the vector index listens here."""
        self._listeners.append(listener)

    def _notify(self, action: str, memory_id: int) -> None:
        """Delivered once this thread's outermost write transaction commits, outside the
        writer lock (at once when none is open); dropped when it rolls back."""
        self.bank.after_commit(lambda: self._deliver(action, memory_id))

    def _deliver(self, action: str, memory_id: int) -> None:
        for listener in self._listeners:
            listener(action, memory_id)

    @contextmanager
    def batch(self) -> Iterator[MemoryWrites]:
        """Memory writes in one transaction with the caller's own rows (imports, restore,
        dedupe, summaries): joins the write transaction open on this thread, or opens one.
        Notifications and embedding on write wait for the outermost commit."""
        with self.bank.write() as db:
            yield MemoryWrites(db, self._notify)

    def _embed_after_commit(self, memory_id: int, text: str, kind: str) -> None:
        """Embeds a memory written inside a caller's transaction once that commits: encoding
        takes milliseconds, never to be spent holding the writer lock."""
        hook = self.embed_hook
        if hook is None:
            return

        def embed() -> None:
            embedded = hook(text, kind)
            if embedded is not None:
                self.store_embeddings([(memory_id, embedded[0], text)], embedded[1])

        self.bank.after_commit(embed)

    # -- create ------------------------------------------------------------
    def remember(self, text: str, *, at: datetime | None = None, kind: str = "remember",
                 source: str = "user", trust: str = "user", importance: float = 0.5,
                 session_id: str | None = None, source_ref: dict[str, Any] | None = None,
                 document_id: int | None = None, meta: dict[str, Any] | None = None,
                 actor: str = "user", embedding: bytes | None = None,
                 embedding_model: str | None = None, person_text: str | None = None,
                 reinforced_at: datetime | None = None) -> int:
        """Stores a memory. For a turn, `person_text` is the person's side (parsed from the
        speaker labels when not given): it is what search and vectors see (storage.evidence).
        `reinforced_at` starts its fading clock (default: its event, or now if later)."""
        text = text.strip()
        if not text:
            raise InvalidInput("a memory needs some text")
        now = self.clock.now_iso()
        event_at = to_iso(at) if at is not None else now
        if kind == "turn" and person_text is None:
            person_text = evidence.person_words(text)
        if person_text is not None:
            person_text = rows.clean_text(person_text.strip())
            person_text = None if person_text == rows.clean_text(text) else person_text
        searched = text if person_text is None else person_text
        embed_later = embedding is None and self.embed_hook is not None and self.bank.writing
        if embedding is None and self.embed_hook is not None and not embed_later:
            embedded = self.embed_hook(searched, kind)  # outside the transaction: slow
            if embedded is not None:
                embedding, embedding_model = embedded
        record = {
            "kind": kind, "text": text, "event_at": event_at, "recorded_at": now,
            "source": source, "source_ref": source_ref or {}, "session_id": session_id,
            "document_id": document_id, "importance": importance,
            "strength": initial_strength(importance),
            # A memory dated in the past starts fading from its event, not from today.
            "last_reinforced_at": to_iso(reinforced_at) if reinforced_at is not None
            else min(event_at, now), "trust": trust, "meta": meta or {},
            "embedding": embedding, "embedding_model": embedding_model,
            "person_text": person_text, "evidence": evidence.weight(kind, trust, person_text),
        }
        with self.batch() as writes:
            memory_id = writes.create(record, actor=actor, at=now, after={
                "kind": kind, "source": source, "trust": trust, "event_at": event_at})
            if embed_later:
                self._embed_after_commit(memory_id, searched, kind)
        return memory_id

    # -- read --------------------------------------------------------------
    def get(self, memory_id: int) -> Memory:
        memory = rows.get(self.bank.db(), memory_id)
        if memory is None:
            raise MemoryNotFound(memory_id)
        return memory

    def get_many(self, ids: Iterable[int]) -> dict[int, Memory]:
        return rows.get_many(self.bank.db(), ids)

    def retention_of(self, memory: Memory, at: datetime | None = None) -> float:
        return self.retention_at(strength=memory.strength, pinned=memory.pinned,
                                 kind=memory.kind,
                                 last_reinforced_at=memory.last_reinforced_at, at=at)

    def retention_at(self, *, strength: float, pinned: bool, kind: str,
                     last_reinforced_at: str, at: datetime | None = None) -> float:
        """R from the raw fields (the retriever ranks hundreds of rows without loading them)."""
        if pinned or kind in NEVER_FADE_KINDS:
            return 1.0
        now = at or self.clock.now()
        delta = days_between(from_iso(last_reinforced_at), now)
        return retention(delta, strength, self.decay.tau_days)

    def retention_view(self, memory: Memory, horizons: Iterable[int] = (1, 7, 30)) -> RetentionView:
        now = self.clock.now()
        return RetentionView(
            r_now=self.retention_of(memory, now),
            projected={d: self.retention_of(memory, now + timedelta(days=d)) for d in horizons},
            days_since_reinforced=max(0.0, days_between(from_iso(memory.last_reinforced_at), now)),
            pinned=memory.pinned or memory.kind in NEVER_FADE_KINDS,
        )

    def history(self, memory_id: int) -> list[dict[str, Any]]:
        return audit_log.history(self.bank.db(), "memory", memory_id)

    def count(self, state: str | None = "active") -> int:
        return rows.count(self.bank.db(), state)

    # -- change ------------------------------------------------------------
    def _change(self, memory_id: int, action: str, actor: str, **changes: Any) -> Memory:
        now = self.clock.now_iso()
        with self.bank.write() as db:
            before = rows.get(db, memory_id)
            if before is None:
                raise MemoryNotFound(memory_id)
            rows.update(db, memory_id, **changes)
            # Vectors are derived data: the log keeps which model, never the bytes.
            logged = [k for k in changes if k not in ("embedding", "person_text", "evidence")]
            audit_log.record(db, at=now, actor=actor, action=action, entity="memory",
                             entity_id=memory_id,
                             before={k: getattr(before, k) for k in logged},
                             after={k: changes[k] for k in logged})
        self._notify(action, memory_id)
        return self.get(memory_id)

    def pin(self, memory_id: int, actor: str = "user") -> Memory:
        """Pins it; pinning a pinned memory changes nothing and logs nothing."""
        memory = self.get(memory_id)
        return memory if memory.pinned else self._change(memory_id, "pin", actor, pinned=True)

    def unpin(self, memory_id: int, actor: str = "user") -> Memory:
        """Unpins it; unpinning an unpinned memory changes nothing and logs nothing."""
        memory = self.get(memory_id)
        return self._change(memory_id, "unpin", actor, pinned=False) if memory.pinned else memory

    def archive(self, memory_id: int, actor: str = "user") -> Memory:
        return self._change(memory_id, "archive", actor, state="archived")

    def restore(self, memory_id: int, actor: str = "user") -> Memory:
        """Back to active, freshly reinforced so it does not fade straight out again."""
        memory = self.get(memory_id)
        return self._change(memory_id, "restore", actor, state="active",
                            last_reinforced_at=self.clock.now_iso(),
                            strength=max(memory.strength, initial_strength(memory.importance)))

    def edit(self, memory_id: int, text: str, actor: str = "user") -> Memory:
        if not text.strip():
            raise InvalidInput("a memory needs some text")
        memory = self.get(memory_id)
        embed_later = self.embed_hook is not None and self.bank.writing
        embedded = self.embed_hook(text.strip(), memory.kind) \
            if self.embed_hook and not embed_later else None
        blob, model = embedded if embedded is not None else (None, None)
        # Edited text is the person's own words, all of it.
        changed = self._change(memory_id, "edit", actor, text=text.strip(), embedding=blob,
                               embedding_model=model, person_text=None,
                               evidence=evidence.weight(memory.kind, memory.trust, None))
        if embed_later:
            self._embed_after_commit(memory_id, text.strip(), memory.kind)
        return changed

    def mark_unsupported(self, memory_id: int, actor: str = "chat") -> Memory:
        """A turn whose reply was not supported by memory: kept, but never weighed as evidence."""
        return self._change(memory_id, "mark unsupported", actor, evidence=evidence.UNSUPPORTED)

    def store_embeddings(self, items: Iterable[tuple[int, bytes, str]], model: str,
                         actor: str = "embed") -> list[int]:
        """Saves vectors computed from (id, blob, text) in one short transaction.

        A memory edited since its text was read keeps no vector (the text no longer
        matches), so a slow batch never attaches a stale vector to new text.
        """
        now = self.clock.now_iso()
        stored: list[int] = []
        with self.bank.write() as db:
            for memory_id, blob, text in items:
                if rows.set_embedding(db, memory_id, blob, model, expected_text=text):
                    audit_log.record(db, at=now, actor=actor, action="embed", entity="memory",
                                     entity_id=memory_id, after={"embedding_model": model})
                    stored.append(memory_id)
        for memory_id in stored:
            self._notify("embed", memory_id)
        return stored

    def reinforce(self, memory_ids: Iterable[int], actor: str = "chat") -> list[int]:
        """Strengthens memories that were actually used in a reply."""
        now = self.clock.now()
        now_iso = to_iso(now)
        done: list[int] = []
        with self.bank.write() as db:
            for memory_id, memory in rows.get_many(db, memory_ids).items():
                if memory.state != "active":
                    continue
                gap = max(0.0, days_between(from_iso(memory.last_reinforced_at), now))
                strength = reinforced_strength(memory.strength, gap, self.decay.tau_days)
                rows.update(db, memory_id, strength=strength, last_reinforced_at=now_iso,
                            recall_count=memory.recall_count + 1)
                audit_log.record(db, at=now_iso, actor=actor, action="reinforce",
                                 entity="memory", entity_id=memory_id,
                                 before={"strength": memory.strength,
                                         "last_reinforced_at": memory.last_reinforced_at},
                                 after={"strength": strength, "last_reinforced_at": now_iso})
                done.append(memory_id)
        return done

    def apply_decay(self, actor: str = "decay", batch: int = 500) -> dict[str, int]:
        """Archives active, unpinned memories whose retention fell below θ. Idempotent."""
        now = self.clock.now()
        counts = {"checked": 0, "archived": 0}
        last_id = 0
        while True:
            page = rows.fading_candidates(self.bank.db(), last_id, batch)
            if not page:
                return counts
            last_id = page[-1]
            with self.bank.write() as db:
                for memory in rows.get_many(db, page).values():
                    counts["checked"] += 1
                    if memory.kind in ("summary", *NEVER_FADE_KINDS):
                        continue  # gists outlive their details; facts don't fade
                    r = self.retention_of(memory, now)
                    if should_archive(r, self.decay, memory.pinned):
                        rows.update(db, memory.id, state="archived")
                        audit_log.record(db, at=to_iso(now), actor=actor, action="archive",
                                         entity="memory", entity_id=memory.id,
                                         before={"state": "active"},
                                         after={"state": "archived"},
                                         note=f"retention {r:.4f} < θ {self.decay.threshold}")
                        counts["archived"] += 1
                        self._notify("archive", memory.id)

    def forget(self, memory_id: int, actor: str = "user") -> dict[str, int]:
        """Forgets everywhere it reached (see secondme.memory.forgetting), in one transaction,
        leaving only content-free audit entries."""
        if rows.get(self.bank.db(), memory_id) is None:
            raise MemoryNotFound(memory_id)
        return self.forget_selection(Selection(memory_ids=[memory_id]), actor=actor).as_dict()

    def forget_selection(self, selection: Selection, *, actor: str = "user",
                         dry_run: bool = False) -> ForgetCounts:
        """Many memories, sessions or imported documents at once (`forget --source`)."""
        return Forgetter(self.bank, self.clock, self._notify).forget(
            selection, actor=actor, dry_run=dry_run)
