"""`loa series …`: recurring content — add, approve, list, and materialise posts ahead of time."""

from __future__ import annotations

import json
import sys

from django.utils import timezone
from django.utils.translation import gettext as _

from bot.cli.timeparse import parse_local_time
from bot.content import series as service
from bot.content.recurrence import PRESETS
from bot.models import PostKind, Series
from bot.org import get_unit, get_user


def register(sub) -> None:
    series = sub.add_parser("series", help="recurring content (RRULE series)").add_subparsers(dest="action", required=True)

    p = series.add_parser("add", help="create a series; prints its id")
    p.add_argument("--unit", required=True, metavar="SLUG")
    p.add_argument("--name", required=True)
    p.add_argument("--kind", choices=PostKind.values, help="post kind (a preset brings its own)")
    rule = p.add_mutually_exclusive_group(required=True)
    rule.add_argument("--preset", choices=list(PRESETS))
    rule.add_argument("--rrule", metavar="RULE", help="an RFC 5545 RRULE, evaluated in Vietnam time")
    p.add_argument("--start", metavar="ISO-8601", help="the rule's start (DTSTART); without an offset it is Vietnam time")
    p.add_argument("--repeat", action="append", type=int, metavar="MINUTES", dest="repeats",
                   help="broadcast again this many minutes after each occurrence (repeatable)")
    p.add_argument("--channel", action="append", required=True, metavar="NAME", dest="channels")
    p.add_argument("--by", required=True, metavar="USERNAME")
    p.add_argument("--title", help="post title; {month}, {year}, {issue}, {date} are filled in")
    p.add_argument("--body", help="post body, with the same placeholders (slogan series draw their body from the library)")
    p.add_argument("--days-ahead", type=int, default=14, metavar="N", help="materialise posts this many days ahead")
    p.set_defaults(handler=cmd_add)

    p = series.add_parser("approve", help="pre-approve a series: its posts are created approved")
    p.add_argument("id")
    p.add_argument("--by", required=True, metavar="USERNAME")
    p.set_defaults(handler=cmd_approve)

    p = series.add_parser("list", help="series, their rules in plain Vietnamese and their next occurrences")
    p.add_argument("--json", action="store_true")
    p.add_argument("--unit", metavar="SLUG")
    p.set_defaults(handler=cmd_list)

    p = series.add_parser("materialise", help="create the posts of every active series for the days ahead")
    p.set_defaults(handler=cmd_materialise)


def _say(text: str) -> None:
    print(text, file=sys.stderr)


def cmd_add(args) -> int:
    template = {k: v for k, v in (("title", args.title), ("body", args.body)) if v}
    series = service.series_add(
        unit=get_unit(args.unit), author=get_user(args.by), name=args.name, kind=args.kind,
        channel_names=args.channels, preset=args.preset, rrule=args.rrule,
        dtstart=parse_local_time(args.start) if args.start else None, repeats=args.repeats,
        template=template, lookahead_days=args.days_ahead,
    )
    print(series.pk)
    _say(_("Series %(id)s: %(rule)s.") % {"id": series.pk, "rule": service.describe(series)})
    return 0


def cmd_approve(args) -> int:
    series = service.series_approve(service.get_series(args.id), by=get_user(args.by))
    _say(_("Series %(id)s approved; its posts will be created approved.") % {"id": series.pk})
    return 0


def series_dict(series: Series, now=None) -> dict:
    return {
        "id": series.pk,
        "unit": series.unit.slug,
        "name": series.name,
        "kind": series.kind,
        "preset": series.preset,
        "rrule": series.rrule,
        "repeats": series.repeats,
        "description": service.describe(series),
        "approved": series.approver_id is not None,
        "approver": series.approver.get_username() if series.approver_id else None,
        "active": series.active,
        "channels": [c.name for c in series.channels.all()],
        "days_ahead": series.lookahead_days,
        "next": [timezone.localtime(at).isoformat() for at in service.next_occurrences(series, 5, now)],
    }


def cmd_list(args) -> int:
    rows = Series.objects.select_related("unit", "approver").prefetch_related("channels")
    if args.unit:
        rows = rows.filter(unit=get_unit(args.unit))
    data = [series_dict(s) for s in rows]
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    for d in data:
        approved = _("approved") if d["approved"] else _("not approved")
        print(f"{d['id']}\t{d['unit']}\t{d['kind']}\t{d['name']}\t{approved}\t{d['description']}")
        for at in d["next"]:
            print(f"\t{at}")
    return 0


def cmd_materialise(args) -> int:
    posts = service.materialise()
    print(len(posts))
    _say(_("%(n)d posts created from series.") % {"n": len(posts)})
    return 0
