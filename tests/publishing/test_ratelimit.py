"""Shared rate limits: GCRA reservations in Redis and in the database agree, spread bursts evenly,
and a platform's retry_after holds back every delivery of the channel."""

import pytest
from django.test import override_settings
from django.conf import settings

from bot.publishing import ratelimit
from channels.base import Adapter, Rate


class Chatty(Adapter):
    kind = "chatty"
    label = "test"
    rates = (Rate("channel", 10, 1.0), Rate("platform", 100, 1.0, burst=100))

    def publish(self, message):
        raise NotImplementedError


def test_gcra_spaces_requests_after_the_burst():
    tat, wait = 0.0, 0.0
    waits = []
    for _ in range(4):
        tat, wait = ratelimit.gcra(tat, 100.0, interval=0.5, tolerance=0.5, cost=1)
        waits.append(wait)
    assert waits == [0.0, 0.0, 0.5, 1.0]


@pytest.fixture(params=["redis", "database"])
def backend(request, redis_db, db):
    url = settings.LOA.redis_url if request.param == "redis" else ""
    loa = settings.LOA.__class__(**{**vars(settings.LOA), "redis_url": url})
    with override_settings(LOA=loa):
        yield request.param


def test_reservations_hand_out_evenly_spaced_slots(backend):
    waits = [ratelimit.reserve(Chatty, channel_id=7) for _ in range(5)]
    assert waits[0] == 0.0
    gaps = [b - a for a, b in zip(waits, waits[1:])]
    assert all(0.08 < g < 0.12 for g in gaps), waits
    assert ratelimit.reserve(Chatty, channel_id=8) == 0.0, "another channel has its own bucket"


def test_a_platform_pause_holds_back_the_channel(backend):
    ratelimit.pause(Chatty, channel_id=7, seconds=30)
    assert 29 < ratelimit.reserve(Chatty, channel_id=7) <= 30.2
    assert ratelimit.reserve(Chatty, channel_id=9) < 1
