"""Bringing citizens' replies in: polling each channel with its stored cursor, and processing the
webhook bodies stored by the hooks. Both end in `ingest`, which stores each message once."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from django.db import OperationalError, transaction
from django.utils import timezone

from bot.channel_config import adapter_for
from bot.feedback.complaints import auto_answer
from bot.feedback.ingest import ingest
from bot.models import Channel, InboundEvent
from bot.publishing import states
from channels.errors import ChannelError

log = logging.getLogger("loa.feedback")
RECENT_POSTS = timedelta(days=14)  # comments on older posts are rare; polling them all costs calls
BATCH = 500  # stored webhook bodies taken at once: one transaction, one `ingest` per channel


def recent_post_ids(channel: Channel) -> tuple[str, ...]:
    since = timezone.now() - RECENT_POSTS
    sent = channel.deliveries.filter(state=states.SENT, sent_at__gte=since).exclude(remote_id="")
    return tuple(sent.values_list("remote_id", flat=True))


def collect(channel: Channel) -> int:
    """Poll one channel; returns how many new feedback records were stored."""
    items, cursor = adapter_for(channel).fetch_replies(channel.reply_cursor, recent_post_ids(channel))
    with transaction.atomic():
        created = ingest(channel, items)
        Channel.objects.filter(pk=channel.pk).update(reply_cursor=cursor)
    auto_answer(channel, created)  # after the commit: a platform call never holds the transaction open
    return len(created)


def collect_all(name: str | None = None) -> dict[str, int | str]:
    """Poll every enabled channel (or one); a channel that fails says why and the others go on."""
    channels = Channel.objects.filter(enabled=True, needs_reauth=False)
    if name:
        channels = channels.filter(name=name)
    results: dict[str, int | str] = {}
    for channel in channels:
        try:
            results[channel.name] = collect(channel)
        except ChannelError as exc:
            log.warning("collecting replies from %s failed: %s", channel.name, exc.message)
            results[channel.name] = exc.message
    return results


def process_event(event_id: int) -> int:
    """Parse one stored webhook body and store its replies; returns how many were new."""
    return _process(InboundEvent.objects.filter(pk=event_id), 1)[1]


def process_pending(limit: int = BATCH, budget_seconds: float = 0.0) -> int:
    """Process the stored webhook bodies waiting, oldest first, `limit` at a time; returns how many
    replies were new. One batch, or batch after batch while they come full and `budget_seconds`
    last: the beat runs this every second with a budget just under that (celeryconfig "inbound"),
    so a backlog drains at the pace of one pool process without taking the others. The hooks store
    a body and answer, nothing more: a webhook costs the web server no broker publish
    (docs/performance.md)."""
    created, deadline = 0, time.monotonic() + budget_seconds
    while True:
        claimed, new = _process(InboundEvent.objects.all(), limit)
        created += new
        if claimed < limit or time.monotonic() >= deadline:
            return created


def _process(events, limit: int) -> tuple[int, int]:
    """Claim waiting events (SKIP LOCKED: two workers take different ones), parse each, and store the
    replies of each channel with one `ingest`, as a poll does. A body that cannot be parsed is marked
    with the reason; one whose storing fails is retried alone, so it cannot hold back the others."""
    created: dict[Channel, list] = {}
    with transaction.atomic():
        claimed = list(events.filter(processed_at__isnull=True).select_related("channel")
                       .select_for_update(skip_locked=True, of=("self",)).order_by("pk")[:limit])
        by_channel: dict[Channel, list[tuple[InboundEvent, list]]] = {}
        adapters = {}  # one per channel for the whole batch: making one decrypts the channel's secrets
        for event in claimed:
            if event.channel_id not in adapters:
                adapters[event.channel_id] = adapter_for(event.channel)
            try:
                items = adapters[event.channel_id].parse_webhook(event.headers, bytes(event.body))
            except ChannelError as exc:
                _done(event, error=exc.message)
                continue
            by_channel.setdefault(event.channel, []).append((event, items))
        for channel, parsed in by_channel.items():
            created[channel] = _store(channel, parsed)
    for channel, rows in created.items():
        auto_answer(channel, rows)  # after the commit: a platform call never holds the transaction open
    return len(claimed), sum(len(rows) for rows in created.values())


def _store(channel: Channel, parsed: list[tuple[InboundEvent, list]]) -> list:
    try:
        with transaction.atomic():
            rows = ingest(channel, [item for _event, items in parsed for item in items])
            for event, _items in parsed:
                _done(event)
            return rows
    except OperationalError:
        raise  # a deadlock, a lost connection: nothing is marked, the next sweep takes the batch again
    except Exception:  # noqa: BLE001 - find the one event at fault; the others are stored below
        if len(parsed) == 1:
            log.exception("inbound event %s of %s could not be stored", parsed[0][0].pk, channel.name)
            _done(parsed[0][0], error="could not be stored; see the worker's log")
            return []
        return [row for one in parsed for row in _store(channel, [one])]


def _done(event: InboundEvent, error: str = "") -> None:
    if error:  # the body stays, for whoever fixes the cause (retention removes it with the event)
        InboundEvent.objects.filter(pk=event.pk).update(processed_at=timezone.now(), error=error)
    else:  # the raw body holds personal data already stored (minimised) in Feedback: keep no copy
        InboundEvent.objects.filter(pk=event.pk).update(processed_at=timezone.now(), body=b"")
