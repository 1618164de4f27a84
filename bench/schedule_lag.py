"""Schedule lag: from a delivery's due time to the moment its publish call starts (and ends).

Runs a real worker with embedded beat against PostgreSQL + Redis (its own database `loa_bench`
and Redis db 12, both removed afterwards), schedules N posts to the outbox spread over a window,
and prints percentiles. Usage:

    .venv/bin/python bench/schedule_lag.py [--posts 200] [--window 20] [--tick 1.0]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
DB_NAME = "loa_bench"
REDIS_URL = "redis://127.0.0.1:6379/12"


def recreate_database() -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")


def drop_database() -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=200)
    parser.add_argument("--window", type=float, default=20.0, help="seconds over which the posts fall due")
    parser.add_argument("--tick", type=float, default=1.0)
    args = parser.parse_args()

    recreate_database()
    data_dir = tempfile.mkdtemp(prefix="loa-bench-")
    os.environ.update(
        LOA_DATA_DIR=data_dir, LOA_DATABASE_URL=f"postgresql://postgres@127.0.0.1:5432/{DB_NAME}",
        LOA_BROKER_URL=REDIS_URL, LOA_TICK_SECONDS=str(args.tick), DJANGO_SETTINGS_MODULE="bot.settings",
    )
    import django

    django.setup()
    import redis
    from django.core.management import call_command
    from django.utils import timezone

    from bot.channel_config import channel_add
    from bot.models import Delivery
    from bot.org import get_user, unit_add, user_add
    from bot.posts import post_approve, post_create, post_submit

    redis.Redis.from_url(REDIS_URL).flushdb()
    call_command("migrate", verbosity=0)
    unit = unit_add(slug="bench", name="Phường Thử nghiệm")
    user_add(username="lan", role="editor", unit_slug="bench", password="bench-password-1")
    user_add(username="minh", role="approver", unit_slug="bench", password="bench-password-2")
    lan, minh = get_user("lan"), get_user("minh")
    channel_add(unit=unit, kind="outbox", name="bang", pairs={"path": "outbox"})

    worker = subprocess.Popen(
        [sys.executable, "-m", "bot.cli.main", "worker", "--beat", "--concurrency", "4"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    try:
        start = timezone.now() + timedelta(seconds=5)
        step = args.window / max(1, args.posts - 1)
        for i in range(args.posts):
            post = post_create(author=lan, unit=unit, kind="slogan", title=f"Bài {i}", body="Nội dung thử",
                               channel_names=["bang"], publish_at=start + timedelta(seconds=i * step))
            post_submit(post, by=lan)
            post_approve(post, by=minh)
        deadline = time.monotonic() + args.window + 120
        while Delivery.objects.exclude(state="sent").exists():
            if time.monotonic() > deadline or worker.poll() is not None:
                print("FAILED: not all deliveries were sent", file=sys.stderr)
                return 1
            time.sleep(0.5)
        rows = list(Delivery.objects.values_list("due_at", "sending_at", "sent_at"))
    finally:
        worker.terminate()
        worker.wait(30)
        django.db.connections.close_all()
        drop_database()
        redis.Redis.from_url(REDIS_URL).flushdb()

    start_lag = [(s - d).total_seconds() for d, s, _ in rows]
    done_lag = [(e - d).total_seconds() for d, _, e in rows]
    print(f"schedule lag, {len(rows)} posts due over {args.window:.0f} s, tick {args.tick} s, PostgreSQL + Redis")
    print(f"{'measure':<34}{'p50':>8}{'p95':>8}{'p99':>8}{'max':>8}")
    for name, values in (("due → publish call starts (s)", start_lag), ("due → platform answered (s)", done_lag)):
        print(f"{name:<34}" + "".join(f"{percentile(values, p):>8.3f}" for p in (50, 95, 99, 100)))
    print(f"mean start lag {statistics.mean(start_lag):.3f} s; target: starts within about a second")
    return 0


if __name__ == "__main__":
    sys.exit(main())
