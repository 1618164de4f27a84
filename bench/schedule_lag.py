"""Schedule lag: from a delivery's due time to the moment the platform receives the post.

A real worker with embedded beat (the command `loa worker --beat` runs) on PostgreSQL + Redis
publishes N text posts, due evenly across a window, to Telegram channels on the sandbox (in its own
process, every call answered after `--latency` seconds). The receive time is the fake's: when the
sendMessage request carrying the post arrived, from the sandbox's request log, not Loa's own
`sending_at`. Loa's rate limits and the fake's flood control stay on: the channels are enough for
the load to stay under Telegram's limits (20 posts a minute per chat, 30 a second per bot, which
Loa applies per kind), as a province's campaign spread over its wards' channels would.

Its own PostgreSQL database (`loa_bench_lag`) and Redis db 10, both emptied afterwards. Usage:

    .venv/bin/python bench/schedule_lag.py [--posts 1000] [--window 60] [--channels 100] [--latency 0.02]
                                           [--tick SECONDS] [--concurrency 4] [--quick]
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fanout  # noqa: E402 - the bench's shared plumbing (sandbox process, worker, databases)

DB_NAME = "loa_bench_lag"
REDIS_URL = "redis://127.0.0.1:6379/10"
TAG = re.compile(r"LAG(\d{5})")
START_AFTER = 5.0  # seconds between setting the schedule and the first due time


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def make_posts(unit, author, approver, channels: list, count: int) -> dict[int, int]:
    """One post per delivery, channels in turn; returns {tag number: delivery id}."""
    tagged = {}
    for n in range(count):
        body = f"{fanout.BULLETIN}\n\nMã LAG{n:05d}."
        [delivery] = fanout.approved_post(unit, author, approver, [channels[n % len(channels)].name],
                                          f"Bản tin số {n + 1}", body)
        tagged[n] = delivery.pk
    return tagged


def schedule(tagged: dict[int, int], window: float) -> dict[int, float]:
    """Due times spread evenly over the window, starting shortly; returns {delivery id: due epoch}."""
    from django.utils import timezone

    from bot.models import Delivery

    start, step = timezone.now() + timedelta(seconds=START_AFTER), window / max(1, len(tagged) - 1)
    rows = Delivery.objects.in_bulk(list(tagged.values()))
    for n, pk in tagged.items():
        rows[pk].due_at = start + timedelta(seconds=n * step)
    Delivery.objects.bulk_update(list(rows.values()), ["due_at"], batch_size=500)
    return {pk: row.due_at.timestamp() for pk, row in rows.items()}


def received_at(url: str, tagged: dict[int, int]) -> dict[int, float]:
    """{delivery id: when the fake received its sendMessage}, from the sandbox's request log."""
    from channels.sandbox.client import SandboxClient

    found = {}
    for entry in SandboxClient(url, timeout=120).requests("telegram"):
        match = TAG.search(str((entry.get("form") or {}).get("text") or (entry.get("json") or {}).get("text") or ""))
        if match and entry["path"].lower().endswith("/sendmessage"):
            found.setdefault(tagged[int(match.group(1))], entry["at"])
    return found


def flood_refusals(url: str) -> int:
    """429s the Telegram fake answered: Loa's own limiter should have kept every post under them."""
    from channels.sandbox.client import SandboxClient

    return sum(chat["rate_limited"] for chat in SandboxClient(url, timeout=120).state("telegram")["chats"].values())


def wait_until_done(count: int, deadline_s: float, worker) -> None:
    from bot.models import Delivery

    deadline = time.monotonic() + deadline_s
    while Delivery.objects.filter(state__in=fanout.TERMINAL).count() < count:
        if worker.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("FAILED: not every delivery was sent in time")
        time.sleep(0.5)


def report(args, tick: float, due: dict[int, float], received: dict[int, float], refused: int) -> None:
    from bot.models import AuditEntry, Delivery

    rows = {pk: (q.timestamp(), s.timestamp(), e.timestamp()) for pk, q, s, e in
            Delivery.objects.filter(state="sent").values_list("pk", "queued_at", "sending_at", "sent_at")}
    postponed = AuditEntry.objects.filter(action="delivery.scheduled").values("target").distinct().count()
    measures = [
        ("due → claimed by a tick (the last claim)", [rows[pk][0] - due[pk] for pk in rows]),
        ("due → publish call starts (sending_at)", [rows[pk][1] - due[pk] for pk in rows]),
        ("due → the platform receives the post", [received[pk] - due[pk] for pk in rows if pk in received]),
        ("due → Loa records it sent", [rows[pk][2] - due[pk] for pk in rows]),
    ]
    states = Delivery.objects.values_list("state", flat=True)
    print(f"\nschedule lag: {args.posts} posts due over {args.window:.0f} s to {args.channels} Telegram channels, "
          f"platform latency {args.latency * 1000:.0f} ms; tick {tick} s, worker --concurrency {args.concurrency}"
          f"{changes(args)}")
    print(f"before the run: {args.load_before} (this bench's own processes count in the load at the end: "
          f"{fanout.load()})")
    print(f"sent {sum(s == 'sent' for s in states)} of {args.posts}; received by the platform "
          f"{len(received)}; held back by Loa's rate limiter (rescheduled) at least once: {postponed}; "
          f"refused by the fake's flood control (429): {refused}")
    print(f"{'measure (seconds)':<42}{'p50':>8}{'p95':>8}{'p99':>8}{'max':>8}")
    for name, values in measures:
        print(f"{name:<42}" + "".join(f"{percentile(values, p):>8.3f}" for p in (50, 95, 99, 100)))
    arrival = measures[2][1]
    print(f"mean due → received {statistics.mean(arrival):.3f} s; target p99 ≤ 1 s: "
          f"{'met' if percentile(arrival, 99) <= 1.0 else 'NOT met'}")


def worker_flags(args) -> list[str]:
    return [f"--platform-burst={args.platform_burst}"] if args.platform_burst else []


def changes(args) -> str:
    return f" (platform-wide burst changed to {args.platform_burst})" if args.platform_burst else ""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--window", type=float, default=60.0, help="seconds over which the posts fall due")
    parser.add_argument("--channels", type=int, default=100, help="Telegram channels the posts go to, in turn")
    parser.add_argument("--latency", type=float, default=0.02, help="seconds the fake waits before each answer")
    parser.add_argument("--tick", type=float, default=None, help="LOA_TICK_SECONDS (default: Loa's)")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--platform-burst", type=int, default=None,
                        help="measure another burst for the platform-wide limits (Telegram's is 10)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 100 posts over 10 s to 50 channels")
    args = parser.parse_args()
    if args.quick:
        args.posts, args.window, args.channels = 100, 10.0, 50
    spacing = args.window * args.channels / max(1, args.posts)
    if spacing < 60 / 20:
        print(f"note: each channel gets a post every {spacing:.1f} s, faster than Telegram's 20 a minute per chat; "
              "Loa's rate limiter will hold some back, and the lag measures that", file=sys.stderr)
    return args


def main() -> int:
    args = parse_args()
    fanout.recreate_database(DB_NAME)
    sandbox, url = fanout.start_sandbox()
    data_dir = None
    try:
        data_dir = fanout.setup_django(DB_NAME, REDIS_URL, args.tick)
        from django.conf import settings

        unit, author, approver = fanout.org()
        channels = fanout.add_channels(unit, url, ["telegram"], args.channels, args.latency, lift=False)
        tagged = make_posts(unit, author, approver, channels, args.posts)
        args.load_before = fanout.load()
        worker = fanout.start_worker(args.concurrency, "prefork", worker_flags(args), data_dir / "worker.log")
        try:
            due = schedule(tagged, args.window)
            wait_until_done(args.posts, START_AFTER + args.window + 120, worker)
        finally:
            fanout.stop_worker(worker)
        report(args, settings.LOA.tick_seconds, due, received_at(url, tagged), flood_refusals(url))
    finally:
        fanout.clean_up(sandbox, DB_NAME, REDIS_URL, data_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
