"""Parsing Second Me's own JSONL export format."""

from __future__ import annotations

import json

import pytest

from secondme.importers import ParseError, parse_jsonl
from secondme.importers.jsonl import FORMAT, VERSION

HEADER = {"type": "header", "format": FORMAT, "version": VERSION}
MEMORY = {"type": "memory", "id": 3, "kind": "note", "text": "hello", "event_at": "2024-05-01T10:00:00",
          "recorded_at": "2024-05-01T10:00:00", "source": "cli", "trust": "user",
          "last_reinforced_at": "2024-05-01T10:00:00", "embedding": {"$b64": "AAAAAA=="}}


def lines(*objs) -> str:
    return "\n".join(json.dumps(o) for o in objs) + "\n"


def test_records_are_grouped_and_bytes_decoded():
    summary = {"type": "summary", "id": 1, "level": "day", "period_key": "2024-05-01",
               "period_start": "2024-05-01T00:00:00", "period_end": "2024-05-02T00:00:00",
               "text": "A day.", "method": "extractive", "sources_hash": "x",
               "created_at": "2024-05-02T00:00:00", "sources": [["memory", 3]]}
    bundle = parse_jsonl(lines(HEADER, MEMORY, summary, {"type": "from-the-future", "x": 1}))
    assert bundle.records["memory"][0]["embedding"] == b"\x00\x00\x00\x00"
    assert bundle.records["summary"][0]["sources"] == [("memory", 3)]
    assert bundle.counts()["memory"] == 1
    assert "unknown record type" in bundle.warnings[0]


@pytest.mark.parametrize("text, message", [
    ("", "empty"),
    (lines({"type": "memory"}), "not a Second Me export"),
    (lines({**HEADER, "version": 99}), "newer"),
    (lines(HEADER) + "{broken\n", "line 2: malformed JSON"),
    (lines(HEADER, {**MEMORY, "kind": "poem"}), "kind 'poem' is not one of"),
    (lines(HEADER, {**MEMORY, "text": None}), "needs 'text'"),
    (lines(HEADER, {**MEMORY, "event_at": "soon"}), "not an ISO time"),
    (lines(HEADER, {**MEMORY, "meta": {"nested": 1}}), "plain value"),
    (lines(HEADER, {**MEMORY, "embedding": {"$b64": "***"}}), "base64"),
    (lines(HEADER, {**MEMORY, "id; DROP": 1}), "odd field name"),
    (lines(HEADER) + "[" * 50_000 + "]" * 50_000 + "\n", "nested too deeply"),
])
def test_bad_exports_fail_whole(text, message):
    with pytest.raises(ParseError, match=message):
        parse_jsonl(text)
