"""/healthz: the database, the broker and every channel, cheap enough to poll, never leaking a secret."""

import json

import pytest

from bot.web import health
from tests.integration.conftest import platform_channel, sandbox  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_cache():
    health._cache.clear()
    yield
    health._cache.clear()


def test_all_well_is_200_with_each_check_named(client, platform_channel):
    platform_channel("telegram")
    response = client.get("/healthz")
    body = json.loads(response.content)
    assert response.status_code == 200 and body["status"] == "ok"
    assert body["database"]["ok"] and body["broker"]["ok"]
    assert body["channels"] == {"telegram-test": {"ok": True, "detail": body["channels"]["telegram-test"]["detail"]}}


def test_a_revoked_token_makes_it_degraded_not_down_and_the_token_stays_secret(client, platform_channel, sandbox):
    channel = platform_channel("telegram", token="999:revoked-token-abc")
    response = client.get("/healthz")
    body = json.loads(response.content)
    assert response.status_code == 200 and body["status"] == "degraded"
    assert body["channels"][channel.name]["ok"] is False
    assert "revoked-token-abc" not in response.content.decode()


def test_channel_checks_are_cached_so_polling_does_not_spend_the_platforms_limits(client, platform_channel, sandbox):
    platform_channel("telegram")
    client.get("/healthz")
    calls = len(sandbox.client.requests("telegram"))
    for _ in range(5):
        client.get("/healthz")
    assert len(sandbox.client.requests("telegram")) == calls


def test_an_unreachable_broker_is_503_down(client, settings, monkeypatch):
    import worker

    monkeypatch.setattr(worker.app.conf, "broker_url", "redis://127.0.0.1:1/0")
    response = client.get("/healthz")
    assert response.status_code == 503 and json.loads(response.content)["broker"] == {
        "ok": False, "detail": "broker unavailable"}


def test_a_platform_that_hangs_is_reported_after_the_timeout(client, platform_channel, sandbox, monkeypatch):
    monkeypatch.setattr(health, "CHANNEL_TIMEOUT", 0.5)
    channel = platform_channel("telegram")
    account, pairs = sandbox.sandbox.platforms["telegram"].demo_account(channel.unit.slug, channel.unit.name)
    for chat in account["bots"][0]["chats"]:
        sandbox.client.fault(str(chat["id"]), latency=3)
    sandbox.client.fault(pairs["token"].split(":")[0], latency=3)
    body = json.loads(client.get("/healthz").content)
    assert body["channels"]["telegram-test"] == {"ok": False, "detail": "no answer in time"}
