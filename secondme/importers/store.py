"""Writing parsed imports into the bank. Every function runs inside the caller's transaction.

Imported text is data, never the person's own word: every memory written here
gets trust 'import' (an export's 'user'/'assistant' rows are demoted and the
original trust kept in meta), and restored profile facts land quarantined until
the person confirms them. Memories are written through the caller's `MemoryWrites`
(`MemoryService.batch()`): each created, changed or removed memory gets its audit
entry in the same transaction as the change, and its notification after the commit.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from storage import audit as audit_log
from storage import documents, messages
from storage import memories as rows
from storage.forgetting import tombstoned
from storage.sqlcipher import sqlite_utils

from ..clock import to_iso
from ..memory.batch import MemoryWrites
from ..memory.decay import initial_strength
from .base import KIND_CHATGPT, NoteDocument, source_for
from .chatgpt import ChatExport, turns

ACTOR = "import"
NOTE_IMPORTANCE = 0.5
TURN_IMPORTANCE = 0.4
Db = sqlite_utils.Database


@dataclass(frozen=True)
class FileInfo:
    path: str
    kind: str
    content_hash: str
    mtime: float
    size: int


@dataclass
class WriteResult:
    document_id: int
    counts: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def bump(self, key: str, n: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + n


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def find_document(db: Db, path: str) -> dict[str, Any] | None:
    return documents.find(db, path)


def upsert_document(db: Db, info: FileInfo, now: str, meta: dict[str, Any],
                    existing: dict[str, Any] | None) -> int:
    values = {"kind": info.kind, "content_hash": info.content_hash, "mtime": info.mtime,
              "size": info.size, "imported_at": now, "state": "present", "meta": _json(meta)}
    if existing is None:
        doc_id = documents.insert(db, {"path": info.path, **values})
        action = "import"
    else:
        doc_id = int(existing["id"])
        documents.update(db, doc_id, **values)
        action = "update"
    audit_log.record(db, at=now, actor=ACTOR, action=action, entity="document", entity_id=doc_id,
                     after={"path": info.path, "kind": info.kind,
                            "content_hash": info.content_hash})
    return doc_id


def touch_document(db: Db, doc_id: int, mtime: float) -> None:
    """Same content, new mtime (e.g. a `touch` or a sync tool): not a change worth auditing."""
    documents.update(db, doc_id, mtime=mtime)


def _memory_record(*, kind: str, text: str, event_at: datetime, now: str, source: str,
                   source_ref: dict[str, Any], document_id: int | None, importance: float,
                   meta: dict[str, Any], session_id: str | None = None) -> dict[str, Any]:
    event = to_iso(event_at)
    return {"kind": kind, "text": text, "event_at": event, "recorded_at": now, "source": source,
            "source_ref": source_ref, "session_id": session_id, "document_id": document_id,
            "importance": importance, "strength": initial_strength(importance),
            # The forgetting clock starts at import: the person chose to bring these notes in
            # now. Fading from the event date would archive a whole old vault on the first
            # decay run, before it could ever be recalled.
            "last_reinforced_at": now, "trust": "import", "meta": meta}


def _create(writes: MemoryWrites, record: dict[str, Any], now: str) -> int:
    return writes.create(record, actor=ACTOR, at=now, after={
        "kind": record["kind"], "source": record["source"], "trust": "import",
        "event_at": record["event_at"], "document_id": record.get("document_id")})


def _remove(writes: MemoryWrites, memory_id: int, pinned: bool, now: str, why: str,
            result: WriteResult) -> None:
    """A chunk gone from its file is deleted; a pinned one is archived, since the person kept it."""
    if pinned:
        writes.archive(memory_id, actor=ACTOR, at=now, note=f"{why}; kept because pinned")
        result.bump("archived")
        return
    writes.delete(memory_id, actor=ACTOR, at=now, note=why)
    result.bump("removed")


# -- notes (markdown, text) ------------------------------------------------------
def write_note(writes: MemoryWrites, info: FileInfo, note: NoteDocument, now: str,
               existing: dict[str, Any] | None) -> WriteResult:
    """Inserts a new note's chunks, or turns the old chunks into the new ones.

    Chunks whose text did not change keep their memory (and so their strength,
    recall count and pin); only added and removed chunks are written.
    """
    db = writes.db
    doc_meta = {"title": note.title, "chunks": len(note.chunks), "date_source": note.date_source}
    if note.front_matter:
        doc_meta["front_matter"] = note.front_matter
    if note.warnings:
        doc_meta["warnings"] = note.warnings[:20]
    doc_id = upsert_document(db, info, now, doc_meta, existing)
    result = WriteResult(document_id=doc_id, warnings=list(note.warnings))
    revived = existing is not None and existing["state"] == "vanished"

    old: dict[str, list[dict[str, Any]]] = {}
    if existing is not None:
        for row in documents.memories_of(db, doc_id):
            old.setdefault(row["content_hash"], []).append(row)

    chunk_meta = {k: v for k, v in note.meta().items() if k != "front_matter"}
    source = source_for(info.kind)
    # Chunks the person forgot stay forgotten (`remember` the text to bring it back).
    forgotten = tombstoned(db, [rows.content_hash(rows.clean_text(c.text).strip())
                                for c in note.chunks])
    for chunk in note.chunks:
        text = rows.clean_text(chunk.text).strip()
        if not text:
            continue
        event_at = chunk.event_at or note.event_at
        source_ref = {"path": info.path, "heading": chunk.heading, "chunk": chunk.index,
                      "line": chunk.line}
        matches = old.get(rows.content_hash(text))
        if matches:
            kept = matches.pop(0)
            _keep(writes, kept, to_iso(event_at), source_ref, revived, now, result)
            continue
        if rows.content_hash(text) in forgotten:
            result.bump("forgotten")
            continue
        _create(writes, _memory_record(kind="note", text=text, event_at=event_at, now=now,
                                       source=source, source_ref=source_ref,
                                       document_id=doc_id, importance=NOTE_IMPORTANCE,
                                       meta=chunk_meta), now)
        result.bump("chunks")
    for leftovers in old.values():
        for row in leftovers:
            _remove(writes, row["id"], bool(row["pinned"]), now,
                    f"no longer in {info.path}", result)
    return result


def _keep(writes: MemoryWrites, row: dict[str, Any], event_at: str, source_ref: dict[str, Any],
          revived: bool, now: str, result: WriteResult) -> None:
    result.bump("kept")
    changes: dict[str, Any] = {}
    if row["event_at"] != event_at:
        changes["event_at"] = event_at
    if json.loads(row["source_ref"] or "{}") != source_ref:
        changes["source_ref"] = source_ref
    if revived and row["state"] == "archived":
        changes["state"] = "active"
        changes["last_reinforced_at"] = now
    if not changes:
        return
    before = {k: (json.loads(row[k]) if k == "source_ref" else row.get(k)) for k in changes}
    action = "restore" if changes.get("state") == "active" else "update"
    writes.update(row["id"], changes, action=action, actor=ACTOR, at=now, before=before,
                  note="source file re-imported")


def archive_vanished(writes: MemoryWrites, doc: dict[str, Any], now: str) -> WriteResult:
    """The file is gone: its chunks leave default retrieval but stay restorable."""
    db = writes.db
    result = WriteResult(document_id=int(doc["id"]))
    documents.update(db, doc["id"], state="vanished")
    audit_log.record(db, at=now, actor=ACTOR, action="vanish", entity="document",
                     entity_id=doc["id"], after={"path": doc["path"]})
    for memory_id in documents.active_unpinned_memory_ids(db, doc["id"]):
        writes.archive(memory_id, actor=ACTOR, at=now, note=f"source file vanished: {doc['path']}")
        result.bump("archived")
    return result


# -- ChatGPT -------------------------------------------------------------------
def write_chat(writes: MemoryWrites, info: FileInfo, export: ChatExport, now: str,
               existing: dict[str, Any] | None) -> WriteResult:
    """Adds conversations, messages and turns not seen before; never rewrites a message."""
    db = writes.db
    doc_id = upsert_document(db, info, now, {"conversations": len(export.conversations),
                                             "warnings": export.warnings[:20]}, existing)
    result = WriteResult(document_id=doc_id, warnings=list(export.warnings))
    source = source_for(KIND_CHATGPT)
    for conv in export.conversations:
        session_id = f"chatgpt-{conv.id}"
        started, last = to_iso(conv.created_at), to_iso(conv.updated_at)
        known = messages.session_last_active(db, session_id)
        if known is False:
            messages.insert_session(db, {
                "id": session_id, "title": conv.title, "source": source, "started_at": started,
                "last_active_at": last, "meta": _json({"conversation_id": conv.id,
                                                       "model": conv.model,
                                                       "document_id": doc_id})})
            result.bump("sessions")
        elif known < last:
            messages.set_last_active(db, session_id, last)
        ids = messages.message_ids_by_ref(db, session_id)
        forgotten = tombstoned(db, [rows.content_hash(rows.clean_text(m.text))
                                    for m in conv.messages])
        for msg in conv.messages:
            if msg.id in ids or rows.content_hash(rows.clean_text(msg.text)) in forgotten:
                continue
            ids[msg.id] = messages.insert_imported_message(db, {
                "session_id": session_id, "role": msg.role, "text": rows.clean_text(msg.text),
                "created_at": to_iso(msg.created_at), "source": source, "source_ref": msg.id})
            result.bump("messages")
        have = {json.loads(r or "{}").get("turn") for r in rows.turn_refs(db, session_id)}
        for turn in turns(conv):
            if turn.key in have:
                continue
            text = turn.text().strip()
            if not text or tombstoned(db, [rows.content_hash(rows.clean_text(text))]):
                continue
            ref = {"path": info.path, "conversation_id": conv.id, "title": conv.title,
                   "turn": turn.key, "messages": [ids[m] for m in turn.message_ids if m in ids]}
            _create(writes, _memory_record(kind="turn", text=text, event_at=turn.at, now=now,
                                           source=source, source_ref=ref, document_id=doc_id,
                                           importance=TURN_IMPORTANCE,
                                           meta={"title": conv.title},
                                           session_id=session_id), now)
            result.bump("turns")
    return result
