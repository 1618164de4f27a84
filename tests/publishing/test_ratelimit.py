"""Shared rate limits: GCRA reservations in Redis and in the database agree, spread bursts evenly,
and a platform's retry_after holds back every delivery of the channel."""

import time

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
    """The k-th reservation's slot is k intervals (0.1 s, with the 5% headroom) after the first, however slow
    the calls."""
    calls = []
    for _ in range(5):
        before = time.time()
        wait = ratelimit.reserve(Chatty, channel_id=7)
        calls.append((before + wait, time.time() + wait))  # the slot lies between these two
    (first_lo, first_hi), clock_skew, step = calls[0], 0.005, 0.1 * ratelimit.HEADROOM
    for k, (lo, hi) in enumerate(calls[1:], start=1):
        assert first_lo + k * step - clock_skew <= hi and lo <= first_hi + k * step + clock_skew, (k, calls)
    assert ratelimit.reserve(Chatty, channel_id=8) == 0.0, "another channel has its own bucket"


def test_a_pause_outranks_a_reservation_and_is_read_without_reserving(backend):
    assert ratelimit.paused_for(Chatty, channel_id=7) == 0.0
    ratelimit.pause(Chatty, channel_id=7, seconds=30)
    assert 29 < ratelimit.paused_for(Chatty, channel_id=7) <= 30.01
    assert 29 < ratelimit.paused_for(Chatty, channel_id=7) <= 30.01, "reading twice reserves nothing"
    assert ratelimit.paused_for(Chatty, channel_id=9) == 0.0


def test_a_platform_pause_holds_back_the_channel(backend):
    ratelimit.pause(Chatty, channel_id=7, seconds=30)
    assert 29 < ratelimit.reserve(Chatty, channel_id=7) <= 30.2
    assert ratelimit.reserve(Chatty, channel_id=9) < 1
