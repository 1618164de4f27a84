"""A wire-compatible, strict fake of the Telegram Bot API under /telegram/bot<token>/<method>.

Parameters arrive as query, form, JSON or multipart; structured values (reply_parameters, media,
allowed_updates) may be JSON-encoded strings, as python-telegram-bot sends them. Method names are
case-insensitive. Answers are {"ok": true, "result": ...} or {"ok": false, "error_code": n,
"description": "...", "parameters"?: {...}} with Telegram's own descriptions.

configure(data), POST /_sandbox/telegram/accounts:
    {"bots": [{"token": "123456:ABC...", "id": 123456 (default: the token's number),
               "username": "loa_test_bot", "first_name": "Loa" (optional),
               "chats": [{"id": -1001234567890, "type": "channel" | "supergroup" | "group" | "private",
                          "title": "...", "username": "phuongbinhhung" (optional, public chats),
                          "first_name": "..." (private chats),
                          "bot_status": "administrator" | "creator" | "member" | "restricted" | "left" | "kicked",
                          "can_post_messages": true (administrators of channels),
                          "limit_per_minute": 20, "window_seconds": 60 (flood control: at most
                              limit_per_minute messages per sliding window of window_seconds),
                          "migrated_to": null | <new chat id> (a group that became a supergroup),
                          "linked_chat_id": null | <discussion group id>}],
               "webhook": {"url": "http://127.0.0.1:8000/hooks/telegram/phuong/", "secret_token": "s3cret"
                           (or "secret"), "allowed_updates": [...], "attempts": 3, "retry_seconds": 0.05}
                          (optional; as setWebhook, but any URL, loopback http too)}]}
    A chat listed under several bots is one chat; bot_status is per bot. Configuring again updates.

state(), GET /_sandbox/telegram/state:
    {"chats": {"<chat id>": {"type", "title", "username", "messages": [<Message as returned, plus
               "html": the text or caption as the bot sent it when parse_mode was HTML>],
               "rate_limited": <429s answered for this chat>, "rate_limited_at": [<unix times>]}},
     "bots": {"<bot id>": {"username", "webhook": {"url", "secret_token", "allowed_updates",
              "max_connections", "attempts", "retry_seconds"}, "pending_updates": n,
              "deliveries": [{"update_id", "url", "attempts", "http_status": <last answer, null when
              unreachable>, "status": "pending" | "delivered" | "dropped"}]}}}

inject(data), POST /_sandbox/telegram/inject: a citizen writes in a group (or to the bot).
    {"chat_id": <id or "@username">, "text": "...",
     "from": {"id": 9001, "first_name": "Lan", "last_name": "Nguyễn"} (optional; in a private chat
         the writer defaults to the chat itself: same id, its first_name),
     "reply_to_message_id": n (optional: a message of that chat),
     "reply_to_channel_post": n (optional, discussion groups: comment on channel post n; the fake
         replies to the post's automatic forward),
     "edit_message_id": n (optional: the citizen edits their message n to "text"; an
         "edited_message" update)}
    In a supergroup a reply joins its parent's thread: message_thread_id = the parent's thread, or
    the parent itself (a comment thread starts at the automatic forward); the bot's own replies too.
    Answers {"message": <Message>, "update_ids": [...]}; a "message" update is queued for every bot
    in the chat. Posts to a channel with a configured linked_chat_id are automatically forwarded
    into that group (is_automatic_forward, sender_chat, forward_origin), each queued as an update.

Webhooks: while a bot has a webhook URL, every update queued for it (citizens' messages and edits,
automatic forwards) is also POSTed there, in order, by one sender thread per bot: the Update as
JSON, Content-Type application/json, and X-Telegram-Bot-Api-Secret-Token when a secret is set.
A non-2xx answer or an unreachable URL is retried `attempts` times (backoff retry_seconds, doubling),
then dropped; delivered or dropped, the update leaves the queue. getUpdates answers 409 Conflict
while a webhook is set, as Telegram does, so a test of both paths uses two bots in the same group
(or deleteWebhook between). `TelegramFake.settle()` waits (in process) for deliveries in flight.

Faults are keyed by the chat id (as a string, after resolving @username); calls without a chat
(getMe, getUpdates, webhooks) by the bot's id. Limits: text 4,096 and caption 1,024 visible
characters after HTML parsing, counted in UTF-16 code units; albums 2-10 photos; photos 10 MB.
Not modelled: long polling (getUpdates answers at once), message entities, the per-bot global
flood limit, webhook max_connections (one delivery at a time per bot), and pushing the backlog
pending when setWebhook is called (it stays queued, for getUpdates after deleteWebhook).
"""

from __future__ import annotations

import hashlib
import http.client
import io
import json
import math
import queue
import re
import threading
import time
import urllib.error
import urllib.request
import uuid
from typing import Any

from PIL import Image as PILImage

from channels.sandbox.core import Platform, Request, Response, Timeout, json_response

PATH = re.compile(r"/bot(?P<token>[^/]+)/(?P<method>[A-Za-z]+)/?")
ALLOWED_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a",
                "code", "pre", "blockquote", "tg-emoji", "tg-time"}
NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}  # the only named ones Telegram supports
ENTITY = re.compile(r"&(#[0-9]+|#x[0-9a-fA-F]+|[A-Za-z]+);")
TAG_NAME = re.compile(r"/?([A-Za-z][A-Za-z0-9-]*)")
TEXT_LIMIT, CAPTION_LIMIT, PHOTO_BYTES = 4096, 1024, 10 * 1024 * 1024
POSTING = {"administrator", "creator"}
# Webhook delivery: Telegram retries a failed POST "a reasonable number of times", then drops it.
WEBHOOK_DEFAULTS = {"url": "", "secret_token": "", "allowed_updates": [], "max_connections": 40,
                    "attempts": 3, "retry_seconds": 0.05}
CHAT_DEFAULTS = {"type": "channel", "title": "", "username": None, "first_name": None, "limit_per_minute": 20,
                 "window_seconds": 60, "migrated_to": None, "linked_chat_id": None}
ADMIN_RIGHTS = ("can_manage_chat", "can_delete_messages", "can_manage_video_chats", "can_restrict_members",
                "can_change_info", "can_invite_users", "can_post_stories", "can_edit_stories", "can_delete_stories")
RESTRICTED = ("can_send_messages", "can_send_audios", "can_send_documents", "can_send_photos", "can_send_videos",
              "can_send_video_notes", "can_send_voice_notes", "can_send_polls", "can_send_other_messages",
              "can_add_web_page_previews", "can_react_to_messages", "can_edit_tag", "can_change_info",
              "can_invite_users", "can_pin_messages", "can_manage_topics")


class ApiError(Exception):
    """A Bot API refusal: HTTP status = error_code, Telegram's description, optional parameters."""

    def __init__(self, status: int, description: str, parameters: dict | None = None):
        super().__init__(description)
        self.status, self.description, self.parameters = status, description, parameters

    def response(self) -> Response:
        body = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return json_response(body, status=self.status)


def bad(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def parse_html(source: str) -> str:
    """The visible text of Telegram HTML; refuses unknown tags, unbalanced tags and unknown entities."""
    out, stack, i = [], [], 0
    while i < len(source):
        if source[i] == "<":
            i = _tag(source, i, stack)
        elif source[i] == "&" and (m := ENTITY.match(source, i)):
            out.append(_entity(m, source))
            i = m.end()
        else:
            out.append(source[i])
            i += 1
    if stack:
        raise bad(f'can\'t parse entities: Can\'t find end tag corresponding to start tag "{stack[-1]}"')
    return "".join(out).strip()


def _offset(source: str, i: int) -> int:
    return len(source[:i].encode("utf-8"))


def _tag(source: str, i: int, stack: list[str]) -> int:
    end, name = source.find(">", i), TAG_NAME.match(source, i + 1)
    if end < 0 or name is None:
        raise bad(f"can't parse entities: Unexpected end of name token at byte offset {_offset(source, i)}")
    tag, closing = name.group(1).lower(), source[i + 1] == "/"
    if tag not in ALLOWED_TAGS:
        kind = "end" if closing else "start"
        raise bad(f'can\'t parse entities: Unsupported {kind} tag "{tag}" at byte offset {_offset(source, i)}')
    if closing and (not stack or stack[-1] != tag):
        raise bad(f"can't parse entities: Unexpected end tag at byte offset {_offset(source, i)}")
    stack.pop() if closing else stack.append(tag)
    return end + 1


def _entity(match: re.Match, source: str) -> str:
    body = match.group(1)
    if body.startswith("#x"):
        return chr(int(body[2:], 16))
    if body.startswith("#"):
        return chr(int(body[1:]))
    if body not in NAMED_ENTITIES:
        raise bad(f'can\'t parse entities: Unsupported HTML entity "&{body};" at byte offset '
                  f"{_offset(source, match.start())}")
    return NAMED_ENTITIES[body]


def structured(params: dict, name: str, default: Any = None) -> Any:
    """A structured parameter: JSON-encoded in a form field, or already decoded from a JSON body."""
    value = params.get(name)
    if value is None or value == "":
        return default
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        raise bad(f"can't parse {name} JSON object") from None


def integer(params: dict, name: str, default: int | None = None) -> int | None:
    value = params.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise bad(f"invalid {name} specified") from None


def flag(params: dict, name: str) -> bool:
    return str(params.get(name, "")).lower() in ("true", "1")


class TelegramFake(Platform):
    name = "telegram"
    prefixes = ("telegram",)

    def __init__(self, faults):
        super().__init__(faults)
        self.bots: dict[str, dict] = {}  # token -> bot
        self.chats: dict[int, dict] = {}
        self._media_groups = 13_000_000_000_000_000
        self._outboxes: dict[str, queue.Queue] = {}  # token -> webhook deliveries, sent in order
        self._in_flight = threading.Condition()
        self._undelivered = 0

    # -- control surface

    def configure(self, data: dict) -> dict:
        with self.lock:
            configured = [self._configure_bot(spec) for spec in data.get("bots", [])]
        return {"bots": configured}

    def _configure_bot(self, spec: dict) -> dict:
        token = spec["token"]
        bot_id = int(spec.get("id") or token.split(":")[0])
        if spec.get("revoked"):  # as @BotFather's /revoke: the token is refused from now on (401)
            self.bots.pop(token, None)
            return {"id": bot_id, "revoked": True}
        bot = self.bots.setdefault(token, {"token": token, "updates": [], "next_update_id": 100_000_001,
                                           "allowed_updates": [], "webhook": dict(WEBHOOK_DEFAULTS), "deliveries": []})
        bot.update(id=bot_id, username=spec.get("username", f"bot{bot_id}_bot"),
                   first_name=spec.get("first_name", "Loa"))
        if "webhook" in spec:  # the control surface may point at http://127.0.0.1 (setWebhook may not)
            hook = spec["webhook"] or {}
            secret = hook.get("secret_token", hook.get("secret", ""))
            bot["webhook"] = {**WEBHOOK_DEFAULTS, **hook, "secret_token": secret}
            bot["webhook"].pop("secret", None)
            bot["allowed_updates"] = bot["webhook"]["allowed_updates"]
        for chat_spec in spec.get("chats", []):
            self._configure_chat(bot, chat_spec)
        return {"id": bot_id, "username": bot["username"], "chats": [c["id"] for c in spec.get("chats", [])]}

    def _configure_chat(self, bot: dict, spec: dict) -> None:
        chat = self.chats.setdefault(int(spec["id"]), {
            "id": int(spec["id"]), "messages": [], "members": {}, "sent_at": [], "rate_limited": 0,
            "rate_limited_at": [], "next_message_id": 1, **CHAT_DEFAULTS})
        chat.update({key: spec[key] for key in CHAT_DEFAULTS if key in spec})
        chat["members"][bot["id"]] = {"status": spec.get("bot_status", "administrator"),
                                      "can_post_messages": spec.get("can_post_messages", True)}

    @classmethod
    def demo_account(cls, slug: str, title: str) -> tuple[dict, dict[str, str]]:
        digest = hashlib.sha256(slug.encode()).hexdigest()
        bot_id = 7_000_000_000 + int(digest[:8], 16) % 1_000_000_000
        token = f"{bot_id}:AAF-demo-{digest[:27]}"
        channel_id, group_id = -1002_000_000_000 - int(digest[8:14], 16), -1003_000_000_000 - int(digest[8:14], 16)
        account = {"bots": [{"token": token, "username": f"loa_{slug.replace('-', '_')}_bot", "chats": [
            {"id": channel_id, "type": "channel", "title": title, "username": slug.replace("-", ""),
             "linked_chat_id": group_id},
            {"id": group_id, "type": "supergroup", "title": f"Thảo luận - {title}"}]}]}
        return account, {"token": token, "chat_id": f"@{slug.replace('-', '')}", "discussion_chat_id": str(group_id)}

    def state(self) -> dict:
        with self.lock:
            chats = {str(c["id"]): {"type": c["type"], "title": c["title"], "username": c["username"],
                                    "messages": c["messages"], "rate_limited": c["rate_limited"],
                                    "rate_limited_at": c["rate_limited_at"]} for c in self.chats.values()}
            bots = {str(b["id"]): {"username": b["username"], "webhook": b["webhook"],
                                   "pending_updates": len(b["updates"]), "deliveries": b["deliveries"]}
                    for b in self.bots.values()}
        return {"chats": chats, "bots": bots}

    def inject(self, data: dict) -> dict:
        with self.lock:
            try:
                chat = self._chat(data.get("chat_id"))
                if data.get("edit_message_id"):
                    return self._citizen_edit(chat, int(data["edit_message_id"]), data.get("text", ""))
                fields = {"from": self._citizen(chat, data.get("from", {})), "text": data.get("text", ""),
                          **self._citizen_reply(chat, data)}
            except ApiError as exc:
                return {"error": exc.description}
            message = self._store(chat, fields)
            return {"message": message, "update_ids": self._queue_for_members(chat, "message", message)}

    @staticmethod
    def _citizen(chat: dict, given: dict) -> dict:
        """The writer: in a private chat the chat is the person (same id, same name)."""
        if chat["type"] == "private":
            return {"id": chat["id"], "is_bot": False, "first_name": chat.get("first_name") or "Citizen", **given}
        return {"id": 9001, "is_bot": False, "first_name": "Citizen", **given}

    def _citizen_reply(self, chat: dict, data: dict) -> dict:
        if data.get("reply_to_channel_post"):
            forward = next((m for m in chat["messages"] if m.get("is_automatic_forward")
                            and m["forward_origin"]["message_id"] == int(data["reply_to_channel_post"])), None)
            if forward is None:
                raise bad(f"no automatic forward of channel post {data['reply_to_channel_post']} in this chat")
            return self._replying(chat, forward)
        if data.get("reply_to_message_id"):
            return self._replying(chat, self._find(chat, int(data["reply_to_message_id"])))
        return {}

    def _citizen_edit(self, chat: dict, message_id: int, text: str) -> dict:
        message = next((m for m in chat["messages"] if m["message_id"] == message_id and "from" in m
                        and not m["from"]["is_bot"]), None)
        if message is None:
            raise bad("message to edit not found")
        message.update(text=text, edit_date=int(time.time()))
        return {"message": message, "update_ids": self._queue_for_members(chat, "edited_message", message)}

    def _replying(self, chat: dict, parent: dict) -> dict:
        """A reply quotes its parent; in a supergroup it joins the parent's thread (a comment thread
        starts at the automatic forward of the channel post)."""
        fields = {"reply_to_message": self._quoted(parent)}
        if chat["type"] == "supergroup":
            fields["message_thread_id"] = parent.get("message_thread_id") or parent["message_id"]
        return fields

    def settle(self, timeout: float = 10.0) -> bool:
        """For tests: wait until every webhook delivery so far was made or dropped."""
        with self._in_flight:
            return self._in_flight.wait_for(lambda: self._undelivered == 0, timeout)

    # -- the API

    def handle(self, request: Request) -> Response:
        match = PATH.fullmatch(request.path)
        with self.lock:
            self.requests.append(request.log_entry())
        if match is None:
            return ApiError(404, "Not Found").response()
        try:
            return self._call(match["token"], match["method"].lower(), request)
        except ApiError as exc:
            return exc.response()

    def _call(self, token: str, method: str, request: Request) -> Response:
        with self.lock:
            bot = self.bots.get(token)
            if bot is None:
                raise ApiError(401, "Unauthorized")
            handler = getattr(self, f"api_{method.lower()}", None)
            if handler is None:
                raise ApiError(404, "Not Found")
            params = request.params()
            key = self._fault_key(bot, params)
        verdict = self.faults.before(key)
        if verdict == "timeout":
            raise Timeout()
        if verdict == "server_error":
            raise ApiError(500, "Internal Server Error")
        with self.lock:
            if verdict == "rate_limit":
                raise self._too_many(self.chats.get(int(key)) if re.fullmatch(r"-?\d+", key) else None, 3)
            result = handler(bot, params, request.files)
        if self.faults.fail_after_accept(key):
            raise ApiError(500, "Internal Server Error")
        return json_response({"ok": True, "result": result})

    def _fault_key(self, bot: dict, params: dict) -> str:
        if params.get("chat_id") in (None, ""):
            return str(bot["id"])
        try:
            return str(self._chat(params["chat_id"])["id"])
        except ApiError:
            return str(params["chat_id"])

    def api_getme(self, bot: dict, params: dict, files: dict) -> dict:
        return {**self._user(bot), "can_join_groups": True, "can_read_all_group_messages": False,
                "supports_inline_queries": False, "can_connect_to_business": False, "has_main_web_app": False}

    def api_sendmessage(self, bot: dict, params: dict, files: dict) -> dict:
        chat = self._postable(bot, params, "text messages")
        text = self._parsed(params, "text", TEXT_LIMIT, "message is too long")
        if not text:
            raise bad("message text is empty")
        fields = {"text": text, **self._html(params, "text"), **self._reply_to(chat, params)}
        self._admit(chat, 1)
        return self._post(bot, chat, fields)

    def api_sendphoto(self, bot: dict, params: dict, files: dict) -> dict:
        chat = self._postable(bot, params, "photos")
        caption = self._parsed(params, "caption", CAPTION_LIMIT, "message caption is too long")
        photo = self._photo(chat, params.get("photo"), files, "photo")
        fields = {"photo": photo, **self._caption(caption, params, "caption"), **self._reply_to(chat, params)}
        self._admit(chat, 1)
        return self._post(bot, chat, fields)

    def api_sendmediagroup(self, bot: dict, params: dict, files: dict) -> list[dict]:
        chat = self._postable(bot, params, "photos")
        media = structured(params, "media", [])
        if not isinstance(media, list) or not 2 <= len(media) <= 10:
            raise bad("media group must contain 2-10 items")
        items = [self._album_item(chat, item, files) for item in media]
        reply = self._reply_to(chat, params)
        self._admit(chat, len(items))
        self._media_groups += 1
        return [self._post(bot, chat, {**item, **reply, "media_group_id": str(self._media_groups)}) for item in items]

    def _album_item(self, chat: dict, item: dict, files: dict) -> dict:
        if not isinstance(item, dict) or item.get("type") != "photo":
            raise bad("unsupported media type in the fake: only photos")
        caption = self._parsed(item, "caption", CAPTION_LIMIT, "message caption is too long")
        photo = self._photo(chat, item.get("media"), files, None)
        return {"photo": photo, **self._caption(caption, item, "caption")}

    def api_getchat(self, bot: dict, params: dict, files: dict) -> dict:
        chat = self._chat(params.get("chat_id"))
        info = {**self._chat_object(chat), "accent_color_id": 0, "max_reaction_count": 11,
                "accepted_gift_types": {"unlimited_gifts": False, "limited_gifts": False, "unique_gifts": False,
                                        "premium_subscription": False, "gifts_from_channels": False}}
        if chat.get("linked_chat_id"):
            info["linked_chat_id"] = chat["linked_chat_id"]
        return info

    def api_getchatmember(self, bot: dict, params: dict, files: dict) -> dict:
        chat = self._chat(params.get("chat_id"))
        user_id = integer(params, "user_id")
        if user_id is None:
            raise bad("user_id is required")
        if user_id != bot["id"]:
            return {"status": "left", "user": {"id": user_id, "is_bot": False, "first_name": "Citizen"}}
        return self._member(bot, chat, chat["members"].get(bot["id"], {"status": "left"}))

    def api_getupdates(self, bot: dict, params: dict, files: dict) -> list[dict]:
        if bot["webhook"]["url"]:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; "
                                "use deleteWebhook to delete the webhook first")
        offset, limit = integer(params, "offset"), integer(params, "limit", 100)
        if offset is not None and offset < 0:
            bot["updates"] = bot["updates"][offset:]
        elif offset is not None:
            bot["updates"] = [u for u in bot["updates"] if u["update_id"] >= offset]  # confirmed ones are gone
        if "allowed_updates" in params:
            bot["allowed_updates"] = structured(params, "allowed_updates", [])
        return bot["updates"][:max(1, min(100, limit))]

    def api_setwebhook(self, bot: dict, params: dict, files: dict) -> bool:
        url, secret = params.get("url"), params.get("secret_token", "")
        if url is None:
            raise bad("bad webhook: the url parameter is required")
        if url and not url.startswith("https://"):
            raise bad("bad webhook: An HTTPS URL must be provided for webhook")
        if secret and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise bad("bad webhook: secret token contains unallowed characters")
        if flag(params, "drop_pending_updates"):
            bot["updates"] = []
        allowed = structured(params, "allowed_updates", bot["webhook"]["allowed_updates"])
        bot["webhook"] = {**WEBHOOK_DEFAULTS, "url": url, "secret_token": secret, "allowed_updates": allowed,
                          "max_connections": integer(params, "max_connections", 40)}
        bot["allowed_updates"] = allowed
        return True

    def api_deletewebhook(self, bot: dict, params: dict, files: dict) -> bool:
        if flag(params, "drop_pending_updates"):
            bot["updates"] = []
        bot["webhook"] = {**bot["webhook"], "url": "", "secret_token": ""}
        return True

    def api_getwebhookinfo(self, bot: dict, params: dict, files: dict) -> dict:
        hook = bot["webhook"]
        info = {"url": hook["url"], "has_custom_certificate": False, "pending_update_count": len(bot["updates"])}
        if hook["url"]:
            info.update(max_connections=hook["max_connections"], allowed_updates=hook["allowed_updates"])
        return info

    # -- chats and rights

    def _chat(self, chat_id: Any) -> dict:
        value = str(chat_id if chat_id is not None else "").strip()
        if value.startswith("@"):
            found = next((c for c in self.chats.values()
                          if (c.get("username") or "").lower() == value[1:].lower()), None)
        else:
            found = self.chats.get(int(value)) if re.fullmatch(r"-?\d+", value) else None
        if found is None:
            raise bad("chat not found")
        return found

    def _postable(self, bot: dict, params: dict, what: str) -> dict:
        """The chat, if this bot may post there now; otherwise Telegram's refusal."""
        chat = self._chat(params.get("chat_id"))
        if chat.get("migrated_to"):
            raise ApiError(400, "Bad Request: group chat was upgraded to a supergroup chat",
                           {"migrate_to_chat_id": chat["migrated_to"]})
        member = chat["members"].get(bot["id"], {"status": "left"})
        status, kind = member["status"], chat["type"]
        if status == "kicked":
            raise ApiError(403, f"Forbidden: bot was kicked from the {kind} chat")
        if status == "left" or (kind == "channel" and status not in POSTING):
            raise ApiError(403, f"Forbidden: bot is not a member of the {kind} chat")
        if kind == "channel" and status == "administrator" and not member.get("can_post_messages", True):
            raise bad("need administrator rights in the channel chat")
        if status == "restricted":
            raise bad(f"not enough rights to send {what} to the chat")
        return chat

    def _member(self, bot: dict, chat: dict, member: dict) -> dict:
        status, user = member["status"], self._user(bot)
        if status == "administrator":
            rights = {right: True for right in ADMIN_RIGHTS}
            extra = ({"can_post_messages": member.get("can_post_messages", True), "can_edit_messages": True}
                     if chat["type"] == "channel" else {"can_pin_messages": True, "can_manage_topics": False})
            return {"status": status, "user": user, "can_be_edited": False, "is_anonymous": False,
                    "can_promote_members": False, **rights, **extra}
        if status == "creator":
            return {"status": status, "user": user, "is_anonymous": False}
        if status == "restricted":
            return {"status": status, "user": user, "is_member": True, "until_date": 0,
                    **{right: False for right in RESTRICTED}}
        if status == "kicked":
            return {"status": status, "user": user, "until_date": 0}
        return {"status": status, "user": user}

    def _admit(self, chat: dict, count: int) -> None:
        """Flood control: at most limit_per_minute messages per sliding window_seconds."""
        limit, window, now = chat.get("limit_per_minute"), float(chat.get("window_seconds") or 60), time.time()
        if not limit:
            return
        chat["sent_at"] = [t for t in chat["sent_at"] if t > now - window]
        excess = len(chat["sent_at"]) + count - int(limit)
        if excess > 0:
            frees_at = chat["sent_at"][min(excess, len(chat["sent_at"])) - 1] + window if chat["sent_at"] else now
            raise self._too_many(chat, max(1, math.ceil(frees_at - now)))
        chat["sent_at"].extend([now] * count)

    def _too_many(self, chat: dict | None, seconds: int) -> ApiError:
        if chat is not None:
            chat["rate_limited"] += 1
            chat["rate_limited_at"].append(time.time())
        return ApiError(429, f"Too Many Requests: retry after {seconds}", {"retry_after": seconds})

    # -- content

    def _parsed(self, params: dict, name: str, limit: int, too_long: str) -> str:
        source = params.get(name) or ""
        text = parse_html(source) if str(params.get("parse_mode", "")).upper() == "HTML" else source.strip()
        if utf16_length(text) > limit:
            raise bad(too_long)
        return text

    @staticmethod
    def _html(params: dict, name: str) -> dict:
        return {"html": params[name]} if str(params.get("parse_mode", "")).upper() == "HTML" else {}

    def _caption(self, caption: str, params: dict, name: str) -> dict:
        return {"caption": caption, **self._html(params, name)} if caption else {}

    def _reply_to(self, chat: dict, params: dict) -> dict:
        reply = structured(params, "reply_parameters")
        if reply is None and params.get("reply_to_message_id"):
            reply = {"message_id": integer(params, "reply_to_message_id")}
        if reply is None:
            return {}
        target = next((m for m in chat["messages"] if m["message_id"] == reply.get("message_id")), None)
        if target is None:
            if reply.get("allow_sending_without_reply"):
                return {}
            raise bad("message to be replied not found")
        return self._replying(chat, target)

    def _find(self, chat: dict, message_id: int) -> dict:
        found = next((m for m in chat["messages"] if m["message_id"] == message_id), None)
        if found is None:
            raise bad("message to be replied not found")
        return found

    @staticmethod
    def _quoted(message: dict) -> dict:
        """A replied-to message as Telegram nests it: one level deep, without the sender's HTML."""
        return {k: v for k, v in message.items() if k not in ("reply_to_message", "html")}

    def _photo(self, chat: dict, value: Any, files: dict, field: str | None) -> list[dict]:
        """PhotoSizes for an upload (multipart field, or attach://name in an album), a URL or a file_id."""
        name = value[len("attach://"):] if isinstance(value, str) and value.startswith("attach://") else field
        if name and name in files:
            return self._sizes(files[name].content)
        if isinstance(value, str) and re.match(r"https?://", value):
            return self._size_list(800, 600, 50_000)
        known = [m["photo"] for c in self.chats.values() for m in c["messages"] if m.get("photo")]
        if any(p["file_id"] == value for sizes in known for p in sizes):
            return next(sizes for sizes in known if any(p["file_id"] == value for p in sizes))
        raise bad("wrong file identifier/HTTP URL specified")

    def _sizes(self, content: bytes) -> list[dict]:
        if len(content) > PHOTO_BYTES:
            raise bad("file is too big")
        try:
            with PILImage.open(io.BytesIO(content)) as image:
                width, height = image.size
        except Exception:  # Pillow raises several kinds for bytes that are not an image
            raise bad("IMAGE_PROCESS_FAILED") from None
        if width + height > 10_000 or max(width, height) > 20 * min(width, height):
            raise bad("PHOTO_INVALID_DIMENSIONS")
        return self._size_list(width, height, len(content))

    @staticmethod
    def _size_list(width: int, height: int, size: int) -> list[dict]:
        """Telegram's thumbnails: the photo scaled to 90, 320, 800 and 1280 pixels on its long side."""
        sizes, longest = [], max(width, height)
        for side in sorted({min(s, longest) for s in (90, 320, 800, 1280)}):
            w, h = max(1, round(width * side / longest)), max(1, round(height * side / longest))
            sizes.append({"file_id": "AgACAgUAAxkDAAI" + uuid.uuid4().hex, "file_unique_id": "AQAD" + uuid.uuid4().hex[:12],
                          "width": w, "height": h, "file_size": max(1, int(size * (side / longest) ** 2))})
        return sizes

    # -- messages and updates

    def _post(self, bot: dict, chat: dict, fields: dict) -> dict:
        sender = {"sender_chat": self._chat_object(chat)} if chat["type"] == "channel" else {"from": self._user(bot)}
        message = self._store(chat, {**sender, **fields})
        linked = self.chats.get(chat.get("linked_chat_id") or 0)
        if chat["type"] == "channel" and linked is not None:
            self._auto_forward(chat, linked, message)
        return {k: v for k, v in message.items() if k != "html"}

    def _store(self, chat: dict, fields: dict) -> dict:
        message = {"message_id": chat["next_message_id"], "date": int(time.time()), "chat": self._chat_object(chat),
                   **fields}
        chat["next_message_id"] += 1
        chat["messages"].append(message)
        return message

    def _auto_forward(self, channel: dict, group: dict, post: dict) -> None:
        """Telegram copies each channel post into the linked discussion group; comments reply to the copy."""
        content = {k: post[k] for k in ("text", "caption", "photo", "media_group_id") if k in post}
        origin = {"type": "channel", "chat": self._chat_object(channel), "message_id": post["message_id"],
                  "date": post["date"]}
        copy = self._store(group, {"sender_chat": self._chat_object(channel), "is_automatic_forward": True,
                                   "forward_origin": origin, **content})
        self._queue_for_members(group, "message", copy)

    def _queue_for_members(self, chat: dict, kind: str, message: dict) -> list[int]:
        ids = []
        for bot in self.bots.values():
            member = chat["members"].get(bot["id"])
            if member is None or member["status"] in ("left", "kicked"):
                continue
            if bot["allowed_updates"] and kind not in bot["allowed_updates"]:
                continue
            update = {"update_id": bot["next_update_id"], kind: {k: v for k, v in message.items() if k != "html"}}
            bot["next_update_id"] += 1
            bot["updates"].append(update)
            ids.append(update["update_id"])
            if bot["webhook"]["url"]:
                self._deliver(bot, update)
        return ids

    # -- webhooks: one sender thread per bot POSTs its updates in order, retrying, then dropping

    def _deliver(self, bot: dict, update: dict) -> None:
        hook = dict(bot["webhook"])
        record = {"update_id": update["update_id"], "url": hook["url"], "attempts": 0, "status": "pending",
                  "http_status": None}
        bot["deliveries"].append(record)
        with self._in_flight:
            self._undelivered += 1
        if bot["token"] not in self._outboxes:
            self._outboxes[bot["token"]] = queue.Queue()
            threading.Thread(target=self._sender, args=(self._outboxes[bot["token"]],), daemon=True,
                             name=f"telegram-webhook-{bot['id']}").start()
        self._outboxes[bot["token"]].put((bot, update, hook, record))

    def _sender(self, outbox: queue.Queue) -> None:
        while True:
            bot, update, hook, record = outbox.get()
            try:
                self._post_update(bot, update, hook, record)
            finally:
                with self._in_flight:
                    self._undelivered -= 1
                    self._in_flight.notify_all()

    def _post_update(self, bot: dict, update: dict, hook: dict, record: dict) -> None:
        body = json.dumps(update, ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json"}
        if hook["secret_token"]:
            headers["X-Telegram-Bot-Api-Secret-Token"] = hook["secret_token"]
        delivered = False
        for attempt in range(max(1, int(hook["attempts"]))):
            if attempt:
                time.sleep(float(hook["retry_seconds"]) * 2 ** (attempt - 1))  # the platform's backoff, scaled down
            status = self._post_once(hook["url"], body, headers)
            delivered = status is not None and 200 <= status < 300
            with self.lock:
                record.update(attempts=attempt + 1, http_status=status)
            if delivered:
                break
        with self.lock:  # delivered or given up: either way it is no longer pending
            record["status"] = "delivered" if delivered else "dropped"
            bot["updates"] = [u for u in bot["updates"] if u["update_id"] != update["update_id"]]

    @staticmethod
    def _post_once(url: str, body: bytes, headers: dict) -> int | None:
        """The receiver's HTTP status, or None when it could not be reached."""
        try:
            with urllib.request.urlopen(urllib.request.Request(url, body, headers, method="POST"), timeout=5) as answer:
                return answer.status
        except urllib.error.HTTPError as exc:
            exc.close()
            return exc.code
        except (OSError, http.client.HTTPException, ValueError):  # refused, reset, timed out, not HTTP
            return None

    @staticmethod
    def _chat_object(chat: dict) -> dict:
        data = {"id": chat["id"], "type": chat["type"]}
        for key in ("title", "username", "first_name"):
            if chat.get(key):
                data[key] = chat[key]
        return data

    @staticmethod
    def _user(bot: dict) -> dict:
        return {"id": bot["id"], "is_bot": True, "first_name": bot["first_name"], "username": bot["username"]}
