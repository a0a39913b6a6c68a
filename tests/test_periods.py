"""The one home of calendar periods: keys, labels, arithmetic, shared by summaries and timeline."""

from datetime import date, datetime

import pytest

from secondme.periods import (
    add_months,
    day_period,
    month_bounds,
    month_period,
    period_of,
    week_period,
)


@pytest.mark.parametrize("level,make", [("day", day_period), ("week", week_period),
                                        ("month", month_period)])
def test_summary_and_timeline_periods_are_the_same_period(level, make):
    # The timeline finds a period's summary by key: both must key a period the same way.
    for day in (date(2020, 12, 31), date(2021, 1, 3), date(2024, 2, 29)):
        assert period_of(level, day) == make(day)
        assert period_of(level, datetime.combine(day, datetime.min.time())) == make(day)


def test_level_comes_first_everywhere():
    with pytest.raises(ValueError, match="unknown calendar level"):
        period_of(datetime(2024, 1, 1), "day")  # type: ignore[arg-type]


def test_month_arithmetic_crosses_years():
    assert add_months(2024, 11, 3) == (2025, 2) and add_months(2024, 1, -1) == (2023, 12)
    assert month_bounds(2024, 12) == (datetime(2024, 12, 1), datetime(2025, 1, 1))


def test_labels_long_and_short():
    day = period_of("day", date(2023, 4, 27))
    assert (day.label, day.short_label) == ("Thursday 27 April 2023", "Thu 27 Apr 2023")
    assert period_of("year", date(2023, 4, 27)).label == "2023"
