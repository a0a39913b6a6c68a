"""The faithfulness check: a derived text asserts only what its sources support."""

from __future__ import annotations

from secondme.faithfulness import check, claims, unsupported, unsupported_rate

SOURCE = ("I'm Sam. My younger sister Ana moved to Porto. My cat Miso is orange. "
          "I ran 5.2 km on 2024-05-01 at a pace of 5:31.")


def test_a_supported_summary_passes():
    text = "Sam's younger sister Ana moved to Porto; Sam ran 5.2 km at a pace of 5:31."
    assert unsupported(text, SOURCE) == []
    assert check(text, SOURCE) is None


def test_a_toothache_not_in_the_sources_is_rejected():
    reason = check("User had a bad toothache.", "I went for a run and ate pasta.",
                   allowed=["User"])
    assert reason is not None and "toothache" in reason


def test_younger_sister_in_the_source_is_not_an_older_sister():
    reason = check("Sam visited his older sister Ana.", "I visited my younger sister Ana.",
                   allowed=["Sam"])
    assert reason is not None and "older sister" in reason
    assert check("Sam visited his younger sister Ana.", "I visited my younger sister Ana.",
                 allowed=["Sam"]) is None


def test_invented_names_numbers_dates_and_relations_are_each_caught():
    kinds = {c.kind for c in unsupported(
        "Sam met Tom on Friday with his brother and ran 12 km, three times.", SOURCE)}
    assert kinds == {"name", "date", "relation", "number"}


def test_a_name_at_the_start_of_a_sentence_is_still_a_name():
    assert [str(c) for c in unsupported("Tom ran 5.2 km.", SOURCE)] == ["name Tom"]
    assert unsupported("Then Sam ran 5.2 km.", SOURCE) == []


def test_allowed_text_covers_the_period_label_and_the_persons_name():
    text = "On Wednesday 1 May 2024 Sam ran 5.2 km."
    assert {c.kind for c in unsupported(text, SOURCE)} == {"date", "number"}
    assert unsupported(text, SOURCE, allowed=["Wednesday 1 May 2024"]) == []


def test_a_number_must_match_as_a_whole_token():
    assert [str(c) for c in unsupported("Sam ran 2 km.", "I ran 12 km.", allowed=["Sam"])] == ["number 2"]


def test_unsupported_rate_counts_only_names_numbers_and_dates():
    bad, total = unsupported_rate("Sam and Tom ran 5.2 km on Friday.", SOURCE)
    assert (bad, total) == (2, 4)
    assert {c.kind for c in claims("my older sister")} == {"relation"}
