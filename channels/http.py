"""The one HTTP seam for adapters that speak HTTP themselves: timeouts on every call, and
tokens redacted from anything that could reach a log or an error message."""

from __future__ import annotations

import logging
import re
from typing import Iterable

import requests

DEFAULT_TIMEOUT = (5.0, 20.0)  # connect, read: a read timeout after sending is an unknown outcome

log = logging.getLogger("loa.channels.http")


def redact(text: str, secrets: Iterable[str]) -> str:
    """Replace every secret (and anything that looks like a bot token) with '***'."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return re.sub(r"\d{6,}:[A-Za-z0-9_-]{20,}", "***", text)


def session() -> requests.Session:
    s = requests.Session()
    s.headers["User-Agent"] = "Loa/0.1 (+https://github.com/loa)"
    return s
