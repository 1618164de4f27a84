"""Storing what citizens wrote: one Feedback per (channel, remote id) whichever path saw it,
linked to the delivery it answers, classified, pseudonymised, with a due date."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta, timezone as dt_timezone

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from bot.content.render import nfc
from bot.feedback.classify import Rules, classify
from bot.feedback.rules import current_rules
from bot.models import Channel, Delivery, Feedback, FeedbackCategory, ThreadMap
from channels.base import Reply, ThreadLink

# Days to answer, by category: questions fast, reports within the week; praise and spam need no
# answer; complaints get the formal-channel answer at once.
DUE_DAYS = {
    FeedbackCategory.QUESTION: 3, FeedbackCategory.REPORT: 5, FeedbackCategory.PROPOSAL: 10,
    FeedbackCategory.COMPLAINT: 2, FeedbackCategory.OTHER: 7,
}
ANSWERABLE_KINDS = {"comment", "message"}


def pseudonym(channel: Channel, author_id: str) -> str:
    """A stable, non-reversible key for one citizen on one channel (the platform id is not stored)."""
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"{channel.kind}:{channel.pk}:{author_id}".encode(), hashlib.sha256).hexdigest()[:32]


def _received(reply: Reply) -> datetime:
    if reply.received_at:
        return datetime.fromtimestamp(reply.received_at, tz=dt_timezone.utc)
    return timezone.now()


def _delivery_ids(channel: Channel, replies: list[Reply]) -> dict[str, int]:
    """Our post's remote id (or its Telegram discussion thread) -> delivery id."""
    wanted = {r.in_reply_to for r in replies if r.in_reply_to}
    threads = dict(ThreadMap.objects.filter(channel=channel, thread_id__in=wanted)
                   .values_list("thread_id", "post_remote_id"))
    by_post = dict(Delivery.objects.filter(channel=channel, remote_id__in=wanted | set(threads.values()))
                   .values_list("remote_id", "pk"))
    return {ref: by_post.get(threads.get(ref, ref)) for ref in wanted}


def _feedback(channel: Channel, reply: Reply, delivery_id: int | None, rules: Rules) -> Feedback:
    text = nfc(reply.text)
    answerable = reply.kind in ANSWERABLE_KINDS
    category = classify(text, rules).category if answerable and text else FeedbackCategory.OTHER
    received = _received(reply)
    days = DUE_DAYS.get(category) if answerable else None
    return Feedback(
        channel=channel, delivery_id=delivery_id, remote_id=reply.remote_id[:200], kind=reply.kind,
        author_key=pseudonym(channel, reply.author_id), author_name=nfc(reply.author_name)[:200],
        answer_to=reply.answer_to[:200], text=text, attachments=list(reply.attachments), received_at=received,
        category=category, due_at=received + timedelta(days=days) if days else None,
    )


def ingest(channel: Channel, items: list) -> list[Feedback]:
    """Store new replies (already-known remote ids are skipped); returns the ones created."""
    links = [ThreadMap(channel=channel, thread_id=i.thread_id, post_remote_id=i.post_id)
             for i in items if isinstance(i, ThreadLink)]
    replies = [i for i in items if isinstance(i, Reply)]
    with transaction.atomic():
        ThreadMap.objects.bulk_create(sorted(links, key=lambda link: link.thread_id), ignore_conflicts=True)
        known = set(Feedback.objects.filter(channel=channel, remote_id__in=[r.remote_id for r in replies])
                    .values_list("remote_id", flat=True))
        fresh = list({r.remote_id: r for r in replies if r.remote_id not in known}.values())
        deliveries = _delivery_ids(channel, fresh)
        rules = current_rules()
        rows = [_feedback(channel, r, deliveries.get(r.in_reply_to), rules) for r in fresh]
        # ignore_conflicts: a webhook and a poll (or two batches of webhooks) may store the same message at
        # the same moment. Sorted, two such inserts wait on each other's keys in the same order, never in a
        # cycle: unsorted, two batches holding the same two messages deadlocked (bench/webhooks.py).
        Feedback.objects.bulk_create(sorted(rows, key=lambda row: row.remote_id), ignore_conflicts=True)
    return rows
