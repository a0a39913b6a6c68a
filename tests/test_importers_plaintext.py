"""Plain text notes and the shared byte-level checks."""

from __future__ import annotations

from datetime import datetime

import pytest

from secondme.importers import ParseError, parse_text
from secondme.importers.base import coerce_datetime, decode_utf8, looks_binary

MTIME = datetime(2024, 6, 30, 18, 45, 12)


def test_paragraphs_are_packed_and_dated_from_the_name():
    text = "\n\n".join(f"Paragraph {i}: " + "word " * 120 for i in range(6))
    note = parse_text(text, name="2024-02-03 log.txt", mtime=MTIME)
    assert note.event_at == datetime(2024, 2, 3)
    assert len(note.chunks) >= 3
    assert all(c.text.startswith("2024-02-03 log\n") for c in note.chunks)


def test_undated_text_uses_the_mtime_and_windows_newlines_are_fine():
    note = parse_text("one\r\n\r\ntwo", name="ideas.txt", mtime=MTIME)
    assert note.event_at == MTIME
    assert note.chunks[0].text == "ideas\none\n\ntwo"


def test_invalid_utf8_names_the_offset_and_a_bom_is_dropped():
    with pytest.raises(ParseError, match="offset 3"):
        decode_utf8(b"abc\xe9 def")
    assert decode_utf8("\ufeffhi".encode()) == "hi"


def test_binary_sniffing():
    assert looks_binary(b"\x89PNG\r\n\x1a\n\x00\x00")
    assert not looks_binary("plain ünïcode".encode())


@pytest.mark.parametrize("value, expected", [
    ("2024-05-01", datetime(2024, 5, 1)),
    ("2024/05/01", datetime(2024, 5, 1)),
    ("May 1, 2024", datetime(2024, 5, 1)),
    (20240501, datetime(2024, 5, 1)),
    ("0001-01-01", None),
    ("yesterday", None),
    (True, None),
    (None, None),
])
def test_coerce_datetime(value, expected):
    assert coerce_datetime(value) == expected
