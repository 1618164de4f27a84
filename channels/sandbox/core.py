"""The sandbox's plumbing: requests and responses, fault injection, the request log, routing.

Platform fakes subclass `Platform` and implement `handle(request)`; they keep their own state
under `self.lock`. The control surface lets tests and the demo configure accounts, inject faults
and citizen replies, and read what was posted.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qs


@dataclass
class UploadedFile:
    filename: str
    content_type: str
    content: bytes


@dataclass
class Request:
    method: str
    path: str  # below the platform's prefix, e.g. "/v24.0/123/feed"
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes
    form: dict[str, str] = field(default_factory=dict)
    files: dict[str, UploadedFile] = field(default_factory=dict)
    prefix: str = ""  # which of the platform's prefixes the request came in on

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))

    def params(self) -> dict[str, str]:
        """Query, form and (for JSON bodies) top-level JSON fields together, later ones winning."""
        merged = dict(self.query)
        merged.update(self.form)
        if self.content_type.startswith("application/json") and self.body:
            data = self.json()
            if isinstance(data, dict):
                merged.update(data)
        return merged

    def log_entry(self) -> dict:
        return {
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "form": self.form,
            "json": self.json() if self.content_type.startswith("application/json") and self.body else None,
            "files": {k: {"filename": f.filename, "content_type": f.content_type, "size": len(f.content)}
                      for k, f in self.files.items()},
            "headers": {k: v for k, v in self.headers.items() if k in LOGGED_HEADERS},
            "prefix": self.prefix,
            "at": time.time(),
        }


LOGGED_HEADERS = {"content-type", "access_token", "secret_key", "appsecret_proof"}


@dataclass
class Response:
    status: int
    body: bytes
    headers: list[tuple[str, str]] = field(default_factory=list)


class Timeout(Exception):
    """Raised by a fault to make the server hold the connection without answering (client times out)."""


def json_response(data: Any, status: int = 200, headers: list[tuple[str, str]] | None = None) -> Response:
    body = json.dumps(data, ensure_ascii=False).encode("utf-8")
    return Response(status, body, [("Content-Type", "application/json; charset=UTF-8"), *(headers or [])])


def parse_body(headers: dict[str, str], body: bytes) -> tuple[dict[str, str], dict[str, UploadedFile]]:
    ctype = headers.get("content-type", "")
    if ctype.startswith("application/x-www-form-urlencoded"):
        return {k: v[-1] for k, v in parse_qs(body.decode("utf-8"), keep_blank_values=True).items()}, {}
    if ctype.startswith("multipart/form-data"):
        message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + body)
        form, files = {}, {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True) or b""
            if part.get_filename() is not None:
                files[name] = UploadedFile(part.get_filename(), part.get_content_type(), payload)
            else:
                form[name] = payload.decode(part.get_content_charset() or "utf-8")
        return form, files
    return {}, {}


@dataclass
class FaultPlan:
    """Faults for one key (a chat id, a page id, an OA id). Counters decrease as they fire."""

    latency: float = 0.0
    timeouts: int = 0  # hold the next N requests without an answer
    fail_after_accept: int = 0  # accept the next N posts, then answer 500
    rate_limit: int = 0  # answer the next N requests with the platform's rate-limit error
    server_errors: int = 0  # answer the next N requests with 500 before doing anything


class Faults:
    """Fault injection shared by all fakes, keyed by whatever identifies a channel on its platform."""

    def __init__(self, hold_seconds: float = 30.0):
        self._plans: dict[str, FaultPlan] = {}
        self._lock = threading.Lock()
        self.hold_seconds = hold_seconds

    def set(self, key: str, **values) -> FaultPlan:
        with self._lock:
            plan = FaultPlan(**values)
            self._plans[str(key)] = plan
            return plan

    def clear(self) -> None:
        with self._lock:
            self._plans.clear()

    def _take(self, key: str, counter: str) -> bool:
        with self._lock:
            plan = self._plans.get(str(key))
            if plan is None or getattr(plan, counter) <= 0:
                return False
            setattr(plan, counter, getattr(plan, counter) - 1)
            return True

    def before(self, key: str) -> str | None:
        """Apply latency; return 'timeout', 'rate_limit' or 'server_error' when that fault fires."""
        plan = self._plans.get(str(key))
        if plan is not None and plan.latency:
            time.sleep(plan.latency)
        for counter, verdict in (("timeouts", "timeout"), ("rate_limit", "rate_limit"), ("server_errors", "server_error")):
            if self._take(key, counter):
                return verdict
        return None

    def fail_after_accept(self, key: str) -> bool:
        return self._take(key, "fail_after_accept")

    def snapshot(self) -> dict:
        with self._lock:
            return {k: vars(v).copy() for k, v in self._plans.items()}


class Platform:
    """Base of a platform fake: a name, its path prefixes, state behind a lock, a request log."""

    name: str = ""
    prefixes: tuple[str, ...] = ()

    def __init__(self, faults: Faults):
        self.faults = faults
        self.lock = threading.RLock()
        self.requests: list[dict] = []
        self.threads: list[threading.Thread] = []  # webhook deliveries under way

    def settle(self, timeout: float = 10.0) -> None:
        """Wait (in process) until every webhook delivery under way has been delivered or dropped."""
        with self.lock:
            threads = list(self.threads)
        for thread in threads:
            thread.join(timeout)
        with self.lock:
            self.threads = [t for t in self.threads if t.is_alive()]

    def handle(self, request: Request) -> Response:
        raise NotImplementedError

    def configure(self, data: dict) -> dict:
        """Control surface: add accounts (tokens, chats, pages, OAs). Returns what was configured."""
        raise NotImplementedError

    def state(self) -> dict:
        """Control surface: everything posted, as JSON."""
        raise NotImplementedError

    @classmethod
    def demo_account(cls, slug: str, title: str) -> tuple[dict, dict[str, str]]:
        """A ready account for the demo and training: (data for `configure`, the channel's settings
        and secrets, as for `loa channel add --set`), named after the unit `slug` / `title`."""
        raise NotImplementedError

    def inject(self, data: dict) -> dict:
        """Control surface: a citizen's reply or message arrives on the platform."""
        return {"error": "not supported"}

    def reset(self) -> None:
        with self.lock:
            self.requests.clear()
