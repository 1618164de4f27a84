"""Outbox: writes each published message as JSON (plus its images) into a folder.

Real and useful on its own: previews, printing, archiving, the electronic boards at the one-stop
office. The JSON file appears by an atomic rename, so it is either complete or absent; that
makes `find` exact and a repeated publish of the same marker a no-op rather than a duplicate.
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import datetime, timezone
from pathlib import Path

from channels.base import Adapter, Health, Limits, Message, Published, Setting
from channels.errors import BadContent, NotCreated


class OutboxAdapter(Adapter):
    kind = "outbox"
    can_find = True
    label = "Outbox folder"
    limits = Limits(max_images=10, image_formats=("image/jpeg", "image/png"))
    settings_schema = (
        Setting("path", "Folder the messages are written to (created when missing).", required=True),
    )

    @classmethod
    def sandbox_settings(cls, sandbox_url: str) -> dict[str, str]:
        return {"path": "outbox"}  # a folder needs no fake: the demo writes to the data dir's outbox

    @property
    def folder(self) -> Path:
        return Path(self.config.get("path"))

    def _json_path(self, marker: str) -> Path:
        if not marker or "/" in marker or marker.startswith("."):
            raise BadContent(f"invalid message marker {marker!r}")
        return self.folder / f"{marker}.json"

    def publish(self, message: Message) -> Published:
        target = self._json_path(message.marker)
        if target.exists():
            return self._published(message.marker)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            image_names = self._copy_images(message)
        except OSError as exc:
            raise NotCreated(f"the outbox folder {self.folder} cannot be written: {exc.strerror}") from exc
        record = {
            "marker": message.marker,
            "channel": self.config.name,
            "kind": message.kind,
            "title": message.title,
            "text": message.text,
            "link": message.link,
            "images": image_names,
            "published_at": datetime.now(timezone.utc).isoformat(),
        }
        self._write_atomically(target, json.dumps(record, ensure_ascii=False, indent=2))
        return self._published(message.marker)

    def _copy_images(self, message: Message) -> list[str]:
        names = []
        for n, image in enumerate(message.images, start=1):
            name = f"{message.marker}-{n}{Path(image.path).suffix.lower()}"
            shutil.copyfile(image.path, self.folder / name)
            names.append(name)
        return names

    def _write_atomically(self, target: Path, text: str) -> None:
        part = target.with_name(target.name + ".part")
        try:
            with open(part, "w", encoding="utf-8") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(part, target)
        except OSError as exc:
            # The rename is the commit point: before it, nothing is published.
            if target.exists():
                return
            part.unlink(missing_ok=True)
            raise NotCreated(f"the outbox file {target.name} could not be written: {exc.strerror}") from exc

    def _published(self, marker: str) -> Published:
        path = self._json_path(marker).resolve()
        return Published(remote_id=marker, permalink=path.as_uri(), marker=marker)

    def find(self, message: Message) -> Published | None:
        return self._published(message.marker) if self._json_path(message.marker).exists() else None

    def health(self) -> Health:
        folder = self.folder
        probe = folder if folder.exists() else folder.parent
        if folder.exists() and not folder.is_dir():
            return Health(False, f"{folder} is a file, not a folder")
        if not os.access(probe, os.W_OK):
            return Health(False, f"{probe} is not writable")
        return Health(True, str(folder))
