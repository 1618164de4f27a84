"""Publishing one delivery against the scripted fake platform, on PostgreSQL."""

from datetime import timedelta

import pytest
from django.utils import timezone

from bot.models import AuditEntry, Channel, Delivery
from bot.publishing import states
from bot.publishing.claim import claim_due
from bot.publishing.publisher import publish_delivery
from bot.publishing.reaper import reap, reconcile
from tests.fakes import Crash, ScriptedPlatform

pytestmark = pytest.mark.django_db


def claim_and_publish(delivery):
    claimed = claim_due(timezone.now(), batch=100)
    assert delivery.pk in [c.delivery_id for c in claimed]
    return publish_delivery(delivery.pk)


def test_a_due_delivery_is_published_once_with_its_remote_id(scripted, approve):
    (delivery,) = approve(scripted)
    assert claim_and_publish(delivery) == states.SENT
    delivery.refresh_from_db()
    assert delivery.state == states.SENT
    assert delivery.remote_id == f"r-{delivery.marker}"
    assert delivery.permalink.endswith(delivery.marker)
    assert delivery.attempts == 1
    assert delivery.snapshot["text"].startswith("Cải cách hành chính vì nhân dân phục vụ.")
    assert delivery.snapshot["title"] == "Khẩu hiệu tháng 12"
    assert ScriptedPlatform.created[delivery.marker] == 1


def test_a_second_publish_message_for_the_same_delivery_does_nothing(scripted, approve):
    (delivery,) = approve(scripted)
    claim_and_publish(delivery)
    assert publish_delivery(delivery.pk) == "skipped"
    assert ScriptedPlatform.calls == [delivery.marker]


def test_rate_limited_goes_back_to_scheduled_after_retry_after(scripted, approve):
    ScriptedPlatform.reset(["rate"])
    (delivery,) = approve(scripted)
    before = timezone.now()
    assert claim_and_publish(delivery) == states.SCHEDULED
    delivery.refresh_from_db()
    assert delivery.state == states.SCHEDULED
    assert before + timedelta(seconds=41) < delivery.due_at < timezone.now() + timedelta(seconds=43)
    assert claim_due(timezone.now(), 100) == []


def test_not_created_is_retried_with_backoff_then_given_up(scripted, approve, settings):
    ScriptedPlatform.reset(["notcreated"] * settings.LOA.max_attempts)
    (delivery,) = approve(scripted)
    for attempt in range(1, settings.LOA.max_attempts + 1):
        Delivery.objects.filter(pk=delivery.pk, state=states.SCHEDULED).update(due_at=timezone.now())
        outcome = claim_and_publish(delivery)
        delivery.refresh_from_db()
        assert delivery.attempts == attempt
        if attempt < settings.LOA.max_attempts:
            assert outcome == states.SCHEDULED
            assert delivery.due_at > timezone.now()
    assert delivery.state == states.FAILED
    assert "Đã dừng sau 5 lần thử" in delivery.last_error
    assert ScriptedPlatform.created[delivery.marker] == 0


def test_an_expired_token_fails_the_delivery_and_flags_the_channel(scripted, approve):
    ScriptedPlatform.reset(["auth"])
    (delivery,) = approve(scripted)
    assert claim_and_publish(delivery) == states.FAILED
    channel = Channel.objects.get(pk=scripted.pk)
    assert channel.needs_reauth and "expired" in channel.reauth_reason
    # A channel that needs re-authorisation is not claimed from any more.
    (later,) = approve(scripted, title="Bài khác")
    assert claim_due(timezone.now(), 100) == []
    assert Delivery.objects.get(pk=later.pk).state == states.SCHEDULED


def test_bad_content_fails_with_the_platform_sentence(scripted, approve):
    ScriptedPlatform.reset(["bad"])
    (delivery,) = approve(scripted)
    assert claim_and_publish(delivery) == states.FAILED
    assert Delivery.objects.get(pk=delivery.pk).last_error == "the platform refused the text"


@pytest.mark.parametrize("answer", ["unknown", "boom"])
def test_an_unknown_outcome_is_never_retried(scripted, approve, answer):
    ScriptedPlatform.reset([answer])
    (delivery,) = approve(scripted)
    assert claim_and_publish(delivery) == states.UNCONFIRMED
    assert claim_due(timezone.now() + timedelta(days=1), 100) == []
    assert ScriptedPlatform.calls == [delivery.marker]


def test_a_killed_worker_leaves_sending_which_the_reaper_turns_unconfirmed(scripted, approve, settings):
    ScriptedPlatform.reset(["crash-after"])
    (delivery,) = approve(scripted)
    with pytest.raises(Crash):
        claim_and_publish(delivery)
    assert Delivery.objects.get(pk=delivery.pk).state == states.SENDING
    assert reap(timezone.now(), settings.LOA.sending_timeout) == []  # not yet past the bound
    later = timezone.now() + timedelta(seconds=settings.LOA.sending_timeout + 1)
    assert reap(later, settings.LOA.sending_timeout) == [delivery.pk]
    assert claim_due(later + timedelta(days=1), 100) == []
    # Reconciliation finds it on the platform by its marker: sent, without publishing again.
    assert reconcile() == [delivery.pk]
    delivery.refresh_from_db()
    assert delivery.state == states.SENT and delivery.remote_id == f"r-{delivery.marker}"
    assert ScriptedPlatform.created[delivery.marker] == 1


def test_a_slow_worker_that_succeeds_after_the_reaper_still_records_sent(scripted, approve, settings):
    (delivery,) = approve(scripted)
    claim_due(timezone.now(), 100)

    class ReapDuringCall(ScriptedPlatform):
        def publish(self, message):
            later = timezone.now() + timedelta(seconds=settings.LOA.sending_timeout + 1)
            assert reap(later, settings.LOA.sending_timeout) == [delivery.pk]
            return super().publish(message)

    from channels import registry

    registry.REGISTRY["scripted"] = ReapDuringCall
    try:
        assert publish_delivery(delivery.pk) == states.SENT
    finally:
        registry.REGISTRY["scripted"] = ScriptedPlatform
    assert Delivery.objects.get(pk=delivery.pk).state == states.SENT


def test_text_over_the_channel_limit_is_refused_at_submit(scripted, people):
    from bot.errors import Invalid
    from bot.posts import post_create, post_submit

    post = post_create(
        author=people["lan"], unit=scripted.unit, kind="slogan", title="Dài", body="x" * 600, channel_names=[scripted.name]
    )
    with pytest.raises(Invalid, match=r"kênh fake-page.*giới hạn là 500"):
        post_submit(post, by=people["lan"])


def test_every_outcome_is_audited_but_claims_are_not(scripted, approve):
    (delivery,) = approve(scripted)
    claim_and_publish(delivery)
    actions = list(AuditEntry.objects.filter(target=f"delivery:{delivery.pk}").values_list("action", flat=True))
    assert sorted(actions) == ["delivery.sending", "delivery.sent"]
    assert AuditEntry.objects.filter(target=f"delivery:{delivery.pk}", actor_name="system").count() == 2
