"""Finding the time a question is about ("yesterday", "in May 2023", "on April 27th").

Pure functions: the retriever passes `now` in, so every result is reproducible
under `--now`. A window is half-open [start, end) in naive local time, like the
stored event times. A month or day named without a year means its most recent
occurrence that has begun by now ("in April" asked in May means this April,
asked in March means last April); such windows are flagged `any_year` so the
same date in other years can still earn a partial match.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from ..periods import add_months, month_bounds

MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4,
    "apr": 4, "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
    "september": 9, "sep": 9, "sept": 9, "october": 10, "oct": 10, "november": 11, "nov": 11,
    "december": 12, "dec": 12,
}
WEEKDAYS = {"monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4,
            "saturday": 5, "sunday": 6}
NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
                "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
                "a couple of": 2, "a few": 3, "couple of": 2, "few": 3, "several": 3}
DAY_PARTS = {"morning": (5, 12), "afternoon": (12, 18), "evening": (18, 24), "night": (18, 24),
             "tonight": (18, 24)}
SEASONS = {"spring": (3, 3), "summer": (6, 3), "autumn": (9, 3), "fall": (9, 3),
           "winter": (12, 3)}

# Words the month table would otherwise misread ("may I ask", "I march").
_AMBIGUOUS_MONTHS = {"may", "mar", "jun", "jan", "sep", "oct", "dec", "nov", "aug", "apr",
                     "feb", "jul", "sept"}


@dataclass(frozen=True)
class TimeWindow:
    start: datetime
    end: datetime            # exclusive
    label: str               # human text, e.g. "April 2023"
    span: tuple[int, int]    # where in the query it was found
    relative: bool           # "yesterday" (relative) vs "April 27th" (a name that may be in text)
    any_year: bool = False   # the year was not given

    @property
    def days(self) -> float:
        return (self.end - self.start) / timedelta(days=1)

    def contains(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


def _day(d: date) -> datetime:
    return datetime(d.year, d.month, d.day)


def _valid_day(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _number(text: str) -> int | None:
    text = " ".join(text.lower().split())
    if text.isdigit():
        return int(text)
    return NUMBER_WORDS.get(text)


_MONTH_NAMES = "|".join(sorted(MONTHS, key=len, reverse=True))
_WEEKDAY_NAMES = "|".join(WEEKDAYS)
_NUM = r"(\d{1,3}|an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|" \
       r"(?:a\s+)?couple\s+of|(?:a\s+)?few|several)"
_ORD = r"(\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"((?:19|20)\d{2})"

_PATTERNS: list[tuple[str, re.Pattern[str]]] = [(name, re.compile(rx, re.IGNORECASE)) for name, rx in [
    ("iso_day", r"\b" + _YEAR + r"-(\d{1,2})-(\d{1,2})\b"),
    ("iso_month", r"\b" + _YEAR + r"-(\d{1,2})\b(?!-)"),
    ("month_day_year", r"\b(?:on\s+)?(?:the\s+)?(" + _MONTH_NAMES + r")\.?\s+" + _ORD
     + r"(?:\s*,?\s*" + _YEAR + r")?\b"),
    ("day_month_year", r"\b(?:on\s+)?(?:the\s+)?" + _ORD + r"\s+(?:of\s+)?(" + _MONTH_NAMES
     + r")\b\.?(?:\s*,?\s*" + _YEAR + r")?"),
    ("ago", r"\b" + _NUM + r"\s+(day|week|month|year)s?\s+ago\b"),
    ("past_n", r"\b(?:in\s+the\s+|over\s+the\s+|during\s+the\s+)?(?:last|past|previous)\s+"
     + _NUM + r"\s+(day|week|month|year)s?\b"),
    ("day_before_yesterday", r"\b(?:the\s+)?day\s+before\s+yesterday\b"),
    ("yesterday", r"\byesterday(?:\s+(morning|afternoon|evening|night))?\b"),
    ("last_night", r"\blast\s+night\b"),
    ("today_part", r"\b(?:this|today'?s?)\s+(morning|afternoon|evening)\b|\b(tonight)\b"),
    ("today", r"\btoday\b"),
    ("last_unit", r"\b(?:last|previous|past)\s+(week|weekend|month|year)\b"),
    ("this_unit", r"\b(?:this|current)\s+(week|weekend|month|year)\b|\bearlier\s+this\s+"
     r"(week|month|year)\b"),
    ("weekday", r"\b(?:(last|this|on|past)\s+)?(" + _WEEKDAY_NAMES + r")\b"),
    ("season", r"\b(?:(last|this|in|during)\s+(?:the\s+)?)?(spring|summer|autumn|fall|winter)"
     r"(?:\s+(?:of\s+)?" + _YEAR + r")?\b"),
    ("month_year", r"\b(?:(in|during|last|this|since)\s+)?(" + _MONTH_NAMES + r")\.?(?:\s*,?\s*(?:of\s+)?"
     + _YEAR + r")?\b"),
    ("year", r"\b(?:in|during|of|from)\s+" + _YEAR + r"\b|\b" + r"(last|this)\s+year\b"),
]]


def find_time_window(query: str, now: datetime) -> TimeWindow | None:
    """The first (leftmost, most specific) time expression in the query, as a window."""
    found: list[TimeWindow] = []
    for name, pattern in _PATTERNS:
        for match in pattern.finditer(query):
            window = _build(name, match, now)
            if window is not None:
                found.append(window)
                break
    if not found:
        return None
    # Prefer the narrowest window among those that start earliest in the text (specific beats
    # vague when a question mentions both, e.g. "on April 27th last year" → the day).
    found.sort(key=lambda w: (w.days, w.span[0]))
    return found[0]


def _build(name: str, m: re.Match[str], now: datetime) -> TimeWindow | None:  # noqa: C901
    today = now.date()
    span = m.span()
    text = m.group(0).strip()
    if name == "iso_day":
        d = _valid_day(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if d is None:
            return None
        return TimeWindow(_day(d), _day(d) + timedelta(days=1), d.isoformat(), span, False)
    if name == "iso_month":
        year, month = int(m.group(1)), int(m.group(2))
        if not 1 <= month <= 12:
            return None
        start, end = month_bounds(year, month)
        return TimeWindow(start, end, f"{start:%B %Y}", span, False)
    if name in ("month_day_year", "day_month_year"):
        if name == "month_day_year":
            month_name, day_text, year_text = m.group(1), m.group(2), m.group(3)
        else:
            day_text, month_name, year_text = m.group(1), m.group(2), m.group(3)
        month = MONTHS[month_name.lower()]
        if month_name.lower() in _AMBIGUOUS_MONTHS and month_name.islower() and not year_text \
                and not re.match(r"(?i)on\b", text) and not re.search(r"\d(st|nd|rd|th)", text):
            return None  # "may 3 people come" is not a date
        day = int(day_text)
        if year_text:
            d = _valid_day(int(year_text), month, day)
            any_year = False
        else:
            d = _valid_day(today.year, month, day)
            if d is not None and d > today:
                d = _valid_day(today.year - 1, month, day)
            any_year = True
        if d is None:
            return None
        return TimeWindow(_day(d), _day(d) + timedelta(days=1),
                          f"{d:%B} {d.day}" + ("" if any_year else f", {d.year}"), span, False,
                          any_year)
    if name == "ago":
        n, unit = _number(m.group(1)), m.group(2).lower()
        if n is None:
            return None
        return _ago(n, unit, now, span, text)
    if name == "past_n":
        n, unit = _number(m.group(1)), m.group(2).lower()
        if n is None:
            return None
        start = _shift(_day(today), unit, -n)
        return TimeWindow(start, _day(today) + timedelta(days=1), text, span, True)
    if name == "day_before_yesterday":
        d = today - timedelta(days=2)
        return TimeWindow(_day(d), _day(d) + timedelta(days=1), "the day before yesterday", span,
                          True)
    if name == "yesterday":
        d = today - timedelta(days=1)
        part = (m.group(1) or "").lower()
        return _part_of_day(d, part, "yesterday" + (f" {part}" if part else ""), span)
    if name == "last_night":
        d = today - timedelta(days=1)
        return TimeWindow(_day(d) + timedelta(hours=18), _day(today) + timedelta(hours=5),
                          "last night", span, True)
    if name == "today_part":
        part = (m.group(1) or m.group(2) or "").lower()
        return _part_of_day(today, part, f"this {part}" if part != "tonight" else "tonight", span)
    if name == "today":
        return TimeWindow(_day(today), _day(today) + timedelta(days=1), "today", span, True)
    if name == "last_unit":
        return _unit_window(m.group(1).lower(), today, -1, span, text)
    if name == "this_unit":
        return _unit_window((m.group(1) or m.group(2)).lower(), today, 0, span, text)
    if name == "weekday":
        qualifier = (m.group(1) or "").lower()
        if not qualifier and m.group(2).islower():
            return None  # a bare lowercase weekday is too weak a signal
        target = WEEKDAYS[m.group(2).lower()]
        back = (today.weekday() - target) % 7
        if qualifier == "last" and back == 0:
            back = 7
        d = today - timedelta(days=back)
        return TimeWindow(_day(d), _day(d) + timedelta(days=1), f"{d:%A %B} {d.day}", span, True)
    if name == "season":
        qualifier, season, year_text = (m.group(1) or "").lower(), m.group(2).lower(), m.group(3)
        if not qualifier and not year_text:
            return None  # "summer dress" is not a time reference
        first_month, length = SEASONS[season]
        if year_text:
            start = datetime(int(year_text), first_month, 1)
        else:
            # The latest start of this season that has begun; "last" also wants it to be over.
            start = max(s for s in (datetime(today.year - back, first_month, 1)
                                    for back in (0, 1, 2)) if s <= now)
            end_y, end_m = add_months(start.year, first_month, length)
            if qualifier == "last" and datetime(end_y, end_m, 1) > now:
                start = start.replace(year=start.year - 1)
        end_y, end_m = add_months(start.year, first_month, length)
        return TimeWindow(start, datetime(end_y, end_m, 1), f"{season} {start.year}", span,
                          not year_text, not year_text and qualifier not in ("last", "this"))
    if name == "month_year":
        qualifier, month_name, year_text = (m.group(1) or "").lower(), m.group(2), m.group(3)
        lower = month_name.lower()
        if not qualifier and not year_text and (lower in _AMBIGUOUS_MONTHS or month_name.islower()):
            return None  # bare "may"/"march"/"june" are too often words
        month = MONTHS[lower]
        if year_text:
            year, any_year = int(year_text), False
        else:
            year, any_year = today.year, True
            if month > today.month or (qualifier == "last" and month == today.month):
                year -= 1
        any_year = any_year and qualifier not in ("last", "this", "since")
        start, end = month_bounds(year, month)
        if qualifier == "since":
            end = max(end, _day(today) + timedelta(days=1))
        return TimeWindow(start, end, f"{'since ' if qualifier == 'since' else ''}{start:%B}"
                          + ("" if any_year else f" {year}"), span, False, any_year)
    if name == "year":
        if m.group(1):
            year = int(m.group(1))
            return TimeWindow(datetime(year, 1, 1), datetime(year + 1, 1, 1), str(year), span,
                              False)
        year = today.year - (m.group(2).lower() == "last")
        return TimeWindow(datetime(year, 1, 1), datetime(year + 1, 1, 1), text, span, True)
    return None


def _part_of_day(d: date, part: str, label: str, span: tuple[int, int]) -> TimeWindow:
    if part in DAY_PARTS:
        lo, hi = DAY_PARTS[part]
        return TimeWindow(_day(d) + timedelta(hours=lo), _day(d) + timedelta(hours=hi), label,
                          span, True)
    return TimeWindow(_day(d), _day(d) + timedelta(days=1), label, span, True)


def _shift(moment: datetime, unit: str, n: int) -> datetime:
    if unit == "day":
        return moment + timedelta(days=n)
    if unit == "week":
        return moment + timedelta(weeks=n)
    if unit == "month":
        year, month = add_months(moment.year, moment.month, n)
        day = min(moment.day, 28)
        return moment.replace(year=year, month=month, day=day)
    return moment.replace(year=moment.year + n, day=min(moment.day, 28))


def _ago(n: int, unit: str, now: datetime, span: tuple[int, int], text: str) -> TimeWindow:
    """'3 days ago' is that day; '2 weeks ago' is that week (±3 days); months/years similar."""
    center = _shift(_day(now.date()), unit, -n)
    half = {"day": timedelta(0), "week": timedelta(days=3), "month": timedelta(days=15),
            "year": timedelta(days=182)}[unit]
    return TimeWindow(center - half, center + half + timedelta(days=1), text, span, True)


def _unit_window(unit: str, today: date, offset: int, span: tuple[int, int],
                 text: str) -> TimeWindow:
    if unit == "week":
        monday = today - timedelta(days=today.weekday()) + timedelta(weeks=offset)
        return TimeWindow(_day(monday), _day(monday) + timedelta(weeks=1), text, span, True)
    if unit == "weekend":
        saturday = today - timedelta(days=(today.weekday() - 5) % 7)
        if offset < 0 and today.weekday() >= 5:
            saturday -= timedelta(weeks=1)
        return TimeWindow(_day(saturday), _day(saturday) + timedelta(days=2), text, span, True)
    if unit == "month":
        year, month = add_months(today.year, today.month, offset)
        start, end = month_bounds(year, month)
        return TimeWindow(start, end, text, span, True)
    year = today.year + offset
    return TimeWindow(datetime(year, 1, 1), datetime(year + 1, 1, 1), text, span, True)


def strip_window(query: str, window: TimeWindow | None) -> str:
    """The query without its time expression (for keyword search of relative windows)."""
    if window is None:
        return query
    start, end = window.span
    stripped = (query[:start] + " " + query[end:]).strip()
    return stripped or query


def time_match(event_at: datetime, window: TimeWindow | None) -> float:
    """1 inside the window, fading outside it over about the window's own length (≥ 1 day).

    A window named without a year also half-matches the same dates in other years, so
    "on April 27th" still finds a run logged on 2023-04-27 when asked in 2026.
    """
    if window is None:
        return 0.0
    score = _closeness(event_at, window.start, window.end, window.days)
    if window.any_year and score < 0.5:
        shifted = _same_dates_in_year(window, event_at.year)
        if shifted is not None:
            score = max(score, 0.5 * _closeness(event_at, *shifted, window.days))
    return score


def _closeness(moment: datetime, start: datetime, end: datetime, days: float) -> float:
    if start <= moment < end:
        return 1.0
    gap = (start - moment) if moment < start else (moment - end)
    gap_days = gap / timedelta(days=1)
    return math.exp(-gap_days / max(1.0, days / 2))


def _same_dates_in_year(window: TimeWindow, year: int) -> tuple[datetime, datetime] | None:
    try:
        start = window.start.replace(year=year)
        end = start + (window.end - window.start)
    except ValueError:  # 29 February
        return None
    return start, end
