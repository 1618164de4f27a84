"""The Vietnamese lunar calendar and the national holiday calendar (Labour Code 2019, art. 112); pure.

The lunar calendar follows Hồ Ngọc Đức's algorithm (astronomical new moons and solar terms, computed
for the meridian of UTC+7, which is what makes the Vietnamese calendar differ from the Chinese one
in some years). See https://www.informatik.uni-leipzig.de/~duc/amlich/calrules.html
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date, timedelta
from functools import lru_cache

VIETNAM_UTC_OFFSET = 7  # hours; the lunar calendar is computed for this time zone
SYNODIC_MONTH = 29.530588853
JD_EPOCH_NEW_MOON = 2415021.076998695  # Julian day of the new moon of 1900-01-01
JD_ORDINAL_OFFSET = 1721425  # date.toordinal() + this = Julian day number


def jd_from_date(day: date) -> int:
    return day.toordinal() + JD_ORDINAL_OFFSET


def date_from_jd(jd: int) -> date:
    return date.fromordinal(jd - JD_ORDINAL_OFFSET)


def _new_moon_correction(k: int, t: float) -> float:
    """Periodic terms of the mean new moon (Meeus, Astronomical Algorithms, ch. 49, abridged)."""
    t2, t3, dr = t * t, t * t * t, math.pi / 180
    m = 359.2242 + 29.10535608 * k - 0.0000333 * t2 - 0.00000347 * t3
    mpr = 306.0253 + 385.81691806 * k + 0.0107306 * t2 + 0.00001236 * t3
    f = 21.2964 + 390.67050646 * k - 0.0016528 * t2 - 0.00000239 * t3
    c1 = (0.1734 - 0.000393 * t) * math.sin(m * dr) + 0.0021 * math.sin(2 * dr * m)
    c1 = c1 - 0.4068 * math.sin(mpr * dr) + 0.0161 * math.sin(dr * 2 * mpr)
    c1 = c1 - 0.0004 * math.sin(dr * 3 * mpr)
    c1 = c1 + 0.0104 * math.sin(dr * 2 * f) - 0.0051 * math.sin(dr * (m + mpr))
    c1 = c1 - 0.0074 * math.sin(dr * (m - mpr)) + 0.0004 * math.sin(dr * (2 * f + m))
    c1 = c1 - 0.0004 * math.sin(dr * (2 * f - m)) - 0.0006 * math.sin(dr * (2 * f + mpr))
    return c1 + 0.0010 * math.sin(dr * (2 * f - mpr)) + 0.0005 * math.sin(dr * (2 * mpr + m))


def new_moon(k: int) -> float:
    """Julian day (with fraction, UT) of the k-th new moon after 1900-01-01."""
    t = k / 1236.85
    t2, t3, dr = t * t, t * t * t, math.pi / 180
    jd1 = 2415020.75933 + 29.53058868 * k + 0.0001178 * t2 - 0.000000155 * t3
    jd1 += 0.00033 * math.sin((166.56 + 132.87 * t - 0.009173 * t2) * dr)
    if t < -11:
        delta_t = 0.001 + 0.000839 * t + 0.0002261 * t2 - 0.00000845 * t3 - 0.000000081 * t * t3
    else:
        delta_t = -0.000278 + 0.000265 * t + 0.000262 * t2
    return jd1 + _new_moon_correction(k, t) - delta_t


def new_moon_day(k: int, tz: float = VIETNAM_UTC_OFFSET) -> int:
    """Julian day number of the local day holding the k-th new moon."""
    return math.floor(new_moon(k) + 0.5 + tz / 24)


def sun_longitude(jdn: float) -> float:
    """The sun's apparent longitude in radians, 0 ≤ L < 2π, at Julian day `jdn` (UT)."""
    t = (jdn - 2451545.0) / 36525
    t2, dr = t * t, math.pi / 180
    m = 357.52910 + 35999.05030 * t - 0.0001559 * t2 - 0.00000048 * t * t2
    l0 = 280.46645 + 36000.76983 * t + 0.0003032 * t2
    dl = (1.914600 - 0.004817 * t - 0.000014 * t2) * math.sin(dr * m)
    dl += (0.019993 - 0.000101 * t) * math.sin(dr * 2 * m) + 0.000290 * math.sin(dr * 3 * m)
    lon = (l0 + dl) * dr
    return lon - 2 * math.pi * math.floor(lon / (2 * math.pi))


def solar_term(day_jd: int, tz: float = VIETNAM_UTC_OFFSET) -> int:
    """Which of the 12 major solar-term sectors (0..11) the sun is in at the start of local day `day_jd`."""
    return math.floor(sun_longitude(day_jd - 0.5 - tz / 24) / math.pi * 6)


def lunar_month_11(year: int, tz: float = VIETNAM_UTC_OFFSET) -> int:
    """Julian day of the start of lunar month 11 (the one holding the winter solstice) of `year`."""
    k = math.floor((jd_from_date(date(year, 12, 31)) - 2415021) / SYNODIC_MONTH)
    start = new_moon_day(k, tz)
    if solar_term(start, tz) >= 9:
        start = new_moon_day(k - 1, tz)
    return start


def leap_month_offset(a11: int, tz: float = VIETNAM_UTC_OFFSET) -> int:
    """In a 13-month lunar year starting at `a11`: the offset of the first month without a major term."""
    k = math.floor((a11 - JD_EPOCH_NEW_MOON) / SYNODIC_MONTH + 0.5)
    i, arc = 1, solar_term(new_moon_day(k + 1, tz), tz)
    last = None
    while arc != last and i < 14:
        last, i = arc, i + 1
        arc = solar_term(new_moon_day(k + i, tz), tz)
    return i - 1


@lru_cache(maxsize=512)
def lunar_to_solar(day: int, month: int, year: int, leap: bool = False, tz: float = VIETNAM_UTC_OFFSET) -> date:
    """The solar date of lunar `day`/`month`/`year` (leap: the intercalary month of that number)."""
    if month < 11:
        a11, b11 = lunar_month_11(year - 1, tz), lunar_month_11(year, tz)
    else:
        a11, b11 = lunar_month_11(year, tz), lunar_month_11(year + 1, tz)
    k = math.floor(0.5 + (a11 - JD_EPOCH_NEW_MOON) / SYNODIC_MONTH)
    off = (month - 11) % 12
    if b11 - a11 > 365:  # 13 lunar months: one of them is the leap month
        leap_off = leap_month_offset(a11, tz)
        leap_month = (leap_off - 2) % 12
        if leap and month != leap_month:
            raise ValueError(f"lunar year {year} has no leap month {month}")
        if leap or off >= leap_off:
            off += 1
    elif leap:
        raise ValueError(f"lunar year {year} has no leap month")
    return date_from_jd(new_moon_day(k + off, tz) + day - 1)


def tet(year: int) -> date:
    """Mùng 1 Tết: lunar 1/1 of the lunar year that starts in solar `year`."""
    return lunar_to_solar(1, 1, year)


def _parse_dates(values: Iterable[str | date], what: str) -> frozenset[date]:
    days = set()
    for value in values:
        if isinstance(value, date):
            days.add(value)
            continue
        try:
            days.add(date.fromisoformat(str(value).strip()))
        except ValueError:
            raise ValueError(f"{what}: {value!r} is not a date; write it as YYYY-MM-DD.") from None
    return frozenset(days)


class HolidayCalendar:
    """Days off for public offices: weekends, the national holidays of art. 112, their compensation days,
    and decreed changes (extra days off, make-up working Saturdays).

    Defaults, and why:
    - Tết: the law grants 5 days and the Prime Minister fixes which each year; the usual pattern is
      the last day of the lunar year plus mùng 1 to mùng 4 (`tet_before=1, tet_after=4`).
    - Quốc khánh: 2/9 plus one adjacent day; 1/9 by default (`national_day_extra=-1`, +1 for 3/9).
    - Art. 112(3): a holiday falling on a weekend is compensated on the next working day
      (`compensate=True`); e.g. 2024: 1/9 was a Sunday, so 3/9 was off as well.
    A make-up working day (`working_days`) overrides everything; an extra day off (`days_off`) is
    off even on a weekday.
    """

    def __init__(self, *, days_off: Iterable[date] = (), working_days: Iterable[date] = (),
                 tet_before: int = 1, tet_after: int = 4, national_day_extra: int = -1, compensate: bool = True):
        if national_day_extra not in (-1, 1):
            raise ValueError("national_day_extra is -1 (1/9) or 1 (3/9).")
        if tet_before < 0 or tet_after < 1:
            raise ValueError("Tết lasts at least from mùng 1 (tet_after ≥ 1, tet_before ≥ 0).")
        self.days_off = frozenset(days_off)
        self.working_days = frozenset(working_days)
        self.tet_before, self.tet_after = tet_before, tet_after
        self.national_day_extra, self.compensate = national_day_extra, compensate
        self._years: dict[int, frozenset[date]] = {}

    @classmethod
    def from_settings(cls, days_off: Iterable[str] = (), working_days: Iterable[str] = (), **options) -> "HolidayCalendar":
        """A calendar from ISO dates as they come from settings ("2026-02-16", …)."""
        return cls(days_off=_parse_dates(days_off, "extra day off"),
                   working_days=_parse_dates(working_days, "extra working day"), **options)

    def statutory(self, year: int) -> list[date]:
        """The holidays of art. 112 in solar `year`, before compensation."""
        new_year = tet(year)
        days = [date(year, 1, 1), date(year, 4, 30), date(year, 5, 1), date(year, 9, 2),
                date(year, 9, 2) + timedelta(days=self.national_day_extra), lunar_to_solar(10, 3, year)]
        days += [new_year + timedelta(days=n) for n in range(-self.tet_before, self.tet_after)]
        return sorted(set(days))

    def holidays(self, year: int) -> frozenset[date]:
        """Every holiday (statutory and compensation days) that falls in solar `year`."""
        if year not in self._years:
            found: set[date] = set()
            for y in (year - 1, year):  # a late-December holiday's compensation can cross into January
                found |= self._with_compensation(self.statutory(y))
            self._years[year] = frozenset(d for d in found if d.year == year)
        return self._years[year]

    def _with_compensation(self, days: list[date]) -> set[date]:
        off = set(days)
        if not self.compensate:
            return off
        for day in days:
            if day.weekday() >= 5:
                extra = day + timedelta(days=1)
                while extra.weekday() >= 5 or extra in off:
                    extra += timedelta(days=1)
                off.add(extra)
        return off

    def is_holiday(self, day: date) -> bool:
        if day in self.working_days:
            return False
        return day in self.days_off or day in self.holidays(day.year)

    def is_working_day(self, day: date) -> bool:
        if day in self.working_days:
            return True
        return day.weekday() < 5 and not self.is_holiday(day)

    def next_working_day(self, day: date) -> date:
        """`day` itself when it is a working day, else the first working day after it."""
        for _ in range(366):
            if self.is_working_day(day):
                return day
            day += timedelta(days=1)
        raise ValueError("no working day within a year; check the extra days off")
