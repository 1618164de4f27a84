"""The calendar's grid, without a database: months from Monday, ISO weeks across years, local days."""

from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from bot import calendar_view as cv

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.mark.parametrize("year, month, days", [(2026, 2, 28), (2028, 2, 29), (2026, 4, 30), (2026, 12, 31)])
def test_a_month_is_whole_weeks_from_monday_holding_each_of_its_days_once(year, month, days):
    period = cv.month_period(date(year, month, 1))
    assert all(week[0].weekday() == 0 and len(week) == 7 for week in period.weeks)
    shown = [d for d in period.days if period.in_focus(d)]
    assert shown == [date(year, month, 1) + timedelta(days=n) for n in range(days)]
    assert period.start <= date(year, month, 1) and period.end > shown[-1]
    assert len(period.days) == len(set(period.days)) and period.end - period.start == timedelta(days=len(period.days))


def test_a_month_starting_on_monday_has_no_days_of_the_month_before():
    period = cv.month_period(date(2026, 6, 1))  # 1 June 2026 is a Monday
    assert period.start == date(2026, 6, 1) and period.weeks[-1][-1] == date(2026, 7, 5)
    assert not period.in_focus(date(2026, 7, 1)) and period.in_focus(date(2026, 6, 30))


def test_february_2027_fills_exactly_four_weeks():
    period = cv.month_period(date(2027, 2, 1))  # a Monday, 28 days
    assert len(period.weeks) == 4 and period.end == date(2027, 3, 1)


@pytest.mark.parametrize("text, monday", [
    ("2026-W01", date(2025, 12, 29)),   # ISO week 1 of 2026 starts in December 2025
    ("2026-W53", date(2026, 12, 28)),   # 2026 has 53 ISO weeks
    ("2027-W01", date(2027, 1, 4)),
    ("2021-W52", date(2021, 12, 27)),
    ("2020-w53", date(2020, 12, 28)),
])
def test_iso_weeks_cross_years_as_iso_8601_says(text, monday):
    assert cv.parse_week(text) == monday
    assert cv.week_key(monday) == text.upper()


def test_a_week_that_a_year_does_not_have_is_refused():
    assert cv.parse_week("2027-W53") is None  # 2027 has 52 weeks
    assert cv.parse_week("2026-W00") is None


@pytest.mark.parametrize("text", ["", "abc", "2026-13", "2026-00", "1999-12", "3000-01", "99999-01",
                                  "2026-12-01", "２０２６-12", "2026-1\x00"])
def test_unusable_months_are_none(text):
    assert cv.parse_month(text) is None


def test_week_neighbours_cross_the_year_and_month_neighbours_cross_december():
    week = cv.week_period(date(2026, 12, 31))
    assert week.key == "2026-W53" and week.neighbour(1).key == "2027-W01" and week.neighbour(-1).key == "2026-W52"
    december = cv.month_period(date(2026, 12, 1))
    assert december.neighbour(1).key == "2027-01" and december.neighbour(-1).key == "2026-11"
    assert cv.month_period(date(cv.MAX_YEAR, 12, 1)).neighbour(1) is None
    assert cv.month_period(date(cv.MIN_YEAR, 1, 1)).neighbour(-1) is None


def test_choose_falls_back_to_today_and_names_what_was_unusable():
    today = date(2026, 5, 20)
    period, bad = cv.choose("month", "2026-13", None, today)
    assert (period.view, period.key, bad) == ("month", "2026-05", ["month"])
    period, bad = cv.choose("week", None, "2026-W99", today)
    assert (period.view, period.key, bad) == ("week", "2026-W21", ["week"])
    period, bad = cv.choose("year", None, None, today)
    assert (period.view, bad) == ("month", ["view"])
    assert cv.choose("week", "2026-12", None, today)[0].key == "2026-W49", "the week of the month's first day"
    assert cv.choose(None, None, "2026-W01", today)[0].key == "2025-12", "the month of the week's Monday"


def test_bounds_are_local_midnights():
    lo, hi = cv.week_period(date(2026, 12, 2)).bounds(VIETNAM)
    assert lo == datetime(2026, 11, 29, 17, 0, tzinfo=timezone.utc), "00:00 on Monday 30 November, Vietnam time"
    assert hi - lo == timedelta(days=7)


def test_entries_are_placed_on_their_local_day_in_time_order():
    late = SimpleNamespace(at=datetime(2026, 12, 3, 16, 30, tzinfo=timezone.utc))   # 23:30 on 3 Dec in Vietnam
    early = SimpleNamespace(at=datetime(2026, 12, 3, 23, 15, tzinfo=timezone.utc))  # 06:15 on 4 Dec in Vietnam
    morning = SimpleNamespace(at=datetime(2026, 12, 3, 1, 0, tzinfo=timezone.utc))  # 08:00 on 3 Dec
    days = cv.place([late, early, morning], VIETNAM)
    assert days == {date(2026, 12, 3): [morning, late], date(2026, 12, 4): [early]}
