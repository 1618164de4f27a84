"""The one table of channel kinds. Everything else asks this module; no kind is listed elsewhere."""

from __future__ import annotations

from channels.base import Adapter
from channels.facebook import FacebookAdapter
from channels.outbox import OutboxAdapter
from channels.telegram import TelegramAdapter
from channels.zalo import ZaloAdapter

REGISTRY: dict[str, type[Adapter]] = {
    OutboxAdapter.kind: OutboxAdapter,
    FacebookAdapter.kind: FacebookAdapter,
    ZaloAdapter.kind: ZaloAdapter,
    TelegramAdapter.kind: TelegramAdapter,
}


class UnknownKind(LookupError):
    pass


def kinds() -> list[str]:
    return sorted(REGISTRY)


def adapter_class(kind: str) -> type[Adapter]:
    try:
        return REGISTRY[kind]
    except KeyError:
        raise UnknownKind(
            f"unknown channel kind {kind!r}; known kinds: {', '.join(kinds())}"
        ) from None


def register(cls: type[Adapter]) -> type[Adapter]:
    """Add a kind at run time (plugins, tests' fake platforms). Refuses to shadow an existing kind."""
    if cls.kind in REGISTRY and REGISTRY[cls.kind] is not cls:
        raise ValueError(f"channel kind {cls.kind!r} is already registered")
    REGISTRY[cls.kind] = cls
    return cls


def unregister(kind: str) -> None:
    REGISTRY.pop(kind, None)
