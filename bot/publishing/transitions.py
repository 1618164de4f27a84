"""The one writer of delivery states: checks the transition table and updates conditionally.

Every change of `Delivery.state` goes through `move`. The UPDATE names the allowed source states
in its WHERE clause, so a row that another process moved meanwhile is simply not moved again;
callers learn which rows moved from the return value and act only on those.
"""

from __future__ import annotations

from typing import Iterable

from django.db import transaction
from django.utils import timezone

from bot import audit
from bot.models import AuditEntry, Delivery
from bot.publishing import states

# Claims are bookkeeping of the scheduler, recorded in `queued_at`; every other move is audited.
UNAUDITED = frozenset({states.QUEUED})


def move(
    ids: int | Iterable[int],
    to: str,
    *,
    sources: Iterable[str] | None = None,
    guard: dict | None = None,
    actor=None,
    reason: str = "",
    **fields,
) -> list[int]:
    """Move deliveries to `to` from `sources` (default: every state allowed to reach it).

    `guard` adds conditions (e.g. the attempt number, so a slow worker cannot overwrite a newer
    attempt). Returns the ids that moved.
    """
    id_list = [ids] if isinstance(ids, int) else list(ids)
    allowed = frozenset(sources) if sources is not None else states.sources_of(to)
    states.check(allowed, to)
    if not id_list:
        return []
    values = {"state": to, "updated_at": timezone.now(), **fields}
    with transaction.atomic():
        candidates = Delivery.objects.filter(pk__in=id_list, state__in=allowed, **(guard or {}))
        if len(id_list) == 1:
            moved = id_list if candidates.update(**values) else []
            rows = list(Delivery.objects.filter(pk__in=moved).values_list("pk", "post__unit_id"))
        else:
            rows = list(candidates.select_for_update(of=("self",)).values_list("pk", "post__unit_id"))
            moved = [pk for pk, _ in rows]
            Delivery.objects.filter(pk__in=moved).update(**values)
        if to not in UNAUDITED and rows:
            details = {"reason": reason} if reason else {}
            details.update({k: v for k, v in fields.items() if k in ("remote_id", "last_error", "attempts")})
            AuditEntry.objects.bulk_create(
                AuditEntry(**audit.entry(f"delivery.{to}", f"delivery:{pk}", actor=actor, unit_id=unit_id, **details))
                for pk, unit_id in rows
            )
    return moved
