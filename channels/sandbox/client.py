"""A small client of the sandbox's control surface, for tests, the demo and training scripts."""

from __future__ import annotations

import requests


class SandboxClient:
    def __init__(self, url: str, timeout: float = 10.0):
        self.url = url.rstrip("/")
        self.timeout = timeout

    def _call(self, method: str, path: str, json=None):
        response = requests.request(method, f"{self.url}/_sandbox/{path}", json=json, timeout=self.timeout)
        response.raise_for_status()
        return response.json()

    def info(self) -> dict:
        return self._call("GET", "")

    def reset(self) -> None:
        self._call("POST", "reset")

    def fault(self, key: str, **plan) -> dict:
        """plan: latency (s), timeouts, fail_after_accept, rate_limit, server_errors (counts)."""
        return self._call("POST", "faults", {"key": str(key), **plan})

    def clear_faults(self) -> None:
        self._call("DELETE", "faults")

    def configure(self, platform: str, data: dict) -> dict:
        return self._call("POST", f"{platform}/accounts", data)

    def state(self, platform: str) -> dict:
        return self._call("GET", f"{platform}/state")

    def requests(self, platform: str) -> list[dict]:
        return self._call("GET", f"{platform}/requests")

    def inject(self, platform: str, data: dict) -> dict:
        return self._call("POST", f"{platform}/inject", data)
