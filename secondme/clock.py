"""Time for everything time-dependent, with one override (`--now` / SECONDME_NOW).

Times are stored as naive local ISO strings (seconds precision): a personal
memory is about the person's own calendar day, so "on April 27th" must mean
their April 27th, not UTC's.
"""

from __future__ import annotations

import os
import re
from datetime import date, datetime, timedelta

from .errors import InvalidInput

_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_when(text: str) -> datetime:
    """Parses an ISO date or datetime typed by a person; aware times become local naive."""
    value = text.strip()
    if not value:
        raise InvalidInput("empty date")
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    if _DATE_ONLY.match(value):
        return datetime.combine(date.fromisoformat(value), datetime.min.time())
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput(f"not an ISO date or datetime: {text!r} (try 2024-05-01 or "
                           "2024-05-01T14:30)") from exc
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone().replace(tzinfo=None)
    return parsed.replace(microsecond=0)


EARLIEST_EVENT = datetime(1000, 1, 1)
FUTURE_LIMIT_YEARS = 100


def latest_event(now: datetime) -> datetime:
    """The latest moment a memory may be placed at: now + 100 years (far from datetime.max,
    so period arithmetic on it can never overflow)."""
    return now.replace(year=now.year + FUTURE_LIMIT_YEARS, month=1, day=1, hour=0, minute=0,
                       second=0)


def check_event_time(moment: datetime, now: datetime) -> datetime:
    """Refuses absurd dates (`--at 9999-12-31`), which would break every calendar view."""
    if moment < EARLIEST_EVENT:
        raise InvalidInput(f"the date {to_iso(moment)[:10]} is before the year "
                         f"{EARLIEST_EVENT.year}; give the real date")
    if moment >= latest_event(now):
        raise InvalidInput(f"the date {to_iso(moment)[:10]} is more than "
                         f"{FUTURE_LIMIT_YEARS} years from now; give the real date")
    return moment


def to_iso(moment: datetime) -> str:
    if moment.tzinfo is not None:
        moment = moment.astimezone().replace(tzinfo=None)
    return moment.replace(microsecond=0).isoformat()


def from_iso(text: str) -> datetime:
    return parse_when(text)


def days_between(earlier: datetime, later: datetime) -> float:
    return (later - earlier) / timedelta(days=1)


class Clock:
    """Returns 'now', fixed when an override is given (tests, `--now`, SECONDME_NOW)."""

    def __init__(self, fixed: datetime | None = None) -> None:
        self._fixed = fixed

    @classmethod
    def from_env(cls, override: str | None = None) -> Clock:
        text = override or os.environ.get("SECONDME_NOW")
        return cls(parse_when(text) if text else None)

    @property
    def fixed(self) -> bool:
        return self._fixed is not None

    def now(self) -> datetime:
        return self._fixed if self._fixed is not None else datetime.now().replace(microsecond=0)

    def now_iso(self) -> str:
        return to_iso(self.now())
