"""The approvals queue: submitted posts of the approver's units, oldest first, with quick decisions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from bot.channel_config import channel_add
from bot.models import Delivery, Post
from bot.posts import post_create, post_submit

pytestmark = pytest.mark.django_db


def login(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def submitted(author, channel, title: str, *, submit=True, at=None) -> Post:
    post = post_create(author=author, unit=channel.unit, kind="slogan", title=title, body="",
                       fields={"text": "Cải cách hành chính vì nhân dân phục vụ"}, channel_names=[channel.name])
    return post_submit(post, by=author, now=at) if submit else post


@pytest.fixture
def foreign_channel(units, tmp_path):
    return channel_add(unit=units["other"], kind="outbox", name="bang-sai-gon", pairs={"path": str(tmp_path / "sg")})


def rows(page: str) -> str:
    return page[page.index('<table id="approvals">'):page.index("</table>")]


def test_the_queue_lists_submitted_posts_of_the_users_units_oldest_first(people, outbox_channel, foreign_channel):
    now = timezone.now()
    newer = submitted(people["lan"], outbox_channel, "Bài mới", at=now)
    older = submitted(people["lan"], outbox_channel, "Bài cũ", at=now - timedelta(hours=3))
    submitted(people["lan"], outbox_channel, "Bản nháp", submit=False)
    foreign = submitted(people["hung"], foreign_channel, "Bài phường khác")
    table = rows(login(people["minh"]).get("/approvals/").content.decode())
    assert table.index(f'<a href="/posts/{older.pk}/">') < table.index(f'<a href="/posts/{newer.pk}/">')
    assert f'<a href="/posts/{foreign.pk}/">' in table  # the province approver works for every ward below it
    assert "Bản nháp" not in table
    ward_approver = login(people["hung"]).get("/approvals/").content.decode()
    assert "Bài cũ" not in ward_approver and "Bài phường khác" in ward_approver


def test_approving_from_the_queue_comes_back_to_the_queue(people, outbox_channel):
    post = submitted(people["lan"], outbox_channel, "Khẩu hiệu")
    client = login(people["minh"])
    response = client.post(f"/posts/{post.pk}/action/", {"action": "approve", "next": "/approvals/"})
    assert response.status_code == 302 and response["Location"] == "/approvals/"
    post.refresh_from_db()
    assert post.workflow == "approved" and Delivery.objects.filter(post=post).count() == 1
    page = client.get("/approvals/").content.decode()
    assert f'/posts/{post.pk}/' not in page and 'id="no-approvals"' in page


def test_returning_from_the_queue_needs_a_reason(people, outbox_channel):
    post = submitted(people["lan"], outbox_channel, "Khẩu hiệu")
    client = login(people["minh"])
    refused = client.post(f"/posts/{post.pk}/action/", {"action": "return", "reason": "", "next": "/approvals/"}, follow=True)
    post.refresh_from_db()
    assert post.workflow == "submitted"
    assert any("Say why the post is returned" in str(m) for m in refused.context["messages"])
    client.post(f"/posts/{post.pk}/action/", {"action": "return", "reason": "Thiếu nguồn", "next": "/approvals/"})
    post.refresh_from_db()
    assert post.workflow == "returned" and post.return_reason == "Thiếu nguồn"


def test_an_outside_address_is_never_where_a_decision_leads(people, outbox_channel):
    post = submitted(people["lan"], outbox_channel, "Khẩu hiệu")
    response = login(people["minh"]).post(f"/posts/{post.pk}/action/",
                                          {"action": "approve", "next": "https://evil.example/"})
    assert response["Location"] == f"/posts/{post.pk}/"


def test_an_approvers_own_post_has_no_approve_button_in_the_queue(people, outbox_channel):
    own = submitted(people["minh"], outbox_channel, "Bài của Minh")
    other = submitted(people["lan"], outbox_channel, "Bài của Lan")
    table = rows(login(people["minh"]).get("/approvals/").content.decode())
    own_row = table[table.index(f'data-post="{own.pk}"'):table.index(f'data-post="{other.pk}"')]
    other_row = table[table.index(f'data-post="{other.pk}"'):]
    assert 'value="approve"' not in own_row and "another leader approves it" in own_row
    assert 'value="approve"' in other_row


def test_editors_and_staff_have_no_approvals_page(people):
    assert login(people["lan"]).get("/approvals/").status_code == 403
    assert login(people["thu"]).get("/approvals/").status_code == 403


def test_the_queue_pages_and_ignores_a_bad_page_number(people, outbox_channel):
    for n in range(26):
        submitted(people["lan"], outbox_channel, f"Bài {n:02d}")
    client = login(people["minh"])
    first = client.get("/approvals/?page=abc").content.decode()
    assert "Bài 00" in first and "Bài 25" not in first and "26 posts wait" in first
    assert "Bài 25" in client.get("/approvals/?page=2").content.decode()
