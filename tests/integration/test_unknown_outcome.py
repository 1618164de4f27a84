"""A platform that accepts a post and then answers 500: the delivery becomes unconfirmed, is never
resent, and reconciliation finds the post on the platform and marks it sent."""

from datetime import timedelta

import pytest
from django.utils import timezone

from bot.models import Delivery
from bot.posts import post_approve, post_create, post_submit
from bot.publishing import states
from bot.publishing.claim import claim_due
from bot.publishing.publisher import publish_delivery
from bot.publishing.reaper import reconcile

pytestmark = pytest.mark.django_db


def approved(people, channel, title="Khẩu hiệu tháng 12"):
    post = post_create(author=people["lan"], unit=channel.unit, kind="slogan", title=title,
                       body="Cải cách hành chính vì nhân dân phục vụ.", channel_names=[channel.name])
    post_submit(post, by=people["lan"])
    (delivery,) = post_approve(post, by=people["minh"])
    return delivery


def test_facebook_accepts_then_fails_and_reconciliation_finds_the_post(sandbox, platform_channel, people):
    channel = platform_channel("facebook")
    page_id = channel.settings["page_id"]
    sandbox.client.fault(page_id, fail_after_accept=1)
    delivery = approved(people, channel)

    claim_due(timezone.now(), 10)
    assert publish_delivery(delivery.pk) == states.UNCONFIRMED
    assert claim_due(timezone.now() + timedelta(days=1), 10) == [], "an unknown outcome is never resent"
    posts = sandbox.client.state("facebook")["pages"][page_id]["posts"]
    assert len(posts) == 1

    assert reconcile() == [delivery.pk]
    delivery.refresh_from_db()
    assert delivery.state == states.SENT and delivery.remote_id == posts[0]["id"]
    assert delivery.permalink == posts[0]["permalink_url"]
    assert len(sandbox.client.state("facebook")["pages"][page_id]["posts"]) == 1, "nothing posted twice"


def test_a_facebook_post_that_never_arrived_stays_unconfirmed_for_the_officer(sandbox, platform_channel, people):
    channel = platform_channel("facebook")
    sandbox.client.fault(channel.settings["page_id"], server_errors=1)
    delivery = approved(people, channel)
    claim_due(timezone.now(), 10)
    outcome = publish_delivery(delivery.pk)
    assert outcome == states.UNCONFIRMED
    assert reconcile() == []
    assert Delivery.objects.get(pk=delivery.pk).state == states.UNCONFIRMED
