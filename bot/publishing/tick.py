"""One scheduler tick: claim what is due, batch by batch, and hand each claim to `dispatch`."""

from __future__ import annotations

from typing import Callable

from django.utils import timezone

from bot.publishing.claim import Claimed, claim_due

MAX_BATCHES_PER_TICK = 1000


def run_tick(dispatch: Callable[[Claimed], None], *, batch: int, now=None) -> int:
    """Returns how many deliveries were claimed. A dispatch error stops the tick; the rows stay
    queued and the next ticks re-dispatch them (see claim.REDISPATCH_AFTER)."""
    now = now or timezone.now()
    total = 0
    for _ in range(MAX_BATCHES_PER_TICK):
        claimed = claim_due(now, batch)
        for item in claimed:
            dispatch(item)
        total += len(claimed)
        if len(claimed) < batch:
            break
    return total
