"""Four tick processes race over 1,000 due deliveries on PostgreSQL: each delivery reaches the
broker exactly once."""

import base64
import json
import multiprocessing
from datetime import timedelta

import pytest
from django.utils import timezone

from bot.channel_config import channel_add
from bot.models import Delivery, Post, Workflow
from bot.publishing import states
from bot.queues import publish_queue
from tests.processes import pg_env
from tests.publishing.tickers import tick_process

pytestmark = [pytest.mark.slow]

PROCESSES = 4
CHANNELS, POSTS = 50, 20  # 1,000 deliveries


def due_deliveries(units, people, tmp_path) -> set[int]:
    channels = [
        channel_add(unit=units["ward"], kind="outbox", name=f"bang-{i}", pairs={"path": str(tmp_path / f"o{i}")})
        for i in range(CHANNELS)
    ]
    posts = Post.objects.bulk_create(
        Post(unit=units["ward"], kind="slogan", title=f"Bài {i}", body="Nội dung", author=people["lan"],
             approver=people["minh"], workflow=Workflow.APPROVED)
        for i in range(POSTS)
    )
    due = timezone.now() - timedelta(seconds=1)
    created = Delivery.objects.bulk_create(Delivery(post=p, channel=c, due_at=due) for p in posts for c in channels)
    return {d.pk for d in created}


def broker_messages(redis_db, queue: str) -> list[int]:
    ids = []
    for raw in redis_db.lrange(queue, 0, -1):
        envelope = json.loads(raw)
        args, _kwargs, _embed = json.loads(base64.b64decode(envelope["body"]))
        assert envelope["headers"]["task"] == "loa.publish"
        ids.append(args[0])
    return ids


def test_four_tickers_send_each_due_delivery_to_the_workers_exactly_once(
    transactional_db, units, people, tmp_path, redis_db
):
    expected = due_deliveries(units, people, tmp_path)
    assert len(expected) == 1000
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(PROCESSES), ctx.Queue()
    url = pg_env()["LOA_DATABASE_URL"]
    procs = [ctx.Process(target=tick_process, args=(url, barrier, results)) for _ in range(PROCESSES)]
    for p in procs:
        p.start()
    claimed = [results.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(30)
        assert p.exitcode == 0

    sent = broker_messages(redis_db, publish_queue("outbox"))
    assert len(sent) == 1000, f"{len(sent)} messages for 1000 deliveries"
    assert set(sent) == expected
    assert sum(n for _, n in claimed) == 1000
    assert Delivery.objects.filter(state=states.QUEUED).count() == 1000
    print("claims per ticker:", sorted(n for _, n in claimed))
