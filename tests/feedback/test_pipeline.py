"""Citizens' replies in Loa: stored once whichever path saw them, linked to the post, classified,
pseudonymised; webhooks verified before anything is stored; answers, erasure and retention."""

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from bot.channel_config import channel_add
from bot.errors import Invalid
from bot.feedback.answer import answer_feedback
from bot.feedback.collect import process_event, process_pending
from bot.feedback.export import feedback_row, queryset, write_csv
from bot.feedback.ingest import ingest
from bot.feedback.privacy import anonymise_expired, erase_author
from bot.models import Delivery, Feedback, InboundEvent, Post, Workflow
from channels.base import Reply, ThreadLink

pytestmark = pytest.mark.django_db

SECRET = "bi-mat-webhook-123"


@pytest.fixture
def telegram(units):
    return channel_add(unit=units["ward"], kind="telegram", name="tg-phuong",
                       pairs={"token": "123456:AAF-test", "chat_id": "@phuong", "discussion_chat_id": "-100900",
                              "webhook_secret": SECRET})


@pytest.fixture
def sent_delivery(telegram, people):
    post = Post.objects.create(unit=telegram.unit, kind="slogan", title="Khẩu hiệu", body="Vì nhân dân",
                               author=people["lan"], approver=people["minh"], workflow=Workflow.APPROVED)
    return Delivery.objects.create(post=post, channel=telegram, due_at=timezone.now(), state="sent", remote_id="42")


def reply(remote_id="-100900:7", text="Cho hỏi thủ tục đăng ký khai sinh cần giấy tờ gì?", **extra):
    return Reply(remote_id=remote_id, text=text, author_id="555111", author_name="Nguyễn Văn An",
                 received_at=timezone.now().timestamp(), answer_to="-100900:7", **extra)


def test_a_reply_seen_by_the_webhook_and_by_polling_is_stored_once(telegram, sent_delivery):
    assert len(ingest(telegram, [reply(in_reply_to="42")])) == 1
    assert ingest(telegram, [reply(in_reply_to="42")]) == []
    (feedback,) = Feedback.objects.all()
    assert feedback.delivery == sent_delivery and feedback.category == "hoi_dap"
    assert feedback.author_key != "555111" and "555111" not in json.dumps(feedback_row(feedback))
    assert feedback.due_at > feedback.received_at


def test_a_telegram_comment_is_linked_to_its_post_through_the_discussion_thread(telegram, sent_delivery):
    ingest(telegram, [ThreadLink(post_id="42", thread_id="-100900:3"), reply(in_reply_to="-100900:3")])
    assert Feedback.objects.get().delivery == sent_delivery


def test_a_forged_webhook_gets_403_and_stores_nothing(client, telegram):
    body = json.dumps({"update_id": 1, "message": {"message_id": 1, "text": "x"}})
    for headers in ({}, {"HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN": "doan-mo"}):
        response = client.post("/hooks/telegram/tg-phuong/", body, content_type="application/json", **headers)
        assert response.status_code == 403
    assert InboundEvent.objects.count() == 0 and Feedback.objects.count() == 0


def test_a_signed_webhook_is_stored_then_processed_and_its_raw_body_dropped(client, telegram):
    update = {"update_id": 9, "message": {"message_id": 5, "date": 1795000000, "text": "Cảm ơn phường đã hướng dẫn tận tình!",
                                          "chat": {"id": 555111, "type": "private", "first_name": "An"},
                                          "from": {"id": 555111, "is_bot": False, "first_name": "An"}}}
    response = client.post("/hooks/telegram/tg-phuong/", json.dumps(update), content_type="application/json",
                           HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN=SECRET)
    assert response.status_code == 200
    (event,) = InboundEvent.objects.all()
    assert process_event(event.pk) == 1
    feedback = Feedback.objects.get()
    assert feedback.kind == "message" and feedback.category == "khen_ngoi"
    event.refresh_from_db()
    assert event.processed_at and bytes(event.body) == b""


def private_update(update_id: int, text: str, chat_id: int = 555111) -> dict:
    return {"update_id": update_id, "message": {"message_id": update_id, "date": 1795000000, "text": text,
                                                "chat": {"id": chat_id, "type": "private", "first_name": "An"},
                                                "from": {"id": 555111, "is_bot": False, "first_name": "An"}}}


def test_stored_webhooks_are_processed_in_one_batch_and_a_bad_one_holds_back_no_other(client, telegram):
    updates = [private_update(11, "Cho hỏi lệ phí cấp bản sao?"),
               private_update(12, "Mã cuộc trò chuyện không hợp lệ", chat_id=10 ** 250),
               private_update(13, "Cảm ơn phường 🙏"), {"update_id": 14, "message": "không phải tin nhắn"},
               private_update(15, "Lỗi khi lưu")]
    for update in updates:
        response = client.post("/hooks/telegram/tg-phuong/", json.dumps(update), content_type="application/json",
                               HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN=SECRET)
        assert response.status_code == 200
    assert Feedback.objects.count() == 0  # the hook only stores: the worker's batch does the rest
    with connection.cursor() as cursor:  # the database refuses one reply, as a full disk or a bug would
        cursor.execute(f"ALTER TABLE {Feedback._meta.db_table} ADD CONSTRAINT refuse_one CHECK (text <> 'Lỗi khi lưu')")

    assert process_pending() == 2
    assert sorted(Feedback.objects.values_list("text", flat=True)) == ["Cho hỏi lệ phí cấp bản sao?", "Cảm ơn phường 🙏"]
    events = list(InboundEvent.objects.order_by("pk"))
    assert all(e.processed_at for e in events)
    assert [e.error for e in events] == ["", "the Telegram update has no valid chat id.", "",
                                         "the Telegram update has no valid message.",
                                         "could not be stored; see the worker's log"]
    assert [bytes(e.body) == b"" for e in events] == [True, False, True, False, False]  # failures kept to look at
    assert process_pending() == 0  # nothing is taken twice


FUZZ_PATHS = ["/hooks/telegram/tg-phuong/", "/hooks/facebook/", "/hooks/zalo/", "/hooks/nowhere/"]


@pytest.mark.parametrize("path", FUZZ_PATHS)
@hsettings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(body=st.one_of(st.binary(max_size=2000), st.text(max_size=2000).map(str.encode),
                      st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=50),
                                   lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=10), kids, max_size=4),
                                   max_leaves=20).map(lambda v: json.dumps(v).encode()),
                      st.sampled_from([b'{"object":"page","entry":[{"id":"1"', b'{"app_id":"1","event_name":"user_send_text"',
                                       b'{"update_id":1,"message":{"text":"\xff"}}', b"\x1f\x8b" + b"\x00" * 64])))
def test_no_body_makes_a_webhook_fail_with_500_or_store_anything_unsigned(client, telegram, body, path):
    response = client.post(path, body, content_type="application/json")
    assert response.status_code in (200, 403, 404)  # 200 only for bodies naming no channel (URL probes)
    assert InboundEvent.objects.count() == 0


def test_erasing_a_citizen_leaves_nothing_of_them(telegram, sent_delivery, tmp_path, people):
    ingest(telegram, [reply(in_reply_to="42", text="SĐT của tôi 0912 345 678, email an@gmail.com")])
    feedback = Feedback.objects.get()
    assert erase_author(feedback.author_key, by=people["thu"]) == 1
    write_csv(tmp_path / "x.csv", [feedback_row(f, unmasked=True) for f in queryset()])
    exported = (tmp_path / "x.csv").read_text(encoding="utf-8-sig")
    for personal in ("0912", "an@gmail.com", "Nguyễn Văn An", feedback.author_key, "-100900:7"):
        assert personal not in exported
        assert not Feedback.objects.filter(text__contains=personal).exists()
    with pytest.raises(Invalid):
        erase_author(feedback.author_key, by=people["thu"])


def test_retention_anonymises_old_feedback_only(telegram, units):
    ingest(telegram, [reply(remote_id="a:1"), reply(remote_id="a:2")])
    Feedback.objects.filter(remote_id="a:1").update(received_at=timezone.now() - timedelta(days=400))
    assert anonymise_expired() == 1
    assert Feedback.objects.get(remote_id="a:1").author_name == ""
    assert Feedback.objects.get(remote_id="a:2").author_name == "Nguyễn Văn An"


def test_only_staff_of_the_unit_may_answer_and_an_empty_answer_is_refused(telegram, people):
    ingest(telegram, [reply()])
    feedback = Feedback.objects.get()
    with pytest.raises(Invalid):
        answer_feedback(feedback, by=people["hung"], text="Chào bạn")
    with pytest.raises(Invalid):
        answer_feedback(feedback, by=people["thu"], text="   ")
    assert Feedback.objects.get().status == "new" and Feedback.objects.get().answer == ""
