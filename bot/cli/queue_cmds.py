"""`loa tick`, `loa reap`, `loa reconcile`: the scheduler's steps, run by hand or by cron."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from bot.publishing.publisher import publish_delivery
from bot.publishing.reaper import reap, reconcile
from bot.publishing.tick import run_tick
from bot.tasks import send_publish
import worker  # noqa: F401,I001 - configures the Celery app (broker) that send_publish uses


def register(sub) -> None:
    p = sub.add_parser("tick", help="claim what is due and send it to the workers")
    p.add_argument("--inline", action="store_true", help="publish in this process, without a broker")
    p.set_defaults(handler=cmd_tick)
    p = sub.add_parser("reap", help="mark deliveries stuck in 'sending' as unconfirmed")
    p.set_defaults(handler=cmd_reap)
    p = sub.add_parser("reconcile", help="look unconfirmed deliveries up on their platforms")
    p.set_defaults(handler=cmd_reconcile)


def cmd_tick(args) -> int:
    outcomes: dict[str, int] = {}

    def inline(item):
        outcome = publish_delivery(item.delivery_id)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1

    if args.inline:
        dispatch = inline
    else:
        dispatch = send_publish
    claimed = run_tick(dispatch, batch=settings.LOA.claim_batch)
    print(_("%(n)d deliveries claimed.") % {"n": claimed})
    for outcome, n in sorted(outcomes.items()):
        print(f"  {outcome}: {n}")
    return 0


def cmd_reap(args) -> int:
    moved = reap(timezone.now(), settings.LOA.sending_timeout)
    print(_("%(n)d deliveries marked unconfirmed.") % {"n": len(moved)})
    return 0


def cmd_reconcile(args) -> int:
    found = reconcile()
    print(_("%(n)d unconfirmed deliveries found on their platforms.") % {"n": len(found)})
    return 0
