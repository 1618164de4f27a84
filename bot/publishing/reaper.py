"""Deliveries whose worker died: `sending` past a bound becomes `unconfirmed`; reconciliation finds them.

A worker killed mid-call leaves no trace of whether the platform created the post, so the reaper
never resends: it marks the delivery for a human, and `reconcile` asks the platform where it can.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from bot.channel_config import adapter_for
from bot.models import Delivery
from bot.publishing import states
from bot.publishing.transitions import move
from channels import registry
from channels.base import Message

log = logging.getLogger("loa.publishing")


def reap(now: datetime, sending_timeout: float) -> list[int]:
    cutoff = now - timedelta(seconds=sending_timeout)
    ids = list(Delivery.objects.filter(state=states.SENDING, sending_at__lt=cutoff).values_list("pk", flat=True))
    moved = move(
        ids, states.UNCONFIRMED, sources={states.SENDING}, guard={"sending_at__lt": cutoff},
        last_error=_("Publishing was interrupted; check the platform before publishing again."),
    )
    if moved:
        log.warning("reaped %d deliveries stuck in sending: %s", len(moved), moved)
    return moved


def reconcile(limit: int = 100) -> list[int]:
    """Ask each unconfirmed delivery's platform whether the post exists; mark the ones found as sent."""
    found_ids = []
    searchable = [kind for kind in registry.kinds() if registry.adapter_class(kind).can_find]
    # Newest first: a platform's search looks at its recent posts, and old deliveries an officer has not
    # settled yet must not hold back a fresh one that can still be found.
    pending = (
        Delivery.objects.select_related("channel")
        .filter(state=states.UNCONFIRMED, snapshot__isnull=False, channel__kind__in=searchable)
        .order_by("-pk")[:limit]
    )
    for delivery in pending:
        try:
            found = adapter_for(delivery.channel).find(Message.from_snapshot(delivery.snapshot))
        except Exception as exc:  # noqa: BLE001 - a failed lookup proves nothing; try again later
            log.warning("reconcile of delivery %s failed: %s", delivery.pk, type(exc).__name__)
            continue
        if found is None:
            continue
        moved = move(
            delivery.pk, states.SENT, sources={states.UNCONFIRMED},
            remote_id=found.remote_id, permalink=found.permalink, sent_at=timezone.now(), last_error="",
            reason="found on the platform",
        )
        found_ids.extend(moved)
    return found_ids
