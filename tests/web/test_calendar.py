"""/calendar/: deliveries on their Vietnam-time day, series occurrences, quotas, filters, and bad parameters."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from bot.channel_config import channel_add
from bot.content.series import materialise, series_add, series_approve
from bot.models import Delivery
from bot.posts import post_approve, post_create, post_submit
from bot.publishing import states
from bot.publishing.claim import claim_due
from bot.publishing.publisher import publish_delivery
from tests.integration.conftest import platform_channel, sandbox  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
NEXT_YEAR = timezone.localdate().year + 1


@pytest.fixture(autouse=True)
def in_english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"  # the words asserted below; Vietnamese is the default


class Grid(HTMLParser):
    """The calendar table as {date: [(tag, class, href, data-state, text)]}."""

    def __init__(self, html: str):
        super().__init__()
        self.days: dict[str, list] = {}
        self.day = None
        self.entry = None
        self.depth = 0  # open tags inside the entry named like it (spans in a span)
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "td" and "data-date" in attrs:
            self.day = self.days.setdefault(attrs["data-date"], [])
        elif self.entry is not None and tag == self.entry[0]:
            self.depth += 1
        elif self.day is not None and attrs.get("class") in ("entry", "occurrence"):
            self.entry = [tag, attrs["class"], attrs.get("href"), attrs.get("data-state"), ""]
            self.day.append(self.entry)

    def handle_endtag(self, tag):
        if self.entry is not None and tag == self.entry[0] and self.depth:
            self.depth -= 1
        elif self.entry is not None and tag == self.entry[0]:
            self.entry[4] = " ".join(self.entry[4].split())
            self.entry = None
        elif tag == "td":
            self.day = None

    def handle_data(self, data):
        if self.entry is not None:
            self.entry[4] += data


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=VIETNAM)


def approved_post(people, channel, title: str, at: datetime, author="lan", approver="minh"):
    post = post_create(author=people[author], unit=channel.unit, kind="slogan", title=title,
                       body="Cải cách hành chính vì nhân dân phục vụ.", channel_names=[channel.name], publish_at=at)
    post_submit(post, by=people[author])
    post_approve(post, by=people[approver])
    return post


@pytest.fixture
def other_channel(units, tmp_path):
    return channel_add(unit=units["other"], kind="outbox", name="bang-sai-gon", pairs={"path": str(tmp_path / "sg")})


def warnings(response) -> list[str]:
    return re.findall(r'<li class="warning"[^>]*>(.*?)</li>', response.content.decode(), re.S)


def grid(client, query: str) -> tuple[object, Grid]:
    response = client.get("/calendar/" + query)
    assert response.status_code == 200, response.status_code
    return response, Grid(response.content.decode())


def test_a_post_due_at_23_30_vietnam_time_is_on_that_vietnamese_day_not_the_utc_one(client, people, outbox_channel):
    late = approved_post(people, outbox_channel, "Khẩu hiệu cuối ngày", local(date(NEXT_YEAR, 3, 3), 23, 30))
    early = approved_post(people, outbox_channel, "Khẩu hiệu sáng sớm", local(date(NEXT_YEAR, 3, 5), 6, 15))
    client.force_login(people["lan"])
    _, cal = grid(client, f"?month={NEXT_YEAR}-03")
    assert cal.days[f"{NEXT_YEAR}-03-03"] == [["a", "entry", f"/posts/{late.pk}/", "scheduled",
                                              "23:30 Khẩu hiệu cuối ngày slogan · bang-dien-tu · scheduled"]]
    (entry,) = cal.days[f"{NEXT_YEAR}-03-05"]
    assert entry[2] == f"/posts/{early.pk}/" and entry[4].startswith("06:15"), "23:15 UTC the day before"
    assert cal.days[f"{NEXT_YEAR}-03-04"] == []
    assert len(cal.days) % 7 == 0 and min(cal.days) <= f"{NEXT_YEAR}-03-01"


def test_a_post_on_several_channels_at_one_time_is_one_entry_naming_them(
        client, people, units, outbox_channel, tmp_path):
    second = channel_add(unit=units["ward"], kind="outbox", name="bang-mot-cua", pairs={"path": str(tmp_path / "b")})
    at = local(date(NEXT_YEAR, 4, 7), 7, 30)
    post = post_create(author=people["lan"], unit=units["ward"], kind="slogan", title="Hai bảng điện tử",
                       body="Cải cách hành chính vì nhân dân phục vụ.", publish_at=at,
                       channel_names=[outbox_channel.name, second.name])
    post_submit(post, by=people["lan"])
    post_approve(post, by=people["minh"])
    client.force_login(people["lan"])
    _, cal = grid(client, f"?month={NEXT_YEAR}-04")
    (entry,) = cal.days[f"{NEXT_YEAR}-04-07"]
    assert entry[2] == f"/posts/{post.pk}/" and "bang-dien-tu, bang-mot-cua" in entry[4]


def test_the_week_view_shows_seven_days_of_an_iso_week_across_the_new_year(client, people, outbox_channel):
    monday = date.fromisocalendar(NEXT_YEAR, 1, 1)
    post = approved_post(people, outbox_channel, "Chào năm mới", local(monday + timedelta(days=3), 8))
    client.force_login(people["lan"])
    response, cal = grid(client, f"?view=week&week={NEXT_YEAR}-W01")
    assert sorted(cal.days) == [(monday + timedelta(days=n)).isoformat() for n in range(7)]
    assert cal.days[(monday + timedelta(days=3)).isoformat()][0][2] == f"/posts/{post.pk}/"
    page = response.content.decode()
    assert f"week={NEXT_YEAR - 1}-W" in page and f"week={NEXT_YEAR}-W02" in page, "previous and next week links"


def test_a_published_delivery_is_shown_when_it_was_sent_with_its_state(client, people, outbox_channel):
    now = timezone.now()
    post = post_create(author=people["lan"], unit=outbox_channel.unit, kind="slogan", title="Đã đăng",
                       body="Nộp hồ sơ trực tuyến.", channel_names=[outbox_channel.name],
                       publish_at=now - timedelta(hours=30), now=now - timedelta(hours=31))
    post_submit(post, by=people["lan"])
    (delivery,) = post_approve(post, by=people["minh"], now=now - timedelta(hours=30))
    claim_due(timezone.now(), 10)
    assert publish_delivery(delivery.pk) == states.SENT
    sent_at = timezone.localtime(Delivery.objects.get(pk=delivery.pk).sent_at)
    client.force_login(people["lan"])
    _, cal = grid(client, f"?month={sent_at:%Y-%m}")
    (entry,) = [e for entries in cal.days.values() for e in entries]
    assert entry[2:4] == [f"/posts/{post.pk}/", "sent"]
    assert entry in cal.days[sent_at.date().isoformat()], "on the day it went out, not the day it was due"


def test_foreign_units_posts_are_absent_and_a_province_sees_its_wards(client, people, outbox_channel, other_channel):
    ours = approved_post(people, outbox_channel, "Bến Thành tháng ba", local(date(NEXT_YEAR, 3, 10), 9))
    theirs = approved_post(people, other_channel, "Sài Gòn tháng ba", local(date(NEXT_YEAR, 3, 10), 10),
                           author="hung", approver="minh")
    client.force_login(people["lan"])
    response, cal = grid(client, f"?month={NEXT_YEAR}-03")
    page = response.content.decode()
    assert [e[2] for e in cal.days[f"{NEXT_YEAR}-03-10"]] == [f"/posts/{ours.pk}/"]
    assert "Sài Gòn tháng ba" not in page and "bang-sai-gon" not in page and "sai-gon" not in page
    client.force_login(people["minh"])
    _, cal = grid(client, f"?month={NEXT_YEAR}-03")
    assert [e[2] for e in cal.days[f"{NEXT_YEAR}-03-10"]] == [f"/posts/{ours.pk}/", f"/posts/{theirs.pk}/"]
    _, cal = grid(client, f"?month={NEXT_YEAR}-03&unit=sai-gon")
    assert [e[2] for e in cal.days[f"{NEXT_YEAR}-03-10"]] == [f"/posts/{theirs.pk}/"]
    _, cal = grid(client, f"?month={NEXT_YEAR}-03&channel=bang-dien-tu")
    assert [e[2] for e in cal.days[f"{NEXT_YEAR}-03-10"]] == [f"/posts/{ours.pk}/"]


def test_a_foreign_unit_or_channel_in_the_query_is_ignored_with_a_message_that_reveals_nothing(
        client, people, outbox_channel, other_channel):
    approved_post(people, other_channel, "Sài Gòn tháng ba", local(date(NEXT_YEAR, 3, 10), 10),
                  author="hung", approver="minh")
    client.force_login(people["lan"])
    foreign, cal = grid(client, f"?month={NEXT_YEAR}-03&unit=sai-gon")
    missing, _ = grid(client, f"?month={NEXT_YEAR}-03&unit=khong-co")
    assert cal.days[f"{NEXT_YEAR}-03-10"] == [] and "Sài Gòn tháng ba" not in foreign.content.decode()
    assert "showing all your units" in foreign.content.decode()
    said = [warnings(r)[0].replace("sai-gon", "X").replace("khong-co", "X") for r in (foreign, missing)]
    assert said[0] == said[1], "a foreign unit and a missing one get the same words"
    response, cal = grid(client, f"?month={NEXT_YEAR}-03&channel=bang-sai-gon")
    assert cal.days[f"{NEXT_YEAR}-03-10"] == [] and "showing all their channels" in response.content.decode()


@pytest.mark.parametrize("query, shown", [
    ("?month=abc", "month"), ("?month=9999-99", "month"), ("?month=2026-13", "month"), ("?month=%00", "month"),
    ("?view=week&week=2026-W99", "week"), ("?view=week&week=<script>", "week"), ("?view=year", "month"),
    ("?unit=%00&channel=%00", "month"), ("?unit=" + "x" * 5000, "month"), ("?channel=<b>x</b>", "month"),
    ("?month=2026-1%CC%81", "month"),
])
def test_bad_parameters_show_the_current_period_with_a_message_never_an_error(client, people, query, shown):
    client.force_login(people["lan"])
    response = client.get("/calendar/" + query)
    page = response.content.decode()
    assert response.status_code == 200
    today = timezone.localdate()
    key = f"{today:%Y-%m}" if shown == "month" else f"{today.isocalendar()[0]}-W{today.isocalendar()[1]:02d}"
    assert f'name="{shown}" value="{key}"' in page
    assert 'class="warning"' in page and "<script>" not in page and "<b>x</b>" not in page


def test_upcoming_series_occurrences_are_marked_and_a_materialised_one_shows_as_its_delivery(
        client, people, outbox_channel):
    series = series_add(unit=outbox_channel.unit, author=people["lan"], name="Hướng dẫn thứ Tư", kind="guide",
                        channel_names=[outbox_channel.name], lookahead_days=3,
                        rrule="FREQ=WEEKLY;BYDAY=WE;BYHOUR=9;BYMINUTE=0;BYSECOND=0",
                        template={"title": "Hướng dẫn ngày {date}", "body": "Nộp hồ sơ trực tuyến trên Cổng."})
    series_approve(series, by=people["minh"])
    chosen = date.fromisocalendar(NEXT_YEAR, 46, 3)  # a Wednesday in November, no holiday near
    (post,) = materialise(now=local(chosen, 8) - timedelta(days=1))
    client.force_login(people["lan"])
    _, cal = grid(client, f"?month={NEXT_YEAR}-11")
    for key, entries in cal.days.items():
        if date.fromisoformat(key).weekday() != 2:
            assert entries == [], key
        elif key == chosen.isoformat():
            assert [e[:4] for e in entries] == [["a", "entry", f"/posts/{post.pk}/", "scheduled"]], \
                "the occurrence's delivery, not the occurrence again"
        else:
            (entry,) = entries
            assert entry[:4] == ["span", "occurrence", None, "occurrence"] and "Hướng dẫn thứ Tư" in entry[4]
            assert entry[4].startswith("09:00") and "series occurrence" in entry[4]


def test_the_zalo_broadcast_quota_left_this_month_counts_what_was_sent(client, people, platform_channel, sandbox):
    zalo = platform_channel("zalo")
    client.force_login(people["lan"])
    response = client.get("/calendar/")
    assert f'data-channel="{zalo.name}" data-left="40"' in response.content.decode()

    now = timezone.now()
    ten = datetime.now(VIETNAM).replace(hour=10, minute=0, second=0, microsecond=0)
    daytime = ten if ten <= datetime.now(VIETNAM) else ten - timedelta(days=1)  # Zalo refuses broadcasts at night
    sandbox.client.configure("zalo", {"now": daytime.timestamp()})
    post = post_create(author=people["lan"], unit=zalo.unit, kind="slogan", title="Khẩu hiệu",
                       body="Cải cách hành chính vì nhân dân phục vụ.", channel_names=[zalo.name])
    post_submit(post, by=people["lan"])
    (delivery,) = post_approve(post, by=people["minh"])
    claim_due(now + timedelta(seconds=1), 10)
    assert publish_delivery(delivery.pk) == states.SENT
    page = client.get("/calendar/").content.decode()
    assert f'data-channel="{zalo.name}" data-left="39"' in page and "39 of 40 left (1 sent)" in page


def test_calendar_is_not_for_feedback_staff(client, people):
    client.force_login(people["thu"])
    assert client.get("/calendar/").status_code == 403
