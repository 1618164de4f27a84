"""`loa feedback …`: collect citizens' replies, list, answer, export, summarise, erase."""

from __future__ import annotations

import json
import sys

from django.utils.translation import gettext as _

from bot.errors import NotFound
from bot.feedback.answer import answer_feedback
from bot.feedback.collect import collect_all, process_pending
from bot.feedback.export import feedback_row, queryset, summary, write_csv, write_xlsx
from bot.feedback.privacy import erase_author
from bot.feedback.saved_replies import add_reply, replies_for
from bot.feedback.views_log import record_views
from bot.models import Feedback, FeedbackCategory, FeedbackStatus
from bot.access import scope_of
from bot.org import get_unit, get_user


def register(sub) -> None:
    fb = sub.add_parser("feedback", help="citizens' replies").add_subparsers(dest="action", required=True)
    p = fb.add_parser("collect", help="poll the channels for new replies (and process stored webhooks)")
    p.add_argument("--channel", metavar="NAME")
    p.set_defaults(handler=cmd_collect)
    for name, handler in (("list", cmd_list), ("export", cmd_export), ("summary", cmd_summary)):
        p = fb.add_parser(name)
        p.add_argument("--unit", metavar="SLUG")
        p.add_argument("--status", choices=FeedbackStatus.values)
        p.add_argument("--category", choices=FeedbackCategory.values)
        p.add_argument("--unmasked", action="store_true", help="show phone numbers, ID numbers and e-mails")
        p.add_argument("--by", metavar="USERNAME", help="who is reading: limits to their units, logged as viewer")
        p.add_argument("--author", metavar="PSEUDONYM", help="only one citizen's feedback (a citizen's data request)")
        p.set_defaults(handler=handler)
        if name == "list":
            p.add_argument("--json", action="store_true")
        if name == "export":
            p.add_argument("--format", choices=("csv", "xlsx"), required=True)
            p.add_argument("--out", required=True, metavar="FILE")
    p = fb.add_parser("answer", help="answer a citizen on the platform they wrote on")
    p.add_argument("id")
    text = p.add_mutually_exclusive_group(required=True)
    text.add_argument("--text")
    text.add_argument("--saved", metavar="TITLE_OR_ID", help="a saved reply, its variables filled in")
    p.add_argument("--by", required=True, metavar="USERNAME")
    p.set_defaults(handler=cmd_answer)
    saved = fb.add_parser("saved", help="saved replies").add_subparsers(dest="saved_action", required=True)
    p = saved.add_parser("add", help="add a saved reply; variables: {ten_cong_dan} {don_vi} {duong_day_nong} "
                                     "{cong_dich_vu}")
    p.add_argument("--unit", required=True, metavar="SLUG")
    p.add_argument("--title", required=True)
    p.add_argument("--text", required=True)
    p.add_argument("--by", required=True, metavar="USERNAME")
    p.set_defaults(handler=cmd_saved_add)
    p = saved.add_parser("list", help="saved replies a unit may use (its own and its parents')")
    p.add_argument("--unit", required=True, metavar="SLUG")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_saved_list)
    p = fb.add_parser("erase", help="erase everything about one citizen (by the author pseudonym)")
    p.add_argument("--author", required=True)
    p.add_argument("--by", required=True, metavar="USERNAME")
    p.set_defaults(handler=cmd_erase)


def _rows(args):
    """The rows asked for; with --by, only the reader's units, and their reading is logged."""
    rows = queryset(unit=get_unit(args.unit) if args.unit else None, status=args.status, category=args.category)
    if args.author:
        rows = rows.filter(author_key=args.author)
    reader = get_user(args.by) if args.by else None
    if reader is not None:
        rows = rows.filter(channel__unit__in=scope_of(reader))
    return rows, reader


def _shown(args, via: str) -> list[dict]:
    rows, reader = _rows(args)
    rows = list(rows)
    record_views([f.pk for f in rows], viewer=reader, via=via, unmasked=args.unmasked)
    return [feedback_row(f, unmasked=args.unmasked) for f in rows]


def cmd_collect(args) -> int:
    processed = process_pending()
    results = collect_all(args.channel)
    if args.channel and not results:
        raise NotFound(_("Unknown or disabled channel %(name)s.") % {"name": args.channel})
    for name, result in results.items():
        print(f"{name}: {result}")
    print(_("%(n)d stored webhook events processed.") % {"n": processed}, file=sys.stderr)
    return 0 if all(isinstance(r, int) for r in results.values()) else 1


def cmd_list(args) -> int:
    rows = _shown(args, "list")
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        for r in rows:
            print(f"{r['id']}\t{r['status']}\t{r['category']}\t{r['channel']}\t{r['text'][:80]}")
    return 0


def cmd_export(args) -> int:
    rows = _shown(args, "export")
    (write_csv if args.format == "csv" else write_xlsx)(args.out, rows)
    print(_("%(n)d feedback records written to %(path)s.") % {"n": len(rows), "path": args.out}, file=sys.stderr)
    return 0


def cmd_summary(args) -> int:
    print(json.dumps(summary(_rows(args)[0]), ensure_ascii=False, indent=2))
    return 0


def cmd_answer(args) -> int:
    try:
        feedback = Feedback.objects.select_related("channel__unit").get(pk=int(args.id))
    except (Feedback.DoesNotExist, ValueError):
        raise NotFound(_("Unknown feedback %(id)s.") % {"id": args.id}) from None
    feedback = answer_feedback(feedback, by=get_user(args.by), text=args.text or "", saved=args.saved or "")
    print(feedback.answer_remote_id)
    return 0


def cmd_erase(args) -> int:
    count = erase_author(args.author, by=get_user(args.by))
    print(_("%(n)d feedback records of this citizen erased.") % {"n": count}, file=sys.stderr)
    return 0




def cmd_saved_add(args) -> int:
    reply = add_reply(get_unit(args.unit), title=args.title, text=args.text, by=get_user(args.by))
    print(reply.pk)
    return 0


def cmd_saved_list(args) -> int:
    rows = [{"id": r.pk, "unit": r.unit.slug, "title": r.title, "text": r.text}
            for r in replies_for(get_unit(args.unit)).select_related("unit")]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        for r in rows:
            print(f"{r['id']}\t{r['unit']}\t{r['title']}")
    return 0
