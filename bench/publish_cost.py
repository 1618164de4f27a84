"""Publish cost: CPU and wall time of one delivery per platform, in one process, without Celery.

`publish_delivery` runs here, in a loop, for N text posts per kind to the sandbox's Telegram,
Facebook and Zalo fakes (served by their own process, answering at once). What it measures is
Loa's own cost around the platform calls: loading the delivery, rendering, the rate-limit
reservation, the two state changes with their audit rows, the adapter and its HTTP client. The
fan-out bench (fanout.py) adds the Celery worker and latency around the same code.

Its own PostgreSQL database (`loa_bench_publish`) and Redis db 10, both emptied afterwards. Usage:

    .venv/bin/python bench/publish_cost.py [--per-kind 200] [--kinds telegram,facebook,zalo] [--quick]
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fanout  # noqa: E402 - the bench's shared plumbing (sandbox process, databases, channels)

DB_NAME = "loa_bench_publish"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-kind", type=int, default=200)
    parser.add_argument("--kinds", default="telegram,facebook,zalo")
    parser.add_argument("--quick", action="store_true", help="30 deliveries per kind")
    args = parser.parse_args()
    kinds = args.kinds.split(",")
    per_kind = 30 if args.quick else args.per_kind
    fanout.recreate_database(DB_NAME)
    sandbox, url = fanout.start_sandbox()
    data_dir = None
    try:
        data_dir = fanout.setup_django(DB_NAME, fanout.REDIS_URL, None)
        fanout.lift_rate_limits()  # same Redis work per delivery; limits that never bind in a loop
        unit, author, approver = fanout.org()
        channels = fanout.add_channels(unit, url, kinds, len(kinds) * 3, 0.0, lift=True)
        fanout.make_deliveries(unit, author, approver, channels, (per_kind + 1) * len(kinds))
        logging.disable(logging.INFO)
        rows = measure(kinds, url)
        print(f"\npublish cost: {per_kind} text posts per kind, in one process, no Celery; the sandbox answers at once "
              f"from its own process; {fanout.load()}")
        print(f"{'kind':<10}{'platform calls':>15}{'CPU ms':>9}{'wall ms':>9}")
        for kind, calls, cpu, wall in rows:
            print(f"{kind:<10}{calls:>15.1f}{cpu:>9.1f}{wall:>9.1f}")
    finally:
        fanout.clean_up(sandbox, DB_NAME, fanout.REDIS_URL, data_dir)
    return 0


def measure(kinds: list[str], url: str) -> list[tuple[str, float, float, float]]:
    from django.utils import timezone

    from bot.models import Delivery
    from bot.publishing.publisher import publish_delivery
    from channels.sandbox.client import SandboxClient

    Delivery.objects.update(state="queued", queued_at=timezone.now())
    rows = []
    for kind in kinds:
        ids = list(Delivery.objects.filter(channel__kind=kind).order_by("pk").values_list("pk", flat=True))
        publish_delivery(ids.pop(0))  # the first one pays for imports and connections
        client = SandboxClient(url)
        before = len(client.requests(kind))
        cpu, wall = time.process_time(), time.perf_counter()
        for pk in ids:
            if publish_delivery(pk) != "sent":
                raise SystemExit(f"delivery {pk} was not sent: {Delivery.objects.get(pk=pk).last_error}")
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        calls = (len(client.requests(kind)) - before) / len(ids)
        rows.append((kind, calls, cpu / len(ids) * 1000, wall / len(ids) * 1000))
    return rows


if __name__ == "__main__":
    sys.exit(main())
