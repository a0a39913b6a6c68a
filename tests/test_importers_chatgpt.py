"""The ChatGPT conversations.json parser."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from secondme.importers import ParseError, parse_chatgpt, turns
from secondme.importers.base import epoch_to_datetime

SAMPLE = Path(__file__).resolve().parents[1] / "assets" / "sample-chatgpt.json"
FALLBACK = datetime(2024, 7, 1, 9, 0)


def node(node_id, role, text, t, parent, children=(), content=None, meta=None):
    return {"id": node_id, "parent": parent, "children": list(children), "message": {
        "id": node_id, "author": {"role": role}, "create_time": t,
        "content": content or {"content_type": "text", "parts": [text]}, "metadata": meta or {}}}


def test_sample_export_gives_four_conversations_with_visible_messages_only():
    export = parse_chatgpt(SAMPLE.read_bytes(), fallback_time=FALLBACK)
    assert [c.title for c in export.conversations] == [
        "Half marathon taper week", "Porto weekend ideas", "Postgres backfill is slow",
        "Birthday gift for my sister"]
    taper = export.conversations[0]
    assert [m.role for m in taper.messages] == ["user", "assistant", "user", "assistant"]
    # The regenerated (abandoned) answer is not on the branch the person last saw.
    assert all("gradually" not in m.text for m in taper.messages)
    porto = export.conversations[1]
    assert all("search results" not in m.text for m in porto.messages)  # tool output dropped
    backfill = export.conversations[2]
    assert backfill.messages[0].text.startswith("Our invoice backfill")  # image part dropped
    assert "CREATE INDEX CONCURRENTLY idx_invoices_customer" in backfill.messages[-1].text


def test_timestamps_are_local_naive_times_from_epochs():
    export = parse_chatgpt(SAMPLE.read_bytes(), fallback_time=FALLBACK)
    raw = json.loads(SAMPLE.read_text())
    conv = export.conversations[0]
    assert conv.created_at == epoch_to_datetime(raw[0]["create_time"])
    assert conv.messages[0].created_at == epoch_to_datetime(
        raw[0]["mapping"]["hm-u1"]["message"]["create_time"])
    assert conv.messages[0].created_at.tzinfo is None


def test_turns_pair_each_question_with_its_answers():
    export = parse_chatgpt(SAMPLE.read_bytes(), fallback_time=FALLBACK)
    gift = export.conversations[3]
    pairs = turns(gift)
    assert [t.key for t in pairs] == ["gf-u1", "gf-u2"]
    assert pairs[0].text().startswith("User: My sister Mia turns 30")
    assert "\nChatGPT: A few ideas" in pairs[0].text()
    assert pairs[1].replies == ()  # the last question has no answer yet


def test_missing_current_node_falls_back_to_newest_leaf_and_cycles_end():
    mapping = {
        "r": {"id": "r", "parent": None, "children": ["u"], "message": None},
        "u": node("u", "user", "hi", 1_700_000_000, "r", ["a1", "a2"]),
        "a1": node("a1", "assistant", "old", 1_700_000_010, "u"),
        "a2": node("a2", "assistant", "new", 1_700_000_020, "u"),
    }
    export = parse_chatgpt(json.dumps([{"title": "t", "mapping": mapping}]), fallback_time=FALLBACK)
    assert [m.text for m in export.conversations[0].messages] == ["hi", "new"]
    mapping["u"]["parent"] = "a2"  # a cycle must not hang
    export = parse_chatgpt(json.dumps([{"mapping": mapping, "current_node": "a2"}]),
                           fallback_time=FALLBACK)
    assert len(export.conversations[0].messages) <= 2


def test_missing_times_fall_back_and_ids_are_stable():
    mapping = {"u": node("u", "user", "hello", None, None)}
    raw = json.dumps([{"title": "No times", "mapping": mapping}])
    one = parse_chatgpt(raw, fallback_time=FALLBACK)
    two = parse_chatgpt(raw, fallback_time=FALLBACK)
    assert one.conversations[0].messages[0].created_at == FALLBACK
    assert one.conversations[0].id == two.conversations[0].id


def test_odd_entries_are_skipped_with_warnings():
    raw = json.dumps([{"mapping": {}}, 7, {"title": "x", "mapping": {
        "u": node("u", "user", "real", 1_700_000_000, None)}}])
    export = parse_chatgpt(raw, fallback_time=FALLBACK)
    assert len(export.conversations) == 1
    assert len(export.warnings) == 2


@pytest.mark.parametrize("raw, message", [
    (b"{not json", "malformed JSON"),
    (b'{"a": 1}', "not a ChatGPT export"),
    (b'[{"title": "x"}]', "no conversation has a `mapping`"),
    (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    (b'[{"mapping": {}, "title": "\xff"}]', "UTF-8"),
])
def test_bad_input_is_a_parse_error(raw, message):
    with pytest.raises(ParseError, match=message):
        parse_chatgpt(raw, fallback_time=FALLBACK)


def test_an_empty_list_is_an_empty_export():
    assert parse_chatgpt(b"[]", fallback_time=FALLBACK).conversations == []
