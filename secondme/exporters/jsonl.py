"""The portable export: every row the bank keeps, one JSON object per line.

Written in the format `secondme.importers.jsonl` defines, read from one snapshot,
and checked by parsing it back with the importer's own parser before it is
reported, so an export that was announced is an export that re-imports.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from storage import dump

from ..importers.jsonl import FORMAT, TABLES, VERSION, encode_value, parse_jsonl
from .common import ExportError, atomic_file, check_target


@dataclass(frozen=True)
class ExportResult:
    path: Path
    counts: dict[str, int]
    bytes: int

    def to_public(self) -> dict[str, Any]:
        return {"path": str(self.path), "counts": self.counts, "bytes": self.bytes,
                "encrypted": False}


def _links(db) -> tuple[dict[int, list[list[Any]]], dict[int, list[dict[str, Any]]]]:
    summary_sources: dict[int, list[list[Any]]] = {}
    for sid, kind, source_id in dump.summary_links(db):
        summary_sources.setdefault(sid, []).append([kind, source_id])
    fact_sources: dict[int, list[dict[str, Any]]] = {}
    for fid, memory_id, quote in dump.fact_links(db):
        fact_sources.setdefault(fid, []).append({"memory_id": memory_id, "quote": quote})
    return summary_sources, fact_sources


def iter_records(db, *, exported_at: str, db_id: str) -> Iterator[dict[str, Any]]:
    """The header, then every row, in an order that satisfies foreign keys on import."""
    counts = {kind: dump.count(db, table) for kind, table in TABLES.items()}
    yield {"type": "header", "format": FORMAT, "version": VERSION, "exported_at": exported_at,
           "db_id": db_id, "counts": counts, "encrypted": False}
    summary_sources, fact_sources = _links(db)
    for kind, table in TABLES.items():
        for row in dump.rows(db, table):
            record: dict[str, Any] = {"type": kind}
            record.update({k: encode_value(v) for k, v in row.items()})
            if kind == "summary":
                record["sources"] = summary_sources.get(row["id"], [])
            elif kind == "fact":
                record["sources"] = fact_sources.get(row["id"], [])
            yield record


def export_jsonl(services, out: Path, *, plaintext: bool) -> ExportResult:
    target = check_target(out, services.settings.home, plaintext=plaintext)
    db = services.bank.db()
    with atomic_file(target) as fh, dump.snapshot(db.conn):
        for record in iter_records(db, exported_at=services.clock.now_iso(),
                                   db_id=services.bank.db_id):
            fh.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")))
            fh.write("\n")
    try:
        bundle = parse_jsonl(target.read_text(encoding="utf-8"))
    except Exception as exc:
        target.unlink(missing_ok=True)
        raise ExportError(f"the export did not read back ({exc}); nothing was kept") from exc
    counts = bundle.counts()
    if counts != bundle.header["counts"]:
        target.unlink(missing_ok=True)
        raise ExportError("the export read back with different counts; nothing was kept")
    return ExportResult(path=target, counts=counts, bytes=target.stat().st_size)
