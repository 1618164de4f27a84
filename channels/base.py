"""The channel contract: typed values in and out, and the abstract adapter every platform implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, ClassVar, Mapping, Protocol

from channels.errors import BadContent


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
    card_size: tuple[int, int] = (1080, 1080)  # the shape of image cards that suit the platform


@dataclass(frozen=True)
class Image:
    """A picture to send. `url` is a public address of the same file, for platforms that fetch
    images themselves (Zalo article covers); empty when Loa has none."""

    path: Path
    mime: str
    url: str = ""


@dataclass(frozen=True)
class Message:
    """Exactly what one delivery sends. `marker` identifies it on the platform for reconciliation."""

    marker: str
    text: str
    title: str = ""
    kind: str = ""
    link: str = ""
    images: tuple[Image, ...] = ()
    text_format: str = "plain"  # "plain", or "html" (Telegram's HTML subset, already escaped)
    summary: str = ""  # a short description where the platform wants one (Zalo article, ≤ 300)

    def snapshot(self) -> dict[str, Any]:
        """A JSON-able record of what was sent, kept on the delivery."""
        return {
            "marker": self.marker,
            "kind": self.kind,
            "title": self.title,
            "text": self.text,
            "text_format": self.text_format,
            "summary": self.summary,
            "link": self.link,
            "images": [{"path": str(i.path), "mime": i.mime, "url": i.url} for i in self.images],
        }

    @classmethod
    def from_snapshot(cls, data: dict[str, Any]) -> "Message":
        images = tuple(Image(Path(i["path"]), i["mime"], i.get("url", "")) for i in data.get("images", ()))
        fields = {k: data[k] for k in ("kind", "title", "text", "text_format", "summary", "link") if k in data}
        return cls(marker=data["marker"], images=images, **fields)


@dataclass(frozen=True)
class Published:
    """The platform's answer. `pause_seconds` > 0 asks the caller to slow this channel down
    (e.g. Facebook usage headers near their limit) before the platform starts refusing."""

    remote_id: str
    permalink: str = ""
    marker: str = ""
    pause_seconds: float = 0.0


@dataclass(frozen=True)
class Reply:
    """Something a citizen wrote to us on the platform: a comment, a message, a thread reply.

    `remote_id` is unique per channel (so a reply seen by a webhook and by polling is one);
    `in_reply_to` is the platform id of our published post it answers (a Delivery's remote_id),
    when the platform says; `answer_to` is what `Adapter.reply(to, …)` needs to answer it.
    `author_id` is the platform's id for the person, pseudonymised by the caller before storing.
    """

    remote_id: str
    text: str
    author_id: str
    author_name: str = ""
    received_at: float = 0.0  # epoch seconds
    in_reply_to: str = ""
    answer_to: str = ""
    kind: str = "comment"  # comment | message | follow | unfollow
    attachments: tuple[str, ...] = ()  # URLs or platform file ids


@dataclass(frozen=True)
class ThreadLink:
    """Telegram only: our channel post `post_id` was copied into the discussion group as message
    `thread_id`; comments replying to `thread_id` answer the post. Caught live, never listed later."""

    post_id: str
    thread_id: str


@dataclass(frozen=True)
class Health:
    ok: bool
    detail: str = ""


@dataclass(frozen=True)
class Rate:
    """A published platform limit: at most `count` calls per `seconds`, per `scope`.

    scope "channel": one chat/page/OA; scope "platform": every channel of the kind together
    (e.g. one bot token's global limit is approximated per kind)."""

    scope: str
    count: int
    seconds: float
    burst: int = 1  # how many may go back to back; 1 = evenly spaced, the safest against sliding windows


class CredentialStore(Protocol):
    """Where rotating credentials live (Zalo's single-use refresh tokens). Implemented by the caller.

    `locked()` serialises across every process: inside it, `secrets` are re-read fresh from
    storage and `save(updates)` persists new values durably before returning.
    """

    def locked(self) -> AbstractContextManager[tuple[Mapping[str, str], Callable[[Mapping[str, str]], None]]]: ...


@dataclass(frozen=True)
class ChannelConfig:
    """Settings and decrypted secrets, passed in by the caller; adapters never read storage."""

    name: str
    settings: Mapping[str, str] = field(default_factory=dict)
    secrets: Mapping[str, str] = field(default_factory=dict)
    store: CredentialStore | None = None

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
    rates: ClassVar[tuple[Rate, ...]] = ()
    # True when `find` can really look a post up; reconciliation asks only such platforms, so the
    # unsearchable ones (left to an officer) never crowd out a post that could be found.
    can_find: ClassVar[bool] = False
    # "module:Class" of this platform's fake in channels/sandbox/, so the sandbox needs no list of its own.
    sandbox_fake: ClassVar[str] = ""

    @classmethod
    def sandbox_settings(cls, sandbox_url: str) -> dict[str, str]:
        """The settings that point this adapter at a sandbox served at `sandbox_url`."""
        return {}

    def __init__(self, config: ChannelConfig):
        self.config = config

    @abstractmethod
    def publish(self, message: Message) -> Published:
        """Create the post on the platform once; return its remote id and permalink."""

    def find(self, message: Message) -> Published | None:
        """Look for this message among the platform's recent posts (by its marker, or by its exact
        text where the platform shows no marker); None when absent or when the platform cannot list.
        Used to reconcile unconfirmed deliveries."""
        return None

    @classmethod
    def check(cls, message: Message) -> None:
        """Raise BadContent if the platform would refuse this message, before anything is sent
        (used at submit and approval time, so an oversized text is refused then, not at 3 a.m.)."""
        limit = cls.limits.text_chars
        if limit is not None and len(message.text) > limit:
            raise BadContent(
                f"The text is {len(message.text)} characters; {cls.label} accepts {limit} ({len(message.text) - limit} too many)."
            )
        limit = cls.limits.title_chars
        if limit is not None and len(message.title) > limit:
            raise BadContent(
                f"The title is {len(message.title)} characters; {cls.label} accepts {limit} ({len(message.title) - limit} too many)."
            )

    @property
    def settings_changes(self) -> dict[str, str]:
        """Settings the platform changed during the last call (e.g. a Telegram group's new chat id),
        for the caller to persist."""
        return {}

    def cost(self, message: Message) -> int:
        """How many platform calls of the rate-limited kind publishing this message makes."""
        return 1

    def reply(self, to: str, text: str) -> Published:
        """Answer a citizen (a comment, a message) on this platform."""
        raise NotImplementedError(f"{self.kind} cannot reply yet")

    def fetch_replies(self, cursor: str, recent_posts: tuple[str, ...] = ()) -> tuple[list, str]:
        """Poll for what citizens wrote since `cursor` (opaque, stored by the caller; "" = start);
        `recent_posts` are the remote ids of our recent posts, for platforms that list per post.
        Returns ([Reply | ThreadLink, ...], new cursor)."""
        return [], cursor

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> bool:
        """True only when the request provably comes from the platform (signature, secret token).
        Must be checked before anything of the body is stored. Header names are lower-case."""
        return False

    @classmethod
    def webhook_routes(cls, body: bytes) -> list[tuple[str, str]]:
        """For a shared webhook URL: (setting key, value) pairs naming the channels a body is for
        (e.g. ("page_id", "123")), read before any verification; [] when the body names none."""
        return []

    @classmethod
    def webhook_handshake(cls, query: Mapping[str, str], configs: list[ChannelConfig]) -> str | None:
        """A GET verification handshake (Facebook's hub.challenge): the text to answer, or None."""
        return None

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> list:
        """[Reply | ThreadLink, ...] from a verified webhook body; BadContent when it is malformed."""
        return []

    def health(self) -> Health:
        """Whether the channel can publish right now (token valid, bot admin, quota left)."""
        return Health(ok=True)

    @classmethod
    def setting(cls, key: str) -> Setting | None:
        return next((s for s in cls.settings_schema if s.key == key), None)
