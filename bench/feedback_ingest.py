"""Feedback ingest: citizens' replies stored through bot.feedback.ingest.ingest, page by page as polling brings them.

Its own PostgreSQL database (`loa_bench_fb_ingest_<pid>`, dropped afterwards) and Redis db 14. Three channels
(Facebook comments on our posts, Telegram discussion comments and private messages, Zalo messages); every
page re-sends a share of replies already stored (the poll's overlap window, a webhook that got there
first), which must be merged. Then, unless --poll 0, the real polling path: `collect()` against the
sandbox's Telegram fake in its own process over loopback HTTP (getUpdates pages of 100, edits as
duplicates). Usage:

    .venv/bin/python bench/feedback_ingest.py [--replies 100000] [--duplicates 0.1] [--page 100]
                                              [--poll 10000] [--profile] [--quick]
"""

from __future__ import annotations

import argparse
import cProfile
import logging
import os
import pstats
import random
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
DB_NAME = f"loa_bench_fb_ingest_{os.getpid()}"  # two runs at once must not drop each other's database
REDIS_URL = "redis://127.0.0.1:6379/14"
POSTS = 60  # posts per channel that citizens comment on
CITIZENS = 20_000

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô"]
MIDDLE = ["Văn", "Thị", "Hữu", "Đức", "Minh", "Ngọc", "Thanh", "Quốc", "Thu", "Kim"]
GIVEN = ["An", "Bình", "Chi", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hùng", "Lan", "Linh", "Mai", "Nam", "Phúc",
         "Quân", "Sơn", "Tâm", "Thảo", "Trang", "Tuấn", "Vy", "Xuân", "Yến"]
OPENINGS = ["", "", "", "Dạ ", "Ad ơi, ", "Chào phường, ", "Cho mình góp ý: ", "Mọi người ơi ", "Kính gửi UBND, "]
CLOSINGS = ["", "", "", " ạ", " 🙏", " cảm ơn ad", "!!", " ...", " (khu phố {n})", " - nhà số {n} hẻm {m}"]


def citizen_texts() -> list[str]:
    """The hand-written, hand-labelled replies of the classifier's tests: questions, reports, proposals,
    praise, complaints, spam and chatter as people write them (accents or not, teen-code, NFD, emoji)."""
    from tests.feedback.labelled import FRESH, HELDOUT, LABELLED

    return [text for text, _ in LABELLED + HELDOUT + FRESH]


def varied(rng: random.Random, base: list[str]) -> str:
    """One citizen's reply: a labelled text with an opening and a closing, sometimes two texts and a phone
    number, so texts differ (nothing is cached) and lengths range from a word to a long report."""
    text = rng.choice(base)
    if rng.random() < 0.15:
        text += ". " + rng.choice(base)
    if rng.random() < 0.05:
        text += f" SĐT liên hệ 09{rng.randrange(10**8):08d}"
    closing = rng.choice(CLOSINGS).format(n=rng.randrange(1, 12), m=rng.randrange(1, 300))
    return rng.choice(OPENINGS) + text + closing


def recreate_database(name: str) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")


def drop_database(name: str) -> None:
    """The database, and the data directory setup_django made."""
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    if os.environ.get("LOA_DATA_DIR", "").startswith(tempfile.gettempdir() + "/loa-bench-fb-"):
        shutil.rmtree(os.environ["LOA_DATA_DIR"], ignore_errors=True)


def setup_django(name: str) -> None:
    """Loa's settings on the bench database (the environment is inherited by the processes we start)."""
    from cryptography.fernet import Fernet

    os.environ.update(
        LOA_DATA_DIR=tempfile.mkdtemp(prefix="loa-bench-fb-"), LOA_LANGUAGE="en",
        LOA_DATABASE_URL=f"postgresql://postgres@127.0.0.1:5432/{name}", LOA_BROKER_URL=REDIS_URL,
        LOA_SECRET_KEY=secrets.token_urlsafe(50), LOA_ENCRYPTION_KEY=Fernet.generate_key().decode(),
        DJANGO_SETTINGS_MODULE="bot.settings",
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


# -- the stream polling delivers -----------------------------------------------------------------------


def bench_channels(unit) -> dict:
    from bot.channel_config import channel_add

    return {
        "facebook": channel_add(unit=unit, kind="facebook", name="fb-bench", pairs={
            "page_id": "100200300", "access_token": "EAAB-bench", "app_secret": "fb-secret"}),
        "telegram": channel_add(unit=unit, kind="telegram", name="tg-bench",
                                pairs={"token": "700100:AAF-bench", "chat_id": "@phuongbench",
                                       "discussion_chat_id": "-100900"}),
        "zalo": channel_add(unit=unit, kind="zalo", name="zalo-bench",
                            pairs={"oa_id": "4321", "app_id": "1234", "app_secret": "z", "access_token": "a",
                                   "refresh_token": "r"}),
    }


def sent_posts(unit, channels: dict, remote_ids: dict[str, list[str]]):
    """Posts the ward published, one sent delivery each, that citizens' comments answer; returns their author."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from bot.models import Delivery, Post, Profile, Workflow

    author = get_user_model().objects.create_user(username="lan", password="bench-password-1")
    Profile.objects.create(user=author, unit=unit, role="editor")
    for kind, ids in remote_ids.items():
        for i, remote_id in enumerate(ids):
            post = Post.objects.create(unit=unit, kind="slogan", title=f"Bài {kind} {i}", body="Cải cách hành chính",
                                       author=author, workflow=Workflow.APPROVED)
            Delivery.objects.create(post=post, channel=channels[kind], due_at=timezone.now(), state="sent",
                                    sent_at=timezone.now(), remote_id=remote_id)
    return author


def post_ids() -> dict[str, list[str]]:
    return {"facebook": [f"100200300_{7000 + i}" for i in range(POSTS)],
            "telegram": [str(500 + i) for i in range(POSTS)], "zalo": []}


def make_reply(kind: str, n: int, rng: random.Random, base: list[str], posts: dict[str, list[str]]):
    """The Reply the channel's fetch_replies would return for a citizen's n-th message."""
    from channels.base import Reply

    citizen = rng.randrange(CITIZENS)
    name = f"{FAMILY[citizen % 14]} {MIDDLE[citizen % 10]} {GIVEN[citizen % 23]}"
    at = time.time() - rng.uniform(0, 13 * 86400)
    text = varied(rng, base)
    if kind == "facebook":
        remote = f"{rng.choice(posts['facebook'])}_{900000 + n}"
        return Reply(remote_id=remote, text=text, author_id=str(10**15 + citizen), author_name=name, received_at=at,
                     in_reply_to=remote.rsplit("_", 1)[0], answer_to=remote, kind="comment")
    if kind == "telegram":
        remote = f"-100900:{100000 + n}"
        if rng.random() < 0.3:  # a private message to the bot
            return Reply(remote_id=f"{5_000_000 + citizen}:{n}", text=text, author_id=str(5_000_000 + citizen),
                         author_name=name, received_at=at, answer_to=f"{5_000_000 + citizen}:{n}", kind="message")
        thread = f"-100900:{10 + rng.randrange(POSTS)}"  # the automatic forward of one of our posts
        return Reply(remote_id=remote, text=text, author_id=str(5_000_000 + citizen), author_name=name,
                     received_at=at, in_reply_to=thread, answer_to=remote, kind="comment")
    return Reply(remote_id=f"{n:016x}{rng.getrandbits(64):016x}", text=text, author_id=str(8 * 10**17 + citizen),
                 author_name=name, received_at=at, answer_to=str(8 * 10**17 + citizen), kind="message")


def stream(replies: int, duplicates: float, page: int, seed: int = 5) -> tuple[list[tuple[str, list]], int]:
    """Pages of (channel kind, items), each with `duplicates` of its size re-sent from earlier pages
    (half from the page before it, half from anywhere earlier); and the number of unique replies."""
    from channels.base import ThreadLink

    rng, base, posts = random.Random(seed), citizen_texts(), post_ids()
    resend = round(page * duplicates)
    fresh_per_page = page - resend
    seen: dict[str, list] = {"facebook": [], "telegram": [], "zalo": []}
    pages: list[tuple[str, list]] = [
        ("telegram", [ThreadLink(post_id=p, thread_id=f"-100900:{10 + i}") for i, p in enumerate(posts["telegram"])])]
    made = 0
    while made < replies:
        kind = rng.choices(("facebook", "telegram", "zalo"), (4, 3, 3))[0]
        count = min(fresh_per_page, replies - made)
        fresh = [make_reply(kind, made + i, rng, base, posts) for i in range(count)]
        earlier = seen[kind]
        again = earlier[-fresh_per_page:][: resend // 2] + rng.sample(earlier, min(len(earlier), resend - resend // 2))
        pages.append((kind, again[:resend] + fresh))
        earlier.extend(fresh)
        made += count
    return pages, made


def run_ingest(channels: dict, pages: list[tuple[str, list]], profile: bool) -> tuple[float, float]:
    """Wall and CPU seconds of this process (CPU is steadier when other work shares the machine)."""
    from bot.feedback.ingest import ingest

    profiler = cProfile.Profile() if profile else None
    wall, cpu = time.perf_counter(), time.process_time()
    if profiler:
        profiler.enable()
    for kind, items in pages:
        ingest(channels[kind], items)
    if profiler:
        profiler.disable()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    if profiler:
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
    return wall, cpu


def classifier_seconds(pages: list[tuple[str, list]]) -> float:
    """CPU seconds classifying every unique text costs alone (the same call, with the same rules, as ingest)."""
    from bot.content.render import nfc
    from bot.feedback.classify import classify
    from bot.feedback.rules import current_rules
    from channels.base import Reply

    rules = current_rules()
    texts = {r.remote_id: nfc(r.text) for _, items in pages for r in items if isinstance(r, Reply)}
    start = time.process_time()
    for text in texts.values():
        classify(text, rules)
    return time.process_time() - start


def check_stored(channels: dict, unique: int, pages: list[tuple[str, list]]) -> dict:
    """Nothing lost, nothing twice, comments linked to their posts, authors pseudonymised."""
    from bot.models import Feedback
    from channels.base import Reply

    stored = Feedback.objects.count()
    distinct = Feedback.objects.values("channel", "remote_id").distinct().count()
    expected = {(channels[k].pk, r.remote_id) for k, items in pages for r in items if isinstance(r, Reply)}
    assert len(expected) == unique, (len(expected), unique)
    assert stored == distinct == unique, f"stored {stored}, distinct {distinct}, expected {unique}"
    comments = Feedback.objects.filter(kind="comment")
    assert comments.filter(delivery__isnull=True).count() == 0, "a comment was not linked to its post"
    authors = {str(10**15 + c) for c in range(CITIZENS)} | {str(5_000_000 + c) for c in range(CITIZENS)}
    assert not Feedback.objects.filter(author_key__in=authors).exists(), "a platform id was stored"
    return dict(Counter(Feedback.objects.values_list("category", flat=True)))


# -- the real polling path: collect() against the sandbox's Telegram fake over loopback ---------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_sandbox() -> tuple[subprocess.Popen, str]:
    import httpx

    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "bot.cli.main", "sandbox", "--port", str(port)], cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    url, deadline = f"http://127.0.0.1:{port}", time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:  # no readiness event: poll its port
        try:
            httpx.get(f"{url}/_sandbox/", timeout=1).raise_for_status()
            return process, url
        except httpx.HTTPError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("the sandbox did not start")


def seed_telegram(url: str, count: int, edits: float) -> tuple[list[int], int]:
    """Citizens write `count` messages (comments under our channel posts and private messages), then edit
    a share of them; returns our channel posts' message ids and the unique messages. Setup, not measured."""
    import httpx

    token, rng, base = "700100:AAF-bench", random.Random(7), citizen_texts()
    chats = [{"id": -1009000, "type": "channel", "title": "Phường", "username": "phuongbench",
              "linked_chat_id": -100900},
             {"id": -100900, "type": "supergroup", "title": "Thảo luận"}]
    chats += [{"id": 5_000_000 + i, "type": "private", "first_name": GIVEN[i % 23]} for i in range(50)]
    with httpx.Client(base_url=url, timeout=30) as client:
        client.post("/_sandbox/telegram/accounts", json={"bots": [{"token": token, "chats": chats}]}).raise_for_status()
        posts = [client.post(f"/telegram/bot{token}/sendMessage",
                             json={"chat_id": "@phuongbench", "text": f"Khẩu hiệu {i}"}).json()["result"]["message_id"]
                 for i in range(5)]
        written = []
        for i in range(count):
            private = rng.random() < 0.3
            data = ({"chat_id": 5_000_000 + rng.randrange(50)} if private else
                    {"chat_id": -100900, "reply_to_channel_post": rng.choice(posts),
                     "from": {"id": 9_000_000 + rng.randrange(CITIZENS), "first_name": rng.choice(GIVEN)}})
            answer = client.post("/_sandbox/telegram/inject", json={**data, "text": varied(rng, base)}).json()
            written.append((data["chat_id"], answer["message"]["message_id"]))
        for chat_id, message_id in rng.sample(written, round(count * edits)):
            client.post("/_sandbox/telegram/inject", json={"chat_id": chat_id, "edit_message_id": message_id,
                                                          "text": "(đã sửa) " + varied(rng, base)}).raise_for_status()
    return posts, count


def run_polling(unit, author, count: int, edits: float) -> dict:
    from django.utils import timezone

    from bot.channel_config import channel_add
    from bot.feedback.collect import collect
    from bot.models import Channel, Delivery, Feedback, Post, Workflow

    # collect() also answers complaints at once where the unit gave its reception address and hotline; this
    # unit has none, so each complaint is left for staff with a warning per record: not this measure's noise.
    logging.getLogger("loa.feedback").setLevel(logging.ERROR)

    process, url = start_sandbox()
    try:
        posts, unique = seed_telegram(url, count, edits)
        channel = channel_add(unit=unit, kind="telegram", name="tg-poll",
                              pairs={"token": "700100:AAF-bench", "chat_id": "@phuongbench",
                                     "discussion_chat_id": "-100900", "api_base": f"{url}/telegram/bot"})
        for message_id in posts:
            post = Post.objects.create(unit=unit, kind="slogan", title="Khẩu hiệu", body="x", author=author,
                                       workflow=Workflow.APPROVED)
            Delivery.objects.create(post=post, channel=channel, due_at=timezone.now(), state="sent",
                                    sent_at=timezone.now(), remote_id=str(message_id))
        calls, start = 0, time.perf_counter()
        while True:
            cursor = Channel.objects.get(pk=channel.pk).reply_cursor
            collect(Channel.objects.get(pk=channel.pk))
            calls += 1
            if Channel.objects.get(pk=channel.pk).reply_cursor == cursor:
                break  # nothing new since the last cursor: the backlog is read
        elapsed = time.perf_counter() - start
    finally:
        process.terminate()
        process.wait(10)
    stored = Feedback.objects.filter(channel=channel)
    assert stored.count() == unique, f"polling stored {stored.count()} of {unique}"
    assert stored.filter(kind="comment", delivery__isnull=True).count() == 0, "a polled comment was not linked"
    return {"unique": unique, "updates": unique + round(unique * edits), "calls": calls, "seconds": elapsed}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replies", type=int, default=100_000, help="unique replies to store")
    parser.add_argument("--duplicates", type=float, default=0.1, help="share of each page re-sent from earlier pages")
    parser.add_argument("--page", type=int, default=100, help="replies per ingest call (a poll's page)")
    parser.add_argument("--poll", type=int, default=10_000, help="messages through the sandbox's getUpdates (0: skip)")
    parser.add_argument("--profile", action="store_true", help="print where the ingest time goes (cProfile)")
    parser.add_argument("--quick", action="store_true", help="10,000 replies and 1,000 polled (a smoke run)")
    args = parser.parse_args(argv)
    if args.quick:
        args.replies, args.poll = min(args.replies, 10_000), min(args.poll, 1_000)

    import redis

    recreate_database(DB_NAME)
    try:
        setup_django(DB_NAME)
        from bot.org import unit_add

        redis.Redis.from_url(REDIS_URL).flushdb()
        unit = unit_add(slug="bench", name="Phường Thử nghiệm")
        channels = bench_channels(unit)
        author = sent_posts(unit, channels, post_ids())
        pages, unique = stream(args.replies, args.duplicates, args.page)
        load = os.getloadavg()[0]  # the machine may be shared: the numbers say under what
        fed = sum(len(items) for _, items in pages)
        seconds, cpu = run_ingest(channels, pages, args.profile)
        categories = check_stored(channels, unique, pages)
        classify_s = classifier_seconds(pages)
        polled = run_polling(unit, author, args.poll, args.duplicates) if args.poll else None
    finally:
        from django import db

        db.connections.close_all()
        drop_database(DB_NAME)
        redis.Redis.from_url(REDIS_URL).flushdb()

    print(f"feedback ingest: {len(pages)} pages of {args.page}, {args.duplicates:.0%} of each re-sent, "
          f"3 channels, PostgreSQL on loopback; load average before {load:.1f} on {os.cpu_count()} CPUs")
    print(f"{'measure':<44}{'value':>14}")
    rows = [("replies fed (incl. re-sent)", f"{fed:,}"), ("unique stored (== expected, no duplicate)", f"{unique:,}"),
            ("total time (s)", f"{seconds:.2f}"), ("CPU time of this process (s)", f"{cpu:.2f}"),
            ("replies fed per second", f"{fed / seconds:,.0f}"),
            ("unique stored per second", f"{unique / seconds:,.0f}"),
            ("classifier alone, CPU (s)", f"{classify_s:.2f}"),
            ("classifier share of ingest CPU", f"{classify_s / cpu:.0%}")]
    for name, value in rows:
        print(f"{name:<44}{value:>14}")
    print("categories: " + ", ".join(f"{k} {v:,}" for k, v in sorted(categories.items(), key=lambda kv: -kv[1])))
    if polled:
        print("\npolling path: collect() on a Telegram channel, sandbox getUpdates over loopback HTTP")
        print(f"{'updates read (edits merged)':<44}{polled['updates']:>14,}")
        print(f"{'unique stored':<44}{polled['unique']:>14,}")
        print(f"{'getUpdates calls (collect runs)':<44}{polled['calls']:>14,}")
        print(f"{'total time (s)':<44}{polled['seconds']:>14.2f}")
        print(f"{'updates per second':<44}{polled['updates'] / polled['seconds']:>14,.0f}")
    print("target: >= 5,000 replies per second through ingest")
    return 0


if __name__ == "__main__":
    sys.exit(main())
