"""The monthly CCHC report computed on a seeded month (May 2026, Vietnam time), against numbers worked
out by hand below: posts per kind against the plan, deliveries per channel, feedback by category and
status, answer times, overdue items and the six-month trend. Month edges are in Vietnam time."""

import itertools
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from bot.channel_config import channel_add
from bot.feedback.ingest import ingest
from bot.models import Delivery, Feedback
from bot.posts import post_approve, post_create, post_submit
from bot.publishing.publisher import publish_delivery
from bot.publishing.tick import run_tick
from bot.reporting import Month, answer_times, monthly_report, parse_month, percentile, planned_counts
from channels.base import Reply

pytestmark = pytest.mark.django_db
VN = ZoneInfo("Asia/Ho_Chi_Minh")
MAY = Month(2026, 5)
NOW = datetime(2026, 6, 15, 9, 0, tzinfo=VN)  # when the report is read: mid-June
_ids = itertools.count(1)


def vn(month, day, hour=9, minute=0):
    return datetime(2026, month, day, hour, minute, tzinfo=VN)


def publish(author, approver, kind, *channels, sent_at: list[datetime]):
    """A post written, approved and published through Loa (outbox), then dated into the month under report."""
    post = post_create(author=author, unit=channels[0].unit, kind=kind, title=f"{kind} {next(_ids)}",
                       body="Cải cách hành chính vì nhân dân phục vụ.", channel_names=[c.name for c in channels])
    post_submit(post, by=author)
    post_approve(post, by=approver)
    run_tick(lambda claimed: publish_delivery(claimed.delivery_id), batch=50)
    for channel, at in zip(channels, sent_at):
        delivery = Delivery.objects.get(post=post, channel=channel)
        assert delivery.state == "sent"
        Delivery.objects.filter(pk=delivery.pk).update(sent_at=at)  # backdating: no service writes the past
    return post


def feedback(channel, received: datetime, category: str, *, status="new", answered_after_hours=None, due_days=None):
    """A citizen's message stored through ingest, then given the triage outcome the month had."""
    remote_id = f"r{next(_ids)}"
    ingest(channel, [Reply(remote_id=remote_id, text="Nội dung", author_id="c", received_at=received.timestamp(),
                           answer_to="c", kind="message")])
    answered = received + timedelta(hours=answered_after_hours) if answered_after_hours is not None else None
    Feedback.objects.filter(channel=channel, remote_id=remote_id).update(
        category=category, status=status, answered_at=answered,
        due_at=received + timedelta(days=due_days) if due_days else None)


@pytest.fixture
def may(units, people, outbox_channel, tmp_path):
    """May 2026 of Phường Bến Thành (plan: 1 bulletin, 2 slogans), with its edges and its neighbours."""
    ward, other = units["ward"], units["other"]
    ward.monthly_plan = {"bulletin": 1, "slogan": 2}
    ward.save()
    a = outbox_channel  # "bang-dien-tu"
    b = channel_add(unit=ward, kind="outbox", name="bang-tin", pairs={"path": str(tmp_path / "b")})
    elsewhere = channel_add(unit=other, kind="outbox", name="bang-sai-gon", pairs={"path": str(tmp_path / "c")})
    lan, minh, hung = people["lan"], people["minh"], people["hung"]

    publish(lan, minh, "slogan", a, sent_at=[vn(5, 5)])                              # May
    publish(lan, minh, "slogan", a, b, sent_at=[vn(4, 30, 23, 0), vn(5, 2)])         # April (first sent); b in May
    publish(lan, minh, "bulletin", a, sent_at=[vn(5, 31, 23, 59)])                   # May, its last minute
    publish(lan, minh, "guide", a, sent_at=[vn(6, 1, 0, 1)])                         # June, its first minute
    publish(hung, minh, "slogan", elsewhere, sent_at=[vn(5, 10)])                    # another unit
    waiting = post_create(author=lan, unit=ward, kind="slogan", title="Chưa đăng", body="Chưa đăng.",
                          channel_names=[a.name], publish_at=timezone.now() + timedelta(days=30))
    post_submit(waiting, by=lan)
    post_approve(waiting, by=minh)                                                    # scheduled: not published

    feedback(a, vn(5, 3, 10), "hoi_dap", status="answered", answered_after_hours=2, due_days=3)
    feedback(a, vn(5, 10), "phan_anh", status="answered", answered_after_hours=30, due_days=5)
    feedback(b, vn(5, 20), "hoi_dap", status="answered", answered_after_hours=100, due_days=3)  # late
    feedback(a, vn(5, 25), "kien_nghi", due_days=10)                                  # open, due 4 June: overdue
    feedback(a, vn(5, 31, 23, 30), "khen_ngoi", status="closed")                      # May's last hour
    feedback(a, vn(5, 15), "hoi_dap", status="answered", answered_after_hours=10, due_days=3)
    feedback(a, vn(5, 2), "khac", status="closed", due_days=7)                          # closed unanswered: not overdue
    feedback(a, vn(6, 1, 0, 30), "hoi_dap", due_days=3)                               # June
    feedback(a, vn(4, 30), "hoi_dap", status="answered", answered_after_hours=1, due_days=3)  # April
    feedback(elsewhere, vn(5, 12), "phan_anh", due_days=5)                            # another unit
    return ward


def test_posts_count_once_in_the_month_their_first_channel_published_them_against_the_plan(may):
    report = monthly_report(may, MAY, now=NOW)
    plan = {row.kind: (row.planned, row.published, row.met) for row in report.plan}
    assert plan == {"slogan": (2, 1, False), "bulletin": (1, 1, True), "guide": (0, 0, True)}
    assert report.plan_met is False


def test_channels_count_the_deliveries_they_sent_that_month(may):
    report = monthly_report(may, MAY, now=NOW)
    assert [(row.name, row.sent) for row in report.channels] == [("bang-dien-tu", 2), ("bang-tin", 1)]


def test_feedback_by_category_and_status_counts_what_was_received_that_month(may):
    report = monthly_report(may, MAY, now=NOW)
    assert report.received == 7
    categories = {row.key: row.count for row in report.categories}
    assert categories == {"hoi_dap": 3, "phan_anh": 1, "kien_nghi": 1, "khen_ngoi": 1, "khieu_nai_to_cao": 0,
                          "spam": 0, "khac": 1}
    assert {row.key: row.count for row in report.statuses} == {"new": 1, "in_progress": 0, "answered": 4, "closed": 2}


def test_answer_times_and_overdue(may):
    report = monthly_report(may, MAY, now=NOW)
    # Answered in 2, 10, 30 and 100 hours: median (10 + 30) / 2; p90 at rank 2.7 of 0..3 = 30 + 0.7 * 70.
    assert (report.answer_times.answered, report.answer_times.median_hours, report.answer_times.p90_hours) == (
        4, 20.0, 79.0)
    assert report.overdue == 2, "one answered after its deadline, one still open past it"


def test_overdue_depends_on_when_the_report_is_read(may):
    assert monthly_report(may, MAY, now=vn(6, 3)).overdue == 1, "on 3 June the proposal was not due yet"


def test_the_trend_covers_the_six_months_ending_with_the_month(may):
    trend = monthly_report(may, MAY, now=NOW).trend
    assert [(str(r.month), r.posts, r.feedback) for r in trend] == [
        ("2025-12", 0, 0), ("2026-01", 0, 0), ("2026-02", 0, 0), ("2026-03", 0, 0), ("2026-04", 1, 1),
        ("2026-05", 2, 7)]


def test_an_empty_month_reports_zeros_and_no_answer_times(units):
    report = monthly_report(units["ward"], Month(2020, 2), now=NOW)
    assert report.received == 0 and report.channels == [] and report.overdue == 0
    assert (report.answer_times.median_hours, report.answer_times.p90_hours) == (None, None)
    assert not report.plan_met, "the default plan asks for a bulletin and two slogans"


@pytest.mark.parametrize("text, month", [
    ("2026-05", Month(2026, 5)), (" 2026-12 ", Month(2026, 12)), ("2026-13", None), ("2026-00", None),
    ("1999-12", None), ("2101-01", None), ("26-05", None), ("2026-5", None), ("", None), (None, None),
    ("２０２６-05", None), ("2026-05\x00", None),
])
def test_months_are_parsed_strictly(text, month):
    assert parse_month(text) == month


def test_month_arithmetic_crosses_years_and_edges_are_vietnam_midnight():
    assert str(Month(2026, 1).shifted(-1)) == "2025-12" and str(Month(2025, 12).shifted(1)) == "2026-01"
    assert Month(2026, 5).start() == datetime(2026, 4, 30, 17, 0, tzinfo=ZoneInfo("UTC"))
    assert Month.of(datetime(2026, 5, 31, 17, 30, tzinfo=ZoneInfo("UTC"))) == Month(2026, 6)


@pytest.mark.parametrize("plan, counts", [
    ({"bulletin": 1, "slogan": 2}, {"slogan": 2, "bulletin": 1, "guide": 0}),
    ({"slogan": "2", "guide": -1, "bulletin": True, "x": 5}, {"slogan": 0, "bulletin": 0, "guide": 0}),
    ([], {"slogan": 0, "bulletin": 0, "guide": 0}), (None, {"slogan": 0, "bulletin": 0, "guide": 0}),
])
def test_a_plan_value_that_is_not_a_whole_number_counts_as_none(plan, counts):
    assert planned_counts(plan) == counts


def test_percentiles_interpolate_between_ranks():
    assert percentile([], 0.9) is None and percentile([5.0], 0.9) == 5.0
    assert percentile([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0], 0.9) == pytest.approx(9.1)
    times = answer_times([3.0, 1.0, 2.0])
    assert (times.answered, times.median_hours, times.p90_hours) == (3, 2.0, 2.8)
