"""The one writer of delivery states: checks the transition table and updates conditionally.

Every change of `Delivery.state` goes through `move`. The UPDATE names the allowed source states
in its WHERE clause, so a row that another process moved meanwhile is simply not moved again;
callers learn which rows moved from the return value and act only on those.
"""

from __future__ import annotations

from typing import Iterable

from django.db import connection, transaction
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
    details = {"reason": reason} if reason else {}
    details.update({k: v for k, v in fields.items() if k in ("remote_id", "last_error", "attempts")})
    entry = audit.entry(f"delivery.{to}", "", actor=actor, **details) if to not in UNAUDITED else None
    if len(id_list) == 1 and connection.vendor == "postgresql" and not any("__" in name for name in guard or {}):
        return _move_one(id_list[0], allowed, guard or {}, values, entry)
    with transaction.atomic():
        candidates = Delivery.objects.filter(pk__in=id_list, state__in=allowed, **(guard or {}))
        rows = list(candidates.select_for_update(of=("self",)).values_list("pk", "post__unit_id"))
        moved = [pk for pk, _ in rows]
        Delivery.objects.filter(pk__in=moved).update(**values)
        if entry is not None and rows:
            AuditEntry.objects.bulk_create(AuditEntry(**{**entry, "target": f"delivery:{pk}", "unit_id": unit_id})
                                           for pk, unit_id in rows)
    return moved


def _move_one(pk: int, allowed: frozenset[str], guard: dict, values: dict, entry: dict | None) -> list[int]:
    """The same move for one delivery, as one statement: the conditional UPDATE and its audit row
    in a data-modifying WITH, atomic by itself. Every publish makes two such moves (the intent
    before the platform call, the outcome after it); through the ORM each took four round trips
    and ~3 ms (bench/fanout.py). PostgreSQL only, and guards of plain equality only; the rest
    (the embedded database, lookups such as `sending_at__lt`) takes the path above."""
    def column(model, name: str) -> str:
        return qn(model._meta.get_field(name).column)

    def prepared(model, name: str, value):
        return model._meta.get_field(name).get_db_prep_save(value, connection)

    qn = connection.ops.quote_name
    sets = ", ".join(f"{column(Delivery, name)} = %s" for name in values)
    conditions = " AND ".join([f"{column(Delivery, 'id')} = %s", f"{column(Delivery, 'state')} = ANY(%s)",
                               *(f"{column(Delivery, name)} = %s" for name in guard)])
    params = [*(prepared(Delivery, n, v) for n, v in values.items()), pk, sorted(allowed),
              *(prepared(Delivery, n, v) for n, v in guard.items())]
    update = (f"UPDATE {qn(Delivery._meta.db_table)} SET {sets} WHERE {conditions} "
              f"RETURNING {column(Delivery, 'id')} AS id, {column(Delivery, 'post')} AS post_id")
    if entry is None:
        sql = f"WITH moved AS ({update}) SELECT id FROM moved"
    else:
        post = Delivery._meta.get_field("post").related_model
        names = ("at", "actor", "actor_name", "action", "target", "details")
        sql = (f"WITH moved AS ({update}), logged AS ("
               f"INSERT INTO {qn(AuditEntry._meta.db_table)} ({', '.join(column(AuditEntry, n) for n in names)}, "
               f"{column(AuditEntry, 'unit')}) SELECT {', '.join(['%s'] * len(names))}, post.{column(post, 'unit')} "
               f"FROM moved JOIN {qn(post._meta.db_table)} post ON post.{column(post, 'id')} = moved.post_id"
               f") SELECT id FROM moved")
        actor = entry["actor"]
        params += [timezone.now(), actor.pk if actor is not None else None, entry["actor_name"], entry["action"],
                   f"delivery:{pk}", prepared(AuditEntry, "details", entry["details"])]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]
