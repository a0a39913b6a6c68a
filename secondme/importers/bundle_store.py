"""Restoring our own JSONL export into a bank, inside the caller's transaction.

Ids are kept where they are free and renumbered (with every reference rewritten)
where they clash. A JSONL file is whatever someone wrote into it, so nothing in it is
trusted (issue 12.4): every memory comes back with trust 'import' (the exported trust
and kind kept in meta), unpinned, with default strength and importance and no
embedding (the embed job recomputes it); 'fact' memories become imported notes and
'summary' memories are left out; summaries come back as superseded history (the
summarize job makes the current ones from the memories); facts land quarantined.
"""

from __future__ import annotations

import json
from typing import Any

from storage import audit as audit_log
from storage import memories as rows
from storage import restore

from ..memory.batch import MemoryWrites
from .jsonl import ExportBundle
from .store import ACTOR, FileInfo, WriteResult, _json, upsert_document


def _demoted_meta(meta: Any, trust: str, kind: str | None = None) -> str:
    try:
        data = json.loads(meta) if isinstance(meta, str) and meta else {}
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    data["exported_trust"] = trust
    if kind is not None:
        data["exported_kind"] = kind
    return _json(data)


# What a file may not decide about a memory: these come back as a fresh import's.
_UNTRUSTED_DEFAULTS = {"trust": "import", "pinned": 0, "strength": 1.0, "importance": 0.5,
                       "recall_count": 0, "embedding": None, "embedding_model": None}


def _as_import(values: dict[str, Any], now: str) -> dict[str, Any]:
    """A memory row from a file, stripped of every claim to trust or prominence."""
    kind = values["kind"]
    out = dict(values)
    out["meta"] = _demoted_meta(values.get("meta"), values.get("trust", "import"),
                                kind if kind == "fact" else None)
    out.update(_UNTRUSTED_DEFAULTS)
    if kind == "fact":
        out["kind"] = "note"
    reinforced = str(values.get("last_reinforced_at") or now)
    out["last_reinforced_at"] = min(reinforced, str(values.get("event_at") or now), now)
    return out


class _Restorer:
    """Re-creates an export's rows, keeping ids where they are free.

    A row whose id already holds the same thing (same text, same session…) is taken
    as already present, so importing an export into the bank it came from changes
    nothing; a clash with a different row gets a fresh id and every reference to
    it is rewritten.
    """

    def __init__(self, writes: MemoryWrites, bundle: ExportBundle, now: str, label: str,
                 result: WriteResult) -> None:
        self.writes, self.db = writes, writes.db
        self.bundle, self.now, self.label, self.result = bundle, now, label, result
        self.maps: dict[str, dict[int, int]] = {t: {} for t in
                                                ("document", "memory", "summary", "fact",
                                                 "message")}
        # Our own audit entries wait until the export's audit rows are in, so those keep ids.
        self.pending: list[tuple[str, int, dict[str, Any]]] = []

    def taken(self, table: str, row_id: Any) -> bool:
        return restore.exists(self.db, table, row_id)

    def place(self, table: str, row: dict[str, Any], same: int | None) -> tuple[int, bool]:
        """(id in this bank, inserted?); `same` is the id of a row already holding it."""
        if same is not None:
            return same, False
        values = dict(row)
        if self.taken(table, values.get("id")):
            values.pop("id")
        return restore.insert_known(self.db, table, values), True

    def audit(self, entity: str, entity_id: int, after: dict[str, Any]) -> None:
        self.pending.append((entity, entity_id, after))

    def run(self) -> None:
        records = self.bundle.records
        for row in records["session"]:
            if not restore.exists(self.db, "sessions", row["id"]):
                restore.insert_known(self.db, "sessions", row)
                self.result.bump("sessions")
        for row in records["message"]:
            new_id, inserted = self.place("messages", row, restore.same_message(self.db, row))
            self.maps["message"][row["id"]] = new_id
            self.result.bump("messages" if inserted else "messages_present")
        for row in records["document"]:
            new_id, inserted = self.place("documents", row,
                                          restore.same_document(self.db, row["path"]))
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
            if row["kind"] == "summary":
                self.result.bump("summary_memories_skipped")
                continue   # derived: the summarize job writes its own
            text = rows.clean_text(row["text"])
            digest = rows.content_hash(text)
            values = {k: v for k, v in row.items() if k not in ("content_hash", "sources")}
            values["text"] = text
            values["document_id"] = self.maps["document"].get(row.get("document_id") or -1)
            values = _as_import(values, self.now)
            if restore.same_memory(self.db, row["id"], digest, (row["kind"], values["kind"])):
                self.maps["memory"][row["id"]] = row["id"]
                self.result.bump("memories_present")
                continue
            if self.taken("memories", row["id"]):
                values.pop("id")
            keep = set(restore.columns(self.db, "memories"))
            memory_id = self.writes.restore_row({k: v for k, v in values.items() if k in keep})
            self.maps["memory"][row["id"]] = memory_id
            self.audit("memory", memory_id, {"kind": values["kind"], "source": values["source"],
                                             "trust": values["trust"]})
            self.result.bump("memories")

    def _summaries(self, items: list[dict[str, Any]]) -> None:
        placed: list[tuple[int, dict[str, Any], bool]] = []
        for row in items:
            values = {k: v for k, v in row.items() if k != "sources"}
            values["memory_id"] = self.maps["memory"].get(row.get("memory_id") or -1)
            # History only: never current, never trusted (the summarize job recomputes).
            values.update(is_current=0, trust="import",
                          superseded_at=row.get("superseded_at") or self.now)
            new_id, inserted = self.place("summaries", values, restore.same_summary(
                self.db, row["level"], row["period_key"], row.get("version", 1)))
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
                restore.link_summary_source(self.db, new_id, source_type, mapped)

    def _facts(self, items: list[dict[str, Any]]) -> None:
        placed: list[tuple[int, dict[str, Any]]] = []
        for row in items:
            values = {k: v for k, v in row.items() if k != "sources"}
            values["memory_id"] = self.maps["memory"].get(row.get("memory_id") or -1)
            values["superseded_by"] = None
            exported = {"trust": row.get("trust"), "status": row.get("status", "active")}
            values["trust"] = "import"
            values["pinned"] = 0
            if values.get("status", "active") == "active":
                values["status"] = "quarantined"
            new_id, inserted = self.place("profile_facts", values, restore.same_fact(
                self.db, row["subject"], row["attribute"], row["value"], row["recorded_at"]))
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
                restore.set_superseded_by(self.db, new_id, successor)
            for source in row.get("sources", []):
                mapped = self.maps["memory"].get(source["memory_id"])
                if mapped is not None:
                    restore.link_fact_source(self.db, new_id, mapped, source["quote"])

    _ENTITY_MAP = {"memory": "memory", "summary": "summary", "fact": "fact",
                   "profile_fact": "fact", "document": "document", "message": "message"}

    def _audit(self, items: list[dict[str, Any]]) -> None:
        for row in items:
            values = dict(row)
            table = self._ENTITY_MAP.get(row["entity"])
            if table and isinstance(row.get("entity_id"), int):
                values["entity_id"] = self.maps[table].get(row["entity_id"], row["entity_id"])
            if restore.same_audit(self.db, row, values.get("entity_id")):
                continue
            if self.taken("audit_log", row["id"]):
                values.pop("id")
            restore.insert_known(self.db, "audit_log", values)
            self.result.bump("audit")


def write_bundle(writes: MemoryWrites, info: FileInfo, bundle: ExportBundle, now: str,
                 existing: dict[str, Any] | None) -> WriteResult:
    """Restores an export. The export's own rows go in first so they keep their ids."""
    result = WriteResult(document_id=0, warnings=list(bundle.warnings))
    label = info.path.rsplit("/", 1)[-1]
    _Restorer(writes, bundle, now, label, result).run()
    meta = {"format": bundle.header.get("format"), "version": bundle.header.get("version"),
            "exported_at": bundle.header.get("exported_at"), "records": bundle.counts()}
    result.document_id = upsert_document(writes.db, info, now, meta, existing)
    return result
