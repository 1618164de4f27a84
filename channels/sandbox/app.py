"""The sandbox: platform fakes under their path prefixes, and the control surface under /_sandbox/."""

from __future__ import annotations

import importlib
import logging
import time

from channels import registry
from channels.sandbox.core import Faults, Platform, Request, Response, Timeout, json_response

log = logging.getLogger("loa.sandbox")


def fake_class_for(adapter_cls) -> type[Platform] | None:
    """The fake named by an adapter (`Adapter.sandbox_fake = "module:Class"`), if it has one."""
    if not adapter_cls.sandbox_fake:
        return None
    module, _, name = adapter_cls.sandbox_fake.partition(":")
    return getattr(importlib.import_module(module), name)


def fake_classes() -> list[type[Platform]]:
    """The fakes of every registered adapter: the sandbox keeps no list of its own."""
    found = (fake_class_for(registry.adapter_class(kind)) for kind in registry.kinds())
    return [cls for cls in found if cls is not None]


class Sandbox:
    def __init__(self, platforms: list[type[Platform]] | None = None, hold_seconds: float = 30.0):
        self.faults = Faults(hold_seconds=hold_seconds)
        classes = fake_classes() if platforms is None else platforms
        self.platforms: dict[str, Platform] = {cls.name: cls(self.faults) for cls in classes}
        self._by_prefix = {prefix: p for p in self.platforms.values() for prefix in p.prefixes}

    def dispatch(self, request: Request) -> Response:
        head, _, rest = request.path.lstrip("/").partition("/")
        if head == "_sandbox":
            return self._control(request.method, rest.strip("/"), request)
        platform = self._by_prefix.get(head)
        if platform is None:
            return json_response({"error": f"no fake platform at /{head}"}, status=404)
        request.prefix, request.path = head, "/" + rest
        try:
            response = platform.handle(request)
        except Timeout:
            time.sleep(self.faults.hold_seconds)
            return json_response({"error": "timed out"}, status=504)
        return response

    def _control(self, method: str, path: str, request: Request) -> Response:
        parts = path.split("/") if path else []
        data = request.json() if request.body else {}
        if method == "GET" and not parts:
            return json_response({"platforms": sorted(self.platforms), "faults": self.faults.snapshot()})
        if method == "POST" and parts == ["reset"]:
            self.faults.clear()
            for platform in self.platforms.values():
                platform.reset()
            return json_response({"ok": True})
        if parts == ["faults"] and method == "POST":
            key = str(data.pop("key"))
            return json_response({"key": key, **vars(self.faults.set(key, **data))})
        if parts == ["faults"] and method == "DELETE":
            self.faults.clear()
            return json_response({"ok": True})
        if len(parts) == 2 and parts[0] in self.platforms:
            platform = self.platforms[parts[0]]
            with platform.lock:
                if method == "GET" and parts[1] == "state":
                    return json_response(platform.state())
                if method == "GET" and parts[1] == "requests":
                    return json_response(list(platform.requests))
                if method == "POST" and parts[1] == "accounts":
                    return json_response(platform.configure(data))
                if method == "POST" and parts[1] == "inject":
                    return json_response(platform.inject(data))
        return json_response({"error": f"unknown control call {method} /_sandbox/{path}"}, status=404)
