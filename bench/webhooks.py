"""Webhooks: signed Telegram, Facebook and Zalo requests on loopback against the production web server.

The server is waitress serving bot.wsgi with `loa run`'s options (one process of 8 threads; --servers N
runs N sharing the port), on its own PostgreSQL database (`loa_bench_fb_hooks_<pid>`, dropped afterwards)
with Redis db 14 as the broker.
Client processes send pre-signed requests over keep-alive connections at a fixed rate (open loop:
latency counts from when a request was due, so a stalled server cannot hide behind a slow client), a
share of them re-sent as platforms retry. Then nothing may be lost: one InboundEvent per request
answered 200; a Celery worker (started after the load) processes them all, and one Feedback per
unique message remains. Usage:

    .venv/bin/python bench/webhooks.py [--seconds 20] [--rate 1000] [--clients 2] [--connections 16]
                                       [--threads 8] [--servers 1] [--duplicates 0.05] [--quick]

--rate 0 sends as fast as the connections allow (closed loop), to find the ceiling.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from feedback_ingest import (FAMILY, GIVEN, REDIS_URL, ROOT, citizen_texts, drop_database, recreate_database,
                             setup_django, varied)

DB_NAME = f"loa_bench_fb_hooks_{os.getpid()}"  # two runs at once must not drop each other's database
PLATFORMS = ("telegram", "facebook", "zalo")
HEADINGS = ("per s", "p50 ms", "p95 ms", "p99 ms", "max ms", "non-200")
WARM_UP = 300  # requests before the measure: imports, connections and caches are made on first use
TELEGRAM_SECRET = "bench-webhook-secret-{}"
DISCUSSION = -1001900  # Telegram discussion group ids: DISCUSSION - i for channel i


# -- the channels and what their platforms send --------------------------------------------------------


def make_channels(unit) -> dict[str, list]:
    """Two channels per platform, so the shared Facebook and Zalo URLs route by the ids in each body."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from bot.channel_config import channel_add
    from bot.models import Delivery, Post, Workflow

    made: dict[str, list] = {kind: [] for kind in PLATFORMS}
    for i in range(2):
        made["telegram"].append(channel_add(unit=unit, kind="telegram", name=f"tg-hooks-{i}", pairs={
            "token": f"70010{i}:AAF-bench", "chat_id": f"@phuong{i}", "discussion_chat_id": str(DISCUSSION - i),
            "webhook_secret": TELEGRAM_SECRET.format(i)}))
        made["facebook"].append(channel_add(unit=unit, kind="facebook", name=f"fb-hooks-{i}", pairs={
            "page_id": f"10020030{i}", "access_token": "EAAB-bench", "app_secret": f"fb-app-secret-{i}"}))
        made["zalo"].append(channel_add(unit=unit, kind="zalo", name=f"zalo-hooks-{i}", pairs={
            "oa_id": f"43210{i}", "app_id": f"12340{i}", "app_secret": "z", "access_token": "a",
            "refresh_token": "r", "oa_secret_key": f"zalo-oa-secret-{i}"}))
    author = get_user_model().objects.create_user(username="lan", password="bench-password-1")
    for n in range(10):  # our posts the citizens comment on, sent to every Telegram and Facebook channel
        post = Post.objects.create(unit=unit, kind="slogan", title=f"Khẩu hiệu {n}", body="Vì nhân dân phục vụ",
                                   author=author, workflow=Workflow.APPROVED)
        for i in range(2):
            sent = ((made["telegram"][i], str(i * 10 + n)), (made["facebook"][i], f"10020030{i}_77{n}"))
            for channel, remote_id in sent:
                Delivery.objects.create(post=post, channel=channel, due_at=timezone.now(), state="sent",
                                        sent_at=timezone.now(), remote_id=remote_id)
    return made


def telegram_request(i: int, n: int, rng: random.Random, text: str) -> tuple[str, dict, bytes]:
    """An Update as Telegram POSTs it: half private messages to the bot, half comments under a post."""
    citizen = 5_000_000 + rng.randrange(20_000)
    sender = {"id": citizen, "is_bot": False, "first_name": rng.choice(GIVEN), "last_name": rng.choice(FAMILY)}
    if n % 2:
        message = {"message_id": n, "date": int(time.time()), "text": text, "from": sender,
                   "chat": {"id": citizen, "type": "private", "first_name": sender["first_name"]}}
    else:
        group = {"id": DISCUSSION - i, "type": "supergroup", "title": "Thảo luận"}
        post = rng.randrange(10)
        forward = {"message_id": 100 + post, "date": int(time.time()), "chat": group, "is_automatic_forward": True,
                   "sender_chat": {"id": -1002000 - i, "type": "channel", "title": "Phường"},
                   "forward_origin": {"type": "channel", "message_id": i * 10 + post, "date": int(time.time()),
                                      "chat": {"id": -1002000 - i, "type": "channel", "title": "Phường"}}}
        message = {"message_id": n, "date": int(time.time()), "text": text, "from": sender, "chat": group,
                   "message_thread_id": 100 + post, "reply_to_message": forward}
    body = json.dumps({"update_id": 200_000_000 + n, "message": message}, ensure_ascii=False).encode()
    return f"/hooks/telegram/tg-hooks-{i}/", {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET.format(i)}, body


def facebook_request(i: int, n: int, rng: random.Random, text: str) -> tuple[str, dict, bytes]:
    """A `feed` change for a new comment, escaped and signed as Facebook sends it (X-Hub-Signature-256)."""
    from channels.facebook_inbound import signature

    page, post = f"10020030{i}", f"10020030{i}_77{rng.randrange(10)}"
    value = {"from": {"id": str(10**15 + rng.randrange(20_000)), "name": f"{rng.choice(FAMILY)} {rng.choice(GIVEN)}"},
             "post": {"id": post, "status_type": "mobile_status_update", "is_published": True},
             "message": text, "post_id": post, "comment_id": f"{post}_{n}", "created_time": int(time.time()),
             "item": "comment", "parent_id": post, "verb": "add"}
    envelope = {"object": "page", "entry": [{"id": page, "time": int(time.time()),
                                             "changes": [{"field": "feed", "value": value}]}]}
    body = json.dumps(envelope, separators=(",", ":")).replace("/", "\\/").encode("ascii")
    return "/hooks/facebook/", {"X-Hub-Signature-256": signature(f"fb-app-secret-{i}", body)}, body


def zalo_request(i: int, n: int, rng: random.Random, text: str) -> tuple[str, dict, bytes]:
    """user_send_text as Zalo POSTs it, with X-ZEvent-Signature = sha256(app id + body + timestamp + OA key)."""
    from channels.zalo_inbound import signature

    citizen, timestamp = str(8 * 10**17 + rng.randrange(20_000)), str(int(time.time() * 1000))
    envelope = {"app_id": f"12340{i}", "sender": {"id": citizen}, "user_id_by_app": citizen[::-1],
                "recipient": {"id": f"43210{i}"}, "event_name": "user_send_text",
                "message": {"text": text, "msg_id": f"{n:08x}{rng.getrandbits(96):024x}"}, "timestamp": timestamp}
    body = json.dumps(envelope, ensure_ascii=False).encode()
    return "/hooks/zalo/", {"X-ZEvent-Signature": signature(f"12340{i}", body, timestamp, f"zalo-oa-secret-{i}")}, body


BUILDERS = {"telegram": telegram_request, "facebook": facebook_request, "zalo": zalo_request}


def requests_to_send(count: int, duplicates: float, seed: int = 11) -> tuple[list[tuple], int]:
    """[(platform index, path, headers, body)], a share of them re-sent a little later (a platform's retry of
    the same body), and how many unique messages they carry."""
    rng, texts = random.Random(seed), citizen_texts()
    made: list[tuple] = []
    unique = 0
    for n in range(count):
        if made and rng.random() < duplicates:
            made.append(made[-rng.randrange(1, min(len(made), 500) + 1)])
            continue
        k = n % 3
        path, headers, body = BUILDERS[PLATFORMS[k]](rng.randrange(2), n, rng, varied(rng, texts))
        made.append((k, path, {"Content-Type": "application/json", **headers}, body))
        unique += 1
    return made, unique


# -- the server, the clients, the worker ---------------------------------------------------------------


# waitress serving bot.wsgi as `loa run` does (create_server(app, threads=8).run()), on a listening socket
# made here so that several server processes can share it (--servers; `loa run` has one).
SERVE = ("import socket, sys; from waitress import serve; from bot.wsgi import application; "
         "serve(application, sockets=[socket.socket(fileno=int(sys.argv[1]))], threads=int(sys.argv[2]))")


def start_servers(count: int, threads: int, log: Path) -> tuple[list[subprocess.Popen], int]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1024)
    port = listener.getsockname()[1]
    servers = [subprocess.Popen([sys.executable, "-c", SERVE, str(listener.fileno()), str(threads)], cwd=ROOT,
                                stdout=log.open("ab"), stderr=subprocess.STDOUT, pass_fds=[listener.fileno()],
                                start_new_session=True) for _ in range(count)]
    listener.close()  # the servers hold it now
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and all(s.poll() is None for s in servers):  # no readiness event: poll
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("POST", "/hooks/zalo/", body=b"{}", headers={"Content-Type": "application/json"})
            if conn.getresponse().status == 200:  # Zalo's unsigned URL check: answered, nothing stored
                return servers, port
        except OSError:
            time.sleep(0.1)
    stop_servers(servers)
    raise RuntimeError(f"the web server did not start; see {log}")


def stop_servers(servers: list[subprocess.Popen]) -> None:
    for server in servers:
        server.terminate()
    for server in servers:
        server.wait(30)


def send(port: int, jobs: list[tuple], start: float, rate: float, out: list) -> None:
    """One keep-alive connection: each request at its due time (open loop) or at once (rate 0)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for kind, path, headers, body, due in jobs:
        scheduled = start + due
        if rate and scheduled > time.monotonic():
            time.sleep(scheduled - time.monotonic())
        sent = time.monotonic()
        try:
            conn.request("POST", path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            status = 0
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        done = time.monotonic()
        out.append((kind, status, done - (scheduled if rate else sent), sent - start, done - start))


def client(port: int, jobs: list[tuple], start: float, rate: float, connections: int, results) -> None:
    out: list = []
    threads = [threading.Thread(target=send, args=(port, jobs[c::connections], start, rate, out))
               for c in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results.put(out)


def load(port: int, requests: list[tuple], rate: float, clients: int, connections: int) -> list[tuple]:
    """Requests spread over client processes and their connections; request i is due at i / rate."""
    jobs = [(*r, i / rate if rate else 0.0) for i, r in enumerate(requests)]
    results = multiprocessing.get_context("fork").Queue()
    start = time.monotonic() + 1.0  # every process ready before the first request falls due
    per_client = max(1, connections // clients)
    processes = [multiprocessing.get_context("fork").Process(
        target=client, args=(port, jobs[p::clients], start, rate, per_client, results)) for p in range(clients)]
    for process in processes:
        process.start()
    gathered = [row for _ in processes for row in results.get()]
    for process in processes:
        process.join()
    return gathered


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process, all its threads (Linux /proc): cost per request, whatever else runs."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def warm_up(port: int, requests: list[tuple]) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for _, path, headers, body in requests:
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        assert response.status == 200, f"warm-up request answered {response.status}"


def drain(timeout: float) -> float:
    """A Celery worker processes the stored events; seconds until none is left."""
    from bot.cli.run_cmd import worker_command
    from bot.models import InboundEvent

    worker = subprocess.Popen(worker_command(beat=True, concurrency=2), cwd=ROOT, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        start = time.monotonic()
        while InboundEvent.objects.filter(processed_at__isnull=True).exists():  # poll: rows have no event
            if time.monotonic() - start > timeout or worker.poll() is not None:
                raise RuntimeError("the worker did not process every stored event in time")
            time.sleep(0.5)
        return time.monotonic() - start
    finally:
        worker.terminate()
        worker.wait(30)


# -- the report ----------------------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def report(rows: list[tuple], args, measured: dict):
    first, last = min(r[3] for r in rows), max(r[4] for r in rows)
    mode = f"open loop at {args.rate:,.0f}/s" if args.rate else "closed loop (as fast as answered)"
    print(f"webhooks: {args.servers} waitress process(es) of {args.threads} threads serving bot.wsgi, PostgreSQL + "
          f"Redis on loopback; {args.clients} client processes, {args.connections} keep-alive connections, {mode}; "
          f"load average before {measured['load']:.1f} on {os.cpu_count()} CPUs")
    print(f"{'platform':<10}{'requests':>10}" + "".join(f"{h:>9}" for h in HEADINGS))
    for name, kinds in [(p, {i}) for i, p in enumerate(PLATFORMS)] + [("all", {0, 1, 2})]:
        mine = [r for r in rows if r[0] in kinds]
        latency = [r[2] * 1000 for r in mine]
        print(f"{name:<10}{len(mine):>10,}{len(mine) / (last - first):>9,.0f}"
              + "".join(f"{percentile(latency, p):>9.1f}" for p in (50, 95, 99, 100))
              + f"{sum(r[1] != 200 for r in mine):>9}")
    print(f"sustained over {last - first:.1f} s; web server CPU per request "
          f"{measured['cpu'] / len(rows) * 1000:.2f} ms; waitress 'task queue depth' warnings: "
          f"{measured['queue_warnings']}")
    print(f"InboundEvent rows {measured['stored']:,} == requests answered 200 (incl. {WARM_UP} warm-up) "
          f"{sum(r[1] == 200 for r in rows) + WARM_UP:,}")
    print(f"worker (2 processes) processed them in {measured['drained']:.1f} s "
          f"({measured['stored'] / measured['drained']:,.0f} events/s); "
          f"Feedback rows {measured['feedback']:,} == unique messages {measured['unique']:,}")
    print("target: >= 1,000 requests/s sustained, p99 < 50 ms, nothing lost")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--rate", type=float, default=1000.0, help="requests per second (0: as fast as possible)")
    parser.add_argument("--requests", type=int, default=0,
                        help="how many (default: rate x seconds; 20,000 with --rate 0)")
    parser.add_argument("--clients", type=int, default=2, help="client processes")
    parser.add_argument("--connections", type=int, default=16, help="keep-alive connections in all")
    parser.add_argument("--threads", type=int, default=8, help="waitress threads per server (loa run: 8)")
    parser.add_argument("--servers", type=int, default=1, help="waitress processes sharing the port (loa run: 1)")
    parser.add_argument("--duplicates", type=float, default=0.05, help="share of requests re-sent (retries)")
    parser.add_argument("--drain-timeout", type=float, default=600.0)
    parser.add_argument("--quick", action="store_true", help="5 seconds instead of 20 (a smoke run)")
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds = min(args.seconds, 5.0)
    count = args.requests or (round(args.rate * args.seconds) if args.rate else 20_000)

    import redis

    recreate_database(DB_NAME)
    redis.Redis.from_url(REDIS_URL).flushdb()
    log = Path(tempfile.mkdtemp(prefix="loa-bench-hooks-")) / "waitress.log"
    servers: list[subprocess.Popen] = []
    try:
        setup_django(DB_NAME)
        from bot.models import Feedback, InboundEvent
        from bot.org import unit_add

        make_channels(unit_add(slug="bench", name="Phường Thử nghiệm"))
        requests, unique = requests_to_send(WARM_UP + count, args.duplicates)
        servers, port = start_servers(args.servers, args.threads, log)
        warm_up(port, requests[:WARM_UP])
        measured = {"load": os.getloadavg()[0], "unique": unique, "cpu": -sum(cpu_seconds(s.pid) for s in servers)}
        rows = load(port, requests[WARM_UP:], args.rate, args.clients, args.connections)
        measured["cpu"] += sum(cpu_seconds(s.pid) for s in servers)
        stop_servers(servers)
        servers = []
        measured["stored"] = stored = InboundEvent.objects.count()
        answered = sum(r[1] == 200 for r in rows) + WARM_UP
        assert stored == answered == len(requests), f"{len(requests)} sent, {answered} answered 200, {stored} stored"
        measured["drained"] = drain(args.drain_timeout)
        errors = Counter(InboundEvent.objects.exclude(error="").values_list("error", flat=True))
        assert not errors, f"events not processed: {dict(errors)}"
        measured["feedback"] = feedback = Feedback.objects.count()
        assert feedback == unique, f"{feedback} Feedback rows for {unique} unique messages"
        unlinked = Feedback.objects.filter(kind="comment", delivery__isnull=True).count()
        assert unlinked == 0, f"{unlinked} comments not linked to the post they answer"
        measured["queue_warnings"] = log.read_text(errors="replace").count("Task queue depth")
        shutil.rmtree(log.parent)  # kept only when something failed
    finally:
        stop_servers(servers)
        from django import db

        db.connections.close_all()
        drop_database(DB_NAME)
        redis.Redis.from_url(REDIS_URL).flushdb()
    report(rows, args, measured)
    return 0


if __name__ == "__main__":
    sys.exit(main())
