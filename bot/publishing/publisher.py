"""Publishing one delivery: intent committed before the platform call, outcome committed right after.

The platform is called outside any transaction and at most once per attempt. What the adapter
raises decides the outcome (channels.errors); anything unexpected counts as an unknown outcome,
because it may have happened after the request left.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from bot.channel_config import adapter_for, channel_update
from bot.content.images import post_images
from bot.content.render import render_message
from bot.crypto import SecretsUnreadable
from bot.models import Channel, Delivery
from bot.publishing import ratelimit, states
from bot.publishing.retry import backoff
from bot.publishing.transitions import move
from channels import registry
from channels.errors import AuthExpired, BadContent, ChannelError, NotCreated, OutcomeUnknown, RateLimited

log = logging.getLogger("loa.publishing")

SKIPPED = "skipped"
THROTTLED = "throttled"
SLOT_EARLY = timedelta(milliseconds=50)  # the beat may wake a little before the reserved slot


def publish_delivery(delivery_id: int) -> str:
    """Publish a queued delivery once. Returns the state it ended in, or 'skipped'."""
    delivery = (
        Delivery.objects.select_related("post__unit", "channel").filter(pk=delivery_id, state=states.QUEUED).first()
    )
    if delivery is None:
        return SKIPPED  # already taken by another worker, cancelled, or re-dispatched twice
    try:
        adapter = adapter_for(delivery.channel)
        message = render_message(delivery.post, delivery.channel, type(adapter), delivery.marker,
                                 images=post_images(delivery.post, type(adapter)))
    except (BadContent, SecretsUnreadable, registry.UnknownKind) as exc:
        moved = move(delivery.pk, states.FAILED, sources={states.QUEUED}, last_error=_error_text(exc))
        return states.FAILED if moved else SKIPPED
    wait = _wait_for_slot(delivery, adapter, message)
    if wait > 0:
        return _postpone(delivery, wait)
    attempt = delivery.attempts + 1
    started = move(
        delivery.pk, states.SENDING, sources={states.QUEUED}, attempts=attempt, sending_at=timezone.now(),
        snapshot=message.snapshot(), last_error="", rate_slot_at=None,
    )
    if not started:
        return SKIPPED
    try:
        published = adapter.publish(message)
    except Exception as exc:  # noqa: BLE001 - every failure is classified, none is re-raised
        _keep_settings_changes(delivery, adapter)
        return _record_failure(delivery, attempt, exc)
    _keep_settings_changes(delivery, adapter)
    move(
        delivery.pk, states.SENT, sources={states.SENDING, states.UNCONFIRMED}, guard={"attempts": attempt},
        remote_id=published.remote_id, permalink=published.permalink, sent_at=timezone.now(), last_error="",
    )
    if published.pause_seconds > 0:
        ratelimit.pause(type(adapter), delivery.channel_id, published.pause_seconds)
    log.info("delivery %s sent to %s as %s", delivery.pk, delivery.channel.name, published.remote_id)
    return states.SENT


def _keep_settings_changes(delivery: Delivery, adapter) -> None:
    if adapter.settings_changes:
        channel_update(delivery.channel, dict(adapter.settings_changes))
        log.warning("channel %s: the platform changed %s", delivery.channel.name, sorted(adapter.settings_changes))


def _wait_for_slot(delivery: Delivery, adapter, message) -> float:
    """Seconds until this delivery may call the platform; 0 when a slot was already reserved for it,
    unless the platform paused the channel since (a 429's retry_after outranks every reservation)."""
    reserved = delivery.rate_slot_at is not None and delivery.rate_slot_at <= timezone.now() + SLOT_EARLY
    if reserved and ratelimit.paused_for(type(adapter), delivery.channel_id) <= 0:
        return 0.0
    return ratelimit.reserve(type(adapter), delivery.channel_id, adapter.cost(message))


def _postpone(delivery: Delivery, wait: float) -> str:
    slot = timezone.now() + timedelta(seconds=wait)
    moved = move(
        delivery.pk, states.SCHEDULED, sources={states.QUEUED}, due_at=slot, rate_slot_at=slot,
        reason="waiting for the channel's rate limit",
    )
    return THROTTLED if moved else SKIPPED


def _error_text(exc: Exception) -> str:
    return exc.message if isinstance(exc, ChannelError) else str(exc)


def _record_failure(delivery: Delivery, attempt: int, exc: Exception) -> str:
    now = timezone.now()
    to, fields = _verdict(exc, attempt, now)
    if isinstance(exc, AuthExpired):
        Channel.objects.filter(pk=delivery.channel_id).update(needs_reauth=True, reauth_reason=exc.message)
    if isinstance(exc, RateLimited):
        ratelimit.pause(registry.adapter_class(delivery.channel.kind), delivery.channel_id, exc.retry_after)
    if not isinstance(exc, ChannelError):
        log.error("delivery %s: unexpected %s from the %s adapter", delivery.pk, type(exc).__name__, delivery.channel.kind)
    move(delivery.pk, to, sources={states.SENDING}, guard={"attempts": attempt}, **fields)
    return to


def _verdict(exc: Exception, attempt: int, now: datetime) -> tuple[str, dict]:
    """Map an adapter failure to (next state, fields). The default is the safe one: unconfirmed."""
    cfg = settings.LOA
    if isinstance(exc, RateLimited):
        return states.SCHEDULED, {"due_at": now + timedelta(seconds=exc.retry_after), "last_error": exc.message}
    if isinstance(exc, NotCreated):
        if attempt >= cfg.max_attempts:
            text = _("Gave up after %(n)d attempts: %(error)s") % {"n": attempt, "error": exc.message}
            return states.FAILED, {"last_error": text}
        return states.SCHEDULED, {"due_at": now + backoff(attempt, cfg.retry_base_seconds), "last_error": exc.message}
    if isinstance(exc, (AuthExpired, BadContent)):
        return states.FAILED, {"last_error": exc.message}
    if isinstance(exc, OutcomeUnknown):
        return states.UNCONFIRMED, {"last_error": exc.message}
    return states.UNCONFIRMED, {
        "last_error": _("An unexpected error happened while publishing; check the platform before publishing again.")
    }

