"""Writing parsed imports into the bank. Every function runs inside the caller's transaction.

Imported text is data, never the person's own word: every memory written here
gets trust 'import' (an export's 'user'/'assistant' rows are demoted and the
original trust kept in meta), and restored profile facts land quarantined until
the person confirms them. Each created, changed or removed memory gets its audit
entry in the same transaction as the change.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from storage import audit as audit_log
from storage import memories as rows
from storage.sqlcipher import sqlite_utils

from ..clock import to_iso
from ..decay import initial_strength
from .base import KIND_CHATGPT, NoteDocument, source_for
from .chatgpt import ChatExport, turns
from .jsonl import ExportBundle

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
    events: list[tuple[str, int]] = field(default_factory=list)   # (action, memory id)
    warnings: list[str] = field(default_factory=list)

    def bump(self, key: str, n: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + n


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def find_document(db: Db, path: str) -> dict[str, Any] | None:
    found = list(db.query("SELECT * FROM documents WHERE path = ?", [path]))
    return found[0] if found else None


def upsert_document(db: Db, info: FileInfo, now: str, meta: dict[str, Any],
                    existing: dict[str, Any] | None) -> int:
    values = {"kind": info.kind, "content_hash": info.content_hash, "mtime": info.mtime,
              "size": info.size, "imported_at": now, "state": "present", "meta": _json(meta)}
    if existing is None:
        cursor = db.execute(
            "INSERT INTO documents (path, kind, content_hash, mtime, size, imported_at, state, "
            "meta) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [info.path, *values.values()])
        doc_id = int(cursor.lastrowid)
        action = "import"
    else:
        doc_id = int(existing["id"])
        db.execute("UPDATE documents SET kind = ?, content_hash = ?, mtime = ?, size = ?, "
                   "imported_at = ?, state = ?, meta = ? WHERE id = ?", [*values.values(), doc_id])
        action = "update"
    audit_log.record(db, at=now, actor=ACTOR, action=action, entity="document", entity_id=doc_id,
                     after={"path": info.path, "kind": info.kind,
                            "content_hash": info.content_hash})
    return doc_id


def touch_document(db: Db, doc_id: int, mtime: float) -> None:
    """Same content, new mtime (e.g. a `touch` or a sync tool): not a change worth auditing."""
    db.execute("UPDATE documents SET mtime = ? WHERE id = ?", [mtime, doc_id])


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


def _create(db: Db, record: dict[str, Any], now: str, result: WriteResult,
            note: str | None = None) -> int:
    memory_id = rows.insert(db, record)
    audit_log.record(db, at=now, actor=ACTOR, action="create", entity="memory",
                     entity_id=memory_id,
                     after={"kind": record["kind"], "source": record["source"], "trust": "import",
                            "event_at": record["event_at"],
                            "document_id": record.get("document_id")}, note=note)
    result.events.append(("create", memory_id))
    return memory_id


def _remove(db: Db, memory_id: int, pinned: bool, now: str, why: str,
            result: WriteResult) -> None:
    """A chunk gone from its file is deleted; a pinned one is archived, since the person kept it."""
    if pinned:
        rows.update(db, memory_id, state="archived")
        audit_log.record(db, at=now, actor=ACTOR, action="archive", entity="memory",
                         entity_id=memory_id, before={"state": "active"},
                         after={"state": "archived"}, note=f"{why}; kept because pinned")
        result.events.append(("archive", memory_id))
        result.bump("archived")
        return
    removed = rows.delete_everywhere(db, memory_id)
    audit_log.redact(db, "memory", memory_id)
    audit_log.record(db, at=now, actor=ACTOR, action="delete", entity="memory",
                     entity_id=memory_id, after=removed, note=why)
    result.events.append(("forget", memory_id))
    result.bump("removed")


# -- notes (markdown, text) ------------------------------------------------------
def write_note(db: Db, info: FileInfo, note: NoteDocument, now: str,
               existing: dict[str, Any] | None) -> WriteResult:
    """Inserts a new note's chunks, or turns the old chunks into the new ones.

    Chunks whose text did not change keep their memory (and so their strength,
    recall count and pin); only added and removed chunks are written.
    """
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
        for row in db.query("SELECT id, content_hash, state, pinned, event_at, source_ref "
                            "FROM memories WHERE document_id = ? ORDER BY id", [doc_id]):
            old.setdefault(row["content_hash"], []).append(row)

    chunk_meta = {k: v for k, v in note.meta().items() if k != "front_matter"}
    source = source_for(info.kind)
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
            _keep(db, kept, to_iso(event_at), source_ref, revived, now, result)
            continue
        _create(db, _memory_record(kind="note", text=text, event_at=event_at, now=now,
                                   source=source, source_ref=source_ref, document_id=doc_id,
                                   importance=NOTE_IMPORTANCE, meta=chunk_meta), now, result)
        result.bump("chunks")
    for leftovers in old.values():
        for row in leftovers:
            _remove(db, row["id"], bool(row["pinned"]), now,
                    f"no longer in {info.path}", result)
    return result


def _keep(db: Db, row: dict[str, Any], event_at: str, source_ref: dict[str, Any], revived: bool,
          now: str, result: WriteResult) -> None:
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
    rows.update(db, row["id"], **dict(changes))
    action = "restore" if changes.get("state") == "active" else "update"
    audit_log.record(db, at=now, actor=ACTOR, action=action, entity="memory",
                     entity_id=row["id"], before=before, after=changes,
                     note="source file re-imported")
    result.events.append((action, row["id"]))


def archive_vanished(db: Db, doc: dict[str, Any], now: str) -> WriteResult:
    """The file is gone: its chunks leave default retrieval but stay restorable."""
    result = WriteResult(document_id=int(doc["id"]))
    db.execute("UPDATE documents SET state = 'vanished' WHERE id = ?", [doc["id"]])
    audit_log.record(db, at=now, actor=ACTOR, action="vanish", entity="document",
                     entity_id=doc["id"], after={"path": doc["path"]})
    for row in db.query("SELECT id FROM memories WHERE document_id = ? AND state = 'active' "
                        "AND pinned = 0", [doc["id"]]):
        rows.update(db, row["id"], state="archived")
        audit_log.record(db, at=now, actor=ACTOR, action="archive", entity="memory",
                         entity_id=row["id"], before={"state": "active"},
                         after={"state": "archived"}, note=f"source file vanished: {doc['path']}")
        result.events.append(("archive", row["id"]))
        result.bump("archived")
    return result


# -- ChatGPT -------------------------------------------------------------------
def write_chat(db: Db, info: FileInfo, export: ChatExport, now: str,
               existing: dict[str, Any] | None) -> WriteResult:
    """Adds conversations, messages and turns not seen before; never rewrites a message."""
    doc_id = upsert_document(db, info, now, {"conversations": len(export.conversations),
                                             "warnings": export.warnings[:20]}, existing)
    result = WriteResult(document_id=doc_id, warnings=list(export.warnings))
    source = source_for(KIND_CHATGPT)
    for conv in export.conversations:
        session_id = f"chatgpt-{conv.id}"
        started, last = to_iso(conv.created_at), to_iso(conv.updated_at)
        known = db.execute("SELECT last_active_at FROM sessions WHERE id = ?",
                           [session_id]).fetchone()
        if known is None:
            db.execute("INSERT INTO sessions (id, title, source, started_at, last_active_at, meta) "
                       "VALUES (?, ?, ?, ?, ?, ?)",
                       [session_id, conv.title, source, started, last,
                        _json({"conversation_id": conv.id, "model": conv.model,
                               "document_id": doc_id})])
            result.bump("sessions")
        elif known[0] < last:
            db.execute("UPDATE sessions SET last_active_at = ? WHERE id = ?", [last, session_id])
        ids = {r[0]: r[1] for r in db.execute(
            "SELECT source_ref, id FROM messages WHERE session_id = ?", [session_id])}
        for msg in conv.messages:
            if msg.id in ids:
                continue
            cursor = db.execute(
                "INSERT INTO messages (session_id, role, text, created_at, source, source_ref) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [session_id, msg.role, rows.clean_text(msg.text), to_iso(msg.created_at), source,
                 msg.id])
            ids[msg.id] = int(cursor.lastrowid)
            result.bump("messages")
        have = {json.loads(r[0] or "{}").get("turn") for r in db.execute(
            "SELECT source_ref FROM memories WHERE session_id = ? AND kind = 'turn'",
            [session_id])}
        for turn in turns(conv):
            if turn.key in have:
                continue
            text = turn.text().strip()
            if not text:
                continue
            ref = {"path": info.path, "conversation_id": conv.id, "title": conv.title,
                   "turn": turn.key, "messages": [ids[m] for m in turn.message_ids if m in ids]}
            _create(db, _memory_record(kind="turn", text=text, event_at=turn.at, now=now,
                                       source=source, source_ref=ref, document_id=doc_id,
                                       importance=TURN_IMPORTANCE, meta={"title": conv.title},
                                       session_id=session_id), now, result)
            result.bump("turns")
    return result


# -- our own export ------------------------------------------------------------------
def _columns(db: Db, table: str) -> list[str]:
    return [r[1] for r in db.execute(f"PRAGMA table_info({table})")]


def _insert(db: Db, table: str, row: dict[str, Any], columns: Iterable[str]) -> int:
    allowed = set(columns)
    keys = [k for k in row if k in allowed]
    marks = ", ".join("?" for _ in keys)
    cursor = db.execute(f"INSERT INTO {table} ({', '.join(keys)}) VALUES ({marks})",
                        [row[k] for k in keys])
    return int(cursor.lastrowid)


def _one(db: Db, sql: str, args: list[Any]) -> tuple | None:
    return db.execute(sql, args).fetchone()


def _demoted_meta(meta: Any, trust: str) -> str:
    try:
        data = json.loads(meta) if isinstance(meta, str) and meta else {}
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    data["exported_trust"] = trust
    return _json(data)


class _Restorer:
    """Re-creates an export's rows, keeping ids where they are free.

    A row whose id already holds the same thing (same text, same session…) is taken
    as already present, so importing an export into the bank it came from changes
    nothing; a clash with a different row gets a fresh id and every reference to
    it is rewritten.
    """

    def __init__(self, db: Db, bundle: ExportBundle, now: str, label: str,
                 result: WriteResult) -> None:
        self.db, self.bundle, self.now, self.label, self.result = db, bundle, now, label, result
        self.maps: dict[str, dict[int, int]] = {t: {} for t in
                                                ("document", "memory", "summary", "fact",
                                                 "message")}
        # Our own audit entries wait until the export's audit rows are in, so those keep ids.
        self.pending: list[tuple[str, int, dict[str, Any]]] = []

    def taken(self, table: str, row_id: Any) -> bool:
        return _one(self.db, f"SELECT 1 FROM {table} WHERE id = ?", [row_id]) is not None

    def place(self, table: str, row: dict[str, Any], same_sql: str | None,
              same_args: list[Any]) -> tuple[int, bool]:
        """(id in this bank, inserted?)."""
        if same_sql is not None:
            found = _one(self.db, same_sql, same_args)
            if found is not None:
                return int(found[0]), False
        values = dict(row)
        if self.taken(table, values.get("id")):
            values.pop("id")
        return _insert(self.db, table, values, _columns(self.db, table)), True

    def audit(self, entity: str, entity_id: int, after: dict[str, Any]) -> None:
        self.pending.append((entity, entity_id, after))

    def run(self) -> None:
        records = self.bundle.records
        for row in records["session"]:
            if _one(self.db, "SELECT 1 FROM sessions WHERE id = ?", [row["id"]]) is None:
                _insert(self.db, "sessions", row, _columns(self.db, "sessions"))
                self.result.bump("sessions")
        for row in records["message"]:
            new_id, inserted = self.place(
                "messages", row,
                "SELECT id FROM messages WHERE session_id = ? AND role = ? AND text = ? "
                "AND created_at = ? ORDER BY (id = ?) DESC LIMIT 1",
                [row["session_id"], row["role"], row["text"], row["created_at"], row["id"]])
            self.maps["message"][row["id"]] = new_id
            self.result.bump("messages" if inserted else "messages_present")
        for row in records["document"]:
            new_id, inserted = self.place("documents", row,
                                          "SELECT id FROM documents WHERE path = ?", [row["path"]])
            self.maps["document"][row["id"]] = new_id
            if inserted:
                self.result.bump("documents")
        self._memories(records["memory"])
        self._summaries(records["summary"])
        self._facts(records["fact"])
        self._audit(records["audit"])
        for entity, entity_id, after in self.pending:
            audit_log.record(self.db, at=self.now, actor=ACTOR, action="import", entity=entity,
                             entity_id=entity_id, after=after, note=f"from export {self.label}")

    def _memories(self, items: list[dict[str, Any]]) -> None:
        for row in items:
            text = rows.clean_text(row["text"])
            digest = rows.content_hash(text)
            values = {k: v for k, v in row.items() if k not in ("content_hash", "sources")}
            values["text"] = text
            values["document_id"] = self.maps["document"].get(row.get("document_id") or -1)
            if values.get("trust") in ("user", "assistant"):
                values["meta"] = _demoted_meta(values.get("meta"), values["trust"])
                values["trust"] = "import"
            found = _one(self.db, "SELECT id FROM memories WHERE id = ? AND content_hash = ? "
                         "AND kind = ?", [row["id"], digest, row["kind"]])
            if found is not None:
                self.maps["memory"][row["id"]] = row["id"]
                self.result.bump("memories_present")
                continue
            if self.taken("memories", row["id"]):
                values.pop("id")
            keep = set(_columns(self.db, "memories"))
            memory_id = rows.insert(self.db, {k: v for k, v in values.items() if k in keep})
            self.maps["memory"][row["id"]] = memory_id
            self.audit("memory", memory_id, {"kind": values["kind"], "source": values["source"],
                                             "trust": values["trust"]})
            self.result.events.append(("create", memory_id))
            self.result.bump("memories")

    def _summaries(self, items: list[dict[str, Any]]) -> None:
        placed: list[tuple[int, dict[str, Any], bool]] = []
        for row in items:
            values = {k: v for k, v in row.items() if k != "sources"}
            values["memory_id"] = self.maps["memory"].get(row.get("memory_id") or -1)
            new_id, inserted = self.place(
                "summaries", values,
                "SELECT id FROM summaries WHERE level = ? AND period_key = ? AND version = ?",
                [row["level"], row["period_key"], row.get("version", 1)])
            self.maps["summary"][row["id"]] = new_id
            placed.append((new_id, row, inserted))
            if inserted:
                self.audit("summary", new_id, {"level": row["level"],
                                               "period_key": row["period_key"]})
            self.result.bump("summaries" if inserted else "summaries_present")
        for new_id, row, inserted in placed:
            if not inserted:
                continue
            for source_type, source_id in row.get("sources", []):
                mapped = self.maps[source_type].get(source_id)
                if mapped is None:
                    continue  # its source was forgotten before the export
                self.db.execute("INSERT OR IGNORE INTO summary_sources (summary_id, source_type, "
                                "source_id) VALUES (?, ?, ?)", [new_id, source_type, mapped])

    def _facts(self, items: list[dict[str, Any]]) -> None:
        placed: list[tuple[int, dict[str, Any]]] = []
        for row in items:
            values = {k: v for k, v in row.items() if k != "sources"}
            values["memory_id"] = self.maps["memory"].get(row.get("memory_id") or -1)
            values["superseded_by"] = None
            exported = {"trust": row.get("trust"), "status": row.get("status", "active")}
            values["trust"] = "import"
            if values.get("status", "active") == "active":
                values["status"] = "quarantined"
            new_id, inserted = self.place(
                "profile_facts", values,
                "SELECT id FROM profile_facts WHERE subject = ? AND attribute = ? AND value = ? "
                "AND recorded_at = ?",
                [row["subject"], row["attribute"], row["value"], row["recorded_at"]])
            self.maps["fact"][row["id"]] = new_id
            if inserted:
                placed.append((new_id, row))
                self.audit("fact", new_id, {"status": values["status"], "exported": exported})
                if values["status"] == "quarantined":
                    self.result.bump("facts_quarantined")
            self.result.bump("facts" if inserted else "facts_present")
        for new_id, row in placed:
            successor = self.maps["fact"].get(row.get("superseded_by") or -1)
            if successor is not None:
                self.db.execute("UPDATE profile_facts SET superseded_by = ? WHERE id = ?",
                                [successor, new_id])
            for source in row.get("sources", []):
                mapped = self.maps["memory"].get(source["memory_id"])
                if mapped is not None:
                    self.db.execute("INSERT OR IGNORE INTO fact_sources (fact_id, memory_id, quote) "
                                    "VALUES (?, ?, ?)", [new_id, mapped, source["quote"]])

    _ENTITY_MAP = {"memory": "memory", "summary": "summary", "fact": "fact",
                   "profile_fact": "fact", "document": "document", "message": "message"}

    def _audit(self, items: list[dict[str, Any]]) -> None:
        columns = _columns(self.db, "audit_log")
        for row in items:
            values = dict(row)
            table = self._ENTITY_MAP.get(row["entity"])
            if table and isinstance(row.get("entity_id"), int):
                values["entity_id"] = self.maps[table].get(row["entity_id"], row["entity_id"])
            same = _one(self.db, "SELECT 1 FROM audit_log WHERE id = ? AND at = ? AND action = ? "
                        "AND entity = ? AND entity_id IS ?",
                        [row["id"], row["at"], row["action"], row["entity"],
                         values.get("entity_id")])
            if same is not None:
                continue
            if self.taken("audit_log", row["id"]):
                values.pop("id")
            _insert(self.db, "audit_log", values, columns)
            self.result.bump("audit")


def write_bundle(db: Db, info: FileInfo, bundle: ExportBundle, now: str,
                 existing: dict[str, Any] | None) -> WriteResult:
    """Restores an export. The export's own rows go in first so they keep their ids."""
    result = WriteResult(document_id=0, warnings=list(bundle.warnings))
    label = info.path.rsplit("/", 1)[-1]
    _Restorer(db, bundle, now, label, result).run()
    meta = {"format": bundle.header.get("format"), "version": bundle.header.get("version"),
            "exported_at": bundle.header.get("exported_at"), "records": bundle.counts()}
    result.document_id = upsert_document(db, info, now, meta, existing)
    return result
