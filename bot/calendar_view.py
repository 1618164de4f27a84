"""The calendar's grid as plain dates: month views (weeks from Monday) and ISO-week views, their
neighbours, their local-time bounds, and entries placed on the local day they happen. No HTTP, no database."""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

# Years a calendar link may name: wide enough for any plan, narrow enough that a neighbour's
# bounds never leave datetime's range (a request for year 9999 is refused, not a 500).
MIN_YEAR, MAX_YEAR = 2000, 2999
MONTH_RE = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$", re.ASCII)
WEEK_RE = re.compile(r"^\s*(\d{4})-?[Ww](\d{1,2})\s*$", re.ASCII)
MONTH, WEEK = "month", "week"


def parse_month(text: str | None) -> date | None:
    """'2026-12' -> date(2026, 12, 1); None when it is not a month Loa shows."""
    match = MONTH_RE.match(text or "")
    if not match:
        return None
    year, month = int(match[1]), int(match[2])
    if not (MIN_YEAR <= year <= MAX_YEAR and 1 <= month <= 12):
        return None
    return date(year, month, 1)


def parse_week(text: str | None) -> date | None:
    """'2026-W01' (ISO 8601 week) -> its Monday; None when the year has no such week."""
    match = WEEK_RE.match(text or "")
    if not match:
        return None
    year, week = int(match[1]), int(match[2])
    if not MIN_YEAR <= year <= MAX_YEAR:
        return None
    try:
        return date.fromisocalendar(year, week, 1)
    except ValueError:  # week 0, or week 53 of a year with 52
        return None


def month_key(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def week_key(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year:04d}-W{week:02d}"


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def month_weeks(year: int, month: int) -> list[list[date]]:
    """The weeks (Monday to Sunday) that show a month, with the neighbouring months' days that fill them."""
    return calendar.Calendar(firstweekday=calendar.MONDAY).monthdatescalendar(year, month)


def _in_range(day: date) -> bool:
    return MIN_YEAR <= day.year <= MAX_YEAR


@dataclass(frozen=True)
class Period:
    """What one calendar page shows: a month (whole weeks) or one ISO week."""

    view: str  # MONTH or WEEK
    anchor: date  # the month's first day, or the week's Monday
    weeks: tuple[tuple[date, ...], ...]

    @property
    def start(self) -> date:
        return self.weeks[0][0]

    @property
    def end(self) -> date:
        """The day after the last day shown."""
        return self.weeks[-1][-1] + timedelta(days=1)

    @property
    def days(self) -> list[date]:
        return [day for week in self.weeks for day in week]

    @property
    def key(self) -> str:
        return month_key(self.anchor) if self.view == MONTH else week_key(self.anchor)

    def in_focus(self, day: date) -> bool:
        """True for the days the page is about (a month view also shows its neighbours' days)."""
        return self.view == WEEK or (day.year, day.month) == (self.anchor.year, self.anchor.month)

    def neighbour(self, step: int) -> Period | None:
        """The previous (-1) or next (+1) page; None beyond the years Loa shows."""
        if self.view == WEEK:
            monday = self.anchor + timedelta(weeks=step)
            return week_period(monday) if _in_range(monday) else None
        index = self.anchor.year * 12 + self.anchor.month - 1 + step
        first = date(index // 12, index % 12 + 1, 1) if MIN_YEAR <= index // 12 <= MAX_YEAR else None
        return month_period(first) if first else None

    def bounds(self, zone: tzinfo) -> tuple[datetime, datetime]:
        """[start, end) of the page as aware datetimes: local midnights in `zone`."""
        return (datetime.combine(self.start, time.min, tzinfo=zone),
                datetime.combine(self.end, time.min, tzinfo=zone))


def month_period(first: date) -> Period:
    weeks = month_weeks(first.year, first.month)
    return Period(MONTH, first.replace(day=1), tuple(tuple(w) for w in weeks))


def week_period(day: date) -> Period:
    monday = monday_of(day)
    return Period(WEEK, monday, (tuple(monday + timedelta(days=n) for n in range(7)),))


def choose(view: str | None, month: str | None, week: str | None, today: date) -> tuple[Period, list[str]]:
    """The page a request asks for, and which of its parameters were unusable ('view', 'month', 'week').
    A week view may be asked with a month (its first week) and a month view with a week (its month)."""
    problems = []
    if view not in (None, "", MONTH, WEEK):
        problems.append("view")
    wanted = WEEK if view == WEEK else MONTH
    first, monday = parse_month(month), parse_week(week)
    if month and first is None:
        problems.append("month")
    if week and monday is None:
        problems.append("week")
    if wanted == WEEK:
        return week_period(monday or first or today), problems
    return month_period(first or monday or today), problems


def local_day(moment: datetime, zone: tzinfo) -> date:
    return moment.astimezone(zone).date()


def place(items: Iterable, zone: tzinfo, at: Callable = lambda item: item.at) -> dict[date, list]:
    """Items by the local day of `at(item)`, each day's items in time order."""
    days: dict[date, list] = {}
    for item in sorted(items, key=at):
        days.setdefault(local_day(at(item), zone), []).append(item)
    return days
