"""Answering citizens through Loa on the Zalo fake: saved replies with their variables, complaints
answered at once with the formal channel, the 7-day window, the classifier's configured phrases and
the log of who read what."""

import json
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from bot.cli.main import main as loa
from bot.errors import Invalid
from bot.feedback.answer import answer_feedback
from bot.feedback.collect import collect
from bot.feedback.saved_replies import add_reply, fill, values_for
from bot.models import ClassifierPhrase, Feedback, FeedbackView
from bot.org import unit_update

pytestmark = pytest.mark.django_db

ADDRESS = "Số 1 Trần Hưng Đạo, phường Bến Thành"
HOTLINE = "0283 822 1234"


@pytest.fixture
def zalo(platform_channel):
    return platform_channel("zalo")


def oa_id(channel) -> str:
    return channel.settings["oa_id"]


def write(sandbox, channel, text, user="8811", name="Trần Thị Lan"):
    return sandbox.client.inject("zalo", {"oa_id": oa_id(channel), "user_id": user, "text": text, "name": name})


def answers(sandbox, channel) -> list[dict]:
    return sandbox.client.state("zalo")["oas"][oa_id(channel)]["cs_messages"]


def test_a_saved_reply_is_sent_with_the_citizens_name_and_the_hotline_inherited_from_the_province(
        sandbox, zalo, units, people):
    unit_update(units["province"], hotline=HOTLINE)
    reply = add_reply(units["province"], title="Hướng dẫn nộp trực tuyến", by=people["minh"],
                      text="Chào {ten_cong_dan}, {don_vi} hướng dẫn nộp hồ sơ tại {cong_dich_vu}; "
                           "cần hỗ trợ gọi {duong_day_nong}.")
    write(sandbox, zalo, "Cho hỏi nộp hồ sơ khai sinh ở đâu?")
    assert collect(zalo) == 1
    feedback = Feedback.objects.get()

    answer_feedback(feedback, by=people["thu"], saved=str(reply.pk))
    (sent,) = answers(sandbox, zalo)
    assert sent["user_id"] == "8811"
    assert sent["message"]["text"] == ("Chào Trần Thị Lan, Phường Bến Thành hướng dẫn nộp hồ sơ tại "
                               "https://dichvucong.gov.vn; cần hỗ trợ gọi 0283 822 1234.")
    feedback.refresh_from_db()
    assert feedback.status == "answered" and feedback.answer == sent["message"]["text"]


def test_a_reply_naming_a_variable_the_unit_has_not_filled_is_refused_before_anything_is_sent(
        sandbox, zalo, units, people):
    add_reply(units["ward"], title="Gọi đường dây nóng", text="Vui lòng gọi {duong_day_nong}.", by=people["thu"])
    write(sandbox, zalo, "Cho hỏi lệ phí bao nhiêu?")
    collect(zalo)
    feedback = Feedback.objects.get()
    with pytest.raises(Invalid, match="duong_day_nong"):
        answer_feedback(feedback, by=people["thu"], saved="Gọi đường dây nóng")
    assert answers(sandbox, zalo) == []
    feedback.refresh_from_db()
    assert feedback.status == "new" and feedback.answer == ""


@pytest.mark.parametrize("text, says", [
    ("Xin chào {ten}", "{ten}"), ("", "tiêu đề và nội dung"), ("x" * 2001, "2001"),
])
def test_saved_replies_with_unknown_variables_or_bad_lengths_are_refused(units, people, text, says):
    with pytest.raises(Invalid, match=says.replace("{", r"\{").replace("}", r"\}")):
        add_reply(units["ward"], title="Mẫu", text=text, by=people["thu"])
    assert not units["ward"].saved_replies.exists()


def test_an_editor_may_not_add_saved_replies_and_filling_keeps_other_braces(units, people):
    with pytest.raises(Invalid):
        add_reply(units["ward"], title="Mẫu", text="Chào bạn", by=people["lan"])
    assert fill("{don_vi}: {x}", {"don_vi": "UBND"}) == "UBND: {x}"


def test_a_complaint_is_answered_at_once_with_the_units_reception_address_and_hotline(sandbox, zalo, units):
    unit_update(units["ward"], reception_address=ADDRESS, hotline=HOTLINE)
    write(sandbox, zalo, "Tôi muốn tố cáo cán bộ một cửa đòi 2 triệu mới nhận hồ sơ")
    write(sandbox, zalo, "Cho hỏi giờ làm việc thứ bảy?", user="8822", name="Lê Văn Bình")
    assert collect(zalo) == 2

    (sent,) = answers(sandbox, zalo)
    assert sent["user_id"] == "8811"
    assert ADDRESS in sent["message"]["text"] and HOTLINE in sent["message"]["text"] and "Luật Tố cáo" in sent["message"]["text"]
    complaint = Feedback.objects.get(category="khieu_nai_to_cao")
    assert complaint.status == "answered" and complaint.answer == sent["message"]["text"]
    assert Feedback.objects.get(category="hoi_dap").status == "new", "only the complaint is answered by Loa"


def test_a_complaint_is_left_for_staff_while_the_unit_has_not_said_where_complaints_go(sandbox, zalo):
    write(sandbox, zalo, "Tôi khiếu nại việc chậm trả kết quả hồ sơ đất đai")
    collect(zalo)
    assert answers(sandbox, zalo) == []
    assert Feedback.objects.get().status == "new"


def test_outside_zalos_seven_day_window_loa_refuses_and_names_the_hotline_without_calling_zalo(
        sandbox, zalo, units, people):
    unit_update(units["ward"], hotline=HOTLINE)
    write(sandbox, zalo, "Cho hỏi thủ tục chứng thực?")
    collect(zalo)
    Feedback.objects.update(received_at=timezone.now() - timedelta(days=8))
    calls = len(sandbox.client.requests("zalo"))
    with pytest.raises(Invalid, match="7") as refused:
        answer_feedback(Feedback.objects.get(), by=people["thu"], text="Mời anh chị đến bộ phận một cửa")
    assert HOTLINE in str(refused.value)
    assert len(sandbox.client.requests("zalo")) == calls and answers(sandbox, zalo) == []
    assert Feedback.objects.get().status == "new"


def test_a_phrase_configured_by_the_administrator_changes_the_category_of_new_feedback(sandbox, zalo):
    ClassifierPhrase.objects.create(category="phan_anh", phrase="đèn đường tắt")
    write(sandbox, zalo, "Đèn đường tắt cả tuần nay ở hẻm 12")
    collect(zalo)
    assert Feedback.objects.get().category == "phan_anh"

    ClassifierPhrase.objects.create(category="hoi_dap", phrase="-cho hỏi")
    write(sandbox, zalo, "Cho hỏi", user="8833")
    collect(zalo)
    assert Feedback.objects.get(text="Cho hỏi").category == "khac", "a removed phrase no longer counts"


@pytest.mark.parametrize("category, phrase", [("phan_anh", "re:(unclosed"), ("khac", "bất kỳ"), ("hoi_dap", " *2")])
def test_a_phrase_that_cannot_be_used_is_refused_with_a_reason(category, phrase):
    with pytest.raises(ValidationError):
        ClassifierPhrase(category=category, phrase=phrase).full_clean()


def test_reading_feedback_through_the_cli_is_logged_and_limited_to_the_readers_units(
        sandbox, zalo, units, people, capsys):
    write(sandbox, zalo, "Cho hỏi về cấp đổi căn cước?")
    collect(zalo)
    assert loa(["feedback", "list", "--json", "--by", "thu"]) == 0
    assert [row["text"] for row in json.loads(capsys.readouterr().out)] == ["Cho hỏi về cấp đổi căn cước?"]
    (view,) = FeedbackView.objects.all()
    assert (view.viewer_name, view.via, view.unmasked) == ("thu", "list", False)

    assert loa(["feedback", "list", "--json", "--by", "hung"]) == 0, "a reader of another unit sees nothing"
    assert json.loads(capsys.readouterr().out) == [] and FeedbackView.objects.count() == 1


def test_unit_settings_are_checked_and_a_bad_value_changes_nothing(units, capsys):
    assert loa(["unit", "set", "ben-thanh", "--hotline", "gọi tôi"]) != 0
    assert loa(["unit", "set", "ben-thanh", "--portal", "javascript:alert(1)"]) != 0
    assert loa(["unit", "set", "ben-thanh", "--retention-days", "5"]) != 0
    units["ward"].refresh_from_db()
    assert (units["ward"].hotline, units["ward"].portal_url, units["ward"].feedback_retention_days) == (
        "", "https://dichvucong.gov.vn", 365)
    assert loa(["unit", "set", "ben-thanh", "--hotline", HOTLINE, "--reception-address", ADDRESS]) == 0
    units["ward"].refresh_from_db()
    assert (units["ward"].hotline, units["ward"].reception_address) == (HOTLINE, ADDRESS)


def test_values_for_a_citizen_without_a_name_address_them_politely(zalo):
    feedback = Feedback(channel=zalo, author_name="")
    assert values_for(feedback)["ten_cong_dan"] == "Ông/Bà"
