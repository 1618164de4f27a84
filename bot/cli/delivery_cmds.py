"""`loa delivery …`: an officer's decisions about unconfirmed and failed deliveries."""

from __future__ import annotations

import sys

from django.utils.translation import gettext as _

from bot.org import get_user
from bot.publishing.officer import confirm_published, get_delivery, give_up, publish_again


def register(sub) -> None:
    delivery = sub.add_parser("delivery", help="decide about unconfirmed or failed deliveries").add_subparsers(
        dest="action", required=True
    )
    p = delivery.add_parser("confirm", help="it IS on the platform (unconfirmed -> sent)")
    p.add_argument("id")
    p.add_argument("--by", required=True, metavar="USERNAME")
    p.add_argument("--permalink", default="")
    p.set_defaults(handler=cmd_confirm)
    p = delivery.add_parser("resend", help="it is NOT on the platform: publish again (may duplicate if wrong)")
    p.add_argument("id")
    p.add_argument("--by", required=True, metavar="USERNAME")
    p.set_defaults(handler=cmd_resend)
    p = delivery.add_parser("close", help="it is not on the platform and will not be sent (unconfirmed -> failed)")
    p.add_argument("id")
    p.add_argument("--by", required=True, metavar="USERNAME")
    p.add_argument("--reason", default="")
    p.set_defaults(handler=cmd_close)


def cmd_confirm(args) -> int:
    confirm_published(get_delivery(args.id), by=get_user(args.by), permalink=args.permalink)
    print(_("Delivery %(id)s marked as published.") % {"id": args.id}, file=sys.stderr)
    return 0


def cmd_resend(args) -> int:
    publish_again(get_delivery(args.id), by=get_user(args.by))
    print(_("Delivery %(id)s will be published again at the next tick.") % {"id": args.id}, file=sys.stderr)
    return 0


def cmd_close(args) -> int:
    give_up(get_delivery(args.id), by=get_user(args.by), reason=args.reason)
    print(_("Delivery %(id)s closed as not published.") % {"id": args.id}, file=sys.stderr)
    return 0
