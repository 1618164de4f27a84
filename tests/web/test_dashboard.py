"""/ (the dashboard): what needs each role now, inside their units only."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from bot.channel_config import channel_add
from bot.models import Channel, Feedback, FeedbackView
from bot.posts import post_approve, post_create, post_return, post_submit
from bot.publishing import states
from bot.publishing.transitions import move
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def other_channel(units, tmp_path):
    return channel_add(unit=units["other"], kind="outbox", name="bang-sai-gon", pairs={"path": str(tmp_path / "sg")})


def write(people, channel, title, author="lan", submit=True, at=None):
    post = post_create(author=people[author], unit=channel.unit, kind="slogan", title=title,
                       body="Cải cách hành chính vì nhân dân phục vụ.", channel_names=[channel.name],
                       publish_at=at or timezone.now() + timedelta(days=2))
    return post_submit(post, by=people[author]) if submit else post


def section(page: str, section_id: str) -> str:
    match = re.search(rf'<section[^>]*id="{section_id}".*?</section>', page, re.S)
    return match.group(0) if match else ""


def count(page: str, section_id: str) -> int:
    return int(re.search(r'data-count="(\d+)"', section(page, section_id)).group(1))


def test_an_editor_sees_drafts_returned_posts_with_the_reason_and_what_goes_out_next(
        client, people, outbox_channel, other_channel):
    draft = write(people, outbox_channel, "Bản nháp khẩu hiệu", submit=False)
    returned = post_return(write(people, outbox_channel, "Khẩu hiệu bị trả"), by=people["minh"],
                           reason="Sai chính tả <b>ở dòng 2</b>")
    scheduled = write(people, outbox_channel, "Khẩu hiệu tuần sau", at=timezone.now() + timedelta(days=7))
    post_approve(scheduled, by=people["minh"])
    foreign = write(people, other_channel, "Khẩu hiệu Sài Gòn", author="hung", at=timezone.now() + timedelta(days=1))
    post_approve(foreign, by=people["minh"])
    client.force_login(people["lan"])
    page = client.get("/").content.decode()
    assert f'href="/posts/{draft.pk}/"' in section(page, "my-drafts")
    returned_part = section(page, "my-returned")
    assert f'href="/posts/{returned.pk}/"' in returned_part
    assert "Sai chính tả &lt;b&gt;ở dòng 2&lt;/b&gt;" in returned_part, "the reason, escaped"
    assert f'href="/posts/{scheduled.pk}/"' in section(page, "upcoming")
    assert "Khẩu hiệu Sài Gòn" not in page and "bang-sai-gon" not in page
    assert 'id="awaiting-approval"' not in page and 'id="feedback"' not in page and 'id="channels"' not in page
    assert 'href="/posts/new/"' in page and 'href="/calendar/"' in page


def test_an_approver_sees_how_many_posts_await_approval_in_their_units_only(
        client, people, outbox_channel, other_channel):
    mine = [write(people, outbox_channel, f"Chờ duyệt {n}") for n in range(3)]
    theirs = write(people, other_channel, "Chờ duyệt Sài Gòn", author="hung")
    client.force_login(people["minh"])
    page = client.get("/").content.decode()
    assert count(page, "awaiting-approval") == 4, "the province sees both wards"
    client.force_login(people["hung"])
    page = client.get("/").content.decode()
    part = section(page, "awaiting-approval")
    assert count(page, "awaiting-approval") == 1 and f'href="/posts/{theirs.pk}/"' in part
    assert all(f'href="/posts/{p.pk}/"' not in page for p in mine) and "Chờ duyệt 0" not in page
    assert 'href="/approvals/"' in part


def test_everyone_sees_deliveries_needing_an_officer_in_scope_and_staff_get_no_link_they_cannot_open(
        client, people, outbox_channel, other_channel):
    post = write(people, outbox_channel, "Không rõ đã đăng chưa", at=timezone.now() + timedelta(minutes=5))
    (delivery,) = post_approve(post, by=people["minh"])
    move(delivery.pk, states.QUEUED)
    move(delivery.pk, states.SENDING, attempts=1)
    move(delivery.pk, states.UNCONFIRMED, last_error="The platform did not answer in time.")
    foreign = write(people, other_channel, "Lỗi Sài Gòn", author="hung")
    (other,) = post_approve(foreign, by=people["minh"])
    move(other.pk, states.QUEUED)
    move(other.pk, states.FAILED, last_error="Bad content.")
    client.force_login(people["lan"])
    part = section(client.get("/").content.decode(), "needs-officer")
    assert f'href="/posts/{post.pk}/"' in part and "unconfirmed" in part and "did not answer in time" in part
    assert "Lỗi Sài Gòn" not in part
    client.force_login(people["minh"])
    part = section(client.get("/").content.decode(), "needs-officer")
    assert f'href="/posts/{post.pk}/"' in part and f'href="/posts/{foreign.pk}/"' in part
    client.force_login(people["thu"])
    part = section(client.get("/").content.decode(), "needs-officer")
    assert "Không rõ đã đăng chưa" in part and "/posts/" not in part, "staff may not open /posts/"


def feedback(channel, n, text, *, age_days, due_in_days, status="new"):
    received = timezone.now() - timedelta(days=age_days)
    return Feedback.objects.create(channel=channel, remote_id=f"r{n}", author_key=f"k{n}", text=text,
                                   received_at=received, due_at=timezone.now() + timedelta(days=due_in_days),
                                   status=status)


def test_staff_see_new_and_overdue_counts_and_the_oldest_items_masked_and_logged(client, people, outbox_channel,
                                                                                 other_channel):
    # Feedback arrives through webhooks and polling (tests/feedback); here only the rows matter.
    oldest = feedback(outbox_channel, 1, "Số điện thoại của tôi là 0912345678, xin gọi lại", age_days=9, due_in_days=-2)
    feedback(outbox_channel, 2, "Giờ làm việc thứ Bảy?", age_days=1, due_in_days=2)
    feedback(outbox_channel, 3, "Đã trả lời", age_days=20, due_in_days=-10, status="answered")
    feedback(other_channel, 4, "Phản ánh Sài Gòn", age_days=30, due_in_days=-20)
    client.force_login(people["thu"])
    page = client.get("/").content.decode()
    part = section(page, "feedback")
    assert count(part, "feedback") == 2 and re.search(r'badge overdue" data-count="1"', part)
    assert part.index(f'href="/inbox/{oldest.pk}/"') < part.index("Giờ làm việc thứ Bảy?"), "oldest first"
    assert "0912345678" not in page and "091*****678" in part
    assert "Phản ánh Sài Gòn" not in page and "Đã trả lời" not in part
    assert set(FeedbackView.objects.values_list("feedback_id", "viewer__username", "via", "unmasked")) == {
        (oldest.pk, "thu", "list", False), (oldest.pk + 1, "thu", "list", False)}
    assert 'id="upcoming"' not in page and 'id="my-drafts"' not in page


def test_an_administrator_sees_their_channels_health_and_user_count(client, people, units, outbox_channel,
                                                                   other_channel):
    admin = make_user("quan", "admin", units["ward"])
    Channel.objects.create(unit=units["ward"], kind="zalo", name="zalo-phuong", needs_reauth=True)
    Channel.objects.create(unit=units["ward"], kind="facebook", name="fb-tat", enabled=False)
    client.force_login(admin)
    part = section(client.get("/").content.decode(), "channels")
    rows = dict(re.findall(r'<tr data-channel="([^"]+)">(.*?)</tr>', part, re.S))
    assert sorted(rows) == ["bang-dien-tu", "fb-tat", "zalo-phuong"], "the other ward's channel is not listed"
    assert "needs re-authorisation" in rows["zalo-phuong"] and "/guides/zalo/" in rows["zalo-phuong"]
    assert "disabled" in rows["fb-tat"] and "working" in rows["bang-dien-tu"]
    assert "3 users in your units" in part, "lan, thu and quan; not minh (province) nor hung (other ward)"
