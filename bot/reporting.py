"""The monthly CCHC communication report of one unit: posts published against its plan, what each
channel sent, citizens' feedback by category and status, answer times, and a six-month trend.

Plain functions over querysets; months are Vietnam-time calendar months. Counts only: no names,
no texts, nothing that identifies a citizen (the report is filed as evidence and shared)."""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, F, Min, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone

from bot.models import Delivery, Feedback, FeedbackCategory, FeedbackStatus, Post, PostKind, Unit
from bot.publishing import states

TREND_MONTHS = 6
FIRST_YEAR, LAST_YEAR = 2000, 2100  # a month outside this is a typo, not a report anyone wants
_MONTH_RE = re.compile(r"^([0-9]{4})-([0-9]{2})$")
OPEN = (FeedbackStatus.NEW, FeedbackStatus.IN_PROGRESS)


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def shifted(self, months: int) -> "Month":
        index = self.year * 12 + self.month - 1 + months
        return Month(index // 12, index % 12 + 1)

    def start(self) -> datetime:
        return datetime(self.year, self.month, 1, tzinfo=timezone.get_default_timezone())

    def end(self) -> datetime:
        return self.shifted(1).start()

    @classmethod
    def of(cls, moment: datetime) -> "Month":
        local = timezone.localtime(moment)
        return cls(local.year, local.month)


def parse_month(text: str | None) -> Month | None:
    """'2026-05' -> Month(2026, 5); anything else (or a year outside 2000-2100) -> None."""
    match = _MONTH_RE.match((text or "").strip())
    if not match:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    if not (FIRST_YEAR <= year <= LAST_YEAR and 1 <= month <= 12):
        return None
    return Month(year, month)


@dataclass(frozen=True)
class PlanRow:
    kind: str
    label: str
    planned: int
    published: int

    @property
    def met(self) -> bool:
        return self.published >= self.planned


@dataclass(frozen=True)
class Tally:
    key: str
    label: str
    count: int


@dataclass(frozen=True)
class ChannelRow:
    name: str
    kind: str
    sent: int


@dataclass(frozen=True)
class TrendRow:
    month: Month
    posts: int
    feedback: int


@dataclass(frozen=True)
class AnswerTimes:
    answered: int
    median_hours: float | None
    p90_hours: float | None


@dataclass(frozen=True)
class Report:
    unit: Unit
    month: Month
    plan: list[PlanRow]
    channels: list[ChannelRow]
    categories: list[Tally]
    statuses: list[Tally]
    received: int
    answer_times: AnswerTimes
    overdue: int
    trend: list[TrendRow]

    @property
    def plan_met(self) -> bool:
        return all(row.met for row in self.plan)


def planned_counts(plan) -> dict[str, int]:
    """The unit's plan per known kind; a value that is not a whole number >= 0 counts as no plan."""
    plan = plan if isinstance(plan, dict) else {}
    counts = {}
    for kind in PostKind.values:
        value = plan.get(kind, 0)
        counts[kind] = value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0
    return counts


def percentile(values: list[float], fraction: float) -> float | None:
    """Linear interpolation between closest ranks (as spreadsheets' PERCENTILE.INC)."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def answer_times(hours: list[float]) -> AnswerTimes:
    median = statistics.median(hours) if hours else None
    p90 = percentile(hours, 0.9)
    return AnswerTimes(len(hours), None if median is None else round(median, 1), None if p90 is None else round(p90, 1))


def _first_sent(unit: Unit, since: datetime, until: datetime):
    """(kind, first sent_at) of the unit's posts first published in [since, until): a post counts once,
    in the month its first channel sent it."""
    return (Post.objects.filter(unit=unit)
            .annotate(first_sent=Min("deliveries__sent_at", filter=Q(deliveries__state=states.SENT)))
            .filter(first_sent__gte=since, first_sent__lt=until).values_list("kind", "first_sent"))


def _plan_rows(unit: Unit, month: Month) -> list[PlanRow]:
    published: dict[str, int] = {}
    for kind, _at in _first_sent(unit, month.start(), month.end()):
        published[kind] = published.get(kind, 0) + 1
    planned = planned_counts(unit.monthly_plan)
    return [PlanRow(kind, str(label), planned[kind], published.get(kind, 0)) for kind, label in PostKind.choices]


def _channel_rows(unit: Unit, month: Month) -> list[ChannelRow]:
    rows = (Delivery.objects.filter(post__unit=unit, state=states.SENT, sent_at__gte=month.start(),
                                    sent_at__lt=month.end())
            .values("channel__name", "channel__kind").annotate(n=Count("id")).order_by("channel__name"))
    return [ChannelRow(r["channel__name"], r["channel__kind"], r["n"]) for r in rows]


def _counts(rows, field: str, choices) -> list[Tally]:
    found = dict(rows.values_list(field).annotate(n=Count("id")).order_by())
    return [Tally(key, str(label), found.get(key, 0)) for key, label in choices]


def _overdue(rows, now: datetime) -> int:
    """Answered after the deadline, or still open with the deadline passed."""
    late = Q(answered_at__gt=F("due_at")) | Q(answered_at__isnull=True, status__in=OPEN, due_at__lt=now)
    return rows.filter(due_at__isnull=False).filter(late).count()


def _hours(rows) -> list[float]:
    pairs = rows.filter(answered_at__isnull=False).values_list("received_at", "answered_at")
    return [max(0.0, (answered - received).total_seconds() / 3600) for received, answered in pairs]


def _trend(unit: Unit, month: Month) -> list[TrendRow]:
    months = [month.shifted(-n) for n in range(TREND_MONTHS - 1, -1, -1)]
    since, until = months[0].start(), month.end()
    posts: dict[Month, int] = {}
    for _kind, at in _first_sent(unit, since, until):
        posts[Month.of(at)] = posts.get(Month.of(at), 0) + 1
    feedback = {Month.of(row["m"]): row["n"] for row in
                Feedback.objects.filter(channel__unit=unit, received_at__gte=since, received_at__lt=until)
                .annotate(m=TruncMonth("received_at", tzinfo=timezone.get_default_timezone()))
                .values("m").annotate(n=Count("id")).order_by()}
    return [TrendRow(m, posts.get(m, 0), feedback.get(m, 0)) for m in months]


def monthly_report(unit: Unit, month: Month, *, now: datetime | None = None) -> Report:
    received = Feedback.objects.filter(channel__unit=unit, received_at__gte=month.start(),
                                       received_at__lt=month.end())
    return Report(
        unit=unit, month=month, plan=_plan_rows(unit, month), channels=_channel_rows(unit, month),
        categories=_counts(received, "category", FeedbackCategory.choices),
        statuses=_counts(received, "status", FeedbackStatus.choices),
        received=received.count(), answer_times=answer_times(_hours(received)),
        overdue=_overdue(received, now or timezone.now()), trend=_trend(unit, month),
    )
