"""Rotating channel credentials (Zalo's single-use refresh tokens), serialised across processes.

A refresh holds a lock for the channel that spans the platform call: PostgreSQL advisory lock on
the session (released by the server if the process dies), or a file lock on the embedded
defaults (released by the kernel). `save` commits at once, in its own short transaction, so the
new pair is durable before the adapter uses the new access token, even if the process is killed
a moment later.
"""

from __future__ import annotations

import fcntl
import time
from contextlib import contextmanager
from typing import Iterator, Mapping

from django.conf import settings as django_settings
from django.db import connection, transaction

from bot.crypto import decrypt_json, encrypt_json
from bot.models import Channel
from channels import registry

ADVISORY_NAMESPACE = 0x10A  # first key of pg_advisory_lock(int, int): "Loa credential refresh"
LOCK_TIMEOUT = 120.0


class LockTimeout(Exception):
    pass


class ChannelCredentialStore:
    def __init__(self, channel_id: int):
        self.channel_id = channel_id

    @contextmanager
    def locked(self) -> Iterator[tuple[dict, callable]]:
        with self._cross_process_lock():
            yield self._read(), self._save

    def _read(self) -> dict:
        channel = Channel.objects.get(pk=self.channel_id)
        return {**channel.settings, **decrypt_json(channel.secrets_encrypted)}

    def _save(self, updates: Mapping[str, str]) -> None:
        with transaction.atomic():
            channel = Channel.objects.select_for_update().get(pk=self.channel_id)
            kind_cls = registry.adapter_class(channel.kind)
            secrets = decrypt_json(channel.secrets_encrypted)
            for key, value in updates.items():
                setting = kind_cls.setting(key)
                target = secrets if setting is not None and setting.secret else channel.settings
                target[key] = str(value)
            channel.secrets_encrypted = encrypt_json(secrets)
            channel.save(update_fields=["settings", "secrets_encrypted"])

    @contextmanager
    def _cross_process_lock(self):
        if connection.vendor == "postgresql":
            with self._advisory_lock():
                yield
        else:
            with self._file_lock():
                yield

    @contextmanager
    def _advisory_lock(self):
        deadline = time.monotonic() + LOCK_TIMEOUT
        with connection.cursor() as cursor:
            while True:
                cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [ADVISORY_NAMESPACE, self.channel_id])
                if cursor.fetchone()[0]:
                    break
                if time.monotonic() > deadline:
                    raise LockTimeout(f"channel {self.channel_id}: credential lock not obtained in {LOCK_TIMEOUT:.0f} s")
                time.sleep(0.05)
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [ADVISORY_NAMESPACE, self.channel_id])

    @contextmanager
    def _file_lock(self):
        folder = django_settings.LOA.data_dir / "locks"
        folder.mkdir(exist_ok=True)
        with open(folder / f"channel-{self.channel_id}.lock", "w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
