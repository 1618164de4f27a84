"""Recurrence of series: RFC 5545 RRULEs in Vietnam time, repeats, shifting off holidays, plain-Vietnamese
descriptions; pure (no Django).

Rules are evaluated on Vietnam wall-clock time (a floating DTSTART; Vietnam keeps no summer time, so
wall-clock arithmetic is exact) and results are aware datetimes in Asia/Ho_Chi_Minh.

Holiday shifting (the seed articles broadcast on working days): an occurrence whose date is not a
working day — a holiday, a compensation day, an extra day off, a Saturday or a Sunday, unless it is a
decreed make-up working day — moves to the next working day at the same time of day. Each repeat is
shifted the same way on its own; should it then fall at or before its (shifted) main occurrence, it
moves to the next working day after the main one, so "Thursday 14:00, then 08:00 the next morning"
stays in that order. Two occurrences shifted onto the same instant count once.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import NamedTuple
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule, rrulestr

from bot.content.holidays import HolidayCalendar

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
DEFAULT_CALENDAR = HolidayCalendar()
MAX_REPEAT_MINUTES = 30 * 24 * 60
SHIFT_MARGIN = timedelta(days=40)  # longer than any run of days off (Tết, weekends, compensation)
NEVER_HORIZON = timedelta(days=4 * 366 + 1)  # a rule with no occurrence this long after its start is refused


class Preset(NamedTuple):
    rrule: str
    repeats: tuple[int, ...]
    kind: str
    label: str


PRESETS: dict[str, Preset] = {
    # "The day after the 4th Thursday", not "the 4th Friday": in January 2027 the 4th Friday (22nd)
    # comes before the 4th Thursday (28th). 1080 minutes after 14:00 is 08:00 the next morning.
    "monthly-bulletin": Preset("FREQ=MONTHLY;BYDAY=+4TH;BYHOUR=14;BYMINUTE=0;BYSECOND=0", (1080,), "bulletin",
                               "Bản tin cải cách hành chính hằng tháng: chiều Thứ Năm tuần thứ tư, phát lại sáng hôm sau"),
    "two-slogans": Preset("FREQ=MONTHLY;BYMONTHDAY=1,15;BYHOUR=7;BYMINUTE=30;BYSECOND=0", (), "slogan",
                          "Hai khẩu hiệu mỗi tháng, ngày 1 và ngày 15"),
    "weekly-guide": Preset("FREQ=WEEKLY;BYDAY=MO;BYHOUR=8;BYMINUTE=0;BYSECOND=0", (), "guide",
                           "Hướng dẫn dịch vụ công trực tuyến mỗi sáng Thứ Hai"),
}


class RuleError(ValueError):
    """A rule or its repeats cannot be used. `code` names the problem for callers that word it for people:
    syntax, too_frequent, never, repeats, preset."""

    def __init__(self, code: str, message: str, **params):
        super().__init__(message)
        self.code, self.params = code, params


class Occurrence(NamedTuple):
    at: datetime  # when to publish (shifted, aware)
    main: datetime  # the shifted main occurrence this belongs to (== at for a main occurrence)
    repeat: int  # 0 for the main occurrence, n for the n-th repeat
    issue: int  # 1 for the series' first occurrence, counted on the unshifted rule


def clean_rule(text: str) -> str:
    text = (text or "").strip().upper()
    text = text[len("RRULE:"):] if text.startswith("RRULE:") else text
    return text.rstrip(";")


def local_naive(value: datetime) -> datetime:
    """Vietnam wall-clock time of `value` (an aware datetime, or a naive one taken as Vietnam time)."""
    return value.astimezone(TZ).replace(tzinfo=None) if value.tzinfo else value


def rule_parts(rule: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in clean_rule(rule).split(";") if "=" in part)


def _floating_until(text: str) -> str:
    """UNTIL in UTC ("…Z") as Vietnam wall-clock time: the rule is evaluated on floating local time."""
    def local(match: re.Match) -> str:
        at = datetime.strptime(match[1], "%Y%m%dT%H%M%S").replace(tzinfo=timezone.utc).astimezone(TZ)
        return f"UNTIL={at:%Y%m%dT%H%M%S}"
    return re.sub(r"UNTIL=(\d{8}T\d{6})Z", local, text)


def parse_rule(rule: str, dtstart: datetime) -> rrule:
    text = clean_rule(rule)
    try:
        parsed = rrulestr(_floating_until(text), dtstart=local_naive(dtstart)) if "\n" not in text else None
    except (ValueError, TypeError, KeyError, IndexError, OverflowError):
        parsed = None
    if not isinstance(parsed, rrule) or not text.startswith("FREQ="):
        raise RuleError("syntax", f"cannot read the rule {text!r}", rule=text)
    return parsed


def check_repeats(repeats) -> tuple[int, ...]:
    values = tuple(repeats or ())
    if not all(isinstance(m, int) and 0 < m <= MAX_REPEAT_MINUTES for m in values) or len(set(values)) != len(values):
        raise RuleError("repeats", f"repeats must be distinct minutes in 1..{MAX_REPEAT_MINUTES}",
                        repeats=", ".join(map(str, values)), max=MAX_REPEAT_MINUTES)
    return tuple(sorted(values))


def validate(rule: str, dtstart: datetime, repeats=(), after: datetime | None = None) -> rrule:
    """The parsed rule, or RuleError: unreadable, more often than once a day, or never occurring."""
    parsed, parts = parse_rule(rule, dtstart), rule_parts(rule)
    per_day = 1
    for key in ("BYHOUR", "BYMINUTE", "BYSECOND"):
        per_day *= len(parts.get(key, "0").split(","))
    if parts.get("FREQ") in ("HOURLY", "MINUTELY", "SECONDLY") or per_day > 1:
        raise RuleError("too_frequent", "the rule occurs more often than once a day", rule=clean_rule(rule))
    first = local_naive(max(after, dtstart) if after else dtstart)
    if not parsed.between(first, first + NEVER_HORIZON, inc=True, count=1):
        raise RuleError("never", "the rule never occurs", rule=clean_rule(rule))
    check_repeats(repeats)
    return parsed


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=TZ)


def _shift(value: datetime, holidays: HolidayCalendar | None) -> datetime:
    if holidays is None:
        return value
    return datetime.combine(holidays.next_working_day(value.date()), value.time())


def _repeat_at(raw: datetime, minutes: int, main: datetime, holidays: HolidayCalendar | None) -> datetime:
    target = raw + timedelta(minutes=minutes)
    at = _shift(target, holidays)
    if at <= main:  # only possible when the main occurrence was shifted past the repeat
        after_main = main.date() + timedelta(days=1)
        at = datetime.combine(holidays.next_working_day(after_main) if holidays else after_main, target.time())
    return at


def occurrence_items(rule: str, dtstart: datetime, start: datetime, end: datetime, repeats=(),
                     holidays: HolidayCalendar | None = DEFAULT_CALENDAR) -> list[Occurrence]:
    """Every occurrence and repeat, shifted, with start ≤ at < end, in time order."""
    parsed, repeats = parse_rule(rule, dtstart), check_repeats(repeats)
    start, end = _aware(local_naive(start)), _aware(local_naive(end))
    lo = local_naive(start) - SHIFT_MARGIN - timedelta(minutes=max(repeats, default=0))
    raws = parsed.between(max(lo, local_naive(dtstart)), local_naive(end), inc=True)
    first_issue = len(parsed.between(local_naive(dtstart), raws[0], inc=True)) if raws else 0
    items: dict[datetime, Occurrence] = {}
    for n, raw in enumerate(raws):
        main = _shift(raw, holidays)
        found = [(main, 0)] + [(_repeat_at(raw, m, main, holidays), i) for i, m in enumerate(repeats, 1)]
        for at, index in found:
            item = Occurrence(_aware(at), _aware(main), index, first_issue + n)
            if start <= item.at < end:
                items.setdefault(item.at, item)
    return [items[at] for at in sorted(items)]


def occurrences(rule: str, dtstart: datetime, start: datetime, end: datetime, repeats=(),
                holidays: HolidayCalendar | None = DEFAULT_CALENDAR) -> list[datetime]:
    """The times to publish in [start, end): occurrences and repeats, shifted off days off."""
    return [item.at for item in occurrence_items(rule, dtstart, start, end, repeats, holidays)]


def next_occurrences(rule: str, dtstart: datetime, after: datetime, count: int = 5, repeats=(),
                     holidays: HolidayCalendar | None = DEFAULT_CALENDAR) -> list[datetime]:
    """The first `count` publishing times at or after `after` (fewer when the rule ends)."""
    span = timedelta(days=62)
    while True:
        found = occurrences(rule, dtstart, after, after + span, repeats, holidays)
        if len(found) >= count or span > NEVER_HORIZON * 5:
            return found[:count]
        span *= 4


# Plain-Vietnamese descriptions ---------------------------------------------------------------

WEEKDAYS = {"MO": "Thứ Hai", "TU": "Thứ Ba", "WE": "Thứ Tư", "TH": "Thứ Năm", "FR": "Thứ Sáu",
            "SA": "Thứ Bảy", "SU": "Chủ Nhật"}
WEEKDAY_CODES = list(WEEKDAYS)
ORDINALS = {1: "đầu tiên", 2: "thứ hai", 3: "thứ ba", 4: "thứ tư", 5: "thứ năm", -1: "cuối cùng", -2: "áp chót"}
PERIODS = {"DAILY": "ngày", "WEEKLY": "tuần", "MONTHLY": "tháng", "YEARLY": "năm"}


def join_vi(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " và " + items[-1]


def _ordinal(n: int) -> str:
    return ORDINALS.get(n) or (f"thứ {n}" if n > 0 else f"thứ {-n} tính từ cuối")


def _weekday(code: str) -> str:
    n, day = code[:-2], code[-2:]
    return f"{WEEKDAYS[day]} {_ordinal(int(n))}" if n not in ("", "+", "-") else WEEKDAYS[day]


def _monthday(n: int) -> str:
    return f"ngày {n}" if n > 0 else ("ngày cuối tháng" if n == -1 else f"ngày thứ {-n} tính từ cuối tháng")


def _listed(parts: dict, key: str) -> list[str]:
    return [v for v in parts.get(key, "").split(",") if v]


def _with_defaults(parts: dict, dtstart: datetime | None) -> dict:
    """What dateutil takes from DTSTART when the rule leaves it out."""
    parts = dict(parts)
    if dtstart is None:
        return parts
    start, freq = local_naive(dtstart), parts.get("FREQ")
    parts.setdefault("BYHOUR", str(start.hour))
    parts.setdefault("BYMINUTE", str(start.minute))
    has_day = any(k in parts for k in ("BYDAY", "BYMONTHDAY", "BYYEARDAY", "BYWEEKNO"))
    if freq == "WEEKLY" and not has_day:
        parts["BYDAY"] = WEEKDAY_CODES[start.weekday()]
    elif freq in ("MONTHLY", "YEARLY") and not has_day:
        parts["BYMONTHDAY"] = str(start.day)
        if freq == "YEARLY":
            parts.setdefault("BYMONTH", str(start.month))
    return parts


def _days_phrase(parts: dict) -> str:
    weekdays = [_weekday(c) for c in _listed(parts, "BYDAY")]
    monthdays = [_monthday(int(n)) for n in _listed(parts, "BYMONTHDAY")]
    phrase = join_vi(monthdays) if monthdays else ""
    if weekdays:
        phrase = f"{phrase} nếu rơi vào {join_vi(weekdays)}" if phrase else join_vi(weekdays)
    extra = [f"ngày thứ {n} trong năm" for n in _listed(parts, "BYYEARDAY")]
    extra += [f"tuần thứ {n} trong năm" for n in _listed(parts, "BYWEEKNO")]
    return " ".join(p for p in [phrase, join_vi(extra) if extra else ""] if p)


def _months_phrase(parts: dict, days: str) -> str:
    months = [f"tháng {m}" for m in _listed(parts, "BYMONTH")]
    if not months:
        return ""
    if parts.get("FREQ") == "YEARLY" and days:
        return (" " if days.startswith("ngày") and "nếu" not in days else " của ") + join_vi(months)
    return ", chỉ trong " + join_vi(months)


def _clock(minutes: int) -> str:
    return f"{minutes // 60 % 24:02d}:{minutes % 60:02d}"


def _part_of_day(hour: int) -> str:
    for upto, name in ((4, "đêm"), (11, "sáng"), (13, "trưa"), (18, "chiều"), (22, "tối")):
        if hour < upto:
            return name
    return "đêm"


def _repeat_phrase(base: int | None, minutes: int) -> str:
    if base is None:
        hours, mins = divmod(minutes, 60)
        return f"sau {hours} giờ {mins:02d} phút" if mins else f"sau {hours} giờ"
    total = base + minutes
    days = total // 1440
    day = {0: "cùng ngày", 1: "hôm sau"}.get(days, f"{days} ngày sau")
    return f"{_part_of_day(total % 1440 // 60)} {day} lúc {_clock(total % 1440)}"


def _end_phrase(parts: dict) -> str:
    if "COUNT" in parts:
        return f", {parts['COUNT']} lần"
    if "UNTIL" in parts:
        until = parts["UNTIL"][:8]
        return f", đến ngày {until[6:8]}/{until[4:6]}/{until[:4]}"
    return ""


def describe(rule: str, repeats=(), dtstart: datetime | None = None) -> str:
    """The rule in plain Vietnamese, e.g. "Thứ Hai hằng tuần lúc 08:00". Without `dtstart`, what the
    rule leaves to its start (the time of day, the weekday of a weekly rule) is left unsaid."""
    parts = _with_defaults(rule_parts(rule), dtstart)
    interval = int(parts.get("INTERVAL", "1"))
    period = PERIODS.get(parts.get("FREQ", ""), "lần")
    every = f"hằng {period}" if interval == 1 else f"mỗi {interval} {period}"
    days = _days_phrase(parts)
    text = " ".join(p for p in [days + _months_phrase(parts, days), every] if p)
    base = None
    if "BYHOUR" in parts:
        base = int(parts["BYHOUR"]) * 60 + int(parts.get("BYMINUTE", "0"))
        text += f" lúc {_clock(base)}"
    if "BYSETPOS" in parts:
        text += ", chọn lần " + join_vi([_ordinal(int(n)) for n in _listed(parts, "BYSETPOS")]) + f" trong {period}"
    if repeats:
        text += ", nhắc lại " + join_vi([_repeat_phrase(base, m) for m in sorted(repeats)])
    text += _end_phrase(parts)
    return text[:1].upper() + text[1:]
