"""Recurrence and the holiday calendar: the monthly bulletin's dates, shifting off days off, the lunar
calendar, and rules described in plain Vietnamese. Pure: no database."""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.content.holidays import HolidayCalendar, lunar_to_solar, tet
from bot.content.recurrence import (
    PRESETS, TZ, RuleError, describe, next_occurrences, occurrence_items, occurrences, validate,
)

BULLETIN, SLOGANS, GUIDE = PRESETS["monthly-bulletin"], PRESETS["two-slogans"], PRESETS["weekly-guide"]
START = datetime(2026, 1, 1, tzinfo=TZ)


def vn(y, m, d, hh=0, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=TZ)


def in_year(rule, year, repeats=(), holidays=HolidayCalendar()):
    return occurrences(rule, START, vn(year, 1, 1), vn(year + 1, 1, 1), repeats, holidays)


# The monthly bulletin


def fourth_thursday(year, month):
    thursdays = [week[calendar.THURSDAY] for week in calendar.monthcalendar(year, month) if week[calendar.THURSDAY]]
    return date(year, month, thursdays[3])


def test_the_bulletin_goes_out_on_every_fourth_thursday_of_2027_and_again_the_next_morning():
    expected = []
    for month in range(1, 13):
        thursday = fourth_thursday(2027, month)
        friday = thursday + timedelta(days=1)  # no 4th-week Friday of 2027 is a holiday
        expected += [vn(2027, month, thursday.day, 14), vn(friday.year, friday.month, friday.day, 8)]
    got = in_year(BULLETIN.rrule, 2027, BULLETIN.repeats)
    assert got == expected
    assert all(at.weekday() == calendar.THURSDAY and at.hour == 14 for at in got[0::2])
    assert all(at.weekday() == calendar.FRIDAY and at.hour == 8 for at in got[1::2])


def test_in_january_2027_the_fourth_friday_comes_before_the_fourth_thursday_but_the_repeat_follows_it():
    got = occurrences(BULLETIN.rrule, START, vn(2027, 1, 1), vn(2027, 2, 1), BULLETIN.repeats)
    assert got == [vn(2027, 1, 28, 14), vn(2027, 1, 29, 8)]


def test_a_repeat_whose_main_occurrence_was_shifted_past_it_follows_on_the_next_working_day():
    thursday_off = HolidayCalendar(days_off=[date(2027, 1, 28)])
    got = occurrence_items(BULLETIN.rrule, START, vn(2027, 1, 1), vn(2027, 2, 5), BULLETIN.repeats, thursday_off)
    assert [(i.at, i.repeat) for i in got] == [(vn(2027, 1, 29, 14), 0), (vn(2027, 2, 1, 8), 1)]
    assert got[1].main == vn(2027, 1, 29, 14)


def test_issues_are_counted_from_the_series_start():
    got = occurrence_items(BULLETIN.rrule, vn(2027, 1, 1), vn(2027, 3, 1), vn(2027, 4, 1), BULLETIN.repeats)
    assert [(i.issue, i.repeat) for i in got] == [(3, 0), (3, 1)]


# Holiday shifting


def test_an_occurrence_on_30_april_moves_past_1_may_and_the_weekend():
    rule = "FREQ=YEARLY;BYMONTH=4;BYMONTHDAY=30;BYHOUR=7;BYMINUTE=0;BYSECOND=0"
    assert in_year(rule, 2026) == [vn(2026, 5, 4, 7)]  # Thu 30/4, Fri 1/5, then the weekend


def test_an_occurrence_during_tet_moves_to_the_first_working_day_after_it():
    # Tết Bính Ngọ: 16/2/2026 (the last day of the year) to mùng 4 (20/2), then a weekend.
    got = occurrences(GUIDE.rrule, START, vn(2026, 2, 9), vn(2026, 3, 1))
    assert got == [vn(2026, 2, 9, 8), vn(2026, 2, 23, 8)]


def test_tet_on_a_weekend_is_compensated_and_the_monday_guide_waits_for_it():
    # Tết 2027 is Saturday 6/2: 5/2–9/2 off, plus 10/2 and 11/2 for the Saturday and the Sunday.
    got = occurrences(GUIDE.rrule, START, vn(2027, 2, 8), vn(2027, 2, 16))
    assert got == [vn(2027, 2, 12, 8), vn(2027, 2, 15, 8)]


def test_national_day_and_its_adjacent_day_are_skipped_and_two_shifted_dates_count_once():
    rule = "FREQ=MONTHLY;BYMONTH=9;BYMONTHDAY=1,2;BYHOUR=8;BYMINUTE=0;BYSECOND=0"
    assert in_year(rule, 2026) == [vn(2026, 9, 3, 8)]  # Tue 1/9 and Wed 2/9 off
    third_off = HolidayCalendar(national_day_extra=1)
    assert in_year(rule, 2026, holidays=third_off) == [vn(2026, 9, 1, 8), vn(2026, 9, 4, 8)]


def test_a_weekend_occurrence_moves_to_monday_and_a_make_up_saturday_keeps_it():
    assert vn(2026, 8, 3, 7, 30) in in_year(SLOGANS.rrule, 2026)  # Saturday 1/8
    make_up = HolidayCalendar(working_days=[date(2026, 8, 1)])
    assert vn(2026, 8, 1, 7, 30) in in_year(SLOGANS.rrule, 2026, holidays=make_up)


def test_without_a_calendar_nothing_is_shifted():
    assert vn(2026, 8, 1, 7, 30) in in_year(SLOGANS.rrule, 2026, holidays=None)


# The lunar calendar and the holiday calendar

TET = {2024: date(2024, 2, 10), 2025: date(2025, 1, 29), 2026: date(2026, 2, 17), 2027: date(2027, 2, 6),
       2028: date(2028, 1, 26), 2029: date(2029, 2, 13),
       # The new moon of February 2030 falls at 23:07 Vietnam time on the 2nd (00:07 on the 3rd in China):
       # Vietnam's Tết is 2 February 2030, a day before China's New Year.
       2030: date(2030, 2, 2)}


@pytest.mark.parametrize("year", sorted(TET))
def test_tet_falls_on_the_known_date(year):
    assert tet(year) == lunar_to_solar(1, 1, year) == TET[year]


def test_hung_kings_day_and_leap_months_and_the_years_vietnam_differs_from_china():
    assert lunar_to_solar(10, 3, 2025) == date(2025, 4, 7)
    assert lunar_to_solar(10, 3, 2026) == date(2026, 4, 26)
    assert lunar_to_solar(1, 6, 2025, leap=True) == date(2025, 7, 25)  # tháng 6 nhuận Ất Tỵ
    assert lunar_to_solar(1, 7, 2025) == date(2025, 8, 23)
    assert tet(2007) == date(2007, 2, 17) and tet(1985) == date(1985, 1, 21)
    with pytest.raises(ValueError):
        lunar_to_solar(1, 3, 2025, leap=True)


def test_the_holidays_of_2026_follow_the_labour_code():
    cal = HolidayCalendar()
    assert sorted(cal.holidays(2026)) == [
        date(2026, 1, 1), date(2026, 2, 16), date(2026, 2, 17), date(2026, 2, 18), date(2026, 2, 19),
        date(2026, 2, 20), date(2026, 4, 26), date(2026, 4, 27),  # Giỗ Tổ on a Sunday: Monday off
        date(2026, 4, 30), date(2026, 5, 1), date(2026, 9, 1), date(2026, 9, 2)]
    assert cal.is_holiday(date(2026, 2, 16)) and not cal.is_working_day(date(2026, 2, 21))
    assert cal.next_working_day(date(2026, 2, 16)) == date(2026, 2, 23)


def test_a_national_day_on_a_weekend_is_compensated_as_decreed_in_2024():
    cal = HolidayCalendar()
    assert [d for d in sorted(cal.holidays(2024)) if d.month == 9] == [date(2024, 9, 1), date(2024, 9, 2), date(2024, 9, 3)]


def test_decreed_changes_come_from_iso_dates_and_bad_ones_are_refused():
    cal = HolidayCalendar.from_settings(days_off=["2026-02-13"], working_days=["2026-02-07", " 2026-09-01 "])
    assert cal.is_holiday(date(2026, 2, 13)) and cal.is_working_day(date(2026, 2, 7))
    assert cal.is_working_day(date(2026, 9, 1))
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        HolidayCalendar.from_settings(days_off=["13/02/2026"])


# Descriptions and validation


def test_each_preset_and_custom_rules_are_described_in_plain_vietnamese():
    assert describe(BULLETIN.rrule, BULLETIN.repeats) == "Thứ Năm thứ tư hằng tháng lúc 14:00, nhắc lại sáng hôm sau lúc 08:00"
    assert describe(SLOGANS.rrule, SLOGANS.repeats) == "Ngày 1 và ngày 15 hằng tháng lúc 07:30"
    assert describe(GUIDE.rrule, GUIDE.repeats) == "Thứ Hai hằng tuần lúc 08:00"
    assert describe("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,FR;BYHOUR=16;BYMINUTE=30", [90]) == \
        "Thứ Ba và Thứ Sáu mỗi 2 tuần lúc 16:30, nhắc lại tối cùng ngày lúc 18:00"
    assert describe("FREQ=YEARLY;BYMONTH=5;BYMONTHDAY=1;BYHOUR=7;COUNT=3") == "Ngày 1 tháng 5 hằng năm lúc 07:00, 3 lần"
    assert describe("FREQ=MONTHLY;BYDAY=-1FR", dtstart=vn(2026, 1, 1, 9)) == "Thứ Sáu cuối cùng hằng tháng lúc 09:00"


@pytest.mark.parametrize("rule, code", [
    ("every monday", "syntax"),
    ("BYDAY=MO", "syntax"),
    ("FREQ=HOURLY", "too_frequent"),
    ("FREQ=DAILY;BYHOUR=8,17", "too_frequent"),
    ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "never"),
    ("FREQ=WEEKLY;UNTIL=20250101T000000", "never"),
])
def test_unusable_rules_are_refused_with_a_reason(rule, code):
    with pytest.raises(RuleError) as caught:
        validate(rule, START)
    assert caught.value.code == code


def test_repeats_must_be_distinct_positive_minutes():
    for repeats in ([0], [-5], [60, 60], [10**6]):
        with pytest.raises(RuleError) as caught:
            validate(GUIDE.rrule, START, repeats)
        assert caught.value.code == "repeats"


def test_utc_until_is_read_in_vietnam_time():
    got = occurrences("FREQ=WEEKLY;BYDAY=MO;BYHOUR=8;UNTIL=20260112T010000Z", START, vn(2026, 1, 1), vn(2026, 3, 1))
    assert got == [vn(2026, 1, 5, 8), vn(2026, 1, 12, 8)]


def test_next_occurrences_reaches_far_enough_for_a_yearly_rule():
    got = next_occurrences("FREQ=YEARLY;BYMONTH=6;BYMONTHDAY=10;BYHOUR=9", START, vn(2026, 7, 1), 3)
    assert [at.date() for at in got] == [date(2027, 6, 10), date(2028, 6, 12), date(2029, 6, 11)]


# Properties

RULES = [BULLETIN, SLOGANS, GUIDE]


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(RULES), st.dates(date(2025, 1, 1), date(2031, 12, 31)), st.integers(1, 120), st.integers(1, 120))
def test_every_publishing_time_is_on_a_working_day_inside_the_window_and_windows_add_up(preset, day, span1, span2):
    cal = HolidayCalendar()
    a = datetime.combine(day, datetime.min.time(), TZ)
    b, c = a + timedelta(days=span1), a + timedelta(days=span1 + span2)
    whole = occurrence_items(preset.rrule, START, a, c, preset.repeats, cal)
    assert all(a <= i.at < c and cal.is_working_day(i.at.date()) for i in whole)
    assert all(i.at > i.main for i in whole if i.repeat)
    assert [i.at for i in whole] == occurrences(preset.rrule, START, a, b, preset.repeats, cal) + \
        occurrences(preset.rrule, START, b, c, preset.repeats, cal)
