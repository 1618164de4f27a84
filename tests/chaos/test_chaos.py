"""At-most-once publishing under chaos: workers SIGKILLed, the broker restarted empty, the workers'
database connections cut and platforms answering 5xx after accepting a post. Nothing is published
twice and nothing is lost silently. (`bench/chaos.py --full` runs the same at 2,000 deliveries.)"""

from __future__ import annotations

import os
import random

import pytest

from bot.publishing import states
from tests.chaos.harness import Plan, run
from tests.chaos.verdict import (DUPLICATE, MISSED, RECONCILED, SENT_ABSENT, SENT_ONCE, STUCK, SURFACED_ABSENT,
                                 SURFACED_PRESENT, Observed, classify)
from tests.processes import pg_env


def seed() -> int:
    """Random per run (more schedules over time), printed in the report; LOA_CHAOS_SEED replays one."""
    return int(os.environ.get("LOA_CHAOS_SEED") or random.SystemRandom().randrange(1 << 24))


@pytest.mark.slow
def test_chaos_at_reduced_size_publishes_nothing_twice_and_loses_nothing(transactional_db, units, people, tmp_path):
    plan = Plan(seed=seed())
    report = run(plan, unit=units["ward"], author=people["lan"], approver=people["minh"], base_env=pg_env(),
                 workdir=tmp_path)
    text = report.text()
    print(text)

    assert report.settled, text
    assert report.verdict.duplicates == 0, text
    assert report.verdict.losses == 0, text
    assert sum(report.verdict.counts.values()) == plan.deliveries, text
    # The chaos happened: without it the run proves nothing.
    events = report.events
    assert events.worker_kills >= 2 and events.worker_kills + events.child_kills >= 4, text
    assert events.redis_restarts == 1 and events.pg_terminated >= 1 and events.fired_5xx >= 1, text
    assert report.through_unconfirmed >= events.fired_5xx, text
    assert report.verdict.total(RECONCILED) >= 1, "a Facebook post answered 5xx was not found again\n" + text
    assert report.verdict.total(SENT_ONCE) >= plan.deliveries // 2, text


def observed(state, on_channel=0, elsewhere=0, reconciled=False, findable=False) -> Observed:
    return Observed(1, "telegram", state, reconciled, on_channel, elsewhere, findable)


@pytest.mark.parametrize("seen, verdict", [
    (observed(states.SENT, 1), SENT_ONCE),
    (observed(states.SENT, 1, reconciled=True), RECONCILED),
    (observed(states.SENT, 2), DUPLICATE),
    (observed(states.UNCONFIRMED, 1, elsewhere=1), DUPLICATE),
    (observed(states.SENT, 0), SENT_ABSENT),
    (observed(states.UNCONFIRMED, 0), SURFACED_ABSENT),
    (observed(states.FAILED, 0), SURFACED_ABSENT),
    (observed(states.UNCONFIRMED, 1), SURFACED_PRESENT),
    (observed(states.UNCONFIRMED, 1, findable=True), MISSED),
    (observed(states.QUEUED, 0), STUCK),
    (observed(states.SENDING, 1), STUCK),
])
def test_each_delivery_is_judged_by_its_state_and_what_the_platform_shows(seen, verdict):
    assert classify(seen) == verdict
