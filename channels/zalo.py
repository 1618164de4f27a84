"""Zalo Official Account: a post becomes an article broadcast to the OA's followers; replies are CS messages.

Publishing is create → verify (asynchronous, polled) → broadcast (platform-apis §1.3.3, §1.4). The HTTP
transport, the token refresh and the error table live in channels/zalo_api.py; images in zalo_images.py.
"""

from __future__ import annotations

import html
import re
import time
from datetime import datetime
from typing import Callable, Mapping

from channels import zalo_inbound
from channels.base import Adapter, ChannelConfig, Health, Image, Limits, Message, Published, Rate, Setting
from channels.errors import AuthExpired, BadContent, ChannelError, OutcomeUnknown, RateLimited
from channels.zalo_api import (NIGHT_MESSAGE, VIETNAM, StillProcessing, ZaloApi, seconds_to_next_minute,
                               seconds_until_morning)
from channels.zalo_images import MAX_BYTES, for_zalo

# Article field limits (platform-apis §1.4, "noi-dung-dang-bai-viet"); CS text limit (§1.3.1).
TITLE_CHARS, AUTHOR_CHARS, DESCRIPTION_CHARS, CS_TEXT_CHARS = 150, 50, 300, 2000
LOW_BUDGET = 0.05  # under 5 % of the per-minute budget left → ask the queue to pause until the next minute


class ZaloAdapter(Adapter):
    kind = "zalo"
    label = "Zalo Official Account"
    # max_images 0: an article takes pictures by public URL only, and Loa does not serve cards
    # publicly yet, so the cover is default_cover_url (or an image that carries a url).
    limits = Limits(text_chars=None, title_chars=TITLE_CHARS, max_images=0,
                    image_formats=("image/jpeg", "image/png"), image_bytes=MAX_BYTES)
    settings_schema = (
        Setting("oa_id", "The Official Account's id (shown after the OA authorised Loa).", required=True),
        Setting("app_id", "The Zalo app id (developers.zalo.me).", required=True),
        Setting("app_secret", "The Zalo app's secret key.", required=True, secret=True),
        Setting("access_token", "The OA access token (valid 25 hours; Loa renews it).", required=True, secret=True),
        Setting("refresh_token", "The OA refresh token (single use; Loa stores each new one).", required=True,
                secret=True),
        Setting("oa_secret_key", "The OA secret key, for verifying webhooks.", secret=True),
        Setting("access_expires_at", "When the access token expires (epoch seconds; written on renewal)."),
        Setting("author", "Article author shown by Zalo (at most 50 characters; default UBND)."),
        Setting("default_cover_url", "Public address of the cover photo used when a post has no image online."),
        Setting("night_rule", "'off' only for sandboxes and training: real Zalo refuses broadcasts 22:00-06:00."),
        Setting("monthly_broadcasts", "The OA package's monthly broadcast quota, shown by `loa channel check`."),
        Setting("verify_timeout", "Seconds to wait for Zalo to finish processing an article (default 60)."),
        Setting("api_base", "Zalo OA API root (default https://openapi.zalo.me)."),
        Setting("oauth_base", "Zalo OAuth root (default https://oauth.zaloapp.com)."),
        Setting("timeout", "Seconds to wait for an answer (default 20)."),
    )
    # OA API: 4,000 requests per minute per app (platform-apis §1.7, "gioi-han-toc-do-api"). Broadcasts have no
    # per-minute limit but a small monthly package quota, and Zalo reviews each one (~30 min, §1.3): one broadcast
    # per 10 minutes per OA keeps a backlog released at 06:00 from reaching citizens as a burst.
    # 4,000 OA API calls per minute per app (platform-apis §1.7). Broadcasts: no per-minute limit is
    # published, but the monthly quota is small and each is reviewed (~30 min): three may go back to
    # back, then one every ten minutes, so a night's backlog does not leave as one burst at 06:00.
    rates = (Rate("platform", 4000, 60), Rate("channel", 6, 3600, burst=3))
    sandbox_fake = "channels.sandbox.zalo:ZaloFake"

    @classmethod
    def sandbox_settings(cls, sandbox_url: str) -> dict[str, str]:
        return {"api_base": f"{sandbox_url}/zalo", "oauth_base": f"{sandbox_url}/zalo-oauth"}

    def __init__(self, config: ChannelConfig):
        super().__init__(config)
        self.clock: Callable[[], float] = time.time  # wall clock (epoch seconds); tests replace it
        self.sleep: Callable[[float], None] = time.sleep
        self.api = ZaloApi(config, clock=lambda: self.clock())

    # -- publishing ----------------------------------------------------------------------------------

    def publish(self, message: Message) -> Published:
        """Create the article, wait until Zalo has processed it, broadcast it to the OA's followers."""
        wait = seconds_until_morning(self.clock()) if self.config.get("night_rule", "on") != "off" else 0
        if wait:  # promotion messages go out 06:00–21:59 only (platform-apis §1.3; else error -234)
            raise RateLimited(NIGHT_MESSAGE, wait)
        body = self._article(message)
        token = self.api.call("POST", "/v2.0/article/create", body=body).get("token")
        if not token:
            raise OutcomeUnknown("Zalo accepted the article without a processing token; look in the OA's "
                                 "article list before resending.")
        article_id = self._after_create(lambda: self._verify(token), f"the article (processing token {token})")
        self._after_create(lambda: self._broadcast(article_id), f"article {article_id}")
        return Published(article_id, self._permalink(article_id), message.marker, self._pause())

    def _after_create(self, step: Callable, what: str):
        """Once the article exists, never let the queue create it again: verdicts that reschedule become
        OutcomeUnknown; refusals that fail the delivery keep their verdict and name the article."""
        try:
            return step()
        except (BadContent, AuthExpired) as exc:
            raise type(exc)(f"{exc.message} Zalo created {what} but did not send it to followers.") from None
        except ChannelError as exc:
            raise OutcomeUnknown(f"Zalo created {what}, then: {exc.message} Do not resend: check in the OA "
                                 "Manager whether it reached followers.") from None

    def _article(self, message: Message) -> dict:
        images = [image.url for image in message.images[1:] if image.url]
        return {
            "type": "normal",
            "title": self._title(message),
            "author": (self.config.get("author") or "UBND")[:AUTHOR_CHARS],
            "cover": {"cover_type": "photo", "photo_url": self._cover(message), "status": "show"},
            "description": cut(message.summary or plain(message), DESCRIPTION_CHARS),
            "body": [{"type": "text", "content": p} for p in paragraphs(message)]
                    + [{"type": "image", "url": url} for url in images],
            "status": "show",
            "comment": "show",
        }

    def _title(self, message: Message) -> str:
        title = " ".join(message.title.split())
        if len(title) > TITLE_CHARS:
            raise BadContent(f"The title has {len(title)} characters; a Zalo article title allows {TITLE_CHARS}.")
        title = title or cut(plain(message).split("\n")[0], TITLE_CHARS)
        if not title:
            raise BadContent("A Zalo article needs a title or some text.")
        return title

    def _cover(self, message: Message) -> str:
        url = (message.images[0].url if message.images else "") or self.config.get("default_cover_url")
        if not url:
            raise BadContent("A Zalo article needs a cover photo: set default_cover_url.")
        return url

    def _verify(self, token: str) -> str:
        """Poll /v2.0/article/verify until the article id comes back; -214 means still processing."""
        deadline = time.monotonic() + float(self.config.get("verify_timeout") or 60)
        delay = 0.25
        while True:
            try:
                article_id = self.api.call("POST", "/v2.0/article/verify", body={"token": token}).get("id")
            except StillProcessing:
                if time.monotonic() + delay > deadline:
                    raise OutcomeUnknown("Zalo was still processing it when Loa stopped waiting.") from None
                self.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            if not article_id:
                raise OutcomeUnknown("Zalo's answer carried no article id.")
            return str(article_id)

    def _broadcast(self, article_id: str) -> None:
        """Send the article to all followers (/v2.0/oa/message with recipient.target, platform-apis §1.3.3)."""
        element = {"media_type": "article", "attachment_id": article_id}
        payload = {"template_type": "media", "elements": [element]}
        body = {"recipient": {"target": {}}, "message": {"attachment": {"type": "template", "payload": payload}}}
        if not self.api.call("POST", "/v2.0/oa/message", body=body).get("message_id"):
            raise OutcomeUnknown("Zalo's answer to the broadcast carried no message id.")

    def _permalink(self, article_id: str) -> str:
        """The article's public link; the broadcast already succeeded, so a failure here only loses the link."""
        try:
            data = self.api.call("GET", "/v2.0/article/getdetail", params={"id": article_id})
        except ChannelError:
            return ""
        return str(data.get("link") or data.get("link_view") or "")

    def _pause(self) -> float:
        if self.api.rate_remaining is None:
            return 0.0
        remain, limit = self.api.rate_remaining
        return seconds_to_next_minute(self.clock()) if remain < limit * LOW_BUDGET else 0.0

    # -- the rest of the contract --------------------------------------------------------------------

    def find(self, message: Message) -> Published | None:
        """Always None: Zalo lists articles but not broadcasts, and an article that exists proves
        nothing about whether its broadcast reached the followers. An officer decides instead."""
        return None

    def reply(self, to: str, text: str) -> Published:
        """A CS text message to one citizen, inside Zalo's 7-day window (platform-apis §1.3.1)."""
        if not text.strip():
            raise BadContent("An empty answer cannot be sent.")
        if len(text) > CS_TEXT_CHARS:
            raise BadContent(f"The answer has {len(text)} characters; Zalo allows {CS_TEXT_CHARS} in a message.")
        body = {"recipient": {"user_id": to}, "message": {"text": text}}
        message_id = self.api.call("POST", "/v3.0/oa/message/cs", body=body).get("message_id")
        if not message_id:
            raise OutcomeUnknown("Zalo's answer to the message carried no message id.")
        return Published(str(message_id))

    # -- citizens writing back (channels/zalo_inbound.py) ----------------------------------------------

    def fetch_replies(self, cursor: str, recent_posts: tuple[str, ...] = ()) -> tuple[list, str]:
        """Messages citizens sent the OA since `cursor`, from listrecentchat (platform-apis §1.5)."""
        return zalo_inbound.poll(self.api, cursor)

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> bool:
        """X-ZEvent-Signature = SHA-256(app_id + body + timestamp + OA secret key) (platform-apis §1.6)."""
        return zalo_inbound.verify(headers, body, self.config.get("app_id"), self.config.get("oa_secret_key"))

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> list:
        """Citizens' messages and follows in a verified webhook body; BadContent when malformed."""
        return zalo_inbound.parse(body)

    @classmethod
    def webhook_routes(cls, body: bytes) -> list[tuple[str, str]]:
        """The channel a body is for, by its OA id (one webhook URL serves every OA of the app)."""
        found = zalo_inbound.oa_id(body)
        return [("oa_id", found)] if found else []

    oa_id = staticmethod(zalo_inbound.oa_id)

    def upload_image(self, image: Image) -> str:
        """Upload a picture for CS image messages (≤ 1 MB JPEG/PNG, recompressed if needed); its attachment_id."""
        data = self.api.call("POST", "/v2.0/oa/upload/image", files={"file": for_zalo(image)})
        if not data.get("attachment_id"):
            raise OutcomeUnknown("Zalo's answer to the upload carried no attachment id.")
        return str(data["attachment_id"])

    def health(self) -> Health:
        """Whether the OA answers with the current (or renewed) token."""
        try:
            data = self.api.call("GET", "/v2.0/oa/getoa")
        except ChannelError as exc:
            return Health(False, exc.message)
        expires = self.api.expires_at
        until = (f"token valid until {datetime.fromtimestamp(expires, VIETNAM):%Y-%m-%d %H:%M} (UTC+7)"
                 if expires else "token expiry unknown")
        return Health(True, f"OA {data.get('name') or self.config.get('oa_id')}; {until}")


def plain(message: Message) -> str:
    """The message text without markup (Telegram-HTML posts keep their words, lose their tags)."""
    text = message.text
    if message.text_format == "html":
        text = html.unescape(re.sub(r"<br\s*/?>", "\n", re.sub(r"<(?!br)[^>]+>", "", text)))
    return text.strip()


def paragraphs(message: Message) -> list[str]:
    """Article body paragraphs: blank lines separate them; the link, if any, closes the article."""
    parts = [p.strip() for p in re.split(r"\n\s*\n", plain(message)) if p.strip()]
    return parts + ([message.link] if message.link else [])


def cut(text: str, limit: int) -> str:
    """`text` on one line, at most `limit` characters, cut at a word boundary with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    space = head.rfind(" ")
    return (head[:space] if space > limit // 2 else head).rstrip(" ,.;:") + "…"
