"""Property: no sequence of ticks, task runs, duplicate or lost messages, platform failures, crashes,
reaps and reconciliations publishes a delivery twice; and a delivery ends `sent` exactly when the
platform holds it, `failed` only when the platform does not."""

from datetime import timedelta

import redis
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, settings as hsettings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from bot.models import Channel, Delivery
from bot.publishing import ratelimit, states
from bot.publishing.claim import claim_due
from bot.publishing.publisher import publish_delivery
from bot.publishing.reaper import reap, reconcile
from tests.fakes import Crash, ScriptedPlatform

ANSWERS = ["ok", "rate", "notcreated", "auth", "bad", "crash-before", "unknown", "boom", "crash-after"]
SENDING_TIMEOUT = 300


def clear_rate_limits():
    client = redis.Redis.from_url(settings.LOA.redis_url)
    for key in client.scan_iter(f"{ratelimit.PREFIX}*"):
        client.delete(key)


def test_no_sequence_of_events_publishes_a_delivery_twice(transactional_db, scripted, approve):
    class Queue(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.atomic = transaction.atomic()
            self.atomic.__enter__()
            ScriptedPlatform.reset()
            clear_rate_limits()
            self.clock = timezone.now()
            self.broker: list[int] = []
            self.ids = [d.pk for i in range(3) for d in approve(scripted, title=f"Bài {i}")]

        def teardown(self):
            transaction.set_rollback(True)
            self.atomic.__exit__(None, None, None)

        @rule(batch=st.integers(1, 3))
        def tick(self, batch):
            self.broker += [c.delivery_id for c in claim_due(self.clock, batch)]

        @rule(answer=st.sampled_from(ANSWERS), index=st.integers(0, 10))
        def run_task(self, answer, index):
            if not self.broker:
                return
            delivery_id = self.broker.pop(index % len(self.broker))
            ScriptedPlatform.script = [answer]
            try:
                publish_delivery(delivery_id)
            except Crash:
                pass  # the worker died mid-task; its delivery may be left in `sending`
            ScriptedPlatform.script = []

        @rule()
        def broker_duplicates_a_message(self):
            if self.broker:
                self.broker.append(self.broker[0])

        @rule()
        def broker_loses_a_message(self):
            if self.broker:
                self.broker.pop(0)

        @rule(seconds=st.sampled_from([1, 30, 121, 301, 3600]))
        def time_passes(self, seconds):
            self.clock += timedelta(seconds=seconds)

        @rule()
        def reaper_runs(self):
            reap(self.clock, SENDING_TIMEOUT)

        @rule()
        def reconciliation_runs(self):
            reconcile()

        @rule()
        def admin_reauthorises_the_channel(self):
            Channel.objects.filter(pk=scripted.pk).update(needs_reauth=False)

        @invariant()
        def published_at_most_once(self):
            assert all(n <= 1 for n in ScriptedPlatform.created.values()), ScriptedPlatform.created

        @invariant()
        def states_agree_with_the_platform(self):
            for marker, state in Delivery.objects.filter(pk__in=self.ids).values_list("marker", "state"):
                if state == states.SENT:
                    assert ScriptedPlatform.created[marker] == 1
                if state in (states.FAILED, states.SCHEDULED, states.QUEUED):
                    assert ScriptedPlatform.created[marker] == 0

    run_state_machine_as_test(
        Queue,
        settings=hsettings(
            max_examples=60, stateful_step_count=40, deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )
