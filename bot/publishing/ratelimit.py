"""Rate limits shared by every worker on every machine: GCRA, a token bucket kept as one timestamp
per key, in Redis (production) or in the database (embedded defaults).

Slots are *reserved*: a delivery told to wait is rescheduled to exactly its slot and keeps it, so
a burst of deliveries to one channel spreads out evenly instead of retrying as a herd. A platform's
own `retry_after` pauses the key, so the next deliveries wait instead of collecting more refusals.
"""

from __future__ import annotations

import time
from functools import lru_cache

import redis
from django.conf import settings
from django.db import transaction

from bot.models import RateSlot
from channels.base import Adapter, Rate

PREFIX = "loa:rl:"

# Reserve (pause = 0) or pause (pause > 0) every key, in one call; returns the longest wait in
# seconds, as a string. ARGV: cost, pause, then each key's interval and tolerance in turn.
GCRA_LUA = """
local cost, pause = tonumber(ARGV[1]), tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local longest = 0
for i, key in ipairs(KEYS) do
  local interval, tolerance = tonumber(ARGV[1 + 2 * i]), tonumber(ARGV[2 + 2 * i])
  local tat = tonumber(redis.call('GET', key) or '0')
  if tat < now then tat = now end
  if pause > 0 then
    if now + pause + tolerance > tat then tat = now + pause + tolerance end
  else
    if tat - tolerance - now > longest then longest = tat - tolerance - now end
    tat = tat + interval * cost
  end
  redis.call('SET', key, string.format('%.6f', tat), 'EX', math.ceil(tat - now) + 60)
end
return string.format('%.6f', longest)
"""


def gcra(tat: float, now: float, interval: float, tolerance: float, cost: int) -> tuple[float, float]:
    """Reserve `cost` emissions. Returns (new theoretical arrival time, seconds to wait)."""
    tat = max(tat, now)
    wait = max(0.0, tat - tolerance - now)
    return tat + interval * cost, wait


# Spaced at exactly the platform's limit, the 21st message of "20 a minute" lands on the edge of the
# platform's window, and a few milliseconds of jitter in the first one earns a 429 (seen in the flood test:
# 9 refusals in 200 posts). Aiming 5% under the limit keeps clear of the edge.
HEADROOM = 1.05


def _shape(rate: Rate) -> tuple[float, float]:
    interval = rate.seconds / rate.count * (HEADROOM if rate is not PAUSE_RATE else 1.0)
    return interval, interval * (max(1, rate.burst) - 1)


# Every channel also has a pause key: practically unlimited, but a platform's retry_after
# pushes it into the future, which holds back every delivery of that channel.
PAUSE_RATE = Rate("channel", 1000, 1.0, burst=1000)


def pause_key(kind: str, channel_id: int) -> str:
    return f"{PREFIX}{kind}:{channel_id}:pause"


def keys_for(kind: str, channel_id: int, rates: tuple[Rate, ...]) -> list[tuple[str, Rate]]:
    keys = [(f"{PREFIX}{kind}:{channel_id if r.scope == 'channel' else '*'}:{r.count}/{r.seconds}", r) for r in rates]
    return keys + [(pause_key(kind, channel_id), PAUSE_RATE)]


@lru_cache(maxsize=4)
def _redis(url: str):
    client = redis.Redis.from_url(url)
    return client, client.register_script(GCRA_LUA)


def _run(keys: list[tuple[str, Rate]], cost: int, pause: float) -> float:
    """Every key in one round trip (Redis) or one transaction (database); the longest wait."""
    url = settings.LOA.redis_url
    if url:
        _client, script = _redis(url)
        shapes = [value for _key, rate in keys for value in _shape(rate)]
        return float(script(keys=[key for key, _rate in keys], args=[cost, pause, *shapes]))
    with transaction.atomic():  # rows locked in one global order: two workers never wait on each other in a cycle
        return max(_run_in_database(key, *_shape(rate), cost, pause) for key, rate in sorted(keys, key=lambda k: k[0]))


def _run_in_database(key: str, interval: float, tolerance: float, cost: int, pause: float) -> float:
    slot, _ = RateSlot.objects.select_for_update().get_or_create(key=key)
    now = time.time()
    if pause > 0:
        slot.tat, wait = max(slot.tat, now + pause + tolerance), 0.0
    else:
        slot.tat, wait = gcra(slot.tat, now, interval, tolerance, cost)
    slot.save(update_fields=["tat"])
    return wait


def reserve(adapter_cls: type[Adapter], channel_id: int, cost: int = 1) -> float:
    """Reserve a slot on every limit of this channel; returns how long to wait for it (0 = go now)."""
    return _run(keys_for(adapter_cls.kind, channel_id, adapter_cls.rates), cost, 0.0)


def paused_for(adapter_cls: type[Adapter], channel_id: int) -> float:
    """Seconds left of a pause the platform asked for on this channel (0 when none); reads, reserves nothing."""
    key = pause_key(adapter_cls.kind, channel_id)
    _interval, tolerance = _shape(PAUSE_RATE)
    url = settings.LOA.redis_url
    if url:
        client, _script = _redis(url)
        tat, (seconds, micros) = client.get(key), client.time()
        now = seconds + micros / 1_000_000
    else:
        tat, now = RateSlot.objects.filter(key=key).values_list("tat", flat=True).first(), time.time()
    return max(0.0, float(tat or 0) - tolerance - now)


def pause(adapter_cls: type[Adapter], channel_id: int, seconds: float) -> None:
    """The platform asked us to wait: nobody sends to this channel for `seconds`."""
    _run([(pause_key(adapter_cls.kind, channel_id), PAUSE_RATE)], 0, max(seconds, 0.001))
