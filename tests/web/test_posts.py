"""Posts in the back-office: the list, compose with live preview and cards, one post with its history,
the actions on posts and deliveries. Real PostgreSQL, the real services, the Django test client."""

from __future__ import annotations

import io
import json
import re
import unicodedata
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone
from PIL import Image

from bot.channel_config import channel_add
from bot.content.series import next_occurrences, series_add
from bot.content.slogans import add_slogan, rotation_order
from bot.models import AuditEntry, Delivery, Post
from bot.posts import post_approve, post_create, post_submit
from bot.publishing import states
from bot.publishing.claim import claim_due
from bot.publishing.publisher import publish_delivery
from channels import registry
from tests.conftest import make_user
from tests.fakes import ScriptedPlatform

pytestmark = pytest.mark.django_db
VN = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture
def web():
    """A browser that asks for English, logged in as the given persona."""

    def login(user):
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        client.force_login(user)
        return client

    return login


@pytest.fixture
def scripted(units):
    """A fake platform with a 500-character text limit, for counters near and over the limit."""
    registry.register(ScriptedPlatform)
    ScriptedPlatform.reset()
    channel = channel_add(unit=units["ward"], kind="scripted", name="fake-page", pairs={"token": "t0ps3cret"})
    yield channel
    registry.unregister(ScriptedPlatform.kind)


@pytest.fixture
def telegram(units):
    return channel_add(unit=units["ward"], kind="telegram", name="tg-phuong", pairs={"token": "1:x", "chat_id": "@kenh"})


@pytest.fixture
def foreign_channel(units, tmp_path):
    return channel_add(unit=units["other"], kind="outbox", name="bang-sai-gon", pairs={"path": str(tmp_path / "sg")})


def slogan_form(**overrides) -> dict:
    form = {"kind": "slogan", "title": "Khẩu hiệu tháng 12", "text": "Cải cách hành chính vì nhân dân phục vụ",
            "source": "Nghị quyết 76/NQ-CP", "channels": ["bang-dien-tu"], "publish_at": "", "action": "submit"}
    form.update(overrides)
    return form


def write(author, channels, *, title="Khẩu hiệu", submit=True, unit=None, **fields):
    post = post_create(author=author, unit=unit or channels[0].unit, kind="slogan", title=title, body="",
                       fields={"text": "Cải cách hành chính vì nhân dân phục vụ", **fields},
                       channel_names=[c.name for c in channels])
    return post_submit(post, by=author) if submit else post


def html(response) -> str:
    return response.content.decode()


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


# The compose page ---------------------------------------------------------------------------------

def test_the_compose_form_offers_the_units_channels_only_with_the_stable_hooks(web, people, outbox_channel, foreign_channel):
    page = html(web(people["lan"]).get("/posts/new/"))
    for hook in ('<form id="compose" method="post"', '<select name="kind" id="id_kind">', 'name="text" id="id_text"',
                 'name="source"', 'name="title" id="id_title"', '<textarea name="body" id="id_body"',
                 '<input type="checkbox" name="channels" value="bang-dien-tu">', 'type="datetime-local" name="publish_at"',
                 '<button type="submit" name="action" value="draft"', '<button type="submit" name="action" value="submit"',
                 '<section id="preview"'):
        assert hook in page, hook
    assert "bang-sai-gon" not in page


def test_submit_creates_the_post_in_vietnam_time_and_nfc_then_shows_it(web, people, outbox_channel):
    nfd = unicodedata.normalize("NFD", "Cải cách hành chính vì nhân dân phục vụ")
    response = web(people["lan"]).post("/posts/new/", slogan_form(text=nfd, publish_at="2030-12-01T07:30"))
    post = Post.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/posts/{post.pk}/"
    assert post.workflow == "submitted" and post.author == people["lan"]
    assert post.fields["text"] == unicodedata.normalize("NFC", nfd)
    assert post.publish_at == datetime(2030, 12, 1, 7, 30, tzinfo=VN)
    assert [c.name for c in post.channels.all()] == ["bang-dien-tu"]


def test_save_as_draft_keeps_the_post_a_draft(web, people, outbox_channel):
    response = web(people["lan"]).post("/posts/new/", slogan_form(action="draft"), follow=True)
    post = Post.objects.get()
    assert post.workflow == "draft" and post.publish_at is None
    assert "Draft saved." in messages_of(response)


def test_invalid_fields_show_the_services_sentence_and_keep_what_was_typed(web, people, outbox_channel):
    response = web(people["lan"]).post("/posts/new/", slogan_form(text="Cải cách " * 40, title="<script>alert(1)</script>"))
    page = html(response)
    assert response.status_code == 200 and not Post.objects.exists()
    assert 'id="compose-error"' in page and "The slogan is 359 characters; the limit is 300." in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    assert "Cải cách Cải cách" in page and 'value="bang-dien-tu" checked' in page


def test_a_submission_a_channel_would_refuse_leaves_no_draft_behind(web, people, scripted):
    form = {"kind": "bulletin", "title": "Bản tin", "month": "2030-12", "section_title": ["Mục 1"],
            "section_body": ["Nội dung dài. " * 50], "section_link": [""], "channels": ["fake-page"], "action": "submit"}
    page = html(web(people["lan"]).post("/posts/new/", form))
    assert not Post.objects.exists()
    assert re.search(r"The text for channel fake-page is \d+ characters; the limit is 500", page)
    assert 'value="2030-12"' in page and "Mục 1" in page


@pytest.mark.parametrize("publish_at, message", [
    ("2001-01-01T08:00", "is in the past"),
    ("ngày mai", "is not a date and time"),
    ("0001-01-01T00:00", "is not a date and time"),
    ("2030-02-30T08:00", "is not a date and time"),
])
def test_a_bad_publishing_time_is_refused_with_a_sentence(web, people, outbox_channel, publish_at, message):
    page = html(web(people["lan"]).post("/posts/new/", slogan_form(publish_at=publish_at)))
    assert message in page and not Post.objects.exists()


def test_a_forged_channel_of_another_unit_is_refused(web, people, outbox_channel, foreign_channel):
    page = html(web(people["lan"]).post("/posts/new/", slogan_form(channels=["bang-sai-gon"])))
    assert "belongs to another unit" in page and not Post.objects.exists()


def test_a_bulletin_from_repeated_sections_and_a_guide_from_lines(web, people, outbox_channel):
    client = web(people["lan"])
    client.post("/posts/new/", {"kind": "bulletin", "title": "Bản tin CCHC", "month": "2030-12", "issue": "12",
                                "section_title": ["Một cửa", "", "Dịch vụ công"], "section_body": ["A", "", "B"],
                                "section_link": ["", "", "https://dichvucong.gov.vn"], "channels": ["bang-dien-tu"],
                                "action": "draft"})
    client.post("/posts/new/", {"kind": "guide", "title": "Khai sinh", "service": "Đăng ký khai sinh",
                                "steps": "Đăng nhập\n\nNộp hồ sơ\n", "documents": "Giấy chứng sinh", "level": "toàn trình",
                                "channels": ["bang-dien-tu"], "action": "draft"})
    bulletin, guide = Post.objects.order_by("pk")
    assert [s["title"] for s in bulletin.fields["sections"]] == ["Một cửa", "Dịch vụ công"]
    assert bulletin.fields["sections"][1]["link"] == "https://dichvucong.gov.vn"
    assert guide.fields["steps"] == ["Đăng nhập", "Nộp hồ sơ"] and guide.fields["level"] == "toàn trình"


def test_without_scripts_the_preview_button_renders_each_channel_and_saves_nothing(web, people, outbox_channel, telegram):
    page = html(web(people["lan"]).post("/posts/new/", slogan_form(action="preview", channels=["bang-dien-tu", "tg-phuong"])))
    assert not Post.objects.exists()
    assert '<article class="channel-preview card" data-channel="bang-dien-tu"' in page
    assert '<article class="channel-preview card" data-channel="tg-phuong"' in page
    assert page.count('class="card-preview"') == 2 and page.count('<span class="counter') == 2
    assert "&lt;b&gt;Cải cách hành chính" in page  # Telegram's HTML shown as text, never as markup


def test_starting_from_a_slogan_of_the_library_prefills_the_form(web, people, units, outbox_channel):
    slogan = add_slogan(units["ward"], "Người dân là trung tâm phục vụ", source="Kế hoạch CCHC 2026")
    foreign = add_slogan(units["other"], "Khẩu hiệu của phường khác")
    client = web(people["lan"])
    page = html(client.get(f"/posts/new/?slogan={slogan.pk}"))
    assert '<option value="slogan" selected>' in page
    assert ">Người dân là trung tâm phục vụ</textarea>" in page and 'value="Kế hoạch CCHC 2026"' in page
    assert client.get(f"/posts/new/?slogan={foreign.pk}").status_code == 404
    assert client.get("/posts/new/?slogan=abc").status_code == 404
    assert client.get("/posts/new/?slogan=²").status_code == 404
    assert client.get(f"/posts/new/?from={slogan.pk}9999999999999999999999").status_code == 404


def test_a_post_written_from_the_library_moves_the_rotation_on_when_approved(web, people, units, outbox_channel):
    first = add_slogan(units["ward"], "Người dân là trung tâm phục vụ")
    second = add_slogan(units["ward"], "Nộp hồ sơ trực tuyến: nhanh hơn, minh bạch hơn")
    foreign = add_slogan(units["other"], "Khẩu hiệu của phường khác")
    client = web(people["lan"])
    assert f'name="slogan" value="{first.pk}"' in html(client.get(f"/posts/new/?slogan={first.pk}"))
    client.post("/posts/new/", slogan_form(slogan=str(first.pk), text=first.text))
    client.post("/posts/new/", slogan_form(slogan=str(foreign.pk), title="Khác"))  # forged: not linked
    linked, forged = Post.objects.order_by("pk")
    assert linked.slogan == first and forged.slogan is None
    first.refresh_from_db()
    assert first.times_used == 0, "a draft or a submitted post does not use the slogan up"
    post_approve(linked, by=people["minh"])
    first.refresh_from_db()
    assert first.times_used == 1 and first.last_used_at is not None
    assert list(rotation_order(units["ward"]))[0] == second, "the next post starts from the other slogan"


def test_starting_from_a_series_fills_its_template_for_the_next_occurrence(web, people, units, outbox_channel):
    series = series_add(unit=units["ward"], author=people["lan"], name="Bản tin hằng tháng", kind="bulletin",
                        rrule="FREQ=MONTHLY;BYMONTHDAY=15;BYHOUR=8;BYMINUTE=0", channel_names=["bang-dien-tu"],
                        template={"title": "Bản tin tháng {month}/{year}",
                                  "fields": {"month": "{month_iso}", "sections": [{"title": "Một cửa", "body": "Tin"}]}})
    upcoming = timezone.localtime(next_occurrences(series, 1)[0])
    page = html(web(people["lan"]).get(f"/posts/new/?series={series.pk}"))
    assert '<option value="bulletin" selected>' in page
    assert f'value="Bản tin tháng {upcoming.month}/{upcoming.year}"' in page
    assert f'value="{upcoming:%Y-%m}"' in page and 'value="Một cửa"' in page
    assert f'value="{upcoming:%Y-%m-%dT%H:%M}"' in page and 'value="bang-dien-tu" checked' in page
    assert web(people["hung"]).get(f"/posts/new/?series={series.pk}").status_code == 404


def test_a_new_version_of_a_returned_post_starts_from_its_content(web, people, outbox_channel):
    post = write(people["lan"], [outbox_channel], title="Bản cũ", source="Nguồn cũ")
    page = html(web(people["lan"]).get(f"/posts/new/?from={post.pk}"))
    assert 'value="Bản cũ"' in page and 'value="Nguồn cũ"' in page and 'value="bang-dien-tu" checked' in page


def test_staff_do_not_compose(web, people):
    assert web(people["thu"]).get("/posts/new/").status_code == 403


# The live preview --------------------------------------------------------------------------------

def preview(client, **form):
    response = client.post("/preview/", {"kind": "slogan", "title": "Khẩu hiệu", **form})
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    return {c["channel"]: c for c in response.json()["channels"]}, response.json()["error"]


def test_the_preview_counts_against_each_channels_limit_near_then_over(web, people, scripted, outbox_channel):
    client = web(people["lan"])
    near, _ = preview(client, body="x" * 455, channels=["fake-page", "bang-dien-tu"])
    assert 450 <= near["fake-page"]["length"] <= 500 and near["fake-page"]["limit"] == 500
    assert near["fake-page"]["state"] == "near" and near["fake-page"]["error"] == ""
    assert near["fake-page"]["counter"] == f"{near['fake-page']['length']} / 500 characters"
    assert near["bang-dien-tu"]["state"] == "ok" and near["bang-dien-tu"]["limit"] is None
    over, _ = preview(client, body="x" * 520, channels=["fake-page"])
    assert over["fake-page"]["state"] == "over" and over["fake-page"]["length"] > 500
    assert "the limit is 500" in over["fake-page"]["error"]
    fine, _ = preview(client, body="x" * 100, channels=["fake-page"])
    assert fine["fake-page"]["state"] == "ok"


def test_the_preview_is_the_exact_text_with_the_card_where_the_channel_takes_images(web, people, scripted, telegram):
    panes, error = preview(web(people["lan"]), text="Một cửa <b>hiện đại</b> & thân thiện",
                           channels=["tg-phuong", "fake-page"])
    assert error == ""
    tg = panes["tg-phuong"]
    assert tg["text_format"] == "html" and "Một cửa &lt;b&gt;hiện đại&lt;/b&gt; &amp; thân thiện" in tg["text"]
    assert tg["text"].endswith("— Phường Bến Thành") and tg["limit"] == 5 * 4096
    assert tg["card_url"].startswith("/preview/card.png?")
    assert panes["fake-page"]["card_url"] is None  # a platform that takes no images gets no card


def test_the_preview_shows_only_the_units_channels_and_says_what_is_wrong(web, people, outbox_channel, foreign_channel):
    client = web(people["lan"])
    panes, _ = preview(client, text="Cải cách", channels=["bang-dien-tu", "bang-sai-gon"])
    assert list(panes) == ["bang-dien-tu"]
    panes, error = preview(client, text="x" * 301, channels=["bang-dien-tu"])
    assert panes == {} and error == "The slogan is 301 characters; the limit is 300."
    for unit in (str(foreign_channel.unit_id), "²", "abc"):
        _, error = preview(client, text="Cải cách", unit=unit, channels=["bang-sai-gon"])
        assert error == "Choose one of your units."


def test_the_preview_is_a_post_with_the_csrf_token(people, outbox_channel):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(people["lan"])
    assert strict.get("/preview/").status_code == 405
    assert strict.post("/preview/", {"kind": "slogan", "text": "x"}).status_code == 403


# Cards -------------------------------------------------------------------------------------------

def card_from_preview(client, channel: str, **form):
    panes, _ = preview(client, channels=[channel], **form)
    return client.get(panes[channel]["card_url"])


def test_the_card_is_a_png_in_the_channels_shape_and_revalidates_by_its_content(web, people, outbox_channel):
    client = web(people["lan"])
    wide = channel_add(unit=outbox_channel.unit, kind="facebook", name="fb-phuong",
                       pairs={"page_id": "1", "access_token": "x"})
    square = card_from_preview(client, "bang-dien-tu", text="Cải cách hành chính vì nhân dân phục vụ")
    assert square.status_code == 200 and square["Content-Type"] == "image/png"
    assert square.content.startswith(b"\x89PNG") and Image.open(io.BytesIO(square.content)).size == (1080, 1080)
    assert square["Cache-Control"] == "private, no-cache"
    again = client.get(f"/preview/card.png?unit={outbox_channel.unit_id}&kind=slogan&channel=bang-dien-tu"
                       "&text=C%E1%BA%A3i+c%C3%A1ch+h%C3%A0nh+ch%C3%ADnh+v%C3%AC+nh%C3%A2n+d%C3%A2n+ph%E1%BB%A5c+v%E1%BB%A5",
                       HTTP_IF_NONE_MATCH=square["ETag"])
    assert again.status_code == 304
    landscape = card_from_preview(client, wide.name, text="Cải cách hành chính")
    assert Image.open(io.BytesIO(landscape.content)).size == (1200, 630)
    guide = card_from_preview(client, "bang-dien-tu", kind="guide", service="Đăng ký khai sinh", steps="Bước 1\nBước 2")
    assert guide.status_code == 200 and guide["Content-Type"] == "image/png"
    long_body = card_from_preview(client, "bang-dien-tu", body="Cải cách hành chính. " * 40)
    assert long_body.status_code == 200  # a slogan in the body is cut on its card, as when published


@pytest.mark.parametrize("query, message", [
    ("kind=slogan&text=" + "x" * 301, "The slogan is 301 characters; the limit is 300."),
    ("kind=slogan&text=", "is required"),
    ("kind=guide&service=S&steps=" + "%0A".join(["b"] * 11), "11 entries; the limit is 10"),
    ("kind=bulletin&title=B&month=2030-13", "YYYY-MM"),
    ("kind=poem&text=x", "Choose a kind of post."),
    ("kind=slogan&text=x&channel=bang-sai-gon", "Unknown channel bang-sai-gon."),
])
def test_a_card_request_beyond_the_kinds_limits_is_refused(web, people, outbox_channel, foreign_channel, query, message):
    response = web(people["lan"]).get(f"/preview/card.png?unit={outbox_channel.unit_id}&{query}")
    assert response.status_code == 400 and message in response.content.decode()


def test_a_card_for_another_units_colours_is_refused(web, people, units):
    response = web(people["lan"]).get(f"/preview/card.png?unit={units['other'].pk}&kind=slogan&text=x")
    assert response.status_code == 400


# One post: detail, history, actions --------------------------------------------------------------

def test_the_post_page_shows_its_preview_history_and_deliveries(web, people, outbox_channel):
    post = write(people["lan"], [outbox_channel])
    post_approve(post, by=people["minh"])
    page = html(web(people["lan"]).get(f"/posts/{post.pk}/"))
    assert '<table id="deliveries">' in page and '<tr data-channel="bang-dien-tu" data-state="scheduled"' in page
    history = page[page.index('id="history"'):]
    assert history.index("created the post") < history.index("submitted it for approval") < history.index("approved it")
    assert "minh" in history
    assert 'data-channel="bang-dien-tu" data-state="ok"' in page and 'class="card-preview"' in page


def test_an_approver_approves_from_the_post_page(web, people, outbox_channel):
    post = write(people["lan"], [outbox_channel])
    client = web(people["minh"])
    page = html(client.get(f"/posts/{post.pk}/"))
    assert f'<form method="post" action="/posts/{post.pk}/action/"' in page
    assert '<button name="action" value="approve">' in page and '<button name="action" value="return"' in page
    response = client.post(f"/posts/{post.pk}/action/", {"action": "approve"}, follow=True)
    post.refresh_from_db()
    assert post.workflow == "approved" and post.approver == people["minh"]
    assert Delivery.objects.filter(post=post, state=states.SCHEDULED).count() == 1
    assert "Post approved; 1 delivery scheduled." in messages_of(response)


def test_nobody_approves_their_own_post(web, people, outbox_channel):
    post = write(people["minh"], [outbox_channel])
    client = web(people["minh"])
    assert 'value="approve"' not in html(client.get(f"/posts/{post.pk}/"))
    response = client.post(f"/posts/{post.pk}/action/", {"action": "approve"}, follow=True)
    post.refresh_from_db()
    assert post.workflow == "submitted" and not Delivery.objects.exists()
    assert any("Nobody may approve their own post" in m for m in messages_of(response))


def test_an_editor_cannot_approve(web, people, outbox_channel):
    post = write(people["lan"], [outbox_channel])
    client = web(people["lan"])
    assert 'value="approve"' not in html(client.get(f"/posts/{post.pk}/"))
    response = client.post(f"/posts/{post.pk}/action/", {"action": "approve"}, follow=True)
    post.refresh_from_db()
    assert post.workflow == "submitted"
    assert any("may not approve posts" in m for m in messages_of(response))


def test_returning_needs_a_reason_which_the_author_then_reads(web, people, outbox_channel):
    post = write(people["lan"], [outbox_channel])
    approver = web(people["minh"])
    refused = approver.post(f"/posts/{post.pk}/action/", {"action": "return", "reason": "  "}, follow=True)
    assert any("Say why the post is returned" in m for m in messages_of(refused))
    approver.post(f"/posts/{post.pk}/action/", {"action": "return", "reason": "Sai chính tả <i>tiêu đề</i>"})
    post.refresh_from_db()
    assert post.workflow == "returned"
    page = html(web(people["lan"]).get(f"/posts/{post.pk}/"))
    assert "Sai chính tả &lt;i&gt;tiêu đề&lt;/i&gt;" in page and '<button name="action" value="submit">' in page


def test_the_author_resubmits_a_returned_post(web, people, outbox_channel):
    post = write(people["lan"], [outbox_channel])
    web(people["minh"]).post(f"/posts/{post.pk}/action/", {"action": "return", "reason": "Sửa lại"})
    web(people["lan"]).post(f"/posts/{post.pk}/action/", {"action": "submit"})
    post.refresh_from_db()
    assert post.workflow == "submitted"


def test_only_the_author_or_an_approver_cancels(web, people, units, outbox_channel):
    colleague = make_user("mai", "editor", units["ward"])
    post = write(people["lan"], [outbox_channel])
    assert 'value="cancel"' not in html(web(colleague).get(f"/posts/{post.pk}/"))
    refused = web(colleague).post(f"/posts/{post.pk}/action/", {"action": "cancel"}, follow=True)
    post.refresh_from_db()
    assert post.workflow == "submitted" and any("author or an approver" in m for m in messages_of(refused))
    web(people["lan"]).post(f"/posts/{post.pk}/action/", {"action": "cancel", "reason": "Trùng bài"})
    post.refresh_from_db()
    assert post.workflow == "cancelled"
    other = write(people["lan"], [outbox_channel], title="Bài hai")
    post_approve(other, by=people["minh"])
    web(people["minh"]).post(f"/posts/{other.pk}/action/", {"action": "cancel"})
    assert Delivery.objects.get(post=other).state == states.CANCELLED


def test_an_unknown_action_and_a_get_change_nothing(web, people, outbox_channel):
    post = write(people["lan"], [outbox_channel])
    client = web(people["minh"])
    assert client.get(f"/posts/{post.pk}/action/?action=approve").status_code == 405
    response = client.post(f"/posts/{post.pk}/action/", {"action": "publish-now"}, follow=True)
    assert "Unknown action." in messages_of(response)
    post.refresh_from_db()
    assert post.workflow == "submitted"


def test_another_units_post_and_delivery_are_not_found(web, people, outbox_channel):
    post = write(people["lan"], [outbox_channel])
    (delivery,) = post_approve(post, by=people["minh"])
    client = web(people["hung"])
    assert client.get(f"/posts/{post.pk}/").status_code == 404
    assert client.post(f"/posts/{post.pk}/action/", {"action": "cancel"}).status_code == 404
    assert client.post(f"/deliveries/{delivery.pk}/action/", {"action": "resend", "i_understand": "1"}).status_code == 404
    assert client.get("/posts/99999999999999999999/").status_code == 404
    post.refresh_from_db()
    assert post.workflow == "approved"


# Deliveries the machine will not decide alone ----------------------------------------------------

@pytest.fixture
def unconfirmed(people, scripted):
    """A delivery whose platform call timed out after the platform created the post."""
    post = write(people["lan"], [scripted])
    (delivery,) = post_approve(post, by=people["minh"])
    ScriptedPlatform.reset(["unknown"])
    claim_due(timezone.now() + timedelta(seconds=1), batch=10)
    assert publish_delivery(delivery.pk) == states.UNCONFIRMED
    return delivery


def test_an_unconfirmed_delivery_offers_confirm_resend_and_close_with_a_warning(web, people, unconfirmed):
    page = html(web(people["lan"]).get(f"/posts/{unconfirmed.post_id}/"))
    assert '<tr data-channel="fake-page" data-state="unconfirmed"' in page
    assert f'action="/deliveries/{unconfirmed.pk}/action/"' in page
    for action in ("confirm", "resend", "close"):
        assert f'name="action" value="{action}"' in page
    assert 'name="i_understand"' in page and "may publish the post twice" in page


def test_publishing_again_needs_the_officer_to_say_they_checked(web, people, unconfirmed):
    client = web(people["lan"])
    refused = client.post(f"/deliveries/{unconfirmed.pk}/action/", {"action": "resend"}, follow=True)
    assert Delivery.objects.get(pk=unconfirmed.pk).state == states.UNCONFIRMED
    assert any("publishing again may publish the post twice" in m for m in messages_of(refused))
    client.post(f"/deliveries/{unconfirmed.pk}/action/", {"action": "resend", "i_understand": "1"})
    assert Delivery.objects.get(pk=unconfirmed.pk).state == states.SCHEDULED
    assert AuditEntry.objects.filter(target=f"delivery:{unconfirmed.pk}", action="delivery.scheduled",
                                     actor=people["lan"]).exists()


def test_confirming_takes_only_a_web_address_as_permalink(web, people, unconfirmed):
    client = web(people["minh"])
    refused = client.post(f"/deliveries/{unconfirmed.pk}/action/",
                          {"action": "confirm", "permalink": "javascript:alert(1)"}, follow=True)
    assert Delivery.objects.get(pk=unconfirmed.pk).state == states.UNCONFIRMED
    assert any("web address" in m for m in messages_of(refused))
    response = client.post(f"/deliveries/{unconfirmed.pk}/action/",
                           {"action": "confirm", "permalink": "https://fake.example/p/1"}, follow=True)
    delivery = Delivery.objects.get(pk=unconfirmed.pk)
    assert delivery.state == states.SENT and delivery.permalink == "https://fake.example/p/1"
    assert '<a href="https://fake.example/p/1"' in html(response)
    assert '<tr data-channel="fake-page" data-state="sent"' in html(response)


def test_closing_fails_the_delivery_with_the_officers_reason(web, people, unconfirmed):
    web(people["lan"]).post(f"/deliveries/{unconfirmed.pk}/action/", {"action": "close", "reason": "Không có trên trang"})
    delivery = Delivery.objects.get(pk=unconfirmed.pk)
    assert delivery.state == states.FAILED and delivery.last_error == "Không có trên trang"
    page = html(web(people["lan"]).get(f"/posts/{delivery.post_id}/"))
    assert '<p class="error last-error">Không có trên trang</p>' in page
    assert 'value="resend"' in page and 'value="confirm"' not in page


def test_a_scheduled_delivery_cannot_be_confirmed(web, people, outbox_channel):
    (delivery,) = post_approve(write(people["lan"], [outbox_channel]), by=people["minh"])
    response = web(people["lan"]).post(f"/deliveries/{delivery.pk}/action/", {"action": "confirm"}, follow=True)
    assert Delivery.objects.get(pk=delivery.pk).state == states.SCHEDULED
    assert any("cannot be confirmed" in m for m in messages_of(response))


# The list ----------------------------------------------------------------------------------------

def test_the_list_shows_the_users_units_newest_first_with_derived_status(web, people, outbox_channel, foreign_channel):
    older = write(people["lan"], [outbox_channel], title="Bài cũ")
    post_approve(older, by=people["minh"])
    write(people["lan"], [outbox_channel], title="Bài mới <em>nhất</em>", submit=False)
    write(people["hung"], [foreign_channel], title="Bài phường khác")
    page = html(web(people["lan"]).get("/posts/"))
    assert page.index("Bài mới &lt;em&gt;nhất&lt;/em&gt;") < page.index("Bài cũ")
    assert "Bài phường khác" not in page
    assert f'<tr data-post="{older.pk}" data-status="scheduled">' in page
    assert "bang-dien-tu" in page


def test_the_list_filters_by_derived_status_kind_and_unit(web, people, units, outbox_channel, foreign_channel, scripted):
    sent = write(people["lan"], [scripted], title="Đã đăng")
    post_approve(sent, by=people["minh"])
    claim_due(timezone.now() + timedelta(seconds=1), batch=10)
    publish_delivery(Delivery.objects.get(post=sent).pk)
    write(people["lan"], [outbox_channel], title="Chờ duyệt")
    write(people["hung"], [foreign_channel], title="Phường khác")
    province = web(people["minh"])

    def titles(query):
        page = html(province.get("/posts/" + query))
        return sorted(t for t in ("Đã đăng", "Chờ duyệt", "Phường khác") if t in page)

    assert titles("?status=published") == ["Đã đăng"]
    assert titles("?status=pending_approval") == ["Chờ duyệt", "Phường khác"]
    assert titles(f"?unit={units['other'].pk}") == ["Phường khác"]
    assert titles("?kind=guide") == []
    assert titles("?status=nonsense&kind=<x>&unit=abc") == ["Chờ duyệt", "Phường khác", "Đã đăng"]
    assert "Phường khác" not in html(web(people["lan"]).get(f"/posts/?unit={units['other'].pk}"))


@pytest.mark.parametrize("page_param", ["abc", "0", "-1", "99999", "1e9", "9" * 40, "²"])
def test_a_bad_page_number_shows_the_first_page(web, people, outbox_channel, page_param):
    for n in range(27):
        write(people["lan"], [outbox_channel], title=f"Bài số {n:02d}", submit=False)
    response = web(people["lan"]).get(f"/posts/?page={page_param}")
    page = html(response)
    assert response.status_code == 200
    assert "Bài số 26" in page and "Bài số 01" not in page and "Page 1 of 2" in page


def test_the_second_page_keeps_the_filters(web, people, outbox_channel):
    for n in range(27):
        write(people["lan"], [outbox_channel], title=f"Bài số {n:02d}", submit=False)
    client = web(people["lan"])
    first = html(client.get("/posts/?status=draft"))
    assert 'href="?status=draft&amp;page=2"' in first
    second = html(client.get("/posts/?status=draft&page=2"))
    assert "Bài số 01" in second and "Bài số 00" in second and "Bài số 26" not in second


def test_the_preview_json_is_what_the_compose_script_reads(web, people, outbox_channel):
    body = json.loads(web(people["lan"]).post("/preview/", {"kind": "slogan", "title": "T", "text": "Cải cách",
                                                            "channels": ["bang-dien-tu"]}).content)
    (pane,) = body["channels"]
    assert set(pane) >= {"channel", "label", "text", "text_format", "length", "limit", "state", "counter", "error",
                         "card_url", "card_alt"}
