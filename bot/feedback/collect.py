"""Bringing citizens' replies in: polling each channel with its stored cursor, and processing the
webhook bodies stored by the hooks. Both end in `ingest`, which stores each message once."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from bot.channel_config import adapter_for
from bot.feedback.complaints import auto_answer
from bot.feedback.ingest import ingest
from bot.models import Channel, InboundEvent
from bot.publishing import states
from channels.errors import ChannelError

log = logging.getLogger("loa.feedback")
RECENT_POSTS = timedelta(days=14)  # comments on older posts are rare; polling them all costs calls


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
    event = InboundEvent.objects.select_related("channel").filter(pk=event_id, processed_at__isnull=True).first()
    if event is None:
        return 0
    try:
        items = adapter_for(event.channel).parse_webhook(event.headers, bytes(event.body))
    except ChannelError as exc:
        InboundEvent.objects.filter(pk=event.pk).update(processed_at=timezone.now(), error=exc.message)
        return 0
    with transaction.atomic():
        created = ingest(event.channel, items)
        # The raw body holds personal data already stored (minimised) in Feedback: keep no copy.
        InboundEvent.objects.filter(pk=event.pk).update(processed_at=timezone.now(), body=b"")
    auto_answer(event.channel, created)
    return len(created)


def process_pending(limit: int = 500) -> int:
    """The safety net for events whose task message was lost: process what is still waiting."""
    ids = InboundEvent.objects.filter(processed_at__isnull=True).order_by("pk").values_list("pk", flat=True)[:limit]
    return sum(process_event(pk) for pk in list(ids))
