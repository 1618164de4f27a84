"""What one post becomes on Telegram: HTML text counted as Telegram counts it, split into a thread,
the plan of messages (text, photo or album, then replies) checked before anything is sent, and the
small helpers reading PTB's values (chat ids, permalinks, flood waits, unsent requests)."""

from __future__ import annotations

import html
import re
import warnings
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
from telegram import InputFile
from telegram import Message as TgMessage
from telegram.error import NetworkError, RetryAfter
from telegram.warnings import PTBDeprecationWarning

from channels.base import Message
from channels.errors import BadContent, NotCreated

TEXT_LIMIT = 4096  # sendMessage text, after entity parsing (Bot API; PTB MessageLimit.MAX_TEXT_LENGTH)
CAPTION_LIMIT = 1024  # photo/album caption, after entity parsing (PTB MessageLimit.CAPTION_LENGTH)
MAX_PARTS = 5  # a longer bulletin belongs on the portal, not in a chat thread
ALBUM_MAX = 10  # sendMediaGroup takes 2-10 items (PTB MediaGroupLimit)
PHOTO_BYTES = 10 * 1024 * 1024  # sendPhoto uploads up to 10 MB (PTB FileSizeLimit.PHOTOSIZE_UPLOAD)

TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)[^>]*>")
ANY_TAG = re.compile(r"<[^>]*>")
# A visible unit for hard cuts: a tag (invisible), an entity, or one character.
TOKEN = re.compile(r"<[^>]*>|&#?\w+;|.", re.DOTALL)
# Paragraphs first, then lines, then words: the boundaries a reader expects a break at.
SEPARATORS = ("\n\n", "\n", " ")
OUTSIDE_TAG = r"(?![^<]*>)"  # never break inside <a href="..."> and the like


def to_html(text: str, text_format: str) -> str:
    """The text as Telegram HTML: plain text is escaped (<, >, & would be read as markup)."""
    return text if text_format == "html" else html.escape(text, quote=False)


def visible_text(source: str) -> str:
    """What a reader sees of Telegram HTML: tags removed, entities decoded."""
    return html.unescape(ANY_TAG.sub("", source))


def visible_length(source: str) -> int:
    """Length after entity parsing, as Telegram limits it (4,096 text, 1,024 caption).

    Counted in UTF-16 code units, the unit of Telegram's entity offsets: an emoji counts two.
    That is never less than the character count, so a text within it is within the limit either way.
    """
    return len(visible_text(source).encode("utf-16-le")) // 2


def split_html(source: str, limit: int) -> list[str]:
    """Split on paragraph, then line, then word boundaries into parts of at most `limit` visible
    units; a tag open across a boundary is closed at the end of one part and reopened in the next."""
    parts = [p.strip() for p in _pack(source.strip(), limit, 0)]
    return _balance([p for p in parts if p])


def _pack(source: str, limit: int, level: int) -> list[str]:
    if visible_length(source) <= limit:
        return [source]
    if level == len(SEPARATORS):
        return _hard_cut(source, limit)
    sep, parts, current = SEPARATORS[level], [], ""
    for piece in re.split(re.escape(sep) + OUTSIDE_TAG, source):
        for sub in _pack(piece, limit, level + 1):
            candidate = f"{current}{sep}{sub}" if current else sub
            if visible_length(candidate) <= limit:
                current = candidate
            else:
                parts.append(current)
                current = sub
    return [p for p in (*parts, current) if p]


def _hard_cut(source: str, limit: int) -> list[str]:
    """A single word longer than the limit (a long URL): cut between visible units."""
    parts, current, used = [], "", 0
    for token in TOKEN.findall(source):
        size = 0 if token.startswith("<") else visible_length(token)
        if used + size > limit:
            parts.append(current)
            current, used = "", 0
        current, used = current + token, used + size
    return [*parts, current]


def _balance(parts: list[str]) -> list[str]:
    """Close tags left open at the end of a part and reopen them at the start of the next, so each
    part parses on its own (Telegram refuses unbalanced HTML with "can't parse entities")."""
    balanced, stack = [], []  # stack: (tag name, the opening tag as written)
    for number, part in enumerate(parts, start=1):
        prefix = "".join(opening for _, opening in stack)
        for match in TAG.finditer(part):
            if not match.group(1):
                stack.append((match.group(2).lower(), match.group(0)))
            elif stack and stack[-1][0] == match.group(2).lower():
                stack.pop()
        # The last part is left as written: HTML that was broken to begin with is Telegram's to refuse.
        suffix = "".join(f"</{name}>" for name, _ in reversed(stack)) if number < len(parts) else ""
        balanced.append(prefix + part + suffix)
    return balanced


@dataclass(frozen=True)
class Upload:
    name: str
    content: bytes
    mime: str


@dataclass(frozen=True)
class Plan:
    """What one publish sends: the first message (text, photo or album; `lead` is its text or
    caption, "" for none) and the text parts that follow it as a chain of replies."""

    lead: str
    uploads: tuple[Upload, ...]
    replies: tuple[str, ...]


def plan(message: Message) -> Plan:
    """A caption that fits goes on the photo (or the album's first item); a longer text follows
    the picture as replies, because Telegram cuts captions at 1,024 characters."""
    if len(message.images) > ALBUM_MAX:
        raise BadContent(f"Telegram albums hold at most {ALBUM_MAX} photos; this post has {len(message.images)}.")
    uploads = tuple(read_upload(Path(image.path), image.mime) for image in message.images)
    text = to_html(message.text, message.text_format)
    if not uploads:
        parts = thread(text)
        return Plan(parts[0], (), tuple(parts[1:]))
    if visible_length(text) <= CAPTION_LIMIT:
        return Plan(text.strip(), uploads, ())
    return Plan("", uploads, tuple(thread(text)))


def thread(text: str) -> list[str]:
    """The text as at most MAX_PARTS messages of at most 4,096 visible characters."""
    parts = split_html(text, TEXT_LIMIT)
    if not parts:
        raise BadContent("the text is empty; Telegram does not send empty messages.")
    if len(parts) > MAX_PARTS:
        raise BadContent(f"the text needs {len(parts)} Telegram messages of 4,096 characters; "
                         f"at most {MAX_PARTS} are sent as a thread. Shorten it.")
    return parts


def read_upload(path: Path, mime: str) -> Upload:
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise NotCreated(f"the image {path.name} cannot be read: {exc.strerror}") from exc
    if len(content) > PHOTO_BYTES:
        raise BadContent(f"the image {path.name} is {len(content) / 1048576:.1f} MB; "
                         "Telegram accepts photos up to 10 MB.")
    return Upload(path.name, content, mime)


def input_file(upload: Upload, attach: bool = False) -> InputFile:
    result = InputFile(upload.content, filename=upload.name, attach=attach)
    result.mimetype = upload.mime or result.mimetype  # what Loa knows beats a guess from the name
    return result


def parse_chat(value: str) -> int | str:
    """A numeric chat id (-100… for channels) or an @username."""
    value = value.strip()
    return int(value) if re.fullmatch(r"-?\d+", value) else "@" + value.lstrip("@")


def permalink(message: TgMessage) -> str:
    """t.me/<username>/<id> for public chats, t.me/c/<id without -100>/<id> for private channels."""
    chat = message.chat
    if chat.username:
        return f"https://t.me/{chat.username}/{message.message_id}"
    if str(chat.id).startswith("-100"):
        return f"https://t.me/c/{str(chat.id)[4:]}/{message.message_id}"
    return ""


def retry_seconds(exc: RetryAfter) -> float:
    """PTB 22 gives an int, or a timedelta when PTB_TIMEDELTA is set (and warns about the int)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def never_sent(exc: NetworkError) -> bool:
    """PTB wraps httpx: a refused or timed-out connection, or no free connection in the pool
    ("Request was *not* sent"), means the request never left."""
    return isinstance(exc.__cause__, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout))
