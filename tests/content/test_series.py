"""Series: created from a preset or an RRULE, pre-approved by another leader, and materialised into posts
ahead of time — once, with slogans drawn in rotation, whatever runs at the same moment."""

from __future__ import annotations

import argparse
import json
import threading
from datetime import datetime

import pytest
from django.db import connection
from django.utils import translation

from bot.cli import series_cmds
from bot.content.holidays import HolidayCalendar
from bot.content.recurrence import TZ
from bot.content.series import materialise, next_occurrences, series_add, series_approve
from bot.errors import Forbidden, Invalid
from bot.models import AuditEntry, Delivery, Post, Series, Slogan
from bot.publishing import states

NOW = datetime(2027, 1, 20, 9, 0, tzinfo=TZ)  # a Wednesday; the 4th Thursday is the 28th


@pytest.fixture(autouse=True)
def english():
    # The messages asserted here are the English msgids, whatever the catalogue's Vietnamese says.
    with translation.override("en"):
        yield


def vn(y, m, d, hh=0, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=TZ)


def bulletin(people, author="lan", **extra):
    options = dict(
        unit=people["lan"].loa_profile.unit, author=people[author], name="Bản tin CCHC", preset="monthly-bulletin",
        channel_names=["bang-dien-tu"], now=NOW,
        template={"title": "Bản tin cải cách hành chính tháng {month}/{year}", "body": "Số {issue}: tin tháng {month}."},
    )
    return series_add(**{**options, **extra})


def slogans(units, texts):
    return [Slogan.objects.create(unit=units["ward"], text=t, text_key=t.lower()) for t in texts]


def series_posts(series):
    return list(Post.objects.filter(series=series).order_by("occurrence_at"))


# Creating and approving


def test_a_preset_series_is_saved_with_its_rule_and_audited(people, outbox_channel):
    series = bulletin(people)
    assert series.kind == "bulletin" and series.preset == "monthly-bulletin" and series.repeats == [1080]
    assert series.rrule.startswith("FREQ=MONTHLY;BYDAY=+4TH") and series.approver is None
    assert AuditEntry.objects.filter(action="series.add", target=f"series:{series.pk}").exists()
    assert next_occurrences(series, 3, NOW) == [vn(2027, 1, 28, 14), vn(2027, 1, 29, 8), vn(2027, 2, 25, 14)]


@pytest.mark.parametrize("rule, message", [
    ("FREQ=SOMETIMES", "cannot be read"),
    ("FREQ=HOURLY;BYMINUTE=0", "more than once a day"),
    ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=31;BYHOUR=8", "never occurs"),
    ("FREQ=WEEKLY;BYDAY=MO", "at what time"),
])
def test_a_bad_rule_is_refused_with_a_clear_sentence_and_nothing_is_written(people, outbox_channel, rule, message):
    before = (Series.objects.count(), AuditEntry.objects.count())
    with pytest.raises(Invalid, match=message):
        bulletin(people, preset=None, rrule=rule, kind="guide")
    assert (Series.objects.count(), AuditEntry.objects.count()) == before


def test_a_preset_and_a_rule_together_or_an_unknown_preset_are_refused(people, outbox_channel):
    with pytest.raises(Invalid, match="not both"):
        bulletin(people, rrule="FREQ=WEEKLY;BYDAY=MO;BYHOUR=8")
    with pytest.raises(Invalid, match="Unknown preset"):
        bulletin(people, preset="daily-news")
    assert not Series.objects.exists()


def test_feedback_staff_cannot_create_a_series(people, outbox_channel):
    with pytest.raises(Forbidden):
        bulletin(people, author="thu")


def test_nobody_approves_their_own_series_and_editors_approve_none(people, outbox_channel):
    own = bulletin(people, author="minh")
    with pytest.raises(Forbidden, match="own series"):
        series_approve(own, by=people["minh"])
    with pytest.raises(Forbidden):
        series_approve(bulletin(people), by=people["lan"])
    assert not Series.objects.filter(approver__isnull=False).exists()


# Materialising


def test_materialise_creates_each_occurrence_once_within_the_lookahead(people, outbox_channel):
    series = bulletin(people)
    created = materialise(now=NOW)
    assert [(p.occurrence_at, p.publish_at) for p in created] == [
        (vn(2027, 1, 28, 14), vn(2027, 1, 28, 14)), (vn(2027, 1, 29, 8), vn(2027, 1, 29, 8))]
    first, repeat = series_posts(series)
    assert first.title == "Bản tin cải cách hành chính tháng 1/2027" and first.body == "Số 1: tin tháng 1."
    assert repeat.title == "Bản tin cải cách hành chính tháng 1/2027 (phát lại)"
    assert materialise(now=NOW) == [] and len(series_posts(series)) == 2
    assert len(materialise(now=vn(2027, 2, 20))) == 2  # February's pair comes into the 14-day window
    assert [p.body for p in series_posts(series)][-1] == "Số 2: tin tháng 2."


def test_posts_of_a_series_not_approved_wait_for_approval(people, outbox_channel):
    series = bulletin(people)
    materialise(now=NOW)
    assert {p.status for p in series_posts(series)} == {"pending_approval"}
    assert not Delivery.objects.exists()


def test_posts_of_a_pre_approved_series_are_scheduled_with_their_deliveries(people, outbox_channel):
    series = series_approve(bulletin(people), by=people["minh"])
    materialise(now=NOW)
    posts = series_posts(series)
    assert [p.status for p in posts] == ["scheduled", "scheduled"] and {p.approver for p in posts} == {people["minh"]}
    deliveries = Delivery.objects.filter(post__series=series).order_by("due_at")
    assert [(d.channel.name, d.state, d.due_at) for d in deliveries] == [
        ("bang-dien-tu", states.SCHEDULED, vn(2027, 1, 28, 14)), ("bang-dien-tu", states.SCHEDULED, vn(2027, 1, 29, 8))]


def test_an_inactive_series_materialises_nothing(people, outbox_channel):
    series = bulletin(people)
    Series.objects.filter(pk=series.pk).update(active=False)
    assert materialise(now=NOW) == []


def test_slogan_series_rotate_through_the_library(people, units, outbox_channel):
    a, b, c = slogans(units, ["Vì nhân dân phục vụ", "Một cửa, một lần", "Dịch vụ công trực tuyến mọi lúc"])
    series = series_add(unit=units["ward"], author=people["lan"], name="Khẩu hiệu", preset="two-slogans",
                        channel_names=["bang-dien-tu"], lookahead_days=70, now=vn(2027, 1, 1))
    materialise(now=vn(2027, 1, 1))
    posts = series_posts(series)
    # 1/1 is New Year's Day (to Monday 4/1); Tết 2027 (5–11/2) does not touch the 1st or the 15th.
    assert [p.occurrence_at.date().isoformat() for p in posts] == [
        "2027-01-04", "2027-01-15", "2027-02-01", "2027-02-15", "2027-03-01"]
    assert [p.slogan_id for p in posts] == [a.pk, b.pk, c.pk, a.pk, b.pk]
    assert [p.body for p in posts][:3] == [a.text, b.text, c.text] and posts[0].fields["text"] == a.text
    assert sorted(Slogan.objects.values_list("times_used", flat=True)) == [1, 2, 2]


def test_a_slogan_series_with_an_empty_library_skips_and_catches_up_later(people, units, outbox_channel, caplog):
    series = series_add(unit=units["ward"], author=people["lan"], name="Khẩu hiệu", preset="two-slogans",
                        channel_names=["bang-dien-tu"], now=NOW)
    assert materialise(now=NOW) == []
    assert "slogan library" in caplog.text and "empty" in caplog.text
    slogans(units, ["Vì nhân dân phục vụ"])
    assert [p.occurrence_at for p in materialise(now=NOW)] == [vn(2027, 2, 1, 7, 30)]
    assert series_posts(series)[0].slogan.text == "Vì nhân dân phục vụ"


@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_create_each_post_once(people, outbox_channel):
    series = series_approve(bulletin(people, lookahead_days=70), by=people["minh"])
    barrier, results, errors = threading.Barrier(4), [], []

    def run():
        try:
            barrier.wait()
            results.append(len(materialise(now=NOW)))
        except Exception as exc:  # reported below; a thread's exception would otherwise vanish
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sum(results) == 6 == Post.objects.filter(series=series).count()  # Jan, Feb, Mar pairs
    assert Delivery.objects.filter(post__series=series).count() == 6


# Command line


def cli(*argv):
    parser = argparse.ArgumentParser()
    series_cmds.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(list(argv))
    return args.handler(args)


def test_the_command_line_adds_approves_and_lists_series(people, outbox_channel, capsys):
    assert cli("series", "add", "--unit", "ben-thanh", "--name", "Hướng dẫn", "--kind", "guide",
               "--rrule", "FREQ=WEEKLY;BYDAY=MO;BYHOUR=8;BYMINUTE=0", "--start", "2026-01-01T00:00",
               "--channel", "bang-dien-tu", "--by", "lan", "--body", "Nộp hồ sơ trực tuyến.") == 0
    series_id = int(capsys.readouterr().out)
    assert cli("series", "approve", str(series_id), "--by", "minh") == 0
    capsys.readouterr()
    assert cli("series", "list", "--json", "--unit", "ben-thanh") == 0
    [row] = json.loads(capsys.readouterr().out)
    assert row["id"] == series_id and row["approved"] is True and row["kind"] == "guide"
    assert row["description"] == "Thứ Hai hằng tuần lúc 08:00"
    assert len(row["next"]) == 5 and all(at.endswith("08:00:00+07:00") for at in row["next"])
    assert all(HolidayCalendar().is_working_day(datetime.fromisoformat(at).date()) for at in row["next"])
    with pytest.raises(Invalid, match="cannot be read"):
        cli("series", "add", "--unit", "ben-thanh", "--name", "X", "--kind", "guide", "--rrule", "FREQ=NEVER",
            "--channel", "bang-dien-tu", "--by", "lan", "--body", "x")
