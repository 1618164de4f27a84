"""Facebook Page adapter: text, link and photo posts and comment replies through the Graph API."""

from __future__ import annotations

import html
import json
import re
import unicodedata
from functools import partial
from typing import Any, Callable, Mapping

from pyfacebook import GraphAPI

from channels import facebook_inbound as inbound
from channels.base import Adapter, ChannelConfig, Health, Image, Limits, Message, Published, Rate, Setting
from channels.errors import AuthExpired, BadContent, ChannelError, NotCreated
from channels.facebook_errors import Answer, pause_seconds, remote_id, translate

DEFAULT_VERSION = "v24.0"  # python-facebook-api 0.24.0's newest; v24.0 is served until 2028-02-18 (FB-VER)
DEFAULT_BASE = "https://graph.facebook.com/"
VERSION_RE = re.compile(r"^v\d{1,3}\.\d{1,2}$")
TEXT_CHARS = 63206  # Postiz caps Facebook text here (platform-apis.md §2.3)
# Facebook: photos "must be smaller than 4 MB" (error 1366046). Decimal megabytes, so a file
# near the edge is refused by Loa before the upload rather than by Facebook after it.
IMAGE_BYTES = 4_000_000
IMAGE_FORMATS = ("image/jpeg", "image/png")
MAX_IMAGES = 10
FIND_FIELDS = "id,message,created_time,permalink_url"
FIND_PAGE_SIZE = 25
FIND_MORE_PAGES = 2  # reconciliation looks at the newest 75 posts: an unconfirmed post is recent
PUBLISH_PERMISSION = "pages_manage_posts"
READ_PERMISSION = "pages_read_engagement"
REPLY_PERMISSION = "pages_manage_engagement"


def plain_text(message: Message) -> str:
    """The text as Facebook shows it: plain, so Telegram-style HTML is turned back into text."""
    if message.text_format != "html":
        return message.text
    text = re.sub(r"<br\s*/?>", "\n", message.text, flags=re.IGNORECASE)
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def post_text(message: Message) -> str:
    """What the post's message field will hold. A photo post has no link field, so the link
    goes at the end of its caption."""
    text = plain_text(message)
    if message.images and message.link and message.link not in text:
        text = f"{text}\n\n{message.link}" if text else message.link
    return text


def same_text(a: str, b: str) -> bool:
    """Equal after NFC and whitespace normalisation (Facebook may trim or fold line ends)."""
    def norm(s: str) -> str:
        return " ".join(unicodedata.normalize("NFC", s).split())
    return norm(a) == norm(b)


def check_content(text: str, images: tuple[Image, ...]) -> None:
    """Refuse what Facebook would refuse, before any call (BadContent)."""
    if len(text) > TEXT_CHARS:
        raise BadContent(f"The post has {len(text)} characters; Facebook accepts at most {TEXT_CHARS}.")
    if not text and not images:
        raise BadContent("The post is empty: Facebook needs a text or a photo.")
    if len(images) > MAX_IMAGES:
        raise BadContent(f"The post has {len(images)} photos; Loa sends at most {MAX_IMAGES} to Facebook.")
    for image in images:
        check_image(image)


def check_image(image: Image) -> None:
    if image.mime not in IMAGE_FORMATS:
        raise BadContent(f"The photo {image.path.name} is {image.mime or 'of unknown type'}; "
                         "Facebook takes JPEG or PNG photos.")
    try:
        size = image.path.stat().st_size
    except OSError:
        raise BadContent(f"The photo {image.path.name} cannot be read.") from None
    if size >= IMAGE_BYTES:
        raise BadContent(f"The photo {image.path.name} is {size / 1e6:.1f} MB; Facebook takes photos under 4 MB.")


def source_part(image: Image) -> dict[str, tuple[str, bytes, str]]:
    """The multipart `source` file part of a photo upload (as Mixpost and facebook-sdk send it)."""
    try:
        return {"source": (image.path.name, image.path.read_bytes(), image.mime)}
    except OSError:
        raise BadContent(f"The photo {image.path.name} cannot be read.") from None


class FacebookAdapter(Adapter):
    kind = "facebook"
    can_find = True
    label = "Facebook Page"
    limits = Limits(text_chars=TEXT_CHARS, caption_chars=TEXT_CHARS, max_images=MAX_IMAGES,
                    image_formats=IMAGE_FORMATS, image_bytes=IMAGE_BYTES, card_size=(1200, 630))
    settings_schema = (
        Setting("page_id", "Numeric id of the Facebook Page.", required=True),
        Setting("access_token", "Page access token (from /me/accounts, with pages_manage_posts, "
                "pages_read_engagement, pages_manage_engagement).", required=True, secret=True),
        Setting("app_secret", "App secret: signs calls (appsecret_proof); needed to check webhooks.", secret=True),
        Setting("graph_version", f"Graph API version, like {DEFAULT_VERSION} (default)."),
        Setting("verify_token", "The verify token typed into the app's webhook settings (for feedback).", secret=True),
        Setting("api_base", f"Graph API root (default {DEFAULT_BASE})."),
        Setting("timeout", "Seconds to wait for Facebook's answer (default 20)."),
    )
    # Facebook publishes no fixed posting rate for Pages: Page tokens fall under Business Use Case
    # budgets that are dynamic and reported in headers (FB-RL, §2.6), which `pause_seconds` obeys.
    # So the rates are a conservative floor, counted in Graph calls (see `cost`): per Page 60 calls
    # an hour, a 10-photo post (11 calls) going at once, well under the historic 4,800 calls a day
    # per Page (FB-RLBLOG) and slow enough not to trip the "posting too fast" block (368/1390008).
    # For all Pages together 1,200 calls an hour: Page-token calls spend each Page's own budget,
    # so this only keeps a province-wide burst (every ward's bulletin at 14:00) from meeting the
    # app-wide limit (code 4), whose size Facebook does not publish for Page tokens.
    rates = (Rate("channel", 60, 3600.0, burst=12), Rate("platform", 1200, 3600.0, burst=60))
    sandbox_fake = "channels.sandbox.facebook:FacebookFake"

    @classmethod
    def sandbox_settings(cls, sandbox_url: str) -> dict[str, str]:
        """Point the Graph root at the sandbox's /facebook/ prefix."""
        return {"api_base": f"{sandbox_url.rstrip('/')}/facebook/"}

    def __init__(self, config):
        super().__init__(config)
        self._graph: GraphAPI | None = None
        self._answer: Answer | None = None
        self._pause = 0.0

    @property
    def page_id(self) -> str:
        return self.config.get("page_id").strip()

    @property
    def timeout(self) -> float:
        try:
            value = float(self.config.get("timeout") or 20)
        except ValueError:
            value = 0.0
        if value <= 0:
            raise AuthExpired("The timeout setting of this Facebook channel is not a positive number; correct it.")
        return value

    def _secrets(self) -> tuple[str, ...]:
        return tuple(v for v in (self.config.get("access_token"), self.config.get("app_secret")) if v)

    def _api(self) -> GraphAPI:
        # A broken setting stops the whole channel until an administrator fixes it, so it is
        # reported like an expired token (the channel is flagged), not as one bad post.
        if self._graph is None:
            version = self.config.get("graph_version") or DEFAULT_VERSION
            if not VERSION_RE.match(version):
                raise AuthExpired(f"The Graph API version {version!r} is not like {DEFAULT_VERSION}; correct it.")
            if not self.page_id or not self.config.get("access_token"):
                raise AuthExpired("This Facebook channel has no Page id or no Page access token; connect the Page.")
            base = self.config.get("api_base") or DEFAULT_BASE
            self._graph = GraphAPI(
                access_token=self.config.get("access_token"), app_secret=self.config.get("app_secret") or None,
                version=version, base_url=base if base.endswith("/") else base + "/",
                timeout=(min(5.0, self.timeout), self.timeout),
                sleep_on_rate_limit=False,  # never sleep inside a worker; the queue pauses the channel
            )
            self._graph.session.hooks["response"].append(self._remember)
        return self._graph

    def _remember(self, response, *args, **kwargs) -> None:
        self._answer = Answer(response.status_code, response.headers)

    def _call(self, write: bool, permission: str, fn: Callable[..., Any], *args, **kwargs) -> dict:
        """One Graph call with its failure translated; `write` = a visible effect may follow."""
        api, self._answer = self._api(), None
        try:
            data = fn(api, *args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - every failure gets a verdict, unknown ones the safe one
            # `from None`: the original exception's text holds the URL and token; keep it out of logs.
            raise translate(exc, self._answer, write=write, permission=permission,
                            secrets=self._secrets(), timeout=self.timeout) from None
        if self._answer is not None:
            self._pause = max(self._pause, pause_seconds(self._answer.headers))
        return data

    def publish(self, message: Message) -> Published:
        """Create the post once: a text or link post, a photo post, or a multi-photo post."""
        self._pause = 0.0
        text = post_text(message)
        check_content(text, message.images)
        if not message.images:
            post_id, permalink = self._post_text(text, message.link)
        elif len(message.images) == 1:
            post_id, permalink = self._post_photo(text, message.images[0])
        else:
            post_id, permalink = self._post_photos(text, message.images)
        return Published(remote_id=post_id, permalink=permalink, marker=message.marker, pause_seconds=self._pause)

    def cost(self, message: Message) -> int:
        """Graph calls one publish makes: each photo upload, the feed call, a permalink read."""
        count = len(message.images)
        return 1 if count == 0 else 2 if count == 1 else count + 1

    def _post_text(self, text: str, link: str) -> tuple[str, str]:
        data = {"message": text, **({"link": link} if link else {})}
        # fields=id,permalink_url returns the address in the same call (Postiz does the same).
        answer = self._call(True, PUBLISH_PERMISSION, GraphAPI.post_object, self.page_id, "feed",
                            params={"fields": "id,permalink_url"}, data=data)
        post_id = remote_id(answer, "id")
        return post_id, answer.get("permalink_url") or self._permalink(post_id)

    def _post_photo(self, text: str, image: Image) -> tuple[str, str]:
        answer = self._call(True, PUBLISH_PERMISSION, GraphAPI.post_object, self.page_id, "photos",
                            data={"caption": text, "published": "true"}, files=source_part(image))
        post_id = remote_id(answer, "post_id")
        return post_id, self._permalink(post_id)

    def _post_photos(self, text: str, images: tuple[Image, ...]) -> tuple[str, str]:
        # Photos uploaded with published=false are invisible until a post attaches them, so a
        # failure during the uploads, or of the feed call, leaves nothing a citizen can see:
        # uploads are "reads" for the verdict (NotCreated when uncertain); only the feed call is a write.
        media = [{"media_fbid": self._upload_hidden(image)} for image in images]
        answer = self._call(True, PUBLISH_PERMISSION, GraphAPI.post_object, self.page_id, "feed",
                            params={"fields": "id,permalink_url"},
                            data={"message": text, "attached_media": json.dumps(media)})
        post_id = remote_id(answer, "id")
        return post_id, answer.get("permalink_url") or self._permalink(post_id)

    def _upload_hidden(self, image: Image) -> str:
        answer = self._call(False, PUBLISH_PERMISSION, GraphAPI.post_object, self.page_id, "photos",
                            data={"published": "false"}, files=source_part(image))
        photo_id = answer.get("id") if isinstance(answer, dict) else None
        if not photo_id:  # an unattached upload is invisible: nothing a citizen sees was created
            raise NotCreated("Facebook accepted a photo upload but returned no photo id; nothing was posted.")
        return str(photo_id)

    def _permalink(self, post_id: str) -> str:
        try:
            answer = self._call(False, READ_PERMISSION, GraphAPI.get_object, post_id, fields="permalink_url")
        except ChannelError:
            return ""  # the post exists; a missing address must not turn the success into a failure
        return str(answer.get("permalink_url") or "")

    def find(self, message: Message) -> Published | None:
        """Look for this message's text among the Page's newest posts (Facebook keeps no marker)."""
        wanted, cursor = post_text(message), None
        if not wanted.strip():
            return None  # a post without text cannot be told apart from other photo posts
        for _ in range(1 + FIND_MORE_PAGES):
            args = {"fields": FIND_FIELDS, "limit": FIND_PAGE_SIZE, **({"after": cursor} if cursor else {})}
            page = self._call(False, READ_PERMISSION, GraphAPI.get_connection, self.page_id, "posts", **args)
            for post in page.get("data") or ():
                if same_text(str(post.get("message") or ""), wanted):
                    return Published(remote_id=str(post["id"]), permalink=post.get("permalink_url") or "",
                                     marker=message.marker)
            paging = page.get("paging") or {}
            cursor = (paging.get("cursors") or {}).get("after") if paging.get("next") else None
            if not cursor:
                return None
        return None

    def health(self) -> Health:
        """Whether the token still reaches the Page: its name, or why not in one sentence."""
        self._pause = 0.0
        try:
            page = self._call(False, READ_PERMISSION, GraphAPI.get_object, self.page_id, fields="id,name")
        except ChannelError as exc:
            return Health(False, exc.message)
        name = str(page.get("name") or self.page_id)
        if self._pause:
            return Health(True, f"{name} (Facebook reports this Page's API usage near its limit)")
        return Health(True, name)

    def reply(self, to: str, text: str) -> Published:
        """Comment as the Page under a post, or answer a comment (POST /{id}/comments)."""
        self._pause = 0.0
        if not text.strip():
            raise BadContent("The reply is empty.")
        with inbound.answering():  # a deleted comment is not a broken channel
            answer = self._call(True, REPLY_PERMISSION, GraphAPI.post_object, to, "comments", data={"message": text})
        return Published(remote_id=remote_id(answer, "id"), pause_seconds=self._pause)

    def fetch_replies(self, cursor: str, recent_posts: tuple[str, ...] = ()) -> tuple[list, str]:
        """Citizens' comments on our recent posts since `cursor` (GET /{post-id}/comments, every level)."""
        return inbound.poll(partial(self._call, False, READ_PERMISSION, GraphAPI.get_connection), cursor,
                            recent_posts, self.page_id)

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> bool:
        """X-Hub-Signature-256 is HMAC-SHA256(app secret, raw body); no app secret set → False."""
        return inbound.verify(headers, body, self.config.get("app_secret"))

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> list:
        """Citizens' comments (added or edited) in a verified `feed` webhook body, this Page's only."""
        return inbound.parse(body, self.page_id)

    @classmethod
    def webhook_routes(cls, body: bytes) -> list[tuple[str, str]]:
        """("page_id", id) for each Page a webhook body speaks for (one URL serves the app's Pages)."""
        return [("page_id", page_id) for page_id in inbound.page_ids(body)]

    @classmethod
    def webhook_handshake(cls, query: Mapping[str, str], configs: list[ChannelConfig]) -> str | None:
        """hub.challenge when hub.verify_token is one of these channels' verify_token settings."""
        return inbound.handshake_any(query, [config.get("verify_token") for config in configs])
