"""The calendar (issue 6 §4): scheduled and published deliveries by local day, upcoming series occurrences,
and the broadcast quota left this month, for the user's units; month or ISO-week pages, no dragging."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from datetime import datetime
from urllib.parse import urlencode

from django.contrib import messages
from django.db.models import Case, DateTimeField, F, When
from django.db.models.functions import Coalesce
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from bot import calendar_view as cv
from bot.access import units_below
from bot.channel_config import NAME_RE, channel_usage
from bot.content import recurrence
from bot.content import series as series_mod
from bot.models import Channel, Delivery, Series, Unit, Workflow
from bot.publishing import states
from bot.web.guard import page
from channels import registry

log = logging.getLogger("loa.web")
MAX_ENTRIES = 1000  # a month of a province's channels; beyond that the page says it is cut
MAX_OCCURRENCES = 400
SLUG_RE = re.compile(r"^[-a-zA-Z0-9_]{1,64}$")
QUOTA_SETTING = "monthly_broadcasts"


@dataclass(frozen=True)
class Entry:
    at: datetime
    title: str
    kind: str
    channel: str
    state: str
    state_label: str
    post_id: int | None = None
    occurrence: bool = False


@page("calendar")
def month(request, *args, **kwargs):
    period, bad = cv.choose(request.GET.get("view"), request.GET.get("month"), request.GET.get("week"),
                            timezone.localdate())
    for name in bad:
        messages.warning(request, _bad_parameter(name, request.GET.get(name, "")))
    unit_ids, unit = _unit_filter(request)
    channel = _channel_filter(request, unit_ids)
    lo, hi = period.bounds(timezone.get_current_timezone())
    deliveries = _deliveries(unit_ids, channel, lo, hi)
    entries = _merged([_delivery_entry(d) for d in deliveries[:MAX_ENTRIES]])
    entries += _occurrences(unit_ids, channel, lo, hi)
    by_day = cv.place(entries, timezone.get_current_timezone())
    filters = {"unit": unit.slug if unit else "", "channel": channel.name if channel else ""}
    return render(request, "web/calendar.html", {
        "period": period, "rows": _rows(period, by_day), "weekdays": period.weeks[0],
        "has_entries": bool(entries), "cut": len(deliveries) > MAX_ENTRIES,
        "prev_url": _link(period.neighbour(-1), filters), "next_url": _link(period.neighbour(1), filters),
        "today_url": _link(cv.week_period(timezone.localdate()) if period.view == cv.WEEK
                           else cv.month_period(timezone.localdate()), filters),
        "month_url": _link(cv.month_period(period.anchor), filters),
        "week_url": _link(cv.week_period(period.start if period.view == cv.WEEK else period.anchor), filters),
        "units": Unit.objects.filter(pk__in=request.scope).order_by("name"),
        "channels": Channel.objects.filter(unit_id__in=unit_ids).order_by("name"),
        "unit": unit, "channel": channel, "quotas": _quotas(unit_ids, channel),
    })


def _bad_parameter(name: str, value: str) -> str:
    shown = value[:30]
    if name == "month":
        return _("The month “%(value)s” cannot be shown; write it as YYYY-MM, e.g. 2026-12. Showing the current "
                 "period.") % {"value": shown}
    if name == "week":
        return _("The week “%(value)s” cannot be shown; write it as YYYY-Www, e.g. 2026-W49. Showing the current "
                 "period.") % {"value": shown}
    return _("The calendar has a month view and a week view; showing the month.")


def _unit_filter(request) -> tuple[list[int], Unit | None]:
    """The chosen unit and the units below it, inside the user's scope; else all of the user's units."""
    slug = request.GET.get("unit", "").strip()
    if not slug:
        return request.scope, None
    unit = Unit.objects.filter(slug=slug, pk__in=request.scope).first() if SLUG_RE.match(slug) else None
    if unit is None:  # the same words for a foreign unit and a missing one: existence is not revealed
        messages.warning(request, _("None of your units is called “%(slug)s”; showing all your units.")
                         % {"slug": slug[:64]})
        return request.scope, None
    return units_below(unit), unit


def _channel_filter(request, unit_ids: list[int]) -> Channel | None:
    name = request.GET.get("channel", "").strip()
    if not name:
        return None
    channel = Channel.objects.filter(name=name, unit_id__in=unit_ids).first() if NAME_RE.match(name) else None
    if channel is None:
        messages.warning(request, _("The units shown have no channel “%(name)s”; showing all their channels.")
                         % {"name": name[:64]})
    return channel


def _deliveries(unit_ids, channel, lo: datetime, hi: datetime) -> list[Delivery]:
    """Deliveries shown at the time they went out (sent) or are due (everything else but cancelled)."""
    shown_at = Coalesce(Case(When(state=states.SENT, then=F("sent_at")), output_field=DateTimeField()), F("due_at"))
    found = (Delivery.objects.filter(post__unit_id__in=unit_ids).exclude(state=states.CANCELLED)
             .annotate(shown_at=shown_at).filter(shown_at__gte=lo, shown_at__lt=hi)
             .select_related("post", "channel").order_by("shown_at", "pk"))
    if channel is not None:
        found = found.filter(channel=channel)
    return list(found[:MAX_ENTRIES + 1])


def _delivery_entry(d: Delivery) -> Entry:
    return Entry(at=d.shown_at, title=d.post.title, kind=d.post.get_kind_display(), channel=d.channel.name,
                 state=d.state, state_label=d.get_state_display(), post_id=d.post_id)


def _merged(entries: list[Entry]) -> list[Entry]:
    """One entry per post, state and minute, naming its channels: a post on four channels is one line."""
    merged: dict[tuple, Entry] = {}
    for e in entries:
        key = (e.post_id, e.state, timezone.localtime(e.at).replace(second=0, microsecond=0))
        first = merged.get(key)
        merged[key] = e if first is None else replace(first, channel=f"{first.channel}, {e.channel}")
    return list(merged.values())


def _occurrences(unit_ids, channel, lo: datetime, hi: datetime) -> list[Entry]:
    """Upcoming occurrences of active series in [lo, hi); those already published or scheduled as
    deliveries are shown as those deliveries instead."""
    start = max(lo, timezone.now())
    if start >= hi:
        return []
    found = Series.objects.filter(unit_id__in=unit_ids, active=True).prefetch_related("channels")
    if channel is not None:
        found = found.filter(channels=channel)
    return [e for series in found for e in _series_entries(series, start, hi)]


def _series_entries(series: Series, start: datetime, hi: datetime) -> list[Entry]:
    per_day = 1 + len(series.repeats or ())  # a series publishes at most once a day, plus its repeats
    count = min(((hi - start).days + 1) * per_day, MAX_OCCURRENCES)
    try:
        times = [t for t in series_mod.next_occurrences(series, count, now=start) if t < hi]
    except recurrence.RuleError:
        log.warning("series %s: its rule cannot be read; no occurrences on the calendar", series.pk)
        return []
    posts = {p.occurrence_at: p for p in series.posts.filter(occurrence_at__in=times).prefetch_related("deliveries")}
    names = ", ".join(c.name for c in series.channels.all())
    entries = []
    for at in times:
        post = posts.get(at)
        if post is not None and (post.workflow == Workflow.CANCELLED
                                 or any(d.state != states.CANCELLED for d in post.deliveries.all())):
            continue
        label = (_("series occurrence, %(stage)s") % {"stage": post.get_workflow_display()} if post
                 else _("series occurrence"))
        entries.append(Entry(at=at, title=post.title if post else series.name, kind=series.get_kind_display(),
                             channel=names, state="occurrence", state_label=label,
                             post_id=post.pk if post else None, occurrence=True))
    return entries


def _quotas(unit_ids, channel) -> list[dict]:
    """Broadcasts left this month on each channel whose kind has a monthly quota (Zalo OA packages)."""
    kinds = [k for k in registry.kinds() if registry.adapter_class(k).setting(QUOTA_SETTING) is not None]
    found = Channel.objects.filter(unit_id__in=unit_ids, kind__in=kinds).order_by("name")
    if channel is not None:
        found = found.filter(pk=channel.pk)
    rows = []
    for c in found:
        usage = channel_usage(c)
        quota = usage["monthly_quota"]
        left = max(quota - usage["sent_this_month"], 0) if quota is not None else None
        rows.append({"channel": c, "sent": usage["sent_this_month"], "quota": quota, "left": left})
    return rows


def _rows(period: cv.Period, by_day: dict) -> list[dict]:
    today = timezone.localdate()
    return [{"week": cv.week_key(week[0]), "week_number": week[0].isocalendar()[1],
             "cells": [{"day": day, "key": day.isoformat(), "in_focus": period.in_focus(day), "today": day == today,
                        "entries": by_day.get(day, [])} for day in week]}
            for week in period.weeks]


def _link(period: cv.Period | None, filters: dict) -> str:
    if period is None:
        return ""
    params = {"view": period.view, period.view: period.key, **{k: v for k, v in filters.items() if v}}
    return "?" + urlencode(params)
