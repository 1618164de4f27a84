"""Telegram channel: posts to a channel (or group) with python-telegram-bot's async Bot, in HTML."""

from __future__ import annotations

import logging
import re
from typing import Any, Awaitable, Callable

from telegram import Bot, InputMediaPhoto, ReplyParameters
from telegram import Message as TgMessage
from telegram.constants import ParseMode
from telegram.error import (BadRequest, ChatMigrated, Forbidden, InvalidToken, NetworkError, RetryAfter,
                            TelegramError, TimedOut)
from telegram.request import HTTPXRequest

from channels import telegram_bots as bots
from channels import telegram_inbound as inbound
from channels.base import Adapter, Health, Limits, Message, Published, Rate, Setting
from channels.errors import AuthExpired, BadContent, ChannelError, NotCreated, OutcomeUnknown, RateLimited
from channels.http import redact, tls_context
from channels.telegram_format import (ALBUM_MAX, CAPTION_LIMIT, MAX_PARTS, PHOTO_BYTES, TEXT_LIMIT, Plan, input_file,
                                      never_sent, parse_chat, permalink, plan, retry_seconds, thread, to_html)

# httpx logs every request URL at INFO, and a Bot API URL contains the bot token.
logging.getLogger("httpx").setLevel(logging.WARNING)
# PTB logs its base URL, token included, at DEBUG each time a Bot is created.
logging.getLogger("telegram.Bot").setLevel(logging.INFO)

DEFAULT_API_BASE = "https://api.telegram.org/bot"
HTML = ParseMode.HTML

# Bad Request descriptions that mean the channel's setup is broken (the bot lost its rights or
# the chat is gone): the officer must fix the channel, not the post.
SETUP_BROKEN = ("chat not found", "not enough rights", "need administrator rights", "bot is not a member",
                "chat_admin_required", "have no rights to send")
# Known content refusals (Bot API descriptions, lower-cased) and what the officer reads.
CONTENT_REFUSALS = {
    "message is too long": "the text is longer than Telegram's 4,096 characters",
    "caption is too long": "the photo caption is longer than Telegram's 1,024 characters",
    "can't parse entities": "Telegram could not read the HTML formatting of the text",
    "message text is empty": "the text is empty",
    "image_process_failed": "Telegram could not process the image",
    "photo_invalid_dimensions": "the image's width plus height must be at most 10,000 pixels, ratio at most 20",
    "file is too big": "the image is larger than Telegram's 10 MB limit",
    "wrong file identifier": "Telegram could not fetch the image",
    "message to be replied not found": "the message being answered no longer exists",
}


class TelegramAdapter(Adapter):
    kind = "telegram"
    label = "Telegram channel"
    # text_chars: a thread of up to 5 messages; publish() checks the exact paragraph packing first.
    limits = Limits(text_chars=MAX_PARTS * TEXT_LIMIT, caption_chars=CAPTION_LIMIT, max_images=ALBUM_MAX,
                    image_formats=("image/jpeg", "image/png"), image_bytes=PHOTO_BYTES)
    settings_schema = (
        Setting("token", "Bot token from @BotFather (123456:ABC…).", required=True, secret=True),
        Setting("chat_id", "The channel: @username if public, or its numeric id (-100…). The bot must be an "
                           "administrator allowed to post.", required=True),
        Setting("discussion_chat_id", "Numeric id of the channel's linked discussion group, where comments arrive."),
        Setting("webhook_secret", "Secret token Telegram sends with each webhook call (for feedback): 1-256 of "
                                  "A-Z a-z 0-9 _ -.", secret=True),
        Setting("api_base", f"Bot API root; the token and /method are appended (default {DEFAULT_API_BASE})."),
        Setting("timeout", "Seconds to wait for Telegram (default 20)."),
    )
    rates = (
        # Telegram Bot FAQ, "My bot is hitting limits": at most 20 messages per minute to the same
        # group; PTB's AIORateLimiter applies it to channels too (platform-apis.md §3.2).
        Rate("channel", 20, 60),
        # Same FAQ: about 30 messages per second overall for one bot (PTB FloodLimit.MESSAGES_PER_SECOND),
        # kept here for every bot of the kind together. Burst 10: spaced evenly (one per 35 ms), the posts
        # one tick claims came back for a later tick, and 1,000 posts due in a minute reached channels
        # 2.6-3.6 s late at p99 instead of 0.6 s (bench/schedule_lag.py). PTB's own AIORateLimiter lets
        # all 30 go at once; a 429 still pauses the kind for Telegram's retry_after.
        Rate("platform", 30, 1, burst=10),
    )
    sandbox_fake = "channels.sandbox.telegram:TelegramFake"

    def __init__(self, config):
        super().__init__(config)
        self.migrated_to: int | None = None  # set when Telegram moved the chat; the caller persists it

    @classmethod
    def sandbox_settings(cls, sandbox_url: str) -> dict[str, str]:
        return {"api_base": f"{sandbox_url}/telegram/bot"}

    @property
    def chat_id(self) -> int | str:
        return self.migrated_to or parse_chat(self.config.get("chat_id"))

    def publish(self, message: Message) -> Published:
        """Send the text (a thread of replies when long), a photo or an album; once, never resent."""
        sends = plan(message)  # every refusal we can foresee happens before anything is sent
        return self._run(lambda bot: self._publish(bot, sends, message.marker))

    @classmethod
    def check(cls, message: Message) -> None:
        plan(message)  # the exact split: a text needing a sixth part is refused here

    def cost(self, message: Message) -> int:
        """Every message of the thread counts against Telegram's per-chat limit."""
        sent = plan(message)
        return 1 + len(sent.replies)

    @property
    def settings_changes(self) -> dict[str, str]:
        return {"chat_id": str(self.migrated_to)} if self.migrated_to is not None else {}

    def find(self, message: Message) -> Published | None:
        """Always None: the Bot API cannot list a channel's history, so an unconfirmed Telegram
        delivery is confirmed by an officer looking at the channel."""
        return None

    def reply(self, to: str, text: str) -> Published:
        """Answer a message: `to` is "<chat id>:<message id>" (a comment in the discussion group)."""
        chat, _, message_id = to.rpartition(":")
        if not chat or not message_id.isdigit():
            raise BadContent(f"cannot answer {to!r}: expected '<chat id>:<message id>'")
        parts = thread(to_html(text, "plain"))
        return self._run(lambda bot: self._reply(bot, parse_chat(chat), int(message_id), parts))

    def health(self) -> Health:
        """The token works and the bot is an administrator of the chat allowed to post."""
        try:
            return self._run(self._health)
        except ChannelError as exc:
            return Health(False, exc.message)

    # -- citizens' replies coming in (channels/telegram_inbound.py; plain HTTP, raw JSON)

    def fetch_replies(self, cursor: str, recent_posts: tuple[str, ...] = ()) -> tuple[list, str]:
        """Short-poll getUpdates from `cursor`: discussion-group comments, thread links, private messages.
        ([], cursor) while a webhook is set: Telegram then delivers to the webhook only."""
        return self._updates().poll(cursor, inbound.Inbox(self.config.get("discussion_chat_id")))

    def verify_webhook(self, headers, body: bytes) -> bool:
        """The X-Telegram-Bot-Api-Secret-Token header equals this channel's webhook_secret."""
        return inbound.verify(headers, self.config.get("webhook_secret"))

    def parse_webhook(self, headers, body: bytes) -> list:
        """One Update, mapped exactly as fetch_replies maps it."""
        return inbound.parse_body(body, inbound.Inbox(self.config.get("discussion_chat_id")))

    def set_webhook(self, url: str) -> None:
        """Have Telegram POST updates to `url` with the channel's webhook_secret; "" returns to polling."""
        self._updates().set_webhook(url, self.config.get("webhook_secret"))

    def _updates(self) -> inbound.Updates:
        return inbound.Updates(self.config.get("api_base") or DEFAULT_API_BASE, self.config.get("token"),
                               float(self.config.get("timeout") or 20))

    # -- Bots are kept per thread (channels/telegram_bots.py): no getMe and no new connection per post

    def _run(self, work: Callable[[Bot], Awaitable[Any]]) -> Any:
        token = self.config.get("token")
        if not token:
            raise AuthExpired("no bot token is set for this Telegram channel.")
        return bots.run(self._session(token, work))

    async def _session(self, token: str, work: Callable[[Bot], Awaitable[Any]]) -> Any:
        timeout = float(self.config.get("timeout") or 20)
        base = self.config.get("api_base") or DEFAULT_API_BASE

        def request(pool_size: int) -> HTTPXRequest:
            return HTTPXRequest(connection_pool_size=pool_size, connect_timeout=min(5.0, timeout),
                                read_timeout=timeout, write_timeout=timeout, media_write_timeout=timeout,
                                pool_timeout=1.0, httpx_kwargs={"verify": tls_context()})

        # Both requests are ours: PTB would otherwise build its getUpdates one with a context of its own.
        key = (token, base, timeout)
        try:
            bot = await bots.kept(key, lambda: Bot(token, base_url=base, request=request(4),
                                                   get_updates_request=request(1)))
        except TelegramError as exc:
            # PTB's InvalidToken message quotes the token: never chain it.
            raise self._before_send(exc, token) from None
        try:
            return await work(bot)
        except ChannelError as exc:  # the work turns every TelegramError into one, the cause kept
            if isinstance(exc.__cause__, InvalidToken):
                await bots.forget(key)
            raise

    def _before_send(self, exc: TelegramError, token: str) -> ChannelError:
        """getMe failed: nothing was sent yet."""
        if isinstance(exc, InvalidToken):
            return AuthExpired("Telegram rejected the bot token; get a new one from @BotFather.")
        if isinstance(exc, RetryAfter):
            return self.verdict(exc)
        return NotCreated(f"Telegram could not be reached to check the bot: {redact(str(exc), [token])}.")

    # -- sending

    async def _publish(self, bot: Bot, plan: Plan, marker: str) -> Published:
        try:
            first = await self._send_first(bot, plan)
        except TelegramError as exc:
            raise self.verdict(exc) from exc
        await self._follow(bot, self.chat_id, first, plan.replies, 1 + len(plan.replies))
        return self._published(first, marker)

    async def _send_first(self, bot: Bot, plan: Plan) -> TgMessage:
        caption = plan.lead or None
        if not plan.uploads:
            return await self._send(bot, "send_message", self.chat_id, text=plan.lead, parse_mode=HTML)
        if len(plan.uploads) == 1:
            return await self._send(bot, "send_photo", self.chat_id, photo=input_file(plan.uploads[0]),
                                    caption=caption, parse_mode=HTML)
        # The album's caption is its first item's caption (Bot API sendMediaGroup).
        media = [InputMediaPhoto(input_file(u, attach=True), caption=caption if n == 0 else None,
                                 parse_mode=HTML if n == 0 else None) for n, u in enumerate(plan.uploads)]
        return (await self._send(bot, "send_media_group", self.chat_id, media=media))[0]

    async def _follow(self, bot: Bot, chat_id: int | str, first: TgMessage, replies: tuple[str, ...],
                      total: int) -> None:
        """Each further part answers the previous one, so the thread reads in order."""
        previous = first
        for number, part in enumerate(replies, start=total - len(replies) + 1):
            try:
                previous = await self._send(bot, "send_message", chat_id, text=part, parse_mode=HTML,
                                            reply_parameters=ReplyParameters(previous.message_id))
            except TelegramError as exc:
                raise self._partial(first, number, total, exc) from exc

    async def _send(self, bot: Bot, method: str, chat_id: int | str, **fields) -> Any:
        """Call once; when Telegram says the group became a supergroup, follow it once."""
        call = getattr(bot, method)
        try:
            return await call(chat_id=chat_id, **fields)
        except ChatMigrated as exc:
            if self.migrated_to is not None:
                raise
            if chat_id == self.chat_id:
                self.migrated_to = exc.new_chat_id
            return await call(chat_id=exc.new_chat_id, **fields)

    async def _reply(self, bot: Bot, chat_id: int | str, message_id: int, parts: list[str]) -> Published:
        try:
            first = await self._send(bot, "send_message", chat_id, text=parts[0], parse_mode=HTML,
                                     reply_parameters=ReplyParameters(message_id))
        except TelegramError as exc:
            raise self.verdict(exc) from exc
        await self._follow(bot, first.chat.id, first, tuple(parts[1:]), len(parts))
        return self._published(first, "")

    async def _health(self, bot: Bot) -> Health:
        try:
            chat = await bot.get_chat(self.chat_id)
            member = await bot.get_chat_member(self.chat_id, bot.id)
        except TelegramError as exc:
            return Health(False, self.verdict(exc).message)
        where = self.config.get("chat_id")
        if member.status == "creator":
            return Health(True, f"the bot @{bot.username} owns {where}")
        if member.status != "administrator":
            return Health(False, f"the bot is not an administrator of {where}")
        if chat.type == "channel" and not getattr(member, "can_post_messages", False):
            return Health(False, f"the bot is an administrator of {where} but may not post messages")
        return Health(True, f"the bot @{bot.username} can post to {where}")

    def _published(self, message: TgMessage, marker: str) -> Published:
        return Published(remote_id=str(message.message_id), permalink=permalink(message), marker=marker)

    # -- the table: what Telegram's errors mean for a delivery

    def verdict(self, exc: TelegramError) -> ChannelError:
        """What a Telegram error from a send means for the delivery (the adapter's error table)."""
        where, said = self.config.get("chat_id"), self._said(exc)
        if isinstance(exc, RetryAfter):
            wait = retry_seconds(exc)
            return RateLimited(f"Telegram's flood control asks to wait {wait:.0f} seconds before posting again.", wait)
        if isinstance(exc, InvalidToken):
            return AuthExpired("Telegram rejected the bot token; get a new one from @BotFather.")
        if isinstance(exc, Forbidden):
            return AuthExpired(f"the bot may not post in {where} ({said}); make it an administrator again.")
        if isinstance(exc, ChatMigrated):
            return AuthExpired(f"{where} moved to chat {exc.new_chat_id} more than once; check the channel's chat id.")
        if isinstance(exc, BadRequest):
            return self._bad_request(said, where)
        if isinstance(exc, NetworkError) and never_sent(exc):
            return NotCreated(f"Telegram could not be reached; nothing was sent ({said}).")
        if isinstance(exc, TimedOut):
            return OutcomeUnknown("Telegram did not answer in time; the message may or may not have been posted.")
        return OutcomeUnknown(f"Telegram answered with an error after the message was sent ({said}); "
                              "it may or may not have been posted.")

    def _bad_request(self, said: str, where: str) -> ChannelError:
        low = said.lower()
        if any(marker in low for marker in SETUP_BROKEN):
            return AuthExpired(f"the bot cannot post in {where} ({said}); check the chat id and the bot's rights.")
        sentence = next((s for needle, s in CONTENT_REFUSALS.items() if needle in low), None)
        if sentence and "can't parse entities" in low:
            sentence += f" ({said.split(':', 1)[-1].strip()})"
        return BadContent(f"Telegram refused the message: {sentence or said}.")

    def _said(self, exc: TelegramError) -> str:
        """Telegram's description without its "Bad Request: " prefix, token-free."""
        text = re.sub(r"^(Bad Request|Forbidden|Unauthorized): ", "", str(exc.message))
        return redact(text, [self.config.get("token")])

    def _partial(self, first: TgMessage, number: int, total: int, exc: TelegramError) -> OutcomeUnknown:
        return OutcomeUnknown(
            f"part 1 of {total} was published as message {first.message_id} ({permalink(first) or first.chat.id}), "
            f"but part {number} failed: {self.verdict(exc).message} Parts {number} to {total} may be missing; "
            "finish the thread by hand instead of resending the whole post.")

