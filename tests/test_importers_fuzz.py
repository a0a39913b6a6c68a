"""The parsers take anything a disk can hold: they return data or raise ParseError, nothing else."""

from __future__ import annotations

import contextlib
import json
from datetime import datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from secondme.importers import ParseError, parse_chatgpt, parse_jsonl, parse_markdown, parse_text
from secondme.importers.base import MAX_CHUNK_TOKENS, estimate_tokens

MTIME = datetime(2024, 1, 1)
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

markdownish = st.lists(st.one_of(
    st.text(max_size=80),
    st.sampled_from(["---\n", "# ", "## ", "```\n", "~~~\n", "[[", "]]", "|", "#tag ", "![[",
                     "\n\n", "date: ", "tags: [", "2024-05-01", ": &a [*a]", "...\n", "\r\n",
                     "\ufeff", "\x00", "\ud800"]),
), max_size=40).map("".join)

json_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True),
                         st.text(max_size=20))
json_values = st.recursive(json_scalars, lambda kids: st.one_of(
    st.lists(kids, max_size=4), st.dictionaries(st.sampled_from(
        ["mapping", "message", "author", "role", "content", "parts", "parent", "children",
         "current_node", "create_time", "id", "title", "content_type", "metadata", "text"]),
        kids, max_size=5)), max_leaves=30)


def _chunks_ok(note) -> None:
    for chunk in note.chunks:
        assert chunk.text.strip()
        assert estimate_tokens(chunk.text) <= MAX_CHUNK_TOKENS + 60  # label + heading slack


@FUZZ
@given(text=markdownish, name=st.text(max_size=30))
def test_markdown_never_crashes(text, name):
    try:
        note = parse_markdown(text, name=name or "x.md", mtime=MTIME)
    except ParseError:
        return
    _chunks_ok(note)
    json.dumps(note.meta(), ensure_ascii=False)


@FUZZ
@given(text=st.text(max_size=3000))
def test_plain_text_never_crashes(text):
    _chunks_ok(parse_text(text, name="n.txt", mtime=MTIME))


@FUZZ
@given(raw=st.one_of(json_values.map(json.dumps), st.binary(max_size=200), st.text(max_size=200)))
def test_chatgpt_never_crashes(raw):
    try:
        export = parse_chatgpt(raw, fallback_time=MTIME)
    except ParseError:
        return
    for conversation in export.conversations:
        assert conversation.messages
        assert conversation.messages[0].created_at.tzinfo is None
        conversation.title.encode("utf-8")  # storable: no lone surrogates survive
        for message in conversation.messages:
            message.text.encode("utf-8")
            message.id.encode("utf-8")


@FUZZ
@given(value=json_values)
def test_chatgpt_survives_hostile_conversations(value):
    raw = json.dumps([{"title": "t", "mapping": value, "current_node": "a"},
                      {"mapping": {"a": {"message": value, "parent": "a"}}}])
    with contextlib.suppress(ParseError):
        parse_chatgpt(raw, fallback_time=MTIME)


@FUZZ
@given(records=st.lists(st.dictionaries(st.sampled_from(
    ["type", "id", "kind", "text", "event_at", "trust", "sources", "$b64", "level"]),
    json_values, max_size=6), max_size=5))
def test_jsonl_never_crashes(records):
    header = {"type": "header", "format": "secondme-export", "version": 1}
    text = "\n".join(json.dumps(r) for r in [header, *records])
    with contextlib.suppress(ParseError):
        parse_jsonl(text)
