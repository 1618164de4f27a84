"""Celery tasks: thin wrappers that take ids and call the domain. The schedule is in celeryconfig."""

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from bot.content.series import materialise
from bot.feedback.collect import collect_all, process_pending
from bot.content.images import prune_cards
from bot.feedback.privacy import anonymise_expired
from bot.publishing.claim import Claimed
from bot.publishing.publisher import publish_delivery
from bot.publishing.reaper import reap, reconcile
from bot.publishing.tick import run_tick
from bot.queues import publish_queue


@shared_task(name="loa.publish", ignore_result=True)
def publish(delivery_id: int) -> str:
    return publish_delivery(delivery_id)


def send_publish(item: Claimed) -> None:
    publish.apply_async((item.delivery_id,), queue=publish_queue(item.kind))


@shared_task(name="loa.tick", ignore_result=True)
def tick() -> int:
    return run_tick(send_publish, batch=settings.LOA.claim_batch)


@shared_task(name="loa.reap", ignore_result=True)
def reap_stuck() -> int:
    return len(reap(timezone.now(), settings.LOA.sending_timeout))


@shared_task(name="loa.reconcile", ignore_result=True)
def reconcile_unconfirmed() -> int:
    return len(reconcile())


@shared_task(name="loa.materialise", ignore_result=True)
def materialise_series() -> int:
    return len(materialise())


@shared_task(name="loa.process_inbound", ignore_result=True)
def process_inbound(event_id: int | None = None) -> int:
    """The webhook bodies waiting, in one batch (every second, from the beat). `event_id` is ignored:
    it is accepted for messages queued by versions that sent one task per webhook."""
    return process_pending(budget_seconds=0.9)


@shared_task(name="loa.collect", ignore_result=True)
def collect_replies() -> int:
    return sum(n for n in collect_all().values() if isinstance(n, int))


@shared_task(name="loa.retention", ignore_result=True)
def apply_retention() -> int:
    prune_cards()
    return anonymise_expired()
