"""Timeline periods and per-period statistics."""

from __future__ import annotations

from datetime import datetime

import pytest

from secondme.periods import parse_period, period_of, periods_between
from secondme.views.timeline import timeline
from secondme.views.timeline_data import memories_in

from .bankdata import populate


def test_periods_are_calendar_periods_with_iso_weeks():
    day = period_of("day", datetime(2024, 5, 1, 15, 0))
    assert (day.key, day.start, day.end) == ("2024-05-01", datetime(2024, 5, 1),
                                             datetime(2024, 5, 2))
    week = period_of("week", datetime(2024, 5, 1))
    assert (week.key, week.start, week.short_label) == ("2024-W18", datetime(2024, 4, 29),
                                                  "Week 18, 29 Apr – 5 May 2024")
    month = period_of("month", datetime(2024, 12, 31))
    assert (month.key, month.end) == ("2024-12", datetime(2025, 1, 1))
    assert month.shifted(1).key == "2025-01" and month.shifted(-12).key == "2023-12"
    assert [p.key for p in period_of("month", datetime(2024, 5, 1)).children()] == \
        ["2024-W18", "2024-W19", "2024-W20", "2024-W21", "2024-W22"]
    assert len(week.children()) == 7 and week.children()[0].key == "2024-04-29"
    assert week.parent().key == "2024-05" and day.parent().key == "2024-W18"
    assert [p.key for p in periods_between("month", datetime(2024, 1, 30),
                                           datetime(2024, 3, 1))] == ["2024-01", "2024-02", "2024-03"]


@pytest.mark.parametrize("key", ["2024-05", "2024-W18", "2024-05-01", "2020-W53"])
def test_parse_period_round_trips(key):
    assert parse_period(key).key == key


def test_parse_period_rejects_nonsense():
    with pytest.raises(ValueError, match="not a period"):
        parse_period("May")
    with pytest.raises(ValueError, match="unknown calendar level"):
        period_of("decade", datetime(2024, 1, 1))


def test_month_stats_summary_counts_retention_and_archive(services, tmp_path):
    made = populate(services, tmp_path)
    months = {p.period.key: p for p in timeline(services, level="month")}
    assert list(months) == ["2024-01", "2024-02", "2024-03", "2024-04", "2024-05", "2024-06"]
    march = months["2024-03"]
    assert march.summary["text"].startswith("March: Porto trip")
    assert march.by_kind == {"note": march.by_kind["note"], "turn": 2, "remember": 1}
    assert march.by_source["import:chatgpt"] == 2 and march.by_source["user"] == 1
    assert march.pinned == 1
    january = months["2024-01"]
    assert january.archived == 1 and january.summary is None
    expected = sum(services.memory.retention_of(m) for m in memories_in(
        services, january.period)) / january.total
    assert january.mean_retention == pytest.approx(expected)
    assert 0 <= january.mean_retention <= 1
    public = march.to_public()
    assert public["key"] == "2024-03" and public["active"] == march.total - march.archived
    assert made["told"] in [m.id for m in memories_in(services, march.period)]


def test_range_level_and_empty_periods(services, tmp_path):
    populate(services, tmp_path)
    days = timeline(services, level="day", start=datetime(2024, 5, 18), end=datetime(2024, 5, 20))
    assert [d.period.key for d in days] == ["2024-05-19"]
    assert days[0].summary["text"] == "Race day."
    with_empty = timeline(services, level="day", start=datetime(2024, 5, 18),
                          end=datetime(2024, 5, 20), include_empty=True)
    assert [d.period.key for d in with_empty] == ["2024-05-18", "2024-05-19", "2024-05-20"]
    assert with_empty[0].mean_retention is None
    with pytest.raises(ValueError, match="before"):
        timeline(services, start=datetime(2024, 5, 2), end=datetime(2024, 5, 1))


def test_empty_bank_has_an_empty_timeline(services):
    assert timeline(services) == []


def test_summaries_are_not_counted_as_memories(services):
    services.memory.remember("A summary row.", kind="summary", source="summarize",
                             trust="derived", at=datetime(2024, 2, 1))
    services.memory.remember("A real memory.", at=datetime(2024, 2, 2))
    (feb,) = timeline(services, level="month")
    assert feb.total == 1 and feb.by_kind == {"remember": 1}


def test_years_hold_months_and_step_by_year():
    year = period_of("year", datetime(2024, 5, 1))
    assert (year.key, year.short_label, year.start, year.end) == ("2024", "2024", datetime(2024, 1, 1),
                                                            datetime(2025, 1, 1))
    assert [p.key for p in year.children()] == [f"2024-{m:02d}" for m in range(1, 13)]
    assert period_of("month", datetime(2024, 5, 1)).parent() == year and year.parent() is None
    assert year.shifted(-1).key == "2023" and parse_period("2024") == year


@pytest.mark.parametrize("level", ["day", "week", "month", "year"])
def test_grouped_stats_match_the_memories_of_each_period(services, tmp_path, level):
    # One grouped query per window must give what loading each period's memories gives.
    from secondme.views.timeline import children_stats, period_stats

    populate(services, tmp_path)
    counted = period_stats(services, level, datetime(2023, 12, 1), datetime(2024, 7, 1))
    assert counted
    for key, stats in counted.items():
        memories = memories_in(services, stats.period)
        assert stats.total == len(memories) and stats.period.key == key
        assert stats.archived == sum(m.state == "archived" for m in memories)
        assert sum(stats.by_kind.values()) == stats.total
        assert stats.mean_retention == pytest.approx(
            sum(services.memory.retention_of(m) for m in memories) / len(memories))
    may = period_of("month", datetime(2024, 5, 1))
    weeks = children_stats(services, may.children())
    assert [p.key for p, _ in weeks] == [p.key for p in may.children()]
    assert sum(s.total for _, s in weeks) >= sum(
        s.total for k, s in period_stats(services, "month", may.start, may.end).items())


def test_week_buckets_cross_the_new_year_as_iso_weeks(services):
    services.memory.remember("Sunday after new year.", at=datetime(2021, 1, 3, 12))
    services.memory.remember("Thursday before it.", at=datetime(2020, 12, 31, 9))
    (week,) = timeline(services, level="week")
    assert week.period.key == "2020-W53" and week.total == 2
