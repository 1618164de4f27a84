"""Recurring content: creating and pre-approving series, and materialising their posts ahead of time.

Materialising is idempotent and safe to run from several processes at once: each occurrence becomes
one post inside its own savepoint, and the unique (series, occurrence_at) constraint turns a second
writer's attempt into an IntegrityError that is rolled back and skipped.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bot import audit
from bot.access import APPROVER_ROLES, AUTHOR_ROLES, require
from bot.content import recurrence
from bot.content.holidays import HolidayCalendar
from bot.content.kinds import clean_fields
from bot.content.render import nfc
from bot.content.slogans import pick_slogan
from bot.errors import Forbidden, Invalid, NotFound
from bot.models import Post, PostKind, Series, Slogan
from bot.posts import BODY_MAX, TITLE_MAX, post_approve, post_create, post_submit, resolve_channels

log = logging.getLogger(__name__)

NAME_MAX = 200
LOOKAHEAD_MAX = 366
PLACEHOLDER = re.compile(r"\{(\w+)\}")
REPEAT_SUFFIX = " (phát lại)"  # Vietnamese content: a rebroadcast must not repeat the previous text exactly


def holiday_calendar() -> HolidayCalendar:
    """The holiday calendar, with decreed changes from the settings once the configuration carries them."""
    loa = settings.LOA
    return HolidayCalendar.from_settings(getattr(loa, "days_off", ()), getattr(loa, "working_days", ()))


def rule_refusal(exc: recurrence.RuleError) -> Invalid:
    """The officer's sentence for a rule the recurrence module refused."""
    p = exc.params
    if exc.code == "too_frequent":
        return Invalid(_("The recurrence rule %(rule)s occurs more than once a day; a series publishes at most once a day.") % p)
    if exc.code == "never":
        return Invalid(_("The recurrence rule %(rule)s never occurs from its start on; check its days, months and end.") % p)
    if exc.code == "repeats":
        return Invalid(_("Repeats must be different whole numbers of minutes between 1 and %(max)d; got %(repeats)s.") % p)
    return Invalid(_("The recurrence rule %(rule)s cannot be read; write an RFC 5545 rule such as FREQ=WEEKLY;BYDAY=MO;BYHOUR=8;BYMINUTE=0.") % p)


def get_series(series_id) -> Series:
    try:
        return Series.objects.select_related("unit", "author", "approver").get(pk=int(series_id))
    except (Series.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("Unknown series %(id)s.") % {"id": series_id}) from None


def _choose_rule(preset, rrule, kind, repeats) -> tuple[str, str, list[int]]:
    """(rule, kind, repeats) from a preset or a custom rule; exactly one of them."""
    if bool(preset) == bool(rrule):
        raise Invalid(_("Give either a preset or a recurrence rule (RRULE), not both and not neither."))
    if preset:
        chosen = recurrence.PRESETS.get(preset)
        if chosen is None:
            raise Invalid(_("Unknown preset %(name)s; presets: %(names)s.") % {"name": preset, "names": ", ".join(recurrence.PRESETS)})
        return chosen.rrule, kind or chosen.kind, list(chosen.repeats if repeats is None else repeats)
    if not kind:
        raise Invalid(_("Say which kind of post the series publishes."))
    return recurrence.clean_rule(rrule), kind, list(repeats or ())


def _check_time(rule: str, dtstart: datetime | None) -> None:
    """Without a start time, a rule must say its time of day: midnight is nobody's publishing time."""
    if dtstart is None and "BYHOUR" not in recurrence.rule_parts(rule):
        raise Invalid(_("Say at what time the series publishes: add BYHOUR and BYMINUTE to the rule, or give a start time."))


def fill(value, values: dict[str, str]):
    """The template value with {placeholders} replaced; unknown ones are left as they are."""
    if isinstance(value, str):
        return PLACEHOLDER.sub(lambda m: values.get(m[1], m[0]), nfc(value))
    if isinstance(value, list):
        return [fill(v, values) for v in value]
    if isinstance(value, dict):
        return {k: fill(v, values) for k, v in value.items()}
    return value


def placeholders(item: recurrence.Occurrence) -> dict[str, str]:
    """What a template can say about the occurrence, taken from its main occurrence (the issue's date)."""
    main = timezone.localtime(item.main)
    return {"day": str(main.day), "month": str(main.month), "year": str(main.year), "issue": str(item.issue),
            "date": f"{main:%d/%m/%Y}", "month_iso": f"{main:%Y-%m}",
            "weekday": recurrence.WEEKDAYS[recurrence.WEEKDAY_CODES[main.weekday()]]}


def _clean_template(kind: str, name: str, template: dict, sample: recurrence.Occurrence) -> dict:
    title = nfc(template.get("title") or name).strip()
    body = nfc(template.get("body") or "").strip()
    fields = template.get("fields") or {}
    filled = fill({"title": title, "body": body, "fields": fields}, placeholders(sample))
    if len(filled["title"]) > TITLE_MAX:
        raise Invalid(_("The title is %(n)d characters; the limit is %(max)d.") % {"n": len(filled["title"]), "max": TITLE_MAX})
    if len(filled["body"]) > BODY_MAX:
        raise Invalid(_("The body is %(n)d characters; the limit is %(max)d.") % {"n": len(filled["body"]), "max": BODY_MAX})
    if kind != PostKind.SLOGAN and not filled["body"] and not clean_fields(kind, filled["fields"]):
        raise Invalid(_("The series needs a body or structured fields for its posts."))
    return {"title": title, "body": body, "fields": fields}


def _clean_name(name: str) -> str:
    name = nfc(name).strip()
    if not name or len(name) > NAME_MAX:
        raise Invalid(_("The series needs a name of at most %(max)d characters.") % {"max": NAME_MAX})
    return name


def series_add(*, unit, author, name, kind=None, channel_names, preset=None, rrule=None, dtstart=None,
               repeats=None, template=None, lookahead_days=14, now: datetime | None = None) -> Series:
    now = now or timezone.now()
    require(author, unit, AUTHOR_ROLES, _("create series"))
    name = _clean_name(name)
    rule, kind, repeats = _choose_rule(preset, rrule, kind, repeats)
    if kind not in PostKind.values:
        raise Invalid(_("Unknown post kind %(kind)s; kinds: %(kinds)s.") % {"kind": kind, "kinds": ", ".join(PostKind.values)})
    if not 1 <= int(lookahead_days) <= LOOKAHEAD_MAX:
        raise Invalid(_("Days ahead must be between 1 and %(max)d.") % {"max": LOOKAHEAD_MAX})
    start = dtstart or timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    try:
        recurrence.validate(rule, start, repeats, after=now)
        _check_time(rule, dtstart)
        sample = recurrence.next_occurrences(rule, start, max(now, start), 1, (), None)[0]
    except recurrence.RuleError as exc:
        raise rule_refusal(exc) from None
    item = recurrence.Occurrence(sample, sample, 0, 1)
    template = _clean_template(kind, name, template or {}, item)
    channels = resolve_channels(unit, list(channel_names or ()))
    with transaction.atomic():
        series = Series.objects.create(
            unit=unit, name=name, kind=kind, preset=preset or "", rrule=rule, dtstart=start, repeats=sorted(repeats),
            template=template, lookahead_days=int(lookahead_days), author=author,
        )
        series.channels.set(channels)
        audit.record("series.add", series, actor=author, unit=unit, rrule=rule, preset=preset or "",
                     repeats=series.repeats, channels=[c.name for c in channels])
    return series


def series_approve(series: Series, *, by) -> Series:
    """Pre-approve a series: its posts are created approved, by `by`, who must not be its author."""
    require(by, series.unit, APPROVER_ROLES, _("approve series"))
    if by.pk == series.author_id:
        raise Forbidden(_("Nobody may approve their own series; ask another leader to approve series %(id)s.") % {"id": series.pk})
    with transaction.atomic():
        if not Series.objects.filter(pk=series.pk, approver__isnull=True).update(approver=by):
            raise Invalid(_("Series %(id)s is already approved.") % {"id": series.pk})
        audit.record("series.approve", series, actor=by, unit=series.unit)
    series.refresh_from_db()
    return series


def next_occurrences(series: Series, count: int = 5, now: datetime | None = None) -> list[datetime]:
    return recurrence.next_occurrences(series.rrule, series.dtstart, now or timezone.now(), count,
                                       series.repeats, holiday_calendar())


def describe(series: Series) -> str:
    return recurrence.describe(series.rrule, series.repeats, series.dtstart)


def materialise(now: datetime | None = None) -> list[Post]:
    """Create the missing posts of every active series for its next `lookahead_days` days."""
    now, calendar = now or timezone.now(), holiday_calendar()
    created = []
    for series in Series.objects.filter(active=True).select_related("unit", "author", "approver"):
        created += _materialise_series(series, now, calendar)
    return created


def _materialise_series(series: Series, now: datetime, calendar: HolidayCalendar) -> list[Post]:
    end = now + timedelta(days=series.lookahead_days)
    try:
        items = recurrence.occurrence_items(series.rrule, series.dtstart, now, end, series.repeats, calendar)
    except recurrence.RuleError as exc:
        log.warning("series %s: its rule cannot be used (%s); nothing materialised", series.pk, exc)
        return []
    existing = set(series.posts.filter(occurrence_at__gte=now, occurrence_at__lt=end).values_list("occurrence_at", flat=True))
    channel_names = [c.name for c in series.channels.all()]
    posts = [_materialise_one(series, item, channel_names, now) for item in items if item.at > now and item.at not in existing]
    return [p for p in posts if p is not None]


def _slogan_for(series: Series, item: recurrence.Occurrence) -> Slogan | None:
    """A repeat rebroadcasts its main occurrence's slogan; a main occurrence takes the next one in rotation."""
    if item.repeat:
        main = series.posts.filter(occurrence_at=item.main, slogan__isnull=False).select_related("slogan").first()
        if main is not None:
            return main.slogan
    return pick_slogan(series.unit)


def _content(series: Series, item: recurrence.Occurrence) -> tuple[str, str, dict, Slogan | None] | None:
    """(title, body, fields, slogan) of the occurrence's post; None when a slogan series has no slogan."""
    template = fill(series.template or {}, placeholders(item))
    title = template.get("title") or series.name
    title = title + REPEAT_SUFFIX if item.repeat else title
    if series.kind != PostKind.SLOGAN:
        return title, template.get("body", ""), template.get("fields") or {}, None
    slogan = _slogan_for(series, item)
    if slogan is None:
        return None
    return title, slogan.text, {"text": slogan.text, "source": slogan.source, "tags": list(slogan.tags)}, slogan


def _materialise_one(series: Series, item: recurrence.Occurrence, channel_names: list[str], now: datetime) -> Post | None:
    try:
        with transaction.atomic():
            content = _content(series, item)
            if content is None:
                log.warning("series %s: the slogan library of %s is empty; occurrence %s skipped",
                            series.pk, series.unit.slug, item.at.isoformat())
                return None
            title, body, fields, slogan = content
            post = post_create(author=series.author, unit=series.unit, kind=series.kind, title=title, body=body,
                               channel_names=channel_names, publish_at=item.at, fields=fields, now=now)
            # The constraint that makes a concurrent run's second post fail, here and not later.
            Post.objects.filter(pk=post.pk).update(series=series, occurrence_at=item.at, slogan=slogan)
            audit.record("series.occurrence", post, unit=series.unit, series=series.pk, occurrence=item.at.isoformat())
            post = post_submit(post, by=series.author, now=now)
            if series.approver_id:
                _approve(post, series, now)
    except IntegrityError:
        log.info("series %s: occurrence %s was materialised by another run", series.pk, item.at.isoformat())
        return None
    except Invalid as exc:
        log.warning("series %s: occurrence %s not materialised: %s", series.pk, item.at.isoformat(), exc.message)
        return None
    post.refresh_from_db()
    return post


def _approve(post: Post, series: Series, now: datetime) -> None:
    """Approve on the series' approval; if the approver can no longer approve, the post waits for a person."""
    try:
        with transaction.atomic():
            post_approve(post, by=series.approver, now=now)
    except Invalid as exc:
        log.warning("series %s: post %s awaits approval: %s", series.pk, post.pk, exc.message)
