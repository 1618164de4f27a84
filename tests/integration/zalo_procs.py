"""Processes for the Zalo token tests: each sets Django up on the test database and asks the OA
for its health, which needs a fresh access token."""

import os


def _setup(database_url: str) -> None:
    os.environ["LOA_DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "bot.settings"
    import django

    django.setup()


def check_health(database_url: str, channel_id: int, barrier, results) -> None:
    _setup(database_url)
    from bot.channel_config import adapter_for
    from bot.models import Channel

    adapter = adapter_for(Channel.objects.get(pk=channel_id))
    if barrier is not None:
        barrier.wait(timeout=60)
    health = adapter.health()
    results.put((os.getpid(), health.ok, health.detail))
