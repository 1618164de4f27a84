"""The channel contract: typed values in and out, and the abstract adapter every platform implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Mapping


@dataclass(frozen=True)
class Setting:
    """One configuration key of a channel kind. Secret settings are stored encrypted by the caller."""

    key: str
    help: str
    required: bool = False
    secret: bool = False


@dataclass(frozen=True)
class Limits:
    """What the platform accepts. `None` means no limit of that kind."""

    text_chars: int | None = None
    caption_chars: int | None = None
    title_chars: int | None = None
    max_images: int = 0
    image_formats: tuple[str, ...] = ()
    image_bytes: int | None = None


@dataclass(frozen=True)
class Image:
    path: Path
    mime: str


@dataclass(frozen=True)
class Message:
    """Exactly what one delivery sends. `marker` identifies it on the platform for reconciliation."""

    marker: str
    text: str
    title: str = ""
    kind: str = ""
    link: str = ""
    images: tuple[Image, ...] = ()

    def snapshot(self) -> dict[str, Any]:
        """A JSON-able record of what was sent, kept on the delivery."""
        return {
            "marker": self.marker,
            "kind": self.kind,
            "title": self.title,
            "text": self.text,
            "link": self.link,
            "images": [{"path": str(i.path), "mime": i.mime} for i in self.images],
        }


@dataclass(frozen=True)
class Published:
    remote_id: str
    permalink: str = ""
    marker: str = ""


@dataclass(frozen=True)
class Health:
    ok: bool
    detail: str = ""


@dataclass(frozen=True)
class ChannelConfig:
    """Settings and decrypted secrets, passed in by the caller; adapters never read storage."""

    name: str
    settings: Mapping[str, str] = field(default_factory=dict)
    secrets: Mapping[str, str] = field(default_factory=dict)

    def get(self, key: str, default: str = "") -> str:
        if key in self.secrets:
            return self.secrets[key]
        return self.settings.get(key, default)


class Adapter(ABC):
    """One platform. Subclasses set the class attributes and implement `publish`.

    `publish` is called at most once per attempt and must raise one of `channels.errors`;
    it must never retry a request whose outcome it does not know.
    """

    kind: ClassVar[str]
    label: ClassVar[str]
    limits: ClassVar[Limits] = Limits()
    settings_schema: ClassVar[tuple[Setting, ...]] = ()

    def __init__(self, config: ChannelConfig):
        self.config = config

    @abstractmethod
    def publish(self, message: Message) -> Published:
        """Create the post on the platform once; return its remote id and permalink."""

    def find(self, marker: str) -> Published | None:
        """Look the marker up among recent posts; None when absent or when the platform cannot list."""
        return None

    def health(self) -> Health:
        """Whether the channel can publish right now (token valid, bot admin, quota left)."""
        return Health(ok=True)

    @classmethod
    def setting(cls, key: str) -> Setting | None:
        return next((s for s in cls.settings_schema if s.key == key), None)
