"""The chaos run: publish N deliveries through real workers while killing them, the broker and their
database connections, then check every delivery against what the fake platforms show.

1. A private redis-server (broker and rate limits), the sandbox on loopback with latency on every
   channel and some channels answering their next post with a 5xx after accepting it.
2. N approved posts due over a window; `workers` Celery workers and one beat publish them.
3. While they do: a worker's process group (or one pool child) SIGKILLed at random intervals and
   replaced, Redis killed and restarted empty once, the workers' PostgreSQL backends terminated once.
4. Then nothing is broken any more and the system settles by itself: the tick re-dispatches what the
   broker lost (after claim.REDISPATCH_AFTER), the beat's reaper turns `sending` into `unconfirmed`.
   The workers stop, and reconciliation (the beat's task, called here so as not to wait a minute)
   runs until it finds nothing more.
5. Each delivery is judged (verdict.py) from its row and the fakes' state.
"""

from __future__ import annotations

import random
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import psycopg
from django.db import connection
from django.utils import timezone

from bot.channel_config import adapter_for
from bot.models import AuditEntry, Channel, Delivery
from bot.publishing import states
from bot.publishing.reaper import reconcile
from channels import registry
from channels.base import Message
from channels.sandbox.app import Sandbox, fake_class_for
from channels.sandbox.client import SandboxClient
from channels.sandbox.server import SandboxServer
from tests.chaos import world
from tests.chaos.cluster import Cluster, RedisServer
from tests.chaos.platforms import VIEWS
from tests.chaos.verdict import Observed, Verdict

WORKER_APP = "loa-chaos-worker"  # PGAPPNAME of the workers: how their backends are told from ours
TOKEN_RE = re.compile(r"\[chaos-[0-9a-f]+-\d{5}\]")
IN_FLIGHT = (states.SCHEDULED, states.QUEUED, states.SENDING)
BOOT_SECONDS = 4.0  # the first deliveries fall due once the workers have had time to start


@dataclass(frozen=True)
class Plan:
    deliveries: int = 200
    window: float = 30.0  # seconds over which the deliveries fall due
    chaos: float = 40.0  # seconds of breaking things, from the first due time
    kill_every: float = 6.0  # mean seconds between kills, each interval drawn from 0.5x to 1.5x this
    child_every: int = 3  # every third kill takes one pool child (its task dies) instead of a whole worker
    redis_outage: float = 3.0  # seconds the broker stays down when it is restarted
    workers: int = 3
    concurrency: int = 2
    tick_seconds: float = 0.5
    sending_timeout: float = 10.0  # the reaper's bound on `sending`
    settle_timeout: float = 360.0
    seed: int = 0
    faults: world.Faults = field(default_factory=world.Faults)

    @classmethod
    def full(cls, seed: int) -> "Plan":
        return cls(deliveries=2000, window=150.0, chaos=180.0, kill_every=3.0, workers=4, concurrency=4,
                   settle_timeout=900.0, seed=seed)


@dataclass
class Events:
    worker_kills: int = 0
    child_kills: int = 0
    redis_restarts: int = 0
    redis_down: float = 0.0
    pg_terminated: int = 0
    armed_5xx: int = 0
    fired_5xx: int = 0
    beat_restarts: int = 0
    self_exits: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (f"{self.worker_kills} workers SIGKILLed (whole process group), {self.child_kills} pool children "
                f"SIGKILLed, Redis restarted empty {self.redis_restarts}x (down {self.redis_down:.1f} s), "
                f"{self.pg_terminated} worker PostgreSQL backends terminated, 5xx after accepting: "
                f"{self.fired_5xx} of {self.armed_5xx} armed fired; {len(self.self_exits)} processes exited "
                f"without our kill (restarted)")


@dataclass
class Report:
    plan: Plan
    shares: list[world.Share]
    events: Events
    verdict: Verdict
    timings: dict[str, float]
    settled: bool
    through_unconfirmed: int
    evidence: list[str]

    def text(self) -> str:
        mix = ", ".join(f"{s.kind} {s.deliveries} on {s.channels}" for s in self.shares)
        p = self.plan
        lines = [
            f"chaos run, seed {p.seed}: {p.deliveries} deliveries due over {p.window:.0f} s ({mix} channels)",
            f"{p.workers} workers x {p.concurrency} processes + 1 beat; tick {p.tick_seconds} s; reaper after "
            f"{p.sending_timeout:.0f} s; a kill every {p.kill_every:.0f} s on average for {p.chaos:.0f} s",
            "events: " + self.events.line(),
            "times: " + ", ".join(f"{k} {v:.0f} s" for k, v in self.timings.items())
            + ("" if self.settled else " (did NOT settle before the deadline)"),
            "",
            self.verdict.table(),
            "",
            f"passed through unconfirmed: {self.through_unconfirmed}; duplicates: {self.verdict.duplicates}; "
            f"silent losses: {self.verdict.losses}",
        ]
        exits = ["", "exited without our kill:", *(f"  {e}" for e in self.events.self_exits)] \
            if self.events.self_exits else []
        return "\n".join(lines + exits + self.evidence)


def run(plan: Plan, *, unit, author, approver, base_env: dict, workdir: Path, say=print) -> Report:
    """Run the whole chaos experiment against the database Django is connected to."""
    rng = random.Random(plan.seed)
    timings, events = {}, Events()
    began = time.monotonic()
    with RedisServer(workdir) as broker, SandboxServer(Sandbox()) as sandbox:
        client = SandboxClient(sandbox.url)
        shares = world.shares(plan.deliveries)
        planned = _seed(plan, shares, rng, client, sandbox.url, unit, author, approver, events)
        timings["seeding"] = time.monotonic() - began
        say(f"chaos: seeded {len(planned)} deliveries in {timings['seeding']:.0f} s; starting the workers")
        env = _worker_env(base_env, broker.url, plan)
        with Cluster(env, workdir, plan.workers, plan.concurrency) as cluster:
            world.schedule(planned, timezone.now() + timedelta(seconds=BOOT_SECONDS), plan.window, rng)
            time.sleep(BOOT_SECONDS)  # not synchronisation: the chaos clock starts at the first due time
            mark = time.monotonic()
            _break_things(plan, rng, cluster, broker, events, say)
            timings["chaos"] = time.monotonic() - mark
            mark = time.monotonic()
            settled = _settle(planned, plan.settle_timeout, cluster)
            timings["settling"] = time.monotonic() - mark
            events.beat_restarts, events.self_exits = cluster.beat_restarts, cluster.self_exits
        while reconcile():
            pass
        events.fired_5xx = events.armed_5xx - sum(f["fail_after_accept"] for f in client.info()["faults"].values())
        observed = _observe(planned, client)
    timings["total"] = time.monotonic() - began
    verdict = Verdict.of(observed)
    return Report(plan, shares, events, verdict, timings, settled, _through_unconfirmed(planned),
                  _evidence(verdict))


def _seed(plan, shares, rng, client, sandbox_url, unit, author, approver, events) -> list[world.Planned]:
    run_id = f"{plan.seed & 0xFFFFFF:x}"
    planned = []
    for share in shares:
        channels, armed = world.add_channels(unit, share, client, sandbox_url, rng, plan.faults)
        events.armed_5xx += armed
        planned += world.add_deliveries(share, channels, run_id, len(planned), unit, author, approver)
    return planned


def _worker_env(base_env: dict, broker_url: str, plan: Plan) -> dict:
    return {**base_env, "LOA_BROKER_URL": broker_url, "LOA_REDIS_URL": broker_url,
            "LOA_TICK_SECONDS": str(plan.tick_seconds), "LOA_SENDING_TIMEOUT": str(plan.sending_timeout),
            "LOA_RETRY_BASE_SECONDS": "1", "PGAPPNAME": WORKER_APP}


def _timeline(plan: Plan, rng: random.Random) -> list[tuple[float, str]]:
    """Seconds from the start of the chaos at which to do what, in order."""
    events, at = [], 0.0
    while True:
        at += rng.uniform(0.5, 1.5) * plan.kill_every
        if at >= plan.chaos:
            break
        events.append((at, "child" if len(events) % plan.child_every == plan.child_every - 1 else "worker"))
    events.append((rng.uniform(0.3, 0.45) * plan.chaos, "redis"))
    events.append((rng.uniform(0.55, 0.75) * plan.chaos, "postgres"))
    return sorted(events)


def _break_things(plan: Plan, rng: random.Random, cluster: Cluster, broker: RedisServer, events: Events, say) -> None:
    start = time.monotonic()
    for at, what in _timeline(plan, rng):
        while time.monotonic() - start < at:
            cluster.keep_up()
            time.sleep(0.1)
        if what == "worker":
            cluster.kill_worker(rng)
            events.worker_kills += 1
        elif what == "child":
            events.child_kills += cluster.kill_pool_child(rng)
        elif what == "redis":
            events.redis_down += broker.restart(plan.redis_outage)
            events.redis_restarts += 1
        else:
            events.pg_terminated += terminate_worker_backends()
        say(f"chaos: {time.monotonic() - start:5.1f} s  {what}")
    while time.monotonic() - start < plan.chaos:
        cluster.keep_up()
        time.sleep(0.1)


def terminate_worker_backends(timeout: float = 15.0) -> int:
    """pg_terminate_backend on every backend the workers hold on this database, as soon as there is one
    (Celery closes a worker's connection after each task, so they come and go)."""
    db = connection.settings_dict
    admin = dict(host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, user=db["USER"] or "postgres",
                 dbname="postgres", autocommit=True)
    query = ("SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
             "WHERE datname = %s AND application_name = %s")
    deadline = time.monotonic() + timeout
    with psycopg.connect(**admin) as conn:
        while time.monotonic() < deadline:
            killed = conn.execute(query, (db["NAME"], WORKER_APP)).fetchone()[0]
            if killed:
                return killed
            time.sleep(0.02)
    return 0


def _settle(planned: list[world.Planned], timeout: float, cluster: Cluster) -> bool:
    """Wait until no delivery is scheduled, queued or sending; polled, since there is no event to await."""
    ids = [p.delivery_id for p in planned]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        cluster.keep_up()
        if not Delivery.objects.filter(pk__in=ids, state__in=IN_FLIGHT).exists():
            return True
        time.sleep(1.0)
    return False


def _visible_tokens(client: SandboxClient, kinds: set[str]) -> tuple[Counter, Counter]:
    """(per (channel key, token), per token anywhere): how many publications carry each token."""
    on_channel, anywhere = Counter(), Counter()
    for kind in kinds:
        state = client.state(fake_class_for(registry.adapter_class(kind)).name)
        for key, text in VIEWS[kind].visible(state):
            for token in set(TOKEN_RE.findall(text)):
                on_channel[key, token] += 1
                anywhere[token] += 1
    return on_channel, anywhere


def _observe(planned: list[world.Planned], client: SandboxClient) -> list[Observed]:
    on_channel, anywhere = _visible_tokens(client, {p.channel.kind for p in planned})
    rows = {d.pk: d for d in Delivery.objects.filter(pk__in=[p.delivery_id for p in planned])}
    found = set(AuditEntry.objects.filter(action=f"delivery.{states.SENT}", target__in=_targets(planned),
                                          details__reason="found on the platform").values_list("target", flat=True))
    channels = {c.pk: c for c in Channel.objects.filter(pk__in={p.channel.channel_id for p in planned})}
    observed = []
    for p in planned:
        row, here = rows[p.delivery_id], on_channel[p.channel.key, p.token]
        findable = row.state == states.UNCONFIRMED and here > 0 and _findable(channels[row.channel_id], row)
        observed.append(Observed(p.delivery_id, p.channel.kind, row.state, f"delivery:{p.delivery_id}" in found,
                                 here, anywhere[p.token] - here, findable))
    return observed


def _findable(channel: Channel, row: Delivery) -> bool:
    """Would reconciliation find this post now? (Where it can, it should already have.)"""
    return bool(row.snapshot) and adapter_for(channel).find(Message.from_snapshot(row.snapshot)) is not None


def _targets(planned: list[world.Planned]) -> list[str]:
    return [f"delivery:{p.delivery_id}" for p in planned]


def _through_unconfirmed(planned: list[world.Planned]) -> int:
    return (AuditEntry.objects.filter(action=f"delivery.{states.UNCONFIRMED}", target__in=_targets(planned))
            .values("target").distinct().count())


def _evidence(verdict: Verdict, limit: int = 15) -> list[str]:
    """For each failure (the first `limit`): the delivery's audit trail, oldest first."""
    lines = []
    for o, why in verdict.failures[:limit]:
        trail = AuditEntry.objects.filter(target=f"delivery:{o.delivery_id}").order_by("at", "id")
        steps = "; ".join(f"{e.action} {e.details}" for e in trail)
        row = Delivery.objects.filter(pk=o.delivery_id).values("state", "attempts", "queued_at", "sending_at").get()
        lines.append(f"  {why}: delivery {o.delivery_id} ({o.kind}) {row}, on its channel {o.on_channel}x, "
                     f"elsewhere {o.elsewhere}x; audit: {steps or 'none'}")
    if len(verdict.failures) > limit:
        lines.append(f"  ... and {len(verdict.failures) - limit} more")
    return ["", "failures:", *lines] if lines else []
