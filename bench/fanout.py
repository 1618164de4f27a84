"""Fan-out: N deliveries over C sandbox channels with platform latency, beside the HTTP floor.

One run, three measurements, one table:

1. Loa: a real worker with embedded beat (the command `loa worker --beat --concurrency N` runs) on
   PostgreSQL + Redis publishes N text posts spread over C channels of the sandbox's Telegram,
   Facebook and Zalo fakes, each answering every call after `--latency` seconds. Timed from the
   tick that claims them to the last delivery committed as sent.
2. The floor: the very requests the fakes received from Loa (same endpoints, same bodies, same
   headers; read back from the sandbox's request log) sent again by as many threads as the
   worker has pool processes, each with its own pooled `requests.Session`. No database, no queue.
3. The floor again with no latency: the sandbox's own pace, to show it is not the bottleneck.

Beside the times: CPU per delivery (the worker's whole process tree, or the floor's threads; and
the sandbox's), and the worker's memory sampled throughout (1): RSS of the parent, of the largest
child (prefork pool, embedded beat), their sum, and the sum of PSS (shared pages counted once).

What the bench changes, in the worker it starts through this file (`_worker`), and why:
- The platforms' rate limits are lifted: 10,000 posts over 300 channels is 33 per channel, above
  Telegram's 20 a minute per chat, Facebook's 60 calls an hour per Page and Zalo's 6 broadcasts an
  hour per OA, so with them on the run would measure the limits. Each adapter's `rates` keep their
  keys with counts that never bind, so every delivery still pays for its Redis reservations; the
  fakes are configured without flood control or quotas.
- The beat's reply polling (`collect`, every 60 s) is off: its calls grow with the run's length,
  not with the posts, and would be replayed by the floor too (bench/feedback_ingest.py measures it).

Its own PostgreSQL database (`loa_bench_fanout`) and Redis db 10, both emptied afterwards; the
sandbox runs in its own process. Usage:

    .venv/bin/python bench/fanout.py [--deliveries 10000] [--channels 300] [--kinds telegram,facebook,zalo]
                                     [--latency 0.02] [--concurrency 4] [--pool prefork|threads]
                                     [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone as dt_timezone
from pathlib import Path
from urllib.parse import urlencode

import psycopg
import redis
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
DB_NAME = "loa_bench_fanout"
REDIS_URL = "redis://127.0.0.1:6379/10"
PLATFORM_KINDS = ("telegram", "facebook", "zalo")
TERMINAL = ("sent", "failed", "unconfirmed", "cancelled")
VIETNAM = dt_timezone(timedelta(hours=7))

BULLETIN = (
    "Thực hiện Kế hoạch cải cách hành chính năm 2026, Ủy ban nhân dân phường tiếp tục đẩy mạnh cung cấp dịch vụ "
    "công trực tuyến toàn trình. Trong tháng, bộ phận Một cửa tiếp nhận 1.245 hồ sơ, trong đó 1.032 hồ sơ nộp "
    "trực tuyến (đạt 82,9%); 100% hồ sơ được giải quyết đúng và trước hạn. Người dân có thể đăng nhập Cổng dịch "
    "vụ công quốc gia bằng tài khoản định danh điện tử VNeID để nộp hồ sơ, thanh toán phí, lệ phí trực tuyến và "
    "theo dõi kết quả mà không phải đến trụ sở.\n\nMọi phản ánh, kiến nghị về thủ tục hành chính xin gửi về đường "
    "dây nóng của phường hoặc trả lời ngay dưới bài viết này để được tiếp nhận và trả lời."
)


# -- databases, environment ------------------------------------------------------------------------

def recreate_database(name: str) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")


def drop_database(name: str) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def setup_django(db_name: str, redis_url: str, tick: float | None) -> Path:
    """Point Loa at the bench's own database and Redis db; the worker inherits this environment.
    `tick` None keeps Loa's default LOA_TICK_SECONDS."""
    data_dir = Path(tempfile.mkdtemp(prefix="loa-bench-"))
    os.environ.update(
        LOA_DATA_DIR=str(data_dir), LOA_DATABASE_URL=f"postgresql://postgres@127.0.0.1:5432/{db_name}",
        LOA_BROKER_URL=redis_url, LOA_LANGUAGE="en", DJANGO_SETTINGS_MODULE="bot.settings",
    )
    os.environ.pop("LOA_TICK_SECONDS", None)
    if tick is not None:
        os.environ["LOA_TICK_SECONDS"] = str(tick)
    import django

    django.setup()
    from django.core.management import call_command

    redis.Redis.from_url(redis_url).flushdb()
    call_command("migrate", verbosity=0)
    return data_dir


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


# -- the sandbox, in its own process so its threads do not share a GIL with the floor's senders ----

def serve_sandbox() -> None:
    """`fanout.py _sandbox`: serve every fake on a free loopback port, print the URL, stop on SIGTERM."""
    from channels.sandbox.app import Sandbox
    from channels.sandbox.server import SandboxServer

    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: stopped.set())
    with SandboxServer(Sandbox(hold_seconds=1.0)) as server:
        print(server.url, flush=True)
        stopped.wait()


def start_sandbox() -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, __file__, "_sandbox"], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    url = proc.stdout.readline().strip()
    if not url.startswith("http://"):
        proc.kill()
        raise SystemExit("the sandbox did not start")
    return proc, url


def stop_process(proc: subprocess.Popen, timeout: float = 30) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# -- channels on the sandbox -----------------------------------------------------------------------

def fault_keys(kind: str, account: dict) -> list[str]:
    """What the fake keys its faults by for this account: every call of the channel gets the latency."""
    if kind == "telegram":
        bots = account["bots"]
        return [str(b.get("id") or b["token"].split(":")[0]) for b in bots] + [str(c["id"]) for b in bots
                                                                               for c in b["chats"]]
    if kind == "facebook":
        return [p["id"] for p in account["pages"]]
    if kind == "zalo":
        return [oa["oa_id"] for oa in account["oas"]] + [app["app_id"] for app in account["apps"]]
    return []


def without_flood_control(kind: str, account: dict) -> dict:
    """The fakes' own limits (flood control, quotas, processing polls) out of the way of a throughput run."""
    if kind == "telegram":
        for bot in account["bots"]:
            for chat in bot["chats"]:
                chat["limit_per_minute"] = 1_000_000
    if kind == "zalo":
        for oa in account["oas"]:
            oa.update(verify_polls=0, monthly_broadcasts=1_000_000)
        for app in account["apps"]:
            app["rate_per_minute"] = 1_000_000
    return account


def add_channels(unit, url: str, kinds: list[str], count: int, latency: float, lift: bool) -> list:
    """`count` channels of `kinds` in turn, each a demo account on the fake with `latency` on every call."""
    from bot.channel_config import channel_add
    from channels import registry
    from channels.sandbox.app import fake_class_for
    from channels.sandbox.client import SandboxClient

    client, channels = SandboxClient(url, timeout=60), []
    for n in range(count):
        kind = kinds[n % len(kinds)]
        adapter_cls = registry.adapter_class(kind)
        fake_cls = fake_class_for(adapter_cls)
        account, pairs = fake_cls.demo_account(f"w{n:04d}", f"Phường {n}")
        client.configure(fake_cls.name, without_flood_control(kind, account) if lift else account)
        for key in fault_keys(kind, account):
            client.fault(key, latency=latency)
        pairs = {**pairs, **adapter_cls.sandbox_settings(url)}
        channels.append(channel_add(unit=unit, kind=kind, name=f"{kind}-{n:04d}", pairs=pairs))
    if "zalo" in kinds and lift:
        # The fake refuses broadcasts 22:00-06:00 Vietnam time, as Zalo does: a run at night uses noon.
        noon = datetime.now(VIETNAM).replace(hour=12, minute=0, second=0, microsecond=0)
        client.configure("zalo", {"now": noon.timestamp()})
    return channels


def org():
    """A unit with an editor and an approver."""
    from bot.org import get_user, unit_add, user_add

    unit = unit_add(slug="bench", name="Phường Thử nghiệm")
    user_add(username="lan", role="editor", unit_slug="bench", password="bench-password-1")
    user_add(username="minh", role="approver", unit_slug="bench", password="bench-password-2")
    return unit, get_user("lan"), get_user("minh")


def approved_post(unit, author, approver, channel_names: list[str], title: str, body: str):
    """Submitted and approved through Loa's own workflow; due a day ahead until the bench sets due_at."""
    from django.utils import timezone

    from bot.posts import post_approve, post_create, post_submit

    post = post_create(author=author, unit=unit, kind="bulletin", title=title, body=body,
                       channel_names=channel_names, publish_at=timezone.now() + timedelta(days=1))
    post_submit(post, by=author)
    return post_approve(post, by=approver)


# -- the worker ------------------------------------------------------------------------------------

def lift_rate_limits() -> None:
    """Same keys (so the same Redis work per delivery), limits that never bind."""
    from channels import registry
    from channels.base import Rate

    for kind in registry.kinds():
        cls = registry.adapter_class(kind)
        cls.rates = tuple(Rate(r.scope, 10**9, 1.0, burst=10**9) for r in cls.rates)


def platform_burst(burst: int) -> None:
    """Another burst for the platform-wide limits (--platform-burst; Telegram's is 10 since issue 7), to
    measure what a change of it would do."""
    from channels import registry
    from channels.base import Rate

    for kind in registry.kinds():
        cls = registry.adapter_class(kind)
        cls.rates = tuple(Rate(r.scope, r.count, r.seconds, burst=burst) if r.scope == "platform" else r
                          for r in cls.rates)


def without_reply_polling() -> None:
    """The beat's reply polling off (--no-collect): its calls grow with the run's length, not with the posts."""
    import celeryconfig

    celeryconfig.beat_schedule.pop("collect", None)


def run_worker(argv: list[str]) -> None:
    """`fanout.py _worker [--lift] [--no-collect] [--platform-burst=N] -- <celery args>`: Celery in
    this process, after the bench's changes (each named in the printed report)."""
    flags, args = argv[: argv.index("--")], argv[argv.index("--") + 1:]
    os.chdir(ROOT)
    for flag in flags:
        if flag == "--lift":
            lift_rate_limits()
        elif flag == "--no-collect":
            without_reply_polling()
        elif flag.startswith("--platform-burst="):
            platform_burst(int(flag.partition("=")[2]))
    from celery.__main__ import main

    sys.argv = ["celery", *args]
    sys.exit(main())


def start_worker(concurrency: int, pool: str, flags: list[str], log_path: Path) -> subprocess.Popen:
    """The command `loa worker --beat` runs, through `_worker`; waits until Celery says it is ready."""
    from bot.cli.run_cmd import worker_command

    celery_args = worker_command(beat=True, concurrency=concurrency)[3:]  # drop "python -m celery"
    if pool != "prefork":
        celery_args += ["--pool", pool]
    cmd = [sys.executable, __file__, "_worker", *flags, "--", *celery_args]
    log = open(log_path, "w")
    worker = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 60
    while " ready." not in log_path.read_text(errors="replace"):
        if worker.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"the worker did not start; its log: {log_path}")
        time.sleep(0.1)
    return worker


def stop_worker(worker: subprocess.Popen) -> None:
    worker.send_signal(signal.SIGTERM)
    try:
        worker.wait(60)
    except subprocess.TimeoutExpired:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()


# -- memory and CPU of a process tree -------------------------------------------------------------

TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str]:
    """/proc/<pid>/stat after the command name: [state, ppid, …]; [] when the process is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return []


def descendants(pid: int) -> list[int]:
    stats = {int(e.name): _stat(int(e.name)) for e in Path("/proc").iterdir() if e.name.isdigit()}
    parents = {pid: int(f[1]) for pid, f in stats.items() if f}
    found, frontier = [], {pid}
    while frontier:
        frontier = {p for p, parent in parents.items() if parent in frontier}
        found += frontier
    return found


def cpu_seconds(pid: int, tree: bool = True) -> float:
    """User + system CPU of a process (its threads included); with `tree`, also of its live descendants
    and of the children it has reaped."""
    if not tree:
        own = _stat(pid)
        return (int(own[11]) + int(own[12])) / TICKS if own else 0.0
    stats = [f for f in map(_stat, [pid, *descendants(pid)]) if f]
    reaped = int(stats[0][13]) + int(stats[0][14]) if stats else 0
    return (sum(int(f[11]) + int(f[12]) for f in stats) + reaped) / TICKS


def _kb(path: Path, field: str) -> int:
    try:
        for line in path.read_text().splitlines():
            if line.startswith(field):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class MemorySampler(threading.Thread):
    """Peak RSS (parent, largest child, sum) and peak summed PSS of a process tree, sampled every 0.25 s."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.stopping = pid, threading.Event()
        self.peak = {"parent": 0, "child": 0, "rss_sum": 0, "pss_sum": 0, "processes": 0}

    def run(self) -> None:
        while not self.stopping.wait(0.25):
            self.sample()

    def sample(self) -> None:
        children = descendants(self.pid)
        rss = {p: _kb(Path(f"/proc/{p}/status"), "VmRSS:") for p in [self.pid, *children]}
        pss = sum(_kb(Path(f"/proc/{p}/smaps_rollup"), "Pss:") for p in rss)
        now = {"parent": rss[self.pid], "child": max((rss[p] for p in children), default=0),
               "rss_sum": sum(rss.values()), "pss_sum": pss, "processes": len(rss)}
        self.peak = {k: max(v, now[k]) for k, v in self.peak.items()}

    def stop(self) -> dict:
        self.stopping.set()
        self.join()
        return self.peak


# -- the floor -------------------------------------------------------------------------------------

@dataclass
class Run:
    """One way of making the calls: how long it took and the CPU it cost (sender's and sandbox's)."""

    name: str
    senders: int
    seconds: float
    cpu: float
    sandbox_cpu: float
    errors: str = ""


def replayable(entry: dict, url: str) -> tuple[str, str, dict, dict, bytes]:
    """The logged request as (method, url, query, headers, body): same endpoint, same bytes on the wire."""
    if entry["files"]:
        raise SystemExit("the floor replays text posts only; a request carried files")
    headers = {k: v for k, v in entry["headers"].items() if k != "content-length"}
    if entry["json"] is not None:
        body = json.dumps(entry["json"]).encode()  # as requests' json= encodes it
    elif entry["form"]:
        body = urlencode(entry["form"]).encode()
    else:
        body = b""
    return entry["method"], f"{url}/{entry['prefix']}{entry['path']}", entry["query"], headers, body


def platform_error(response: requests.Response) -> bool:
    """Zalo answers errors with HTTP 200 and a non-zero `error`; Telegram with "ok": false."""
    if response.status_code >= 400:
        return True
    try:
        data = response.json()
    except ValueError:
        return True
    return isinstance(data, dict) and (data.get("ok") is False or data.get("error") not in (None, 0))


def _send_all(work: queue.SimpleQueue, senders: int) -> int:
    """Drain `work` with `senders` threads, each with its own pooled Session; returns the platform errors."""
    errors, lock, start = [0], threading.Lock(), threading.Barrier(senders)

    def sender():
        session = requests.Session()
        start.wait()
        while True:
            try:
                method, url, params, headers, body = work.get_nowait()
            except queue.Empty:
                return
            response = session.request(method, url, params=params, headers=headers, data=body, timeout=30)
            if platform_error(response):
                with lock:
                    errors[0] += 1

    threads = [threading.Thread(target=sender) for _ in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors[0]


def floor(name: str, calls: list[tuple], senders: int, sandbox_pid: int) -> Run:
    work: queue.SimpleQueue = queue.SimpleQueue()
    for call in calls:
        work.put(call)
    cpu, sandbox_cpu, began = _own_cpu(), cpu_seconds(sandbox_pid, tree=False), time.perf_counter()
    errors = _send_all(work, senders)
    return Run(name, senders, time.perf_counter() - began, _own_cpu() - cpu,
               cpu_seconds(sandbox_pid, tree=False) - sandbox_cpu, str(errors))


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def set_latency(url: str, latency: float) -> None:
    """Every fault key the sandbox knows (one per channel, bot, page, OA and app) gets this latency."""
    from channels.sandbox.client import SandboxClient

    client = SandboxClient(url, timeout=60)
    for key in client.info()["faults"]:
        client.fault(key, latency=latency)


# -- the run ---------------------------------------------------------------------------------------

def make_deliveries(unit, author, approver, channels: list, total: int) -> int:
    """`total` deliveries: posts to every channel, the last one to as many as are left. Returns the posts."""
    names = [c.name for c in channels]
    made, n = 0, 0
    while made < total:
        chosen = names[: min(len(names), total - made)]
        made += len(approved_post(unit, author, approver, chosen, f"Bản tin cải cách hành chính số {n + 1}",
                                  f"{BULLETIN}\n\n(Số {n + 1})"))
        n += 1
    return n


def wait_until_done(total: int, deadline_s: float, worker: subprocess.Popen) -> None:
    from bot.models import Delivery

    deadline = time.monotonic() + deadline_s
    while Delivery.objects.filter(state__in=TERMINAL).count() < total:
        if worker.poll() is not None:
            raise SystemExit("the worker died during the run")
        if time.monotonic() > deadline:
            raise SystemExit("not every delivery finished in time")
        time.sleep(0.25)


def loa_phase(args, total: int, log_path: Path, sandbox_pid: int) -> tuple[Run, dict]:
    """Make every delivery due now and let the worker publish them; timed from the claim to the last sent."""
    from django.db.models import Max, Min
    from django.utils import timezone

    from bot.models import Delivery

    flags = ["--lift", "--no-collect"]
    before = load()
    worker = start_worker(args.concurrency, args.pool, flags, log_path)
    sampler = MemorySampler(worker.pid)
    sampler.start()
    try:
        cpu, parent_cpu = cpu_seconds(worker.pid), cpu_seconds(worker.pid, tree=False)
        sandbox_cpu = cpu_seconds(sandbox_pid, tree=False)
        due = timezone.now()
        Delivery.objects.update(due_at=due)
        wait_until_done(total, 600 + total * 0.2, worker)
        cpu, parent_cpu = cpu_seconds(worker.pid) - cpu, cpu_seconds(worker.pid, tree=False) - parent_cpu
        sandbox_cpu = cpu_seconds(sandbox_pid, tree=False) - sandbox_cpu
        memory = sampler.stop()
    finally:
        stop_worker(worker)
    spans = Delivery.objects.aggregate(claimed=Min("queued_at"), last=Max("sent_at"))
    seconds = (spans["last"] - spans["claimed"]).total_seconds()
    facts = {"tick": (spans["claimed"] - due).total_seconds(), "memory": memory, "parent_cpu": parent_cpu,
             "load_before": before,
             "states": Counter(Delivery.objects.values_list("state", flat=True)),
             "by_kind": Counter(Delivery.objects.values_list("channel__kind", flat=True))}
    name = "Loa: from the tick's claim to the last delivery sent"
    return Run(name, args.concurrency, seconds, cpu, sandbox_cpu), facts


def platform_log(url: str, kinds: list[str]) -> list[dict]:
    from channels.sandbox.client import SandboxClient

    client = SandboxClient(url, timeout=300)
    return [entry for kind in kinds for entry in client.requests(kind)]


def report(args, total: int, posts: int, runs: list[Run], facts: dict, log: list[dict]) -> None:
    calls = Counter(entry["prefix"].split("-")[0] for entry in log)
    per_delivery = ", ".join(f"{k} {calls[k] / n:.1f}" for k, n in sorted(facts["by_kind"].items()))
    print(f"\nfan-out: {total} deliveries ({posts} posts) over {args.channels} channels ({', '.join(args.kinds)}), "
          f"platform latency {args.latency * 1000:.0f} ms per call; worker --concurrency {args.concurrency} "
          f"--pool {args.pool}")
    print(f"before Loa's run: {facts['load_before']} (this bench's own processes count in the load at the end: "
          f"{load()})")
    print(f"deliveries by state: {dict(facts['states'])}; platform calls {len(log)}, per delivery: {per_delivery}")
    print(f"{'run':<54}{'senders':>8}{'seconds':>9}{'deliv/s':>9}{'CPU ms/delivery':>17}{'sandbox':>9}{'errors':>8}")
    for run in runs:
        print(f"{run.name:<54}{run.senders:>8}{run.seconds:>9.2f}{total / run.seconds:>9.1f}"
              f"{run.cpu * 1000 / total:>17.1f}{run.sandbox_cpu * 1000 / total:>9.1f}{run.errors:>8}")
    loa, same = runs[0], runs[1]
    print(f"of Loa's CPU, the worker's main process (Celery receiving and handing out tasks): "
          f"{facts['parent_cpu'] * 1000 / total:.1f} ms/delivery; the rest is the pool and the beat")
    print(f"ratio Loa / floor at equal concurrency: {loa.seconds / same.seconds:.2f} (target ≤ 1.5); "
          f"due → claimed by the tick {facts['tick']:.2f} s (schedule_lag.py measures that)")
    m = facts["memory"]
    print(f"worker memory, peak ({m['processes']} processes: parent, pool, beat): "
          f"parent RSS {m['parent'] / 1024:.0f} MB, "
          f"largest child RSS {m['child'] / 1024:.0f} MB, sum RSS {m['rss_sum'] / 1024:.0f} MB, "
          f"sum PSS {m['pss_sum'] / 1024:.0f} MB (target ≤ 150 MB)")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=10_000)
    parser.add_argument("--channels", type=int, default=300)
    parser.add_argument("--kinds", default=",".join(PLATFORM_KINDS), help="comma-separated sandbox kinds")
    parser.add_argument("--latency", type=float, default=0.02, help="seconds the fakes wait before each answer")
    parser.add_argument("--concurrency", type=int, default=4, help="worker pool size = the floor's senders")
    parser.add_argument("--pool", default="prefork", choices=("prefork", "threads"))
    parser.add_argument("--tick", type=float, default=None, help="LOA_TICK_SECONDS (default: Loa's)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 600 deliveries over 30 channels")
    args = parser.parse_args()
    if args.quick:
        args.deliveries, args.channels = 600, 30
    args.kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    if not set(args.kinds) <= set(PLATFORM_KINDS):
        parser.error(f"--kinds: choose among {', '.join(PLATFORM_KINDS)}")
    return args


def main() -> int:
    args = parse_args()
    recreate_database(DB_NAME)
    sandbox, url = start_sandbox()
    data_dir = None
    try:
        data_dir = setup_django(DB_NAME, REDIS_URL, args.tick)
        print(f"setting up {args.channels} channels and {args.deliveries} deliveries…", file=sys.stderr)
        unit, author, approver = org()
        channels = add_channels(unit, url, args.kinds, args.channels, args.latency, lift=True)
        posts = make_deliveries(unit, author, approver, channels, args.deliveries)
        print(f"publishing ({load()})…", file=sys.stderr)
        loa, facts = loa_phase(args, args.deliveries, data_dir / "worker.log", sandbox.pid)
        log = platform_log(url, args.kinds)
        calls = [replayable(entry, url) for entry in log]
        print(f"the floor: {len(calls)} calls ({load()})…", file=sys.stderr)
        runs = [loa, floor(f"floor: the same calls, latency {args.latency * 1000:.0f} ms", calls, args.concurrency,
                           sandbox.pid)]
        set_latency(url, 0.0)
        runs.append(floor("floor: the same calls, no latency (sandbox's own pace)", calls, args.concurrency,
                          sandbox.pid))
        report(args, args.deliveries, posts, runs, facts, log)
    finally:
        clean_up(sandbox, DB_NAME, REDIS_URL, data_dir)
    return 0


def clean_up(sandbox: subprocess.Popen, db_name: str, redis_url: str, data_dir: Path | None) -> None:
    """Stop the sandbox, drop the database, empty the Redis db; the data dir (and the worker's log)
    stays only when the run failed."""
    stop_process(sandbox)
    if "django" in sys.modules:
        from django.db import connections

        connections.close_all()
    drop_database(db_name)
    redis.Redis.from_url(redis_url).flushdb()
    if data_dir is not None and sys.exc_info()[0] is None:
        shutil.rmtree(data_dir, ignore_errors=True)
    elif data_dir is not None:
        print(f"the worker's log is kept in {data_dir}", file=sys.stderr)


if __name__ == "__main__":
    if sys.argv[1:2] == ["_sandbox"]:
        serve_sandbox()
    elif sys.argv[1:2] == ["_worker"]:
        run_worker(sys.argv[2:])
    else:
        sys.exit(main())
