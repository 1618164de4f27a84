"""/healthz for load balancers and monitoring: the database, the broker, and each enabled channel.

The web process is healthy (200) when it can reach the database and the broker; a channel that cannot publish
makes the answer "degraded" but not 503, since restarting the web server would not fix a revoked token.
A channel's health asks its platform (a token check, a quota read), so results are kept for CHANNEL_TTL
seconds: a monitor polling every 10 s must not spend the platforms' rate limits."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait

from django.db import DatabaseError, connection
from django.http import HttpResponse

from bot.channel_config import adapter_for
from bot.models import Channel
from channels.errors import ChannelError

CHANNEL_TTL = 60.0
CHANNEL_TIMEOUT = 5.0
_cache: dict[int, tuple[float, dict]] = {}
_lock = threading.Lock()


def check_database() -> dict:
    try:
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return {"ok": True}
    except DatabaseError:
        return {"ok": False, "detail": "database unavailable"}


def check_broker() -> dict:
    import worker  # noqa: PLC0415 - the Celery app; only the health check and task senders need it

    try:
        with worker.app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return {"ok": True}
    except Exception:  # noqa: BLE001 - kombu raises many kinds; all mean the broker is unreachable
        return {"ok": False, "detail": "broker unavailable"}


def _channel_health(channel: Channel) -> dict:
    try:
        return _ask(channel)
    finally:
        connection.close()  # this runs in a pool thread: its own database connection must not linger


def _ask(channel: Channel) -> dict:
    if not channel.enabled:
        return {"ok": True, "detail": "disabled"}
    if channel.needs_reauth:
        return {"ok": False, "detail": "needs re-authorisation"}
    try:
        health = adapter_for(channel).health()
    except ChannelError as exc:
        return {"ok": False, "detail": exc.message}
    except Exception:  # noqa: BLE001 - a health check must answer, whatever the adapter did
        return {"ok": False, "detail": "health check failed"}
    return {"ok": health.ok, "detail": health.detail}


def check_channels(now: float | None = None) -> dict[str, dict]:
    now = now or time.monotonic()
    channels = list(Channel.objects.order_by("name"))
    with _lock:
        stale = [c for c in channels if c.pk not in _cache or now - _cache[c.pk][0] > CHANNEL_TTL]
    if stale:
        pool = ThreadPoolExecutor(max_workers=min(8, len(stale)))
        futures = {pool.submit(_channel_health, c): c for c in stale}
        done, _pending = wait(futures, timeout=CHANNEL_TIMEOUT)
        pool.shutdown(wait=False)  # a platform that hangs must not hold the answer past the timeout
        with _lock:
            for future, channel in futures.items():
                result = future.result() if future in done else {"ok": False, "detail": "no answer in time"}
                _cache[channel.pk] = (now, result)
    with _lock:
        return {c.name: _cache[c.pk][1] for c in channels if c.pk in _cache}


def healthz(request):
    database, broker = check_database(), check_broker()
    channels = check_channels() if database["ok"] else {}
    vital = database["ok"] and broker["ok"]
    status = "down" if not vital else ("ok" if all(c["ok"] for c in channels.values()) else "degraded")
    body = {"status": status, "database": database, "broker": broker, "channels": channels}
    return HttpResponse(json.dumps(body, ensure_ascii=False), status=200 if vital else 503,
                        content_type="application/json")
