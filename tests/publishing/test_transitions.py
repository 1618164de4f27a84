"""`move` writes one delivery in one statement on PostgreSQL and several through the ORM: both
must move the same rows, refuse the same rows and leave the same audit trail."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bot.models import AuditEntry, Delivery
from bot.publishing import states
from bot.publishing.transitions import move

pytestmark = pytest.mark.django_db


def one_at_a_time(ids, to, **kwargs):
    return [pk for one in ids for pk in move(one, to, **kwargs)]


def all_together(ids, to, **kwargs):
    return move(ids, to, **kwargs)


@pytest.mark.parametrize("mover", [one_at_a_time, all_together])
def test_both_paths_move_guard_and_audit_alike(scripted, approve, people, mover):
    first, second = approve(scripted), approve(scripted, title="Bản tin tháng 12")
    ids = [first[0].pk, second[0].pk]
    Delivery.objects.filter(pk__in=ids).update(state=states.QUEUED)
    Delivery.objects.filter(pk=ids[1]).update(attempts=3)
    when = timezone.now()

    moved = mover(ids, states.SENDING, sources={states.QUEUED}, guard={"attempts": 0}, actor=people["minh"],
                  reason="thử", attempts=1, sending_at=when, snapshot={"text": "Cải cách 🇻🇳"}, last_error="")

    assert moved == [ids[0]]  # the guard kept the second back
    kept, started = Delivery.objects.get(pk=ids[1]), Delivery.objects.get(pk=ids[0])
    assert (kept.state, kept.attempts) == (states.QUEUED, 3)
    assert (started.state, started.attempts, started.sending_at) == (states.SENDING, 1, when)
    assert started.snapshot == {"text": "Cải cách 🇻🇳"} and started.updated_at >= when
    (entry,) = AuditEntry.objects.filter(action="delivery.sending")
    assert (entry.target, entry.actor, entry.actor_name) == (f"delivery:{ids[0]}", people["minh"], "minh")
    assert entry.unit_id == started.post.unit_id and entry.details == {"reason": "thử", "attempts": 1,
                                                                       "last_error": ""}
    assert mover([ids[0]], states.SENDING, sources={states.QUEUED}) == []  # already moved: nothing again


def test_one_delivery_moves_in_one_statement(scripted, approve):
    (delivery,) = approve(scripted)
    Delivery.objects.filter(pk=delivery.pk).update(state=states.QUEUED)
    with CaptureQueriesContext(connection) as queries:
        assert move(delivery.pk, states.SENDING, sources={states.QUEUED}, attempts=1) == [delivery.pk]
    assert len(queries) == 1
    assert AuditEntry.objects.filter(action="delivery.sending", target=f"delivery:{delivery.pk}").count() == 1


def test_an_unaudited_move_of_one_delivery_writes_no_audit_row(scripted, approve):
    (delivery,) = approve(scripted)
    before = AuditEntry.objects.count()
    assert move(delivery.pk, states.QUEUED, sources={states.SCHEDULED}, queued_at=timezone.now()) == [delivery.pk]
    assert AuditEntry.objects.count() == before
    assert Delivery.objects.get(pk=delivery.pk).state == states.QUEUED
