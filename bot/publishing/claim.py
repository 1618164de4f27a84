"""Claiming due deliveries: scheduled (or long-queued) -> queued, each row by exactly one ticker."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q

from bot.models import Delivery
from bot.publishing import states
from bot.publishing.transitions import move

# A queued delivery whose publish message has not been taken this long ago is dispatched again:
# the broker may have lost it (a restart without persistence, a killed worker that had prefetched
# it). Re-dispatch is harmless, since the task itself claims queued -> sending conditionally.
REDISPATCH_AFTER = timedelta(minutes=2)


@dataclass(frozen=True)
class Claimed:
    delivery_id: int
    kind: str


def claim_due(now: datetime, batch: int) -> list[Claimed]:
    """Claim up to `batch` due deliveries in one transaction and return them.

    On PostgreSQL the rows are locked with SKIP LOCKED, so concurrent tickers take disjoint sets
    instead of waiting on each other; on SQLite the IMMEDIATE transaction serialises tickers.
    """
    due = Q(state=states.SCHEDULED, due_at__lte=now) | Q(state=states.QUEUED, queued_at__lte=now - REDISPATCH_AFTER)
    with transaction.atomic():
        rows = list(
            Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(due, channel__enabled=True, channel__needs_reauth=False)
            .order_by("due_at", "pk")
            .values_list("pk", "channel__kind")[:batch]
        )
        kinds = dict(rows)
        moved = move(list(kinds), states.QUEUED, sources={states.SCHEDULED, states.QUEUED}, queued_at=now)
        if len(moved) != len(rows):
            # The rows are locked (PostgreSQL) or the database is ours alone (SQLite): a miss is a bug.
            raise RuntimeError(f"claimed {len(rows)} deliveries but moved {len(moved)}")
    return [Claimed(pk, kinds[pk]) for pk in moved]
