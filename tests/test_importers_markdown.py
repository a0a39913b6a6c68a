"""The Markdown / Obsidian parser: dates, headings, chunks, links, tags, front matter."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from secondme.importers import ParseError, parse_markdown
from secondme.importers.base import MAX_CHUNK_TOKENS, estimate_tokens

MTIME = datetime(2024, 6, 30, 18, 45, 12)
VAULT = Path(__file__).resolve().parents[1] / "assets" / "sample-vault"


def parse(text: str, name: str = "note.md"):
    return parse_markdown(text, name=name, mtime=MTIME)


def test_event_time_prefers_front_matter_date_then_file_name_then_mtime():
    assert parse("---\ndate: 2024-03-14\n---\nhi", "2024-01-01.md").event_at == datetime(2024, 3, 14)
    assert parse("---\ncreated: 2024-02-26T21:40:00\n---\nhi").event_at == \
        datetime(2024, 2, 26, 21, 40)
    note = parse("hello", "2024-05-01.md")
    assert (note.event_at, note.date_source) == (datetime(2024, 5, 1), "file_name")
    assert parse("hello", "2024-05-01 Wednesday.md").event_at == datetime(2024, 5, 1)
    note = parse("hello", "Groceries.md")
    assert (note.event_at, note.date_source) == (MTIME, "mtime")


def test_front_matter_dates_in_human_formats_and_bad_dates_are_reported():
    assert parse("---\ndate: April 14, 2024\n---\nx").event_at == datetime(2024, 4, 14)
    note = parse("---\ndate: someday\n---\nx", "2024-05-02.md")
    assert note.event_at == datetime(2024, 5, 2)
    assert any("not a date" in w for w in note.warnings)


def test_sections_by_heading_keep_their_path_and_line():
    text = "---\ntags: [a]\n---\nintro\n\n# Trip\nday zero\n## Day 1\nrain\n### Lunch\nfish\n# Home\nback\n"
    note = parse(text, "porto.md")
    assert [(c.heading, c.line) for c in note.chunks] == [
        ("", 4), ("Trip", 6), ("Trip > Day 1", 8), ("Trip > Day 1 > Lunch", 10), ("Home", 12)]
    assert note.chunks[2].text == "porto — Trip > Day 1\nrain"
    assert [c.index for c in note.chunks] == list(range(5))


def test_heading_only_sections_make_no_empty_chunks():
    note = parse("# A\n## B\ntext under b\n# C\n")
    assert [c.heading for c in note.chunks] == ["A > B"]


def test_long_sections_are_packed_into_chunks_of_a_few_hundred_tokens():
    paragraphs = "\n\n".join(f"Paragraph {i} " + "word " * 80 for i in range(30))
    note = parse(f"# Long\n{paragraphs}")
    assert len(note.chunks) > 5
    assert all(estimate_tokens(c.text) <= MAX_CHUNK_TOKENS for c in note.chunks)
    assert all(c.heading == "Long" for c in note.chunks)
    joined = " ".join(c.text for c in note.chunks)
    assert "Paragraph 0" in joined and "Paragraph 29" in joined


def test_wikilinks_embeds_and_tags_become_metadata_and_read_naturally():
    text = ("Lunch with [[Mia|my sister]] at [[Ribeira#Food]]. ![[photo.png]] #porto #travel/2024\n"
            "```\n# not a heading #not-a-tag\n```\n`#inline-code` and C# and #123 and url/#frag")
    note = parse(f"---\ntags: [family, '#trips']\n---\n{text}")
    assert note.links == ["Mia", "Ribeira"]
    assert note.embeds == ["photo.png"]
    assert note.tags == ["family", "trips", "porto", "travel/2024"]
    assert "Lunch with my sister at Ribeira." in note.chunks[0].text
    assert "[[" not in note.chunks[0].text
    assert len(note.chunks) == 1  # the fenced '#' is not a heading


@pytest.mark.parametrize("tags", ["a, b", "a b", "[a, b]", "\n  - a\n  - b"])
def test_tags_in_every_front_matter_shape(tags):
    assert parse(f"---\ntags: {tags}\n---\nx").tags == ["a", "b"]


def test_date_headings_date_their_own_section():
    note = parse("---\ndate: 2024-03-14\n---\n## 2024-03-15\nrain\n## Later\nsun")
    assert note.chunks[0].event_at == datetime(2024, 3, 15)
    assert note.chunks[1].event_at is None


def test_malformed_front_matter_fails_with_the_line():
    with pytest.raises(ParseError, match=r"not valid YAML \(line 4\)"):
        parse("---\ntitle: x\nlist: [a, b\ndate: 2024-01-01\n---\nbody")


def test_non_mapping_front_matter_is_refused():
    with pytest.raises(ParseError, match="key: value"):
        parse("---\n- a\n- b\n---\nbody")


def test_unclosed_front_matter_is_just_text():
    note = parse("---\nnot front matter\n\nstill text")
    assert note.front_matter == {}
    assert "still text" in note.chunks[0].text


def test_alias_bombs_in_front_matter_stay_small():
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
        f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n" for i in range(8))
    note = parse(f"---\n{bomb}---\nbody")
    import json

    assert len(json.dumps(note.front_matter)) < 20_000


def test_title_and_aliases_from_front_matter_and_other_keys_kept():
    note = parse("---\ntitle: Porto, March\naliases: [Porto trip]\nrating: 5\n---\n# Day\nx")
    assert note.title == "Porto, March"
    assert note.aliases == ["Porto trip"]
    assert note.front_matter == {"rating": 5}
    assert note.chunks[0].text.startswith("Porto, March — Day\n")


def test_front_matter_only_note_has_no_chunks():
    assert parse("---\ntags: [x]\n---\n\n").chunks == []


def test_the_sample_vault_daily_note_parses():
    path = VAULT / "Daily" / "2024-05-19.md"
    note = parse_markdown(path.read_text(encoding="utf-8"), name=path.name, mtime=MTIME)
    assert note.event_at == datetime(2024, 5, 19)
    assert "milestone" in note.tags
    assert "1:58:41" in note.chunks[0].text
