"""Calendar periods for hierarchical summaries, as pure functions.

A period is half-open [start, end) in the person's local time. It is *closed*
once `now >= end`: only closed periods are summarised, so a summary never has to
be rewritten just because the day is still going on. Weeks are ISO weeks
(Monday to Sunday), which is why weeks and months don't nest: months are built
from days, not from weeks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from .clock import to_iso

LEVELS = ("session", "day", "week", "month", "life")


@dataclass(frozen=True)
class Period:
    level: str
    key: str
    start: datetime
    end: datetime

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
        return label_for(self.level, self.key, self.start, self.end)


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
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return Period("month", first.strftime("%Y-%m"), _midnight(first), _midnight(following))


def period_of(level: str, day: date) -> Period:
    if level == "day":
        return day_period(day)
    if level == "week":
        return week_period(day)
    if level == "month":
        return month_period(day)
    raise ValueError(f"no calendar period for level {level!r}")


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
    if level == "session":
        return f"Conversation on {start:%A} {start.day} {start:%B %Y}"
    return "Life so far"
