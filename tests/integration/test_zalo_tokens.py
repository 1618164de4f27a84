"""Zalo's single-use refresh tokens across processes: eight workers needing a refresh at the same
moment make exactly one refresh call, and a worker killed mid-refresh leaves a usable pair."""

import multiprocessing
import os
import signal

import pytest

from bot.crypto import decrypt_json
from bot.models import Channel
from channels.sandbox.app import Sandbox
from channels.sandbox.client import SandboxClient
from channels.sandbox.server import SandboxServer
from tests.integration.zalo_procs import check_health
from tests.processes import pg_env, wait_until

pytestmark = [pytest.mark.slow]

PROCESSES = 8


def stored_pair(channel) -> tuple[str, str]:
    secrets = decrypt_json(Channel.objects.get(pk=channel.pk).secrets_encrypted)
    return secrets["access_token"], secrets["refresh_token"]


def test_eight_processes_needing_a_refresh_make_exactly_one_refresh_call(transactional_db, sandbox, platform_channel):
    channel = platform_channel("zalo")
    oa_id = channel.settings["oa_id"]
    sandbox.client.configure("zalo", {"expire_access_token": oa_id})
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(PROCESSES), ctx.Queue()
    url = pg_env()["LOA_DATABASE_URL"]
    procs = [ctx.Process(target=check_health, args=(url, channel.pk, barrier, results)) for _ in range(PROCESSES)]
    for p in procs:
        p.start()
    outcomes = [results.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(30)

    assert all(ok for _, ok, _ in outcomes), outcomes
    oa = sandbox.client.state("zalo")["oas"][oa_id]
    assert oa["refresh_calls"] == 1, oa["refresh_history"]
    assert all(h["ok"] for h in oa["refresh_history"]), "no process presented a dead refresh token"
    assert stored_pair(channel) == (oa["access_token"], oa["refresh_token"])


@pytest.fixture
def slow_sandbox():
    with SandboxServer(Sandbox(hold_seconds=30)) as server:
        server.client = SandboxClient(server.url)
        yield server


def test_a_process_killed_mid_refresh_leaves_the_stored_pair_usable(transactional_db, slow_sandbox, units):
    from bot.channel_config import channel_add
    from channels.sandbox.zalo import ZaloFake
    from channels.zalo import ZaloAdapter

    account, pairs = ZaloFake.demo_account("ben-thanh", "Phường Bến Thành")
    slow_sandbox.client.configure("zalo", account)
    channel = channel_add(unit=units["ward"], kind="zalo", name="zalo-test",
                          pairs={**pairs, **ZaloAdapter.sandbox_settings(slow_sandbox.url), "timeout": "60"})
    before = stored_pair(channel)
    slow_sandbox.client.configure("zalo", {"expire_access_token": pairs["oa_id"]})
    slow_sandbox.client.fault(pairs["app_id"], timeouts=1)  # the refresh is held, not yet processed

    ctx = multiprocessing.get_context("spawn")
    results = ctx.Queue()
    victim = ctx.Process(target=check_health, args=(pg_env()["LOA_DATABASE_URL"], channel.pk, None, results))
    victim.start()
    wait_until(lambda: any(r["prefix"] == "zalo-oauth" for r in slow_sandbox.client.requests("zalo")),
               timeout=60, what="the refresh call to reach Zalo")
    os.kill(victim.pid, signal.SIGKILL)
    victim.join(30)

    assert stored_pair(channel) == before, "nothing half-written"
    survivor = ctx.Process(target=check_health, args=(pg_env()["LOA_DATABASE_URL"], channel.pk, None, results))
    survivor.start()
    _pid, ok, detail = results.get(timeout=120)
    survivor.join(30)
    assert ok, detail
    oa = slow_sandbox.client.state("zalo")["oas"][pairs["oa_id"]]
    assert oa["refresh_calls"] == 1 and stored_pair(channel) == (oa["access_token"], oa["refresh_token"])
