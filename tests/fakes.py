"""A fake platform for the queue's tests: strict about what it is asked, scripted in what it answers.

It counts every post it creates by marker, so a test can assert that nothing was published twice.
"""

from __future__ import annotations

from collections import Counter

from channels.base import Adapter, Limits, Message, Published, Setting
from channels.errors import AuthExpired, BadContent, NotCreated, OutcomeUnknown, RateLimited


class Crash(BaseException):
    """Stands for SIGKILL: not an Exception, so nothing in the publisher can catch it."""


class ScriptedPlatform(Adapter):
    kind = "scripted"
    can_find = True
    label = "Scripted fake platform"
    limits = Limits(text_chars=500)
    settings_schema = (Setting("token", "API token", required=True, secret=True),)

    created: Counter = Counter()
    calls: list[str] = []
    script: list[str] = []  # one answer per call: ok, rate, notcreated, auth, bad, crash-before, unknown, boom, crash-after

    @classmethod
    def reset(cls, script=()):
        cls.created = Counter()
        cls.calls = []
        cls.script = list(script)

    def publish(self, message: Message) -> Published:
        assert self.config.get("token") == "t0ps3cret", "the adapter must receive the decrypted token"
        self.calls.append(message.marker)
        answer = self.script.pop(0) if self.script else "ok"
        if answer == "rate":
            raise RateLimited("slow down", retry_after=42)
        if answer == "notcreated":
            raise NotCreated("connection refused")
        if answer == "auth":
            raise AuthExpired("the token has expired")
        if answer == "bad":
            raise BadContent("the platform refused the text")
        if answer == "crash-before":
            raise Crash()
        if answer in ("unknown", "crash-after", "boom"):
            self.created[message.marker] += 1  # the platform did create it; the answer got lost
            if answer == "unknown":
                raise OutcomeUnknown("timeout after sending")
            if answer == "boom":
                raise ValueError("unexpected")
            raise Crash()
        self.created[message.marker] += 1
        return Published(remote_id=f"r-{message.marker}", permalink=f"https://fake.example/{message.marker}")

    def find(self, message: Message) -> Published | None:
        if self.created[message.marker]:
            return Published(remote_id=f"r-{message.marker}", permalink=f"https://fake.example/{message.marker}")
        return None
