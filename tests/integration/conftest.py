"""A sandbox on loopback and channels of every kind pointing at it."""

import pytest

from bot.channel_config import channel_add
from channels import registry
from channels.sandbox.app import Sandbox, fake_class_for
from channels.sandbox.client import SandboxClient
from channels.sandbox.server import SandboxServer


@pytest.fixture
def sandbox():
    with SandboxServer(Sandbox(hold_seconds=1.0)) as server:
        server.client = SandboxClient(server.url)
        yield server


@pytest.fixture
def platform_channel(sandbox, units):
    """platform_channel("facebook") -> a Channel of that kind on the sandbox, with a matching account."""

    def make(kind: str, **extra):
        adapter_cls = registry.adapter_class(kind)
        fake_cls = fake_class_for(adapter_cls)
        account, pairs = fake_cls.demo_account(units["ward"].slug, units["ward"].name)
        sandbox.client.configure(fake_cls.name, account)
        pairs = {**pairs, **adapter_cls.sandbox_settings(sandbox.url), **extra}
        return channel_add(unit=units["ward"], kind=kind, name=f"{kind}-test", pairs=pairs)

    return make
