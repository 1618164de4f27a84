"""Telegram feedback coming in: one mapping from a Bot API Update to Reply / ThreadLink shared by
getUpdates polling and the webhook, the webhook's secret-token check, and setWebhook.

Ids: a citizen's message is "<chat id>:<message id>" whichever path saw it (update ids differ per
bot and per path; message ids do not). A discussion thread is named the same way, after the group
message that is the automatic forward of our channel post, so a thread id can never be mistaken
for a post id (a bare message id of the channel).
"""

from __future__ import annotations

import hmac
import json
import logging
import re
import unicodedata
from dataclasses import dataclass, replace
from typing import Any, Mapping

import httpx

from channels.base import Reply, ThreadLink
from channels.errors import AuthExpired, BadContent, ChannelError, NotCreated, RateLimited
from channels.http import redact, tls_context

# httpx logs every request URL at INFO, and a Bot API URL contains the bot token.
logging.getLogger("httpx").setLevel(logging.WARNING)
log = logging.getLogger("loa.channels.telegram")

# Always sent: omitting allowed_updates keeps whatever an earlier call set (Bot API getUpdates).
# channel_post updates are our own posts; they are asked for and ignored.
ALLOWED_UPDATES = ("message", "channel_post", "edited_message")
CITIZEN_UPDATES = ("message", "edited_message")  # an edit keeps its message id, so it is stored once
SECRET_HEADER = "x-telegram-bot-api-secret-token"  # setWebhook's secret_token, sent on every webhook POST
PAGE = 100  # getUpdates limit: 1-100 (Bot API)
MEDIA = ("document", "video", "voice", "audio", "animation", "video_note", "sticker")
START = re.compile(r"/start(@\w+)?(\s|$)")  # the first message of anyone who opens the bot
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")  # NUL and lone surrogates: no database text column takes them
ID_LIMIT = 2 ** 63  # Telegram ids fit in 64 bits; anything larger is not from Telegram


def _malformed(what: str) -> BadContent:
    return BadContent(f"the Telegram update has no valid {what}.")


def _int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or abs(value) >= ID_LIMIT:
        raise _malformed(what)
    return value


def _dict(value: Any, what: str) -> dict:
    if not isinstance(value, dict):
        raise _malformed(what)
    return value


def _str(value: Any, what: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _malformed(what)
    return value


def clean(text: str) -> str:
    """NFC, as Loa stores all text; characters no database can store become U+FFFD."""
    return unicodedata.normalize("NFC", UNSTORABLE.sub("\ufffd", text))


def _file_id(value: Any) -> str:
    return _str(_dict(value, "file").get("file_id"), "file id")


def _attachments(message: dict) -> tuple[str, ...]:
    """Telegram file ids: the largest size of a photo (it comes last), and any other media."""
    found = []
    if "photo" in message:
        sizes = message["photo"]
        if not isinstance(sizes, list) or not sizes:
            raise _malformed("photo")
        found.append(_file_id(sizes[-1]))
    found.extend(_file_id(message[key]) for key in MEDIA if key in message)
    return tuple(f for f in found if f)


def _link(message: dict, chat_id: int) -> ThreadLink | None:
    """An automatic forward of our channel post into the discussion group starts the post's thread."""
    origin = message.get("forward_origin")
    if not isinstance(origin, dict) or origin.get("type") != "channel":
        return None
    post = _int(origin.get("message_id"), "forward_origin.message_id")
    return ThreadLink(post_id=str(post), thread_id=f"{chat_id}:{_int(message.get('message_id'), 'message id')}")


def _thread(message: dict, chat_id: int) -> str:
    """The comment thread a message belongs to, named like a ThreadLink's thread_id; "" for none."""
    thread = message.get("message_thread_id")
    return "" if thread is None else f"{chat_id}:{_int(thread, 'thread id')}"


def _reply(message: dict, remote_id: str, kind: str, in_reply_to: str) -> Reply | None:
    """A citizen's words, or None for bots, anonymous admins, channels and service messages."""
    sender = message.get("from")
    if not isinstance(sender, dict) or sender.get("is_bot") is not False or "sender_chat" in message:
        return None
    text = _str(message.get("text"), "text") or _str(message.get("caption"), "caption")
    files = _attachments(message)
    if not text and not files:
        return None  # joins, leaves, pins, title changes: nothing written
    names = (_str(sender.get("first_name"), "first name"), _str(sender.get("last_name"), "last name"))
    return Reply(remote_id=remote_id, text=clean(text), author_id=str(_int(sender.get("id"), "sender id")),
                 author_name=clean(" ".join(n for n in names if n)),
                 received_at=float(_int(message.get("date"), "date")), in_reply_to=in_reply_to,
                 answer_to=remote_id, kind=kind, attachments=files)


@dataclass(frozen=True)
class Inbox:
    """Whose messages are feedback: comments in the channel's linked discussion group (its numeric
    id or @username) and private messages to the bot; everything else is ignored."""

    discussion: str = ""

    def items(self, update: Any) -> list:
        """[ThreadLink | Reply, ...] from one Update; BadContent when it is malformed."""
        update = _dict(update, "update")
        _int(update.get("update_id"), "update_id")
        kind = next((k for k in CITIZEN_UPDATES if k in update), None)
        return self._message(_dict(update[kind], kind)) if kind else []

    def _message(self, message: dict) -> list:
        chat = _dict(message.get("chat"), "chat")
        chat_id, message_id = _int(chat.get("id"), "chat id"), _int(message.get("message_id"), "message id")
        if chat.get("type") == "private":
            return self._private(message, f"{chat_id}:{message_id}")
        if not self._is_discussion(chat):
            return []  # another group the bot is in: not this channel's feedback
        if message.get("is_automatic_forward") is True:
            return [link] if (link := _link(message, chat_id)) else []
        return self._comment(message, chat_id, f"{chat_id}:{message_id}")

    def _is_discussion(self, chat: dict) -> bool:
        wanted = self.discussion.strip()
        if re.fullmatch(r"-?\d+", wanted):
            return chat["id"] == int(wanted)
        username = chat.get("username")
        return bool(wanted) and isinstance(username, str) and username.lower() == wanted.lstrip("@").lower()

    def _comment(self, message: dict, chat_id: int, remote_id: str) -> list:
        """A direct comment replies to the automatic forward, which names our post; a reply to another
        comment only carries the thread (message_thread_id), which the stored ThreadLink resolves."""
        parent = message.get("reply_to_message")
        direct = isinstance(parent, dict) and parent.get("is_automatic_forward") is True
        link = _link(parent, chat_id) if direct else None
        reply = _reply(message, remote_id, "comment", link.post_id if link else _thread(message, chat_id))
        if reply is None:
            return []
        return [link, reply] if link else [reply]

    def _private(self, message: dict, remote_id: str) -> list:
        reply = _reply(message, remote_id, "message", "")
        if reply is not None and START.match(reply.text):
            reply = replace(reply, kind="follow", text="")  # opening the bot says nothing yet
        return [reply] if reply else []


def verify(headers: Mapping[str, str], secret: str) -> bool:
    """True only when the secret-token header equals the channel's webhook_secret (constant time)."""
    given = headers.get(SECRET_HEADER) if isinstance(headers, Mapping) else None
    if not isinstance(secret, str) or not secret or not isinstance(given, str) or not given:
        return False
    return hmac.compare_digest(given.encode("utf-8", "surrogatepass"), secret.encode("utf-8", "surrogatepass"))


def parse_body(body: bytes, inbox: Inbox) -> list:
    """One webhook POST carries one Update as JSON; mapped exactly as polling maps it."""
    if not isinstance(body, (bytes, bytearray, memoryview)):
        raise BadContent("the Telegram webhook body is not bytes.")
    try:
        update = json.loads(bytes(body).decode("utf-8"))
    except (ValueError, RecursionError):
        raise BadContent("the Telegram webhook body is not a JSON Update.") from None
    try:
        return inbox.items(update)
    except (KeyError, TypeError, ValueError, AttributeError, ArithmeticError):
        # A shape the checks above missed is still a malformed body, never a crash of the worker.
        raise BadContent("the Telegram webhook body is not a valid Update.") from None


class WebhookActive(NotCreated):
    """getUpdates refused because Telegram delivers this bot's updates to a webhook."""


class Updates:
    """getUpdates and setWebhook over plain HTTP: raw JSON, so polling and webhooks share one parser."""

    def __init__(self, api_base: str, token: str, timeout: float):
        if not token:
            raise AuthExpired("no bot token is set for this Telegram channel.")
        self.url, self.token, self.timeout = f"{api_base}{token}", token, timeout

    def poll(self, cursor: str, inbox: Inbox) -> tuple[list, str]:
        """Short poll (timeout 0) from `cursor`, the next update_id; passing it confirms the earlier ones."""
        valid = cursor if re.fullmatch(r"\d+", cursor or "") else ""
        fields = {"limit": PAGE, "timeout": 0, "allowed_updates": list(ALLOWED_UPDATES)}
        if valid:
            fields["offset"] = int(valid)
        try:
            updates = self.call("getUpdates", fields)
        except WebhookActive:
            return [], cursor  # the webhook receives them; nothing to poll
        if not isinstance(updates, list):
            raise NotCreated("Telegram's answer to getUpdates could not be read; the next poll asks again.")
        return self._items(updates, inbox, valid)

    def _items(self, updates: list, inbox: Inbox, cursor: str) -> tuple[list, str]:
        items, last = [], None
        for update in updates:
            number = update.get("update_id") if isinstance(update, dict) else None
            if isinstance(number, int) and not isinstance(number, bool):
                last = number if last is None else max(last, number)
            try:
                items.extend(inbox.items(update))
            except BadContent:
                log.warning("skipped malformed Telegram update %s", number)  # never its content
        return items, str(last + 1) if last is not None else cursor

    def set_webhook(self, url: str, secret: str) -> None:
        """Telegram POSTs updates to `url` with `secret` in the header; "" goes back to polling."""
        if not url:
            self.call("deleteWebhook", {})  # pending updates stay, for getUpdates
            return
        if not secret:
            raise BadContent("set the channel's webhook_secret first: without it every webhook call is refused.")
        self.call("setWebhook", {"url": url, "secret_token": secret, "allowed_updates": list(ALLOWED_UPDATES)})

    def call(self, method: str, fields: dict) -> Any:
        """One Bot API call, once; its result, or the error it means."""
        timeout = httpx.Timeout(self.timeout, connect=min(5.0, self.timeout))
        try:
            with httpx.Client(timeout=timeout, verify=tls_context()) as client:
                response = client.post(f"{self.url}/{method}", json=fields)
        except httpx.HTTPError as exc:
            said = redact(str(exc) or type(exc).__name__, [self.token])
            raise NotCreated(f"Telegram did not answer {method} ({said}); nothing is lost, try again later.") from None
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if isinstance(answer, dict) and answer.get("ok") is True and "result" in answer:
            return answer["result"]
        raise self.refusal(method, response.status_code, answer if isinstance(answer, dict) else {})

    def refusal(self, method: str, status: int, answer: dict) -> ChannelError:
        """The table: what a Bot API refusal of getUpdates / setWebhook means."""
        said = redact(str(answer.get("description") or f"HTTP {status}"), [self.token])
        parameters = answer.get("parameters") if isinstance(answer.get("parameters"), dict) else {}
        wait = parameters.get("retry_after")
        if isinstance(wait, (int, float)) and not isinstance(wait, bool):
            return RateLimited(f"Telegram's flood control asks to wait {wait:.0f} seconds before {method}.", wait)
        if status in (401, 404):  # Telegram answers 404 for a malformed token
            return AuthExpired("Telegram rejected the bot token; get a new one from @BotFather.")
        if status == 403:
            return AuthExpired(f"Telegram refused {method} ({said}); check the bot.")
        if status == 409 and "webhook" in said.lower():
            return WebhookActive(f"Telegram delivers this bot's updates to a webhook ({said}).")
        if status == 409:
            return NotCreated(f"another program is reading this bot's updates ({said}); only one may poll a bot.")
        if status == 400:
            return BadContent(f"Telegram refused {method}: {said}.")
        return NotCreated(f"Telegram answered {method} with an error ({said}); nothing is lost, try again later.")
