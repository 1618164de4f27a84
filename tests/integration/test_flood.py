"""Flood: 200 posts due at once to one Telegram channel whose fake enforces its per-chat limit.
All are delivered, none is lost or sent twice, and 429s stay rare: at most one per back-off window.

Time is compressed: the fake allows 20 messages per 3-second window instead of per minute, and the
adapter's published limit is scaled the same way, so the test takes about 30 s instead of 10 min."""

import time

import pytest
from django.utils import timezone

from bot.models import Delivery, Post, Workflow
from bot.publishing import states
from bot.publishing.claim import claim_due
from bot.publishing.publisher import publish_delivery
from channels.base import Rate
from channels.telegram import TelegramAdapter

pytestmark = [pytest.mark.slow]

MESSAGES, WINDOW = 200, 3.0


def test_two_hundred_posts_to_one_channel_all_arrive_with_rare_429s(
    transactional_db, sandbox, platform_channel, people, monkeypatch, redis_db
):
    monkeypatch.setattr(TelegramAdapter, "rates", (Rate("channel", 20, WINDOW), Rate("platform", 30, 1)))
    channel = platform_channel("telegram")
    account, _ = sandbox.sandbox.platforms["telegram"].demo_account(channel.unit.slug, channel.unit.name)
    chat = next(c for c in account["bots"][0]["chats"] if c["type"] == "channel")
    sandbox.client.configure("telegram", {"bots": [{**account["bots"][0], "chats": [
        {**chat, "limit_per_minute": 20, "window_seconds": WINDOW}]}]})
    posts = Post.objects.bulk_create(
        Post(unit=channel.unit, kind="slogan", title=f"Khẩu hiệu {i}", body=f"Cải cách hành chính số {i}",
             author=people["lan"], approver=people["minh"], workflow=Workflow.APPROVED)
        for i in range(MESSAGES)
    )
    Delivery.objects.bulk_create(Delivery(post=p, channel=channel, due_at=timezone.now()) for p in posts)

    deadline = time.monotonic() + 180
    while Delivery.objects.exclude(state=states.SENT).exists():
        assert time.monotonic() < deadline, "not all delivered in time"
        assert not Delivery.objects.filter(state__in=[states.FAILED, states.UNCONFIRMED]).exists()
        for claimed in claim_due(timezone.now(), batch=50):
            publish_delivery(claimed.delivery_id)
        time.sleep(0.02)  # the beat's tick, compressed

    chat_state = sandbox.client.state("telegram")["chats"][str(chat["id"])]
    texts = [m.get("text") or m["caption"] for m in chat_state["messages"]]  # slogans go as cards with captions
    assert len(texts) == MESSAGES and len(set(texts)) == MESSAGES, "each post exactly once"
    refusals = chat_state["rate_limited_at"]
    assert all(b - a >= 1.0 for a, b in zip(refusals, refusals[1:])), refusals
    print(f"429s answered: {len(refusals)}")
