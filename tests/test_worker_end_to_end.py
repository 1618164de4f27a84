"""A real Celery worker with embedded beat publishes what is due, on PostgreSQL + Redis and on the
embedded defaults (SQLite + kombu's sqla transport); a worker killed mid-send never republishes."""

from __future__ import annotations

import json
import os
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from bot.models import Delivery
from bot.posts import post_approve, post_create, post_submit
from bot.publishing import states
from bot.publishing.reaper import reap, reconcile
from tests.processes import Worker, embedded_env, loa, pg_env, wait_until

pytestmark = [pytest.mark.slow]


@pytest.fixture
def workers(tmp_path):
    started = []

    def start(env, name="worker"):
        w = Worker(env, tmp_path / f"{name}-{len(started)}.log")
        started.append(w)
        return w

    yield start
    for w in started:
        w.stop()


def approved_post(people, channel, *, publish_at=None, title="Khẩu hiệu tháng 12"):
    post = post_create(
        author=people["lan"], unit=channel.unit, kind="slogan", title=title,
        body="Cải cách hành chính vì nhân dân phục vụ. 🇻🇳", channel_names=[channel.name], publish_at=publish_at,
    )
    post_submit(post, by=people["lan"])
    (delivery,) = post_approve(post, by=people["minh"])
    return delivery


def state_of(delivery) -> str:
    return Delivery.objects.values_list("state", flat=True).get(pk=delivery.pk)


def test_worker_on_postgresql_and_redis_publishes_at_the_due_time(transactional_db, people, outbox_channel, redis_db, workers):
    worker = workers(pg_env())
    due = timezone.now() + timedelta(seconds=3)
    delivery = approved_post(people, outbox_channel, publish_at=due)
    assert delivery.due_at == due
    wait_until(lambda: state_of(delivery) == states.SENT, timeout=60, what="the delivery to be sent", worker=worker)
    delivery.refresh_from_db()
    assert delivery.sent_at >= due, "published before its time"
    record = json.loads((outbox_channel_path(outbox_channel) / f"{delivery.marker}.json").read_text())
    assert record["text"].startswith("Cải cách hành chính vì nhân dân phục vụ.") and record["title"] == "Khẩu hiệu tháng 12"
    assert "🇻🇳" in record["text"] and "Phường Bến Thành" in record["text"]
    assert delivery.permalink.endswith(f"{delivery.marker}.json")


def outbox_channel_path(channel) -> Path:
    return Path(channel.settings["path"])


def test_worker_on_embedded_defaults_publishes_at_the_due_time(tmp_path, workers):
    env = embedded_env(tmp_path / "data")
    loa("migrate", env=env)
    loa("unit", "add", "ben-thanh", "--name", "Phường Bến Thành", env=env)
    loa("user", "add", "lan", "--role", "editor", "--unit", "ben-thanh", env=env, stdin="Mật-khẩu-đủ-dài-1\n")
    loa("user", "add", "minh", "--role", "approver", "--unit", "ben-thanh", env=env, stdin="Mật-khẩu-đủ-dài-2\n")
    loa("channel", "add", "--unit", "ben-thanh", "--kind", "outbox", "--name", "bang-dien-tu", "--set", "path=outbox", env=env)
    worker = workers(env)
    due = timezone.localtime() + timedelta(seconds=3)
    post_id = loa(
        "post", "add", "--unit", "ben-thanh", "--kind", "slogan", "--title", "Khẩu hiệu", "--body", "Vì nhân dân phục vụ",
        "--channel", "bang-dien-tu", "--at", due.replace(tzinfo=None).isoformat(), "--by", "lan", "--submit", env=env,
    ).stdout.strip()
    loa("post", "approve", post_id, "--by", "minh", env=env)

    def delivery_row():
        with sqlite3.connect(tmp_path / "data" / "loa.sqlite3") as db:
            return db.execute("SELECT state, marker, sent_at, due_at FROM bot_delivery").fetchone()

    wait_until(lambda: delivery_row()[0] == states.SENT, timeout=60, what="the delivery to be sent", worker=worker)
    _, marker, sent_at, due_at = delivery_row()
    assert sent_at >= due_at
    shown = json.loads(loa("post", "show", post_id, "--json", env=env).stdout)
    assert shown["status"] == "published" and shown["deliveries"][0]["state"] == "sent"
    assert (tmp_path / "data" / "outbox" / f"{marker}.json").exists()


def test_a_worker_killed_while_sending_leaves_the_delivery_unconfirmed_and_never_republishes(
    transactional_db, people, outbox_channel, redis_db, workers, settings
):
    folder = outbox_channel_path(outbox_channel)
    folder.mkdir(parents=True)
    delivery = approved_post(people, outbox_channel)
    # A FIFO without a reader where the outbox writes: the worker blocks inside the platform call,
    # like a platform that never answers, and is killed there.
    os.mkfifo(folder / f"{delivery.marker}.json.part")
    worker = workers(pg_env())
    wait_until(lambda: state_of(delivery) == states.SENDING, timeout=60, what="the delivery to be sending", worker=worker)
    worker.kill()

    later = timezone.now() + timedelta(seconds=settings.LOA.sending_timeout + 1)
    assert reap(later, settings.LOA.sending_timeout) == [delivery.pk]
    assert state_of(delivery) == states.UNCONFIRMED
    (folder / f"{delivery.marker}.json.part").unlink()

    # A fresh worker publishes new work but leaves the unconfirmed delivery alone.
    worker = workers(pg_env())
    control = approved_post(people, outbox_channel, title="Bài kiểm chứng")
    wait_until(lambda: state_of(control) == states.SENT, timeout=60, what="the control post", worker=worker)
    assert reconcile() == []
    delivery.refresh_from_db()
    assert delivery.state == states.UNCONFIRMED and delivery.attempts == 1
    assert not (folder / f"{delivery.marker}.json").exists()
