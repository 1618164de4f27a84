"""The feedback inbox: the user's units only, filters, masking per role, the log of who read what,
assign / classify / close through bot.feedback.triage, and answers that reach the (sandbox) platform."""

import itertools
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from bot.channel_config import channel_add
from bot.feedback.collect import collect
from bot.feedback.ingest import ingest
from bot.feedback.saved_replies import add_reply
from bot.feedback import triage
from bot.errors import Invalid
from bot.models import AuditEntry, Feedback, FeedbackView, Role
from bot.posts import post_approve, post_create, post_submit
from bot.publishing.publisher import publish_delivery
from bot.publishing.tick import run_tick
from channels.base import Reply
from tests.conftest import make_user
from tests.integration.conftest import platform_channel, sandbox  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db
PHONE = "0912 345 678"
_remote_ids = itertools.count(1)


@pytest.fixture
def client():
    """English pages (the default is Vietnamese): the assertions read the English msgids."""
    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def other_channel(units, tmp_path):
    return channel_add(unit=units["other"], kind="outbox", name="bang-sai-gon", pairs={"path": str(tmp_path / "sg")})


def write(channel, text, *, days_ago=0, name="Nguyễn Thị Hoa", kind="message", in_reply_to="") -> Feedback:
    """A citizen's message stored the way polling and webhooks store it."""
    remote_id = f"m{next(_remote_ids)}"
    at = (timezone.now() - timedelta(days=days_ago)).timestamp()
    ingest(channel, [Reply(remote_id=remote_id, text=text, author_id="citizen-1", author_name=name, received_at=at,
                           answer_to="citizen-1", kind=kind, in_reply_to=in_reply_to)])
    return Feedback.objects.get(channel=channel, remote_id=remote_id)


def row_ids(response) -> list[int]:
    table = re.search(r'<table id="inbox">.*?</table>', response.content.decode(), re.S)
    return [int(i) for i in re.findall(r'<tr data-id="(\d+)"', table.group())] if table else []


def as_user(client, user):
    client.force_login(user)
    return client


def test_the_list_shows_the_users_units_only_each_row_linking_to_its_item(client, people, outbox_channel,
                                                                          other_channel):
    ours = write(outbox_channel, "Cho hỏi giờ làm việc của bộ phận một cửa?")
    theirs = write(other_channel, "Đèn đường hẻm 5 Sài Gòn tắt cả tuần")
    page = as_user(client, people["lan"]).get("/inbox/")
    assert page.status_code == 200 and row_ids(page) == [ours.pk]
    html = page.content.decode()
    assert f'href="/inbox/{ours.pk}/"' in html and "hẻm 5 Sài Gòn" not in html and "bang-sai-gon" not in html
    assert row_ids(as_user(client, people["hung"]).get("/inbox/")) == [theirs.pk]
    assert sorted(row_ids(as_user(client, people["minh"]).get("/inbox/"))) == sorted([ours.pk, theirs.pk]), \
        "the province's approver sees every ward below it"


def test_filters_by_status_category_channel_unit_and_overdue(client, people, units, outbox_channel, other_channel):
    question = write(outbox_channel, "Cho hỏi lệ phí chứng thực bao nhiêu?", days_ago=5)  # due after 3 days
    report = write(outbox_channel, "Phản ánh cán bộ trễ hẹn trả kết quả hồ sơ")
    late_but_closed = write(outbox_channel, "Cho hỏi nộp hồ sơ ở đâu?", days_ago=6)
    triage.close(late_but_closed, by=people["thu"])
    elsewhere = write(other_channel, "Cho hỏi thủ tục khai sinh thế nào?")
    minh = as_user(client, people["minh"])

    assert row_ids(minh.get("/inbox/?status=closed")) == [late_but_closed.pk]
    assert sorted(row_ids(minh.get("/inbox/?category=phan_anh"))) == [report.pk]
    assert sorted(row_ids(minh.get("/inbox/?channel=bang-sai-gon"))) == [elsewhere.pk]
    assert sorted(row_ids(minh.get("/inbox/?unit=ben-thanh"))) == sorted([question.pk, report.pk, late_but_closed.pk])
    assert row_ids(minh.get("/inbox/?overdue=on")) == [question.pk], "closed items are never overdue"
    combined = minh.get("/inbox/?unit=ben-thanh&category=hoi_dap&status=new")
    assert row_ids(combined) == [question.pk]


def test_overdue_rows_are_highlighted_and_the_others_are_not(client, people, outbox_channel):
    late = write(outbox_channel, "Cho hỏi lệ phí chứng thực bao nhiêu?", days_ago=5)
    fresh = write(outbox_channel, "Cho hỏi giờ làm việc thứ bảy?")
    html = as_user(client, people["thu"]).get("/inbox/").content.decode()
    assert f'<tr data-id="{late.pk}" class="overdue">' in html
    assert f'<tr data-id="{fresh.pk}">' in html


@pytest.mark.parametrize("query", [
    "status=bogus", "category=%3Cscript%3E", "channel=bang-sai-gon", "unit=sai-gon", "unit=%00", "page=abc",
    "page=99999999999999999999999", "page=-1", "overdue=maybe", "status=new&status=closed", "page=1e309",
])
def test_bad_or_foreign_filter_values_are_shown_as_errors_never_a_500(client, people, outbox_channel, other_channel,
                                                                      query):
    mine = write(outbox_channel, "Cho hỏi thủ tục đăng ký kết hôn?")
    write(other_channel, "Ở Sài Gòn đèn đường tắt")
    response = as_user(client, people["lan"]).get(f"/inbox/?{query}")
    assert response.status_code == 200
    assert "Sài Gòn đèn" not in response.content.decode()
    assert set(row_ids(response)) <= {mine.pk}


def test_a_foreign_unit_value_in_a_filter_is_refused_not_applied(client, people, outbox_channel, other_channel):
    write(other_channel, "Ở Sài Gòn đèn đường tắt")
    response = as_user(client, people["lan"]).get("/inbox/?channel=bang-sai-gon")
    assert 'class="error"' in response.content.decode() and row_ids(response) == [], \
        "another unit's channel is not a choice: no rows of it, and the filter says so"


def test_pages_of_25_keep_the_filters_in_their_links(client, people, outbox_channel):
    ids = [write(outbox_channel, f"Cho hỏi câu số {n}?").pk for n in range(30)]
    staff = as_user(client, people["thu"])
    first = staff.get("/inbox/?category=hoi_dap")
    assert len(row_ids(first)) == 25 and "?category=hoi_dap&amp;page=2" in first.content.decode()
    second = staff.get("/inbox/?category=hoi_dap&page=2")
    assert len(row_ids(second)) == 5 and set(row_ids(first)) | set(row_ids(second)) == set(ids)
    assert row_ids(staff.get("/inbox/?category=hoi_dap&page=999")) == row_ids(second), "past the end: the last page"


def test_staff_see_the_citizens_phone_number_an_editor_sees_it_masked_and_both_readings_are_logged(
        client, people, outbox_channel):
    item = write(outbox_channel, f"Gọi lại giúp tôi số {PHONE} về hồ sơ đất đai")
    staff_list = as_user(client, people["thu"]).get("/inbox/").content.decode()
    staff_item = client.get(f"/inbox/{item.pk}/").content.decode()
    assert PHONE in staff_list and PHONE in staff_item

    editor_list = as_user(client, people["lan"]).get("/inbox/").content.decode()
    editor_item = client.get(f"/inbox/{item.pk}/").content.decode()
    for html in (editor_list, editor_item):
        assert PHONE not in html and "345" not in html and "091*****678" in html

    views = list(FeedbackView.objects.order_by("id").values_list("viewer_name", "via", "unmasked", "feedback_id"))
    assert views == [("thu", "web", True, item.pk)] * 2 + [("lan", "web", False, item.pk)] * 2


def test_only_the_rows_on_the_page_shown_are_logged(client, people, outbox_channel):
    for n in range(27):
        write(outbox_channel, f"Cho hỏi câu số {n}?")
    page = as_user(client, people["thu"]).get("/inbox/?page=2")
    assert FeedbackView.objects.count() == 2
    assert set(FeedbackView.objects.values_list("feedback_id", flat=True)) == set(row_ids(page))


def test_another_units_item_is_a_404_to_read_and_to_act_on(client, people, other_channel):
    theirs = write(other_channel, "Cho hỏi thủ tục khai sinh thế nào?")
    lan = as_user(client, people["lan"])
    assert lan.get(f"/inbox/{theirs.pk}/").status_code == 404
    assert lan.post(f"/inbox/{theirs.pk}/", {"action": "close"}).status_code == 404
    assert lan.get("/inbox/999999/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == "new" and not FeedbackView.objects.exists()


def test_the_detail_shows_the_message_as_text_with_its_facts_and_the_post_it_answers(client, people, outbox_channel):
    post = post_create(author=people["lan"], unit=outbox_channel.unit, kind="slogan", title="Khẩu hiệu <tháng 5>",
                       body="Cải cách hành chính vì nhân dân phục vụ.", channel_names=[outbox_channel.name])
    post_submit(post, by=people["lan"])
    post_approve(post, by=people["minh"])
    run_tick(lambda claimed: publish_delivery(claimed.delivery_id), batch=10)
    delivery = post.deliveries.get()
    assert delivery.state == "sent"
    item = write(outbox_channel, '<script>alert("x")</script> Cho hỏi <b>giờ</b> làm việc?', kind="comment",
                 name="Lê <i>Bình</i>", in_reply_to=delivery.remote_id)

    html = as_user(client, people["thu"]).get(f"/inbox/{item.pk}/").content.decode()
    assert "<script>alert" not in html and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "Lê &lt;i&gt;Bình&lt;/i&gt;" in html and "<b>giờ</b>" not in html
    assert f'<a id="post" href="/posts/{post.pk}/">Khẩu hiệu &lt;tháng 5&gt;</a>' in html
    assert '<span id="status" class="badge new">' in html and "bang-dien-tu" in html
    assert re.search(r'<form id="answer" method="post"', html)
    assert '<textarea id="answer-text" name="answer"' in html and '<select id="saved" name="saved">' in html
    assert '<button type="submit" name="action" value="answer">' in html


def test_assign_classify_and_close_go_through_the_services_and_are_audited(client, people, outbox_channel):
    item = write(outbox_channel, "Cảm ơn cán bộ một cửa tận tình")
    lan = as_user(client, people["lan"])
    response = lan.post(f"/inbox/{item.pk}/", {"action": "assign", "assignee": people["thu"].pk})
    assert response.status_code == 302 and response["Location"] == f"/inbox/{item.pk}/"
    item.refresh_from_db()
    assert (item.assignee, item.status) == (people["thu"], "in_progress")

    lan.post(f"/inbox/{item.pk}/", {"action": "classify", "category": "hoi_dap"})
    item.refresh_from_db()
    assert item.category == "hoi_dap" and item.due_at == item.received_at + timedelta(days=3), \
        "a question is due in three days, whatever it was filed as before"

    page = lan.post(f"/inbox/{item.pk}/", {"action": "close"}, follow=True).content.decode()
    item.refresh_from_db()
    assert item.status == "closed" and '<span id="status" class="badge closed">' in page
    again = lan.post(f"/inbox/{item.pk}/", {"action": "close"}, follow=True).content.decode()
    assert "is closed" in again
    actions = list(AuditEntry.objects.filter(target=f"feedback:{item.pk}").order_by("id")
                   .values_list("action", "actor_name"))
    assert actions == [("feedback.assign", "lan"), ("feedback.classify", "lan"), ("feedback.close", "lan")]


def test_assigning_to_someone_outside_the_unit_or_a_bad_value_changes_nothing(client, people, outbox_channel):
    item = write(outbox_channel, "Cho hỏi lệ phí?")
    lan = as_user(client, people["lan"])
    for value in (people["hung"].pk, "abc", "", "9" * 30):
        page = lan.post(f"/inbox/{item.pk}/", {"action": "assign", "assignee": value}, follow=True)
        assert page.status_code == 200 and "cannot work on feedback" in page.content.decode()
    for category in ("bogus", "\x00"):
        page = lan.post(f"/inbox/{item.pk}/", {"action": "classify", "category": category}, follow=True)
        assert "Unknown category" in page.content.decode()
    assert "Unknown action" in lan.post(f"/inbox/{item.pk}/", {"action": "drop"}, follow=True).content.decode()
    item.refresh_from_db()
    assert (item.assignee, item.status, item.category) == (None, "new", "hoi_dap")
    assert not AuditEntry.objects.filter(target=f"feedback:{item.pk}").exists()


def test_the_colleague_choices_are_the_units_people_who_can_work_on_it(client, people, units, outbox_channel):
    make_user("quan", Role.ADMIN, units["ward"])
    item = write(outbox_channel, "Cho hỏi lệ phí?")
    html = as_user(client, people["minh"]).get(f"/inbox/{item.pk}/").content.decode()
    select = re.search(r'<select id="assignee-select" name="assignee">.*?</select>', html, re.S).group()
    assert set(re.findall(r'<option value="(\d+)"', select)) == {str(people[p].pk) for p in ("lan", "minh", "thu")}
    thu_sees = as_user(client, people["thu"]).get(f"/inbox/{item.pk}/").content.decode()
    select = re.search(r'<select id="assignee-select" name="assignee">.*?</select>', thu_sees, re.S).group()
    assert str(people["minh"].pk) not in select, "the ward's staff do not see the province's people"


def test_an_administrator_reads_but_the_services_refuse_their_triage(client, units, outbox_channel, people):
    admin = make_user("quan", Role.ADMIN, units["province"])
    item = write(outbox_channel, f"Số của tôi {PHONE}")
    html = as_user(client, admin).get(f"/inbox/{item.pk}/").content.decode()
    assert PHONE not in html and 'id="assign"' not in html and 'id="answer"' not in html
    page = client.post(f"/inbox/{item.pk}/", {"action": "close"}, follow=True).content.decode()
    assert "may not close feedback" in page
    item.refresh_from_db()
    assert item.status == "new"
    with pytest.raises(Invalid):
        triage.assign(item, to=people["thu"], by=people["hung"])


def test_who_viewed_is_shown_to_approvers_not_to_editors_or_staff(client, people, outbox_channel):
    item = write(outbox_channel, "Cho hỏi lệ phí?")
    assert 'id="viewers"' not in as_user(client, people["thu"]).get(f"/inbox/{item.pk}/").content.decode()
    assert 'id="viewers"' not in as_user(client, people["lan"]).get(f"/inbox/{item.pk}/").content.decode()
    html = as_user(client, people["minh"]).get(f"/inbox/{item.pk}/").content.decode()
    table = re.search(r'<table id="viewers">.*?</table>', html, re.S).group()
    assert [name for name in ("thu", "lan", "minh") if f"<td>{name}</td>" in table] == ["thu", "lan", "minh"]


def test_state_changes_need_the_csrf_token(people, outbox_channel):
    item = write(outbox_channel, "Cho hỏi lệ phí?")
    strict = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    strict.force_login(people["thu"])
    assert strict.post(f"/inbox/{item.pk}/", {"action": "close"}).status_code == 403
    item.refresh_from_db()
    assert item.status == "new"


# Answers go to the platform: the Zalo fake, over loopback.

@pytest.fixture
def zalo(platform_channel):  # noqa: F811 - the imported fixture
    return platform_channel("zalo")


def zalo_write(sandbox, channel, text):  # noqa: F811
    sandbox.client.inject("zalo", {"oa_id": channel.settings["oa_id"], "user_id": "8811", "text": text,
                                   "name": "Trần Thị Lan"})
    assert collect(channel) == 1
    return Feedback.objects.filter(channel=channel).latest("pk")


def zalo_answers(sandbox, channel):  # noqa: F811
    return [m["message"]["text"] for m in sandbox.client.state("zalo")["oas"][channel.settings["oa_id"]]["cs_messages"]]


def test_staff_answer_from_the_detail_page_and_the_answer_reaches_zalo(client, sandbox, zalo, people):  # noqa: F811
    item = zalo_write(sandbox, zalo, "Cho hỏi làm căn cước cho con ở đâu?")
    staff = as_user(client, people["thu"])
    response = staff.post(f"/inbox/{item.pk}/", {"action": "answer", "answer": "Mời chị đến bộ phận một cửa phường.",
                                                 "saved": ""})
    assert response.status_code == 302
    assert zalo_answers(sandbox, zalo) == ["Mời chị đến bộ phận một cửa phường."]
    page = staff.get(f"/inbox/{item.pk}/").content.decode()
    assert '<span id="status" class="badge answered">' in page and "Mời chị đến bộ phận một cửa phường." in page
    assert 'id="answer"' not in page, "no second answer form once answered"


def test_a_saved_reply_is_previewed_filled_in_then_sent(client, sandbox, zalo, people, units):  # noqa: F811
    reply = add_reply(units["ward"], title="Một cửa", by=people["thu"],
                      text="Chào {ten_cong_dan}, mời đến {don_vi} để được hướng dẫn.")
    item = zalo_write(sandbox, zalo, "Cho hỏi đăng ký kết hôn cần gì?")
    staff = as_user(client, people["thu"])
    filled = "Chào Trần Thị Lan, mời đến Phường Bến Thành để được hướng dẫn."
    preview = staff.post(f"/inbox/{item.pk}/", {"action": "preview", "saved": reply.pk, "answer": ""})
    assert preview.status_code == 200
    assert re.search(r'<textarea id="answer-text" name="answer"[^>]*>' + re.escape(filled) + "</textarea>",
                     preview.content.decode())
    assert zalo_answers(sandbox, zalo) == [], "a preview sends nothing"

    staff.post(f"/inbox/{item.pk}/", {"action": "answer", "answer": "", "saved": reply.pk})
    assert zalo_answers(sandbox, zalo) == [filled]


def test_zalos_seven_day_window_is_shown_as_a_message_and_the_typed_answer_is_kept(
        client, sandbox, zalo, people):  # noqa: F811
    item = zalo_write(sandbox, zalo, "Cho hỏi thủ tục chứng thực?")
    Feedback.objects.filter(pk=item.pk).update(received_at=timezone.now() - timedelta(days=8))
    response = as_user(client, people["thu"]).post(
        f"/inbox/{item.pk}/", {"action": "answer", "answer": "Mời anh chị đến bộ phận một cửa\x00", "saved": ""})
    html = response.content.decode()
    assert response.status_code == 200 and "7 days" in html and "Mời anh chị đến bộ phận một cửa</textarea>" in html
    assert zalo_answers(sandbox, zalo) == []
    item.refresh_from_db()
    assert item.status == "new" and item.answer == ""


def test_an_empty_answer_is_refused_with_a_message(client, sandbox, zalo, people):  # noqa: F811
    item = zalo_write(sandbox, zalo, "Cho hỏi lệ phí?")
    page = as_user(client, people["thu"]).post(f"/inbox/{item.pk}/", {"action": "answer", "answer": "   "},
                                                follow=True).content.decode()
    assert "Write an answer or choose a saved reply." in page
    assert zalo_answers(sandbox, zalo) == []
