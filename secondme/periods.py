"""Calendar periods, as pure functions: the one home of period keys, labels and arithmetic.

A period is half-open [start, end) in the person's local time. Summaries and the
timeline both key their periods here, so the timeline's join to summaries can never
drift from how a summary was keyed. A period is *closed* once `now >= end`: only
closed periods are summarised, so a summary never has to be rewritten just because
the day is still going on. Weeks are ISO weeks (Monday to Sunday), which is why weeks
and months don't nest: months are built from days, not from weeks.

Every factory takes the level first, like `Period` itself: `period_of("week", day)`.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from .clock import to_iso
from .errors import InvalidInput

SUMMARY_LEVELS = ("session", "day", "week", "month", "life")
CALENDAR_LEVELS = ("day", "week", "month", "year")


@dataclass(frozen=True)
class Period:
    level: str
    key: str
    start: datetime       # inclusive
    end: datetime         # exclusive

    @property
    def start_iso(self) -> str:
        return to_iso(self.start)

    @property
    def end_iso(self) -> str:
        return to_iso(self.end)

    def closed(self, now: datetime) -> bool:
        return now >= self.end

    def contains(self, moment: datetime) -> bool:
        return self.start <= moment < self.end

    @property
    def label(self) -> str:
        """How a person would name it ("Thursday 27 April 2023", "April 2023")."""
        return label_for(self.level, self.key, self.start, self.end)

    @property
    def short_label(self) -> str:
        """The compact name a list shows ("Thu 27 Apr 2023", "Week 17, 24 – 30 Apr 2023")."""
        s = self.start
        if self.level == "day":
            return f"{calendar.day_abbr[s.weekday()]} {s.day} {calendar.month_abbr[s.month]} {s.year}"
        if self.level == "week":
            last = self.end - timedelta(days=1)
            return (f"Week {s.isocalendar()[1]}, {s.day} {calendar.month_abbr[s.month]} – "
                    f"{last.day} {calendar.month_abbr[last.month]} {last.year}")
        if self.level == "year":
            return str(s.year)
        if self.level == "month":
            return f"{calendar.month_name[s.month]} {s.year}"
        return self.label

    def parent(self) -> Period | None:
        """Day → its week; week → the month holding its Thursday; month → its year."""
        if self.level == "day":
            return period_of("week", self.start)
        if self.level == "week":
            return period_of("month", self.start + timedelta(days=3))
        if self.level == "month":
            return period_of("year", self.start)
        return None

    def children(self) -> list[Period]:
        """Year → its months; month → its ISO weeks (any that touch it); week → its days."""
        finer = {"year": "month", "month": "week", "week": "day"}.get(self.level)
        if finer is None:
            return []
        return periods_between(finer, self.start, self.end - timedelta(seconds=1))

    def shifted(self, steps: int) -> Period:
        """The previous (-1) or next (+1) period of the same calendar level."""
        if self.level == "day":
            return period_of("day", self.start + timedelta(days=steps))
        if self.level == "week":
            return period_of("week", self.start + timedelta(weeks=steps))
        if self.level == "year":
            return period_of("year", datetime(self.start.year + steps, 1, 1))
        if self.level == "month":
            year, month = add_months(self.start.year, self.start.month, steps)
            return period_of("month", datetime(year, month, 1))
        raise ValueError(f"a {self.level} period has no neighbours")


# -- month arithmetic -----------------------------------------------------------------
def add_months(year: int, month: int, delta: int) -> tuple[int, int]:
    """(year, month) `delta` months later (earlier when negative)."""
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


def month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    """[first midnight of the month, first midnight of the next)."""
    following = add_months(year, month, 1)
    return datetime(year, month, 1), datetime(following[0], following[1], 1)


# -- factories -------------------------------------------------------------------------
def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day)


def day_period(day: date) -> Period:
    return Period("day", day.isoformat(), _midnight(day), _midnight(day + timedelta(days=1)))


def week_period(day: date) -> Period:
    year, week, _ = day.isocalendar()
    monday = day - timedelta(days=day.weekday())
    return Period("week", f"{year}-W{week:02d}", _midnight(monday),
                  _midnight(monday + timedelta(days=7)))


def month_period(day: date) -> Period:
    start, end = month_bounds(day.year, day.month)
    return Period("month", start.strftime("%Y-%m"), start, end)


def year_period(day: date) -> Period:
    return Period("year", f"{day.year:04d}", datetime(day.year, 1, 1), datetime(day.year + 1, 1, 1))


_FACTORIES = {"day": day_period, "week": week_period, "month": month_period, "year": year_period}


def period_of(level: str, moment: datetime | date) -> Period:
    """The calendar period of `level` holding `moment`."""
    make = _FACTORIES.get(level)
    if make is None:
        raise InvalidInput(f"unknown calendar level {level!r}; use day, week, month or year")
    return make(moment.date() if isinstance(moment, datetime) else moment)


def periods_between(level: str, first: datetime, last: datetime) -> list[Period]:
    """Every period from the one holding `first` to the one holding `last`, in order."""
    out: list[Period] = []
    current = period_of(level, first)
    while current.start <= last:
        out.append(current)
        current = current.shifted(1)
    return out


def parse_period(key: str) -> Period:
    """'2024-05-01', '2024-W18', '2024-05' or '2024' back to a period."""
    text = key.strip()
    try:
        if "-W" in text:
            year, week = text.split("-W")
            return period_of("week", date.fromisocalendar(int(year), int(week), 1))
        if len(text) == 4 and text.isdigit():
            return period_of("year", datetime(int(text), 1, 1))
        if len(text) == 7:
            return period_of("month", datetime.strptime(text, "%Y-%m"))
        return period_of("day", datetime.strptime(text, "%Y-%m-%d"))
    except ValueError:
        raise InvalidInput(f"not a period: {key!r} (try 2024, 2024-05, 2024-W18 or 2024-05-01)"
                           ) from None


def label_for(level: str, key: str, start: datetime, end: datetime) -> str:
    """How a person would name the period ("Thursday 27 April 2023", "April 2023")."""
    if level == "day":
        return f"{start:%A} {start.day} {start:%B %Y}"
    if level == "week":
        last = end - timedelta(days=1)
        span = (f"{start.day}–{last.day} {last:%B %Y}" if start.month == last.month
                else f"{start.day} {start:%B} – {last.day} {last:%B %Y}")
        return f"Week {key.split('-W')[-1].lstrip('0')} of {key[:4]} ({span})"
    if level == "month":
        return f"{start:%B %Y}"
    if level == "year":
        return str(start.year)
    if level == "session":
        return f"Conversation on {start:%A} {start.day} {start:%B %Y}"
    return "Life so far"
