"""Second Me's own JSONL export format: the definition the exporter writes and this parser checks.

One JSON object per line. The first line is a header
`{"type": "header", "format": "secondme-export", "version": 1, ...}`; every other
line is one row: `{"type": "memory", "id": 7, "text": ..., ...}` with the table's
columns as keys. Summaries carry their links inline (`"sources": [["memory", 7]]`)
and facts their evidence (`"sources": [{"memory_id": 7, "quote": "..."}]`). Bytes
(embeddings) are written as `{"$b64": "..."}`. Unknown record types are skipped
with a warning, so a newer export still imports what this version understands.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from typing import Any

from storage.memories import clean_text
from storage.records import MEMORY_KINDS, TRUST_LEVELS

from ..clock import parse_when
from .base import ParseError

FORMAT = "secondme-export"
VERSION = 1

# Record type → table, in an order that satisfies every foreign key on insert.
TABLES: dict[str, str] = {
    "session": "sessions",
    "message": "messages",
    "document": "documents",
    "memory": "memories",
    "summary": "summaries",
    "fact": "profile_facts",
    "audit": "audit_log",
}

_REQUIRED: dict[str, dict[str, type | tuple[type, ...]]] = {
    "session": {"id": str, "started_at": str, "last_active_at": str},
    "message": {"id": int, "session_id": str, "role": str, "text": str, "created_at": str},
    "document": {"id": int, "path": str, "kind": str, "content_hash": str, "imported_at": str},
    "memory": {"id": int, "kind": str, "text": str, "event_at": str, "recorded_at": str,
               "source": str, "last_reinforced_at": str, "trust": str},
    "summary": {"id": int, "level": str, "period_key": str, "period_start": str,
                "period_end": str, "text": str, "method": str, "sources_hash": str,
                "created_at": str},
    "fact": {"id": int, "subject": str, "attribute": str, "value": str, "category": str,
             "confidence": (int, float), "evidence": str, "recorded_at": str},
    "audit": {"id": int, "at": str, "actor": str, "action": str, "entity": str},
}
_CHOICES: dict[str, dict[str, tuple[str, ...]]] = {
    "message": {"role": ("user", "assistant", "system")},
    "memory": {"kind": MEMORY_KINDS, "trust": TRUST_LEVELS, "state": ("active", "archived")},
    "summary": {"level": ("session", "day", "week", "month", "life")},
}
_TIME_KEYS = ("period_start", "period_end", "valid_from", "valid_to")


@dataclass
class ExportBundle:
    header: dict[str, Any]
    records: dict[str, list[dict[str, Any]]] = field(
        default_factory=lambda: {t: [] for t in TABLES})
    warnings: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {t: len(rows) for t, rows in self.records.items()}


def encode_value(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"$b64": base64.b64encode(bytes(value)).decode("ascii")}
    return value


def _decode_value(value: Any, where: str, key: str) -> Any:
    if isinstance(value, dict):
        if set(value) == {"$b64"} and isinstance(value["$b64"], str):
            try:
                return base64.b64decode(value["$b64"], validate=True)
            except (binascii.Error, ValueError):
                raise ParseError(f"{where}: field {key!r} is not valid base64") from None
        raise ParseError(f"{where}: field {key!r} must be a plain value, not an object")
    if isinstance(value, list):
        raise ParseError(f"{where}: field {key!r} must be a plain value, not a list")
    if isinstance(value, float) and value != value:
        raise ParseError(f"{where}: field {key!r} is NaN")
    if isinstance(value, str):
        return clean_text(value)  # lone surrogates from \ud800 escapes cannot be stored
    return value


def _check_time(value: Any, where: str, key: str) -> None:
    if value is None:
        return
    if not isinstance(value, str):
        raise ParseError(f"{where}: {key} must be an ISO time string")
    try:
        parse_when(value)
    except (ValueError, OverflowError):
        raise ParseError(f"{where}: {key} {value[:40]!r} is not an ISO time") from None


def _sources(kind: str, value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ParseError(f"{where}: sources must be a list")
    out: list[Any] = []
    for item in value:
        if kind == "summary":
            if not (isinstance(item, list) and len(item) == 2 and item[0] in ("memory", "summary")
                    and isinstance(item[1], int) and not isinstance(item[1], bool)):
                raise ParseError(f"{where}: a summary source must look like [\"memory\", 12]")
            out.append((item[0], item[1]))
        else:
            if not (isinstance(item, dict) and isinstance(item.get("memory_id"), int)
                    and isinstance(item.get("quote"), str)):
                raise ParseError(f"{where}: a fact source needs memory_id and quote")
            out.append({"memory_id": item["memory_id"], "quote": clean_text(item["quote"])})
    return out


def parse_record(obj: dict[str, Any], where: str) -> tuple[str, dict[str, Any]] | None:
    kind = obj.get("type")
    if not isinstance(kind, str) or kind not in TABLES:
        return None
    row: dict[str, Any] = {}
    for key, value in obj.items():
        if key == "type":
            continue
        if not isinstance(key, str) or not key.replace("_", "").isalnum() or len(key) > 64:
            raise ParseError(f"{where}: odd field name {str(key)[:40]!r}")
        if key == "sources" and kind in ("summary", "fact"):
            row[key] = _sources(kind, value, where)
            continue
        row[key] = _decode_value(value, where, key)
    for key, expected in _REQUIRED[kind].items():
        value = row.get(key)
        if value is None or isinstance(value, bool) or not isinstance(value, expected):
            raise ParseError(f"{where}: {kind} record needs {key!r}")
    for key, allowed in _CHOICES.get(kind, {}).items():
        if key in row and row[key] not in allowed:
            raise ParseError(f"{where}: {kind} {key} {str(row[key])[:30]!r} is not one of "
                             f"{', '.join(allowed)}")
    for key in row:
        if key.endswith("_at") or key in _TIME_KEYS:
            _check_time(row[key], where, key)
    return kind, row


def parse_jsonl(text: str) -> ExportBundle:
    """Parses a whole export; any malformed line fails the file (it is imported whole or not)."""
    lines = text.splitlines()
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        raise ParseError("the file is empty")
    bundle: ExportBundle | None = None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except RecursionError:
            raise ParseError(f"line {number}: nested too deeply") from None
        except ValueError as exc:
            raise ParseError(f"line {number}: malformed JSON ({exc.msg})") from None
        if not isinstance(obj, dict):
            raise ParseError(f"line {number}: expected a JSON object")
        if bundle is None:
            if obj.get("type") != "header" or obj.get("format") != FORMAT:
                raise ParseError("not a Second Me export: the first line must be its header "
                                 f"(format {FORMAT!r})")
            version = obj.get("version")
            if not isinstance(version, int) or version > VERSION:
                raise ParseError(f"export format version {version!r} is newer than this Second Me "
                                 f"understands ({VERSION}); upgrade Second Me first")
            bundle = ExportBundle(header=obj)
            continue
        parsed = parse_record(obj, f"line {number}")
        if parsed is None:
            bundle.warnings.append(f"line {number}: unknown record type "
                                   f"{str(obj.get('type'))[:30]!r}; skipped")
            continue
        kind, row = parsed
        bundle.records[kind].append(row)
    assert bundle is not None
    return bundle
