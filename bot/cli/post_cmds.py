"""`loa post …`: write, submit, approve, return, show and list posts."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bot.cli.timeparse import parse_local_time
from bot.errors import Invalid
from bot.models import PostKind
from bot.org import get_unit, get_user
from bot.content.preview import write_preview
from bot.posts import get_post, post_approve, post_cancel, post_create, post_return, post_submit, resolve_channels
from bot.presenters import post_dict, posts_queryset
from bot.publishing import status as post_status


def register(sub) -> None:
    post = sub.add_parser("post", help="posts and their approval").add_subparsers(dest="action", required=True)

    p = post.add_parser("add", help="write a post (a draft unless --submit); prints its id")
    p.add_argument("--unit", required=True, metavar="SLUG")
    p.add_argument("--kind", required=True, choices=PostKind.values)
    p.add_argument("--title", required=True)
    body = p.add_mutually_exclusive_group()
    body.add_argument("--body")
    body.add_argument("--body-file", metavar="PATH")
    p.add_argument("--fields-file", metavar="PATH", help="the kind's structured fields, as a JSON object (see README)")
    p.add_argument("--channel", action="append", required=True, metavar="NAME", dest="channels")
    p.add_argument("--at", metavar="ISO-8601", help="publishing time; without an offset it is Vietnam time")
    p.add_argument("--by", required=True, metavar="USERNAME")
    p.add_argument("--submit", action="store_true", help="submit for approval at once")
    p.set_defaults(handler=cmd_add)

    for name, handler, text in (("submit", cmd_submit, "submit for approval"), ("approve", cmd_approve, "approve")):
        p = post.add_parser(name, help=text)
        p.add_argument("id")
        p.add_argument("--by", required=True, metavar="USERNAME")
        p.set_defaults(handler=handler)

    p = post.add_parser("return", help="return to its author with a reason")
    p.add_argument("id")
    p.add_argument("--by", required=True, metavar="USERNAME")
    p.add_argument("--reason", required=True)
    p.set_defaults(handler=cmd_return)

    p = post.add_parser("cancel", help="withdraw a post; deliveries not yet sent are cancelled")
    p.add_argument("id")
    p.add_argument("--by", required=True, metavar="USERNAME")
    p.add_argument("--reason", default="")
    p.set_defaults(handler=cmd_cancel)

    p = post.add_parser("preview", help="write exactly what each channel would receive (text and images)")
    p.add_argument("id")
    p.add_argument("--channel", action="append", metavar="NAME", dest="channels")
    p.add_argument("--out", required=True, metavar="DIR")
    p.set_defaults(handler=cmd_preview)

    p = post.add_parser("show", help="one post and its deliveries")
    p.add_argument("id")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_show)

    p = post.add_parser("list", help="posts, newest first")
    p.add_argument("--json", action="store_true")
    p.add_argument("--unit", metavar="SLUG")
    p.add_argument("--status", choices=post_status.ALL)
    p.set_defaults(handler=cmd_list)


def _read_text_file(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise Invalid(_("Cannot read the file %(path)s: %(why)s.") % {"path": path, "why": exc.strerror}) from None
    except UnicodeDecodeError:
        raise Invalid(_("The file %(path)s is not UTF-8 text.") % {"path": path}) from None


def _read_body(args) -> str:
    if args.body is not None:
        return args.body
    return _read_text_file(args.body_file) if args.body_file else ""


def _read_fields(args) -> dict | None:
    if not args.fields_file:
        return None
    try:
        return json.loads(_read_text_file(args.fields_file))
    except json.JSONDecodeError as exc:
        raise Invalid(_("The fields file %(path)s is not valid JSON (line %(line)d: %(why)s).") % {
            "path": args.fields_file, "line": exc.lineno, "why": exc.msg}) from None


def _say(text: str) -> None:
    print(text, file=sys.stderr)


def cmd_add(args) -> int:
    author, unit = get_user(args.by), get_unit(args.unit)
    publish_at = parse_local_time(args.at) if args.at else None
    body, fields = _read_body(args), _read_fields(args)
    with transaction.atomic():
        post = post_create(
            author=author, unit=unit, kind=args.kind, title=args.title, body=body, fields=fields,
            channel_names=args.channels, publish_at=publish_at,
        )
        if args.submit:
            post_submit(post, by=author)
    print(post.pk)
    when = timezone.localtime(publish_at).isoformat() if publish_at else _("on approval")
    _say(_("Post %(id)s saved as %(stage)s; publishing time: %(when)s.") % {
        "id": post.pk, "stage": post.get_workflow_display(), "when": when})
    return 0


def cmd_submit(args) -> int:
    post = post_submit(get_post(args.id), by=get_user(args.by))
    _say(_("Post %(id)s submitted for approval.") % {"id": post.pk})
    return 0


def cmd_approve(args) -> int:
    deliveries = post_approve(get_post(args.id), by=get_user(args.by))
    for d in deliveries:
        _say(_("Delivery to %(channel)s due at %(at)s.") % {
            "channel": d.channel.name, "at": timezone.localtime(d.due_at).isoformat()})
    return 0


def cmd_return(args) -> int:
    post = post_return(get_post(args.id), by=get_user(args.by), reason=args.reason)
    _say(_("Post %(id)s returned to %(author)s.") % {"id": post.pk, "author": post.author.get_username()})
    return 0


def cmd_cancel(args) -> int:
    cancelled = post_cancel(get_post(args.id), by=get_user(args.by), reason=args.reason)
    _say(_("Post %(id)s cancelled; %(n)d deliveries withdrawn.") % {"id": args.id, "n": len(cancelled)})
    return 0


def cmd_preview(args) -> int:
    post = get_post(args.id)
    channels = list(post.channels.all())
    if args.channels:
        channels = resolve_channels(post.unit, args.channels)
    results = write_preview(post, channels, Path(args.out))
    for name, result in results.items():
        print(f"{name}: {result}", file=sys.stderr)
    print(Path(args.out).resolve())
    return 0 if all(r == "ok" for r in results.values()) else 1


def cmd_show(args) -> int:
    post = posts_queryset().filter(pk=get_post(args.id).pk).get()
    data = post_dict(post)
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    print(f"#{data['id']} [{data['status']}] {data['kind']}: {data['title']}")
    for d in data["deliveries"]:
        extra = d["permalink"] or d["last_error"] or ""
        print(f"  {d['channel']:<24} {d['state']:<12} {d['due_at']}  {extra}")
    return 0


def cmd_list(args) -> int:
    posts = posts_queryset()
    if args.unit:
        posts = posts.filter(unit=get_unit(args.unit))
    rows = [post_dict(p) for p in posts]
    if args.status:
        rows = [r for r in rows if r["status"] == args.status]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    for r in rows:
        print(f"{r['id']}\t{r['status']}\t{r['kind']}\t{r['title']}")
    return 0
