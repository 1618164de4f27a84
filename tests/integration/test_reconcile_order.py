"""Reconciliation is not starved: a hundred old unconfirmed deliveries on platforms that cannot be searched
(left to an officer) must not hide a fresh Facebook post that can be found. Found by the chaos harness."""

from datetime import timedelta

import pytest
from django.utils import timezone

from bot.posts import post_approve, post_create, post_submit
from bot.publishing import states
from bot.publishing.claim import claim_due
from bot.publishing.publisher import publish_delivery
from bot.publishing.reaper import reap, reconcile
from bot.publishing.transitions import move

pytestmark = pytest.mark.django_db


def approved(people, channel, n):
    post = post_create(author=people["lan"], unit=channel.unit, kind="bulletin", title=f"Bản tin {n}",
                       body=f"Nội dung bản tin số {n}", channel_names=[channel.name])
    post_submit(post, by=people["lan"])
    (delivery,) = post_approve(post, by=people["minh"])
    return delivery


def test_a_findable_post_is_reconciled_behind_a_hundred_unsearchable_ones(sandbox, platform_channel, people, redis_db):
    telegram, facebook = platform_channel("telegram"), platform_channel("facebook")
    old = [approved(people, telegram, n) for n in range(100)]
    now = timezone.now()
    claim_due(now, 500)
    move([d.pk for d in old], states.SENDING, sources={states.QUEUED}, sending_at=now,
         snapshot={"marker": "m", "text": "x"})
    assert len(reap(now + timedelta(seconds=1000), 10)) == 100

    sandbox.client.fault(facebook.settings["page_id"], fail_after_accept=1)
    fresh = approved(people, facebook, 1000)
    claim_due(timezone.now(), 10)
    assert publish_delivery(fresh.pk) == states.UNCONFIRMED
    assert reconcile() == [fresh.pk]
    calls = [r for r in sandbox.client.requests("telegram") if "getChat" in r["path"] or "getUpdates" in r["path"]]
    assert calls == [], "nothing is asked of a platform that cannot be searched"
