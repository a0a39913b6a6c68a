"""Time expressions in questions become windows relative to 'now'."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from secondme.memory.timeparse import find_time_window, strip_window, time_match

NOW = datetime(2024, 5, 1, 12, 0)  # a Wednesday


def window(query: str, now: datetime = NOW):
    found = find_time_window(query, now)
    assert found is not None, query
    return found.start, found.end


def d(*parts: int) -> datetime:
    return datetime(*parts)


@pytest.mark.parametrize("query, start, end", [
    ("what did I do yesterday", d(2024, 4, 30), d(2024, 5, 1)),
    ("what happened today", d(2024, 5, 1), d(2024, 5, 2)),
    ("this morning", d(2024, 5, 1, 5), d(2024, 5, 1, 12)),
    ("yesterday evening", d(2024, 4, 30, 18), d(2024, 5, 1)),
    ("the day before yesterday", d(2024, 4, 29), d(2024, 4, 30)),
    ("last night", d(2024, 4, 30, 18), d(2024, 5, 1, 5)),
    ("last week", d(2024, 4, 22), d(2024, 4, 29)),
    ("this week", d(2024, 4, 29), d(2024, 5, 6)),
    ("last month", d(2024, 4, 1), d(2024, 5, 1)),
    ("last year", d(2023, 1, 1), d(2024, 1, 1)),
    ("3 days ago", d(2024, 4, 28), d(2024, 4, 29)),
    ("three days ago", d(2024, 4, 28), d(2024, 4, 29)),
    ("a couple of days ago", d(2024, 4, 29), d(2024, 4, 30)),
    ("two weeks ago", d(2024, 4, 14), d(2024, 4, 21)),
    ("in the past 3 days", d(2024, 4, 28), d(2024, 5, 2)),
    ("in May 2023", d(2023, 5, 1), d(2023, 6, 1)),
    ("how far did I run in April", d(2024, 4, 1), d(2024, 5, 1)),
    ("in June", d(2023, 6, 1), d(2023, 7, 1)),        # June has not come yet this year
    ("what did I do in may", d(2024, 5, 1), d(2024, 6, 1)),
    ("on April 27th", d(2024, 4, 27), d(2024, 4, 28)),
    ("On April 27th, how long did I run?", d(2024, 4, 27), d(2024, 4, 28)),
    ("27th of April 2023", d(2023, 4, 27), d(2023, 4, 28)),
    ("on the 3rd of March", d(2024, 3, 3), d(2024, 3, 4)),
    ("Dec 24, 2022", d(2022, 12, 24), d(2022, 12, 25)),
    ("on May 2nd", d(2023, 5, 2), d(2023, 5, 3)),
    ("2023-04-27", d(2023, 4, 27), d(2023, 4, 28)),
    ("what about 2023-04", d(2023, 4, 1), d(2023, 5, 1)),
    ("in 2022", d(2022, 1, 1), d(2023, 1, 1)),
    ("last Monday", d(2024, 4, 29), d(2024, 4, 30)),
    ("on Friday", d(2024, 4, 26), d(2024, 4, 27)),
    ("last Wednesday", d(2024, 4, 24), d(2024, 4, 25)),
    ("last summer", d(2023, 6, 1), d(2023, 9, 1)),
    ("in the summer of 2022", d(2022, 6, 1), d(2022, 9, 1)),
    ("last winter", d(2023, 12, 1), d(2024, 3, 1)),
])
def test_windows(query, start, end):
    assert window(query) == (start, end)


@pytest.mark.parametrize("query", [
    "may I ask you something", "I ate a summer salad", "tell me about my sister",
    "march forward", "the 4471 code", "", "🙂", 'NEAR( "x* -',
])
def test_no_time_in_ordinary_text(query):
    assert find_time_window(query, NOW) is None


def test_day_without_year_is_the_latest_past_one():
    assert window("on May 2nd") == (d(2023, 5, 2), d(2023, 5, 3))  # 2024-05-02 is tomorrow
    assert window("on April 30th") == (d(2024, 4, 30), d(2024, 5, 1))


def test_specific_beats_vague():
    assert window("last week, on Monday") == (d(2024, 4, 29), d(2024, 4, 30))
    assert window("on April 27th last year")[1] - window("on April 27th last year")[0] \
        == d(2024, 1, 2) - d(2024, 1, 1)


def test_relative_flag_and_stripping():
    rel = find_time_window("what did I cook yesterday", NOW)
    assert rel.relative and strip_window("what did I cook yesterday", rel).strip() == \
        "what did I cook"
    named = find_time_window("run in April", NOW)
    assert not named.relative and named.any_year
    assert strip_window("yesterday", find_time_window("yesterday", NOW)) == "yesterday"


def test_time_match_inside_near_and_other_year():
    w = find_time_window("on April 27th", NOW)
    assert time_match(d(2024, 4, 27, 8), w) == 1.0
    near = time_match(d(2024, 4, 28, 8), w)
    far = time_match(d(2024, 3, 1), w)
    assert 0 < far < near < 1
    # named without a year: the same day in another year still half-matches
    assert time_match(d(2022, 4, 27, 9), w) == pytest.approx(0.5)
    assert time_match(d(2022, 4, 27), find_time_window("2024-04-27", NOW)) < 0.01
    assert time_match(d(2024, 4, 27), None) == 0.0


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80), st.datetimes(min_value=datetime(1990, 1, 1),
                                          max_value=datetime(2090, 1, 1)))
def test_any_text_is_safe_and_windows_are_sane(text, now):
    found = find_time_window(text, now)
    if found is not None:
        assert found.start < found.end
        assert 0 <= found.span[0] <= found.span[1] <= len(text)
        assert 0.0 <= time_match(now, found) <= 1.0
