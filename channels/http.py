"""The one HTTP seam for adapters that speak HTTP themselves: timeouts on every call, and
tokens redacted from anything that could reach a log or an error message."""

from __future__ import annotations

import logging
import re
import ssl
import threading
from typing import Iterable

import certifi
import requests

DEFAULT_TIMEOUT = (5.0, 20.0)  # connect, read: a read timeout after sending is an unknown outcome

log = logging.getLogger("loa.channels.http")


def redact(text: str, secrets: Iterable[str]) -> str:
    """Replace every secret (and anything that looks like a bot token) with '***'."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return re.sub(r"\d{6,}:[A-Za-z0-9_-]{20,}", "***", text)


_tls_lock = threading.Lock()
_tls: ssl.SSLContext | None = None


def tls_context() -> ssl.SSLContext:
    """One client TLS context per process, with certifi's CA bundle, for every httpx client.

    httpx builds a new context for each client it makes, loading the whole CA bundle (~25 ms of
    CPU), and each Telegram publish makes two clients: that was 80 % of a Telegram publish's CPU
    (docs/performance.md). An SSLContext is safe to share between threads and connections."""
    global _tls
    with _tls_lock:
        if _tls is None:
            _tls = ssl.create_default_context(cafile=certifi.where())
        return _tls


def session() -> requests.Session:
    s = requests.Session()
    s.headers["User-Agent"] = "Loa/0.1 (+https://github.com/loa)"
    return s
