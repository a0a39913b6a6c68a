"""Reading LoCoMo and generic evaluation files into one model."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from secondme.evaluation.formats import (
    GENERIC_FORMAT,
    FormatError,
    detect_format,
    load_dataset,
    load_generic,
    load_locomo,
    normalise_dia_id,
    normalise_evidence,
    parse_session_date,
    turn_text,
)

FIXTURE = Path(__file__).parent / "fixtures" / "locomo_tiny.json"


@pytest.mark.parametrize(("text", "expected"), [
    ("1:56 pm on 8 May, 2023", datetime(2023, 5, 8, 13, 56)),
    ("10:37 am on 27 June, 2023", datetime(2023, 6, 27, 10, 37)),
    ("12:05 am on 1 January, 2024", datetime(2024, 1, 1, 0, 5)),
    ("12:30 pm on 1 January, 2024", datetime(2024, 1, 1, 12, 30)),
    ("8:15 PM on 2 Sept, 2023", datetime(2023, 9, 2, 20, 15)),
    ("8 May, 2023", datetime(2023, 5, 8)),
    ("2023-05-08", datetime(2023, 5, 8)),
    ("2023-05-08T09:30:00", datetime(2023, 5, 8, 9, 30)),
])
def test_session_dates(text, expected):
    assert parse_session_date(text) == expected


@pytest.mark.parametrize("bad", ["", "yesterday", "1:56 pm on 31 February, 2023",
                                 "13:10 pm on 8 May, 2023", "1:56 pm on 8 Smarch, 2023"])
def test_bad_session_dates_say_what_was_expected(bad):
    with pytest.raises(ValueError, match="not a date"):
        parse_session_date(bad)


def test_dia_id_repairs():
    assert normalise_dia_id("D:11:26") == ["D11:26"]
    assert normalise_dia_id(" D11:26 ") == ["D11:26"]
    assert normalise_dia_id("D8:6; D9:17") == ["D8:6", "D9:17"]
    assert normalise_dia_id("d 3 : 4") == ["D3:4"]


def test_evidence_keeps_known_ids_in_order_and_reports_the_rest():
    known = {"D1:1", "D2:3", "D11:26"}
    kept, dropped = normalise_evidence(["D:11:26", "D1:1", "D1:1", "D9:99", "", None], known)
    assert kept == ("D11:26", "D1:1")
    assert dropped == ("D9:99",)


def test_evidence_in_any_id_scheme_is_kept_verbatim():
    kept, dropped = normalise_evidence(["2023-05-04#2", "nope"], {"2023-05-04#2"})
    assert kept == ("2023-05-04#2",) and dropped == ("nope",)


@given(st.lists(st.text(max_size=12), max_size=8),
       st.sets(st.from_regex(r"D[0-9]{1,2}:[0-9]{1,2}", fullmatch=True), max_size=6))
def test_evidence_never_invents_ids(raw, known):
    kept, _ = normalise_evidence(raw, known)
    assert set(kept) <= known
    assert len(kept) == len(set(kept))


def test_turn_text_keeps_the_speaker_and_the_image_caption():
    assert turn_text("Maya", "Look!", "a dog in a lake") == "Maya: Look! [image: a dog in a lake]"
    assert turn_text("Maya", "", "a dog") == "Maya: [image: a dog]"
    assert turn_text("", "plain") == "plain"


def test_locomo_fixture():
    dataset = load_dataset(FIXTURE, "locomo")
    assert dataset.format == "locomo"
    assert dataset.pooled("4") and not dataset.pooled("5")
    first, second = dataset.conversations
    assert (first.id, len(first.turns), len(first.questions)) == ("tiny-1", 15, 6)
    assert first.now == datetime(2023, 9, 2, 20, 15)
    assert second.now == datetime(2024, 2, 14, 16, 30)
    by_id = {t.id: t for t in first.turns}
    assert by_id["D1:1"].text.startswith("Maya: Hey Tom!")
    assert by_id["D1:3"].text.endswith("[image: a photo of a golden retriever puppy lying on grass]")
    assert by_id["D2:4"].at == datetime(2023, 6, 27, 10, 37)
    questions = {q.text: q for q in first.questions}
    assert questions["When did Maya start her pottery class?"].evidence == ("D2:1",)
    assert questions["What happened with Tom's knee and his running?"].evidence == ("D2:4", "D3:1")
    adversarial = questions["What did Tom make in his pottery class?"]
    assert adversarial.adversarial and adversarial.category == "5"
    assert adversarial.answer == "a lopsided blue bowl"
    unknown = questions["What colour is Tom's car?"]
    assert unknown.evidence == () and unknown.dropped_evidence == ("D9:99",)
    assert second.questions[-1].answer == "2024"   # numeric answers become text


def test_locomo_errors_name_the_sample():
    with pytest.raises(FormatError, match="JSON list"):
        load_locomo({"conversations": []})
    sample = {"sample_id": "s9", "conversation": {"session_1": [
        {"speaker": "A", "dia_id": "D1:1", "text": "hi"}]}, "qa": []}
    with pytest.raises(FormatError, match="'s9'.*session_1_date_time"):
        load_locomo([sample])
    sample["conversation"]["session_1_date_time"] = "sometime"
    with pytest.raises(FormatError, match="'s9'.*not a date"):
        load_locomo([sample])


def _generic(**extra) -> dict:
    doc = {
        "format": GENERIC_FORMAT, "name": "mini", "pooled_categories": ["fact"],
        "categories": {"fact": "user facts"},
        "conversations": [{
            "id": "c1",
            "sessions": [
                {"id": "day1", "date": "2023-04-27", "turns": [
                    {"id": "a", "messages": [{"speaker": "Ann", "text": "I ran 5 km today."},
                                             {"speaker": "AI", "text": "Well done!"}]},
                    {"id": "b", "speaker": "Ann", "text": "Pasta for dinner.", "caption": "a plate"},
                ]},
                {"date": "2023-04-28T18:00", "turns": [
                    {"id": "c", "speaker": "Ann", "text": "Rainy day.", "date": "2023-04-28T19:30"},
                ]},
            ],
            "questions": [
                {"question": "How far did I run?", "evidence": ["a"], "category": "fact",
                 "answer": "5 km"},
                {"question": "What is my cat called?", "evidence": [], "category": "none"},
            ],
        }],
        **extra,
    }
    return doc


def test_generic_format():
    dataset = load_generic(_generic())
    conv = dataset.conversations[0]
    assert [t.id for t in conv.turns] == ["a", "b", "c"]
    assert conv.turns[0].text == "Ann: I ran 5 km today.\nAI: Well done!"
    assert conv.turns[1].text == "Ann: Pasta for dinner. [image: a plate]"
    assert conv.turns[0].at == datetime(2023, 4, 27)
    assert conv.turns[2].at == datetime(2023, 4, 28, 19, 30)   # a turn may carry its own time
    assert conv.now == datetime(2023, 4, 28, 19, 30)
    assert conv.questions[0].evidence == ("a",) and conv.questions[0].id == "c1/q0"
    assert conv.questions[1].evidence == ()
    assert dataset.pooled("fact") and not dataset.pooled("none")
    assert dataset.category_names == {"fact": "user facts"}


def test_generic_explicit_now_and_default_pooling():
    doc = _generic()
    doc.pop("pooled_categories")
    doc["conversations"][0]["now"] = "2023-05-07T12:00"
    dataset = load_generic(doc)
    assert dataset.conversations[0].now == datetime(2023, 5, 7, 12)
    assert dataset.pooled("anything")


def test_generic_errors():
    with pytest.raises(FormatError, match="conversations"):
        load_generic([])
    with pytest.raises(FormatError, match="unsupported format"):
        load_generic(_generic(format="other/2"))
    doc = _generic()
    doc["conversations"][0]["sessions"][1]["turns"][0]["id"] = "a"
    with pytest.raises(FormatError, match="'a' appears twice"):
        load_generic(doc)
    doc = _generic()
    del doc["conversations"][0]["sessions"][0]["date"]
    with pytest.raises(FormatError, match="session 0: missing 'date'"):
        load_generic(doc)


def test_load_dataset_detects_the_format_and_rejects_junk(tmp_path):
    assert detect_format([]) == "locomo"
    assert detect_format({"conversations": []}) == "generic"
    path = tmp_path / "g.json"
    path.write_text(json.dumps(_generic()), encoding="utf-8")
    assert load_dataset(path).format == "generic"
    assert load_dataset(FIXTURE).format == "locomo"
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(FormatError, match="not valid JSON"):
        load_dataset(bad)
    with pytest.raises(ValueError, match="unknown format"):
        load_dataset(path, "csv")
    with pytest.raises(FormatError, match="cannot tell the format"):
        detect_format({"x": 1})
