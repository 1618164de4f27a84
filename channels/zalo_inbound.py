"""Zalo OA citizens writing back: the webhook signature, webhook bodies as Replies, and polling listrecentchat.

Facts from platform-apis §1.5 (listrecentchat) and §1.6 (webhooks). Pure functions over bytes and dicts;
the only network call is `poll`, through the adapter's ZaloApi (token header, refresh, error table).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import unicodedata
from typing import Any, Mapping

from channels.base import Reply
from channels.errors import BadContent, NotCreated
from channels.zalo_api import ZaloApi

SIGNATURE_HEADER, TIMESTAMP_HEADER = "x-zevent-signature", "x-zevent-timestamp"
PAGE = 10  # listrecentchat answers at most 10 messages per request (§1.5, "tối đa 10 tin nhắn")
MAX_PAGES = 10  # one poll reads at most 100 messages back; older unseen ones are left to the webhook
FROM_USER = 1  # listrecentchat `src`: 0 = OA → user, 1 = user → OA (§1.5)
FOLLOW_EVENTS = ("follow", "unfollow")
# Events whose `sender` is the OA (its own sends echoed, delivery receipts): routed by sender.id (§1.6).
OA_SENDS = ("oa_", "user_received_message", "user_seen_message")

_HEX64 = re.compile(r"[0-9a-f]{64}")
_MILLIS = re.compile(r"[0-9]{1,17}")  # epoch milliseconds; the bound keeps int() cheap on hostile input
_SURROGATE = re.compile("[\ud800-\udfff]")
_ID = re.compile(r"[\x21-\x7e]{1,128}")  # Zalo ids: digits (users, OAs) or hex (messages)


# -- signature ---------------------------------------------------------------------------------------


def signature(app_id: str, body: bytes, timestamp: str, secret: str) -> str:
    """Zalo's MAC: lowercase hex SHA-256 (a plain hash, not HMAC) of app_id + raw body + timestamp +
    OA secret key, in that order (§1.6; the official Java SDK's MacUtils.buildMac)."""
    return hashlib.sha256(app_id.encode() + body + timestamp.encode() + secret.encode()).hexdigest()


def verify(headers: Mapping[str, str], body: bytes, app_id: str, secret: str) -> bool:
    """True when X-ZEvent-Signature matches for the body's timestamp (or an X-ZEvent-Timestamp header).
    Never raises: anything missing or malformed is False."""
    try:
        given = _given_signature(headers)
        if not (given and app_id and secret and isinstance(body, bytes)):
            return False
        expected = [signature(app_id, body, ts, secret).encode() for ts in _timestamps(headers, body)]
        return any([hmac.compare_digest(given, e) for e in expected])  # a list: compare every candidate
    except Exception:  # noqa: BLE001 - the contract: a verifier answers False, it never raises
        return False


def _given_signature(headers: Mapping[str, str]) -> bytes | None:
    """The header's hex digest; observed both bare and as "mac=<hex>" (§1.6), compared in lowercase."""
    value = headers.get(SIGNATURE_HEADER)
    if not isinstance(value, str):
        return None
    value = value.strip()
    if value[:4].lower() == "mac=":
        value = value[4:]
    value = value.lower()
    return value.encode("ascii") if _HEX64.fullmatch(value) else None


def _timestamps(headers: Mapping[str, str], body: bytes) -> list[str]:
    """Candidate timestamps, the body's `timestamp` first (docs), then the header some senders add."""
    found = [_millis_text((_object(body) or {}).get("timestamp")), _millis_text(headers.get(TIMESTAMP_HEADER))]
    return list(dict.fromkeys(ts for ts in found if ts))


# -- webhook bodies ----------------------------------------------------------------------------------


def oa_id(body: bytes) -> str | None:
    """The OA a webhook body is for, read before verification so the caller can pick the channel
    (and its secret): recipient.id for user_send_*, oa_id for follow/unfollow; None when absent."""
    data = _object(body)
    if data is None or not isinstance(data.get("event_name"), str):
        return None
    event = data["event_name"]
    if "oa_id" in data or event in FOLLOW_EVENTS:
        return _id(data.get("oa_id"))
    if event.startswith(OA_SENDS):
        return _id(_field(data, "sender", "id"))
    return _id(_field(data, "recipient", "id"))


def parse(body: bytes) -> list[Reply]:
    """Replies in a verified webhook body: user_send_* messages and follow/unfollow; [] for other events.
    Raises BadContent (and nothing else) when the body is not the envelope Zalo documents."""
    data = _object(body)
    if data is None:
        raise BadContent("The Zalo webhook body is not a JSON object.")
    event = data.get("event_name")
    if not isinstance(event, str):
        raise BadContent("The Zalo webhook body names no event.")
    if event.startswith("user_send_"):
        return [_message(data)]
    if event in FOLLOW_EVENTS:
        return [_follow(event, data)]
    return []


def _message(data: dict) -> Reply:
    """user_send_text / user_send_image / …: the citizen's message; reply() answers with a CS message to
    the sender. Zalo does not say which broadcast a message answers, so in_reply_to stays empty."""
    sender, message = _required_id(_field(data, "sender", "id"), "sender.id"), data.get("message")
    if not isinstance(message, dict):
        raise BadContent("The Zalo webhook message is missing.")
    text = message.get("text", "")
    if not isinstance(text, str):
        raise BadContent("The Zalo webhook message text is not text.")
    return Reply(remote_id=_required_id(message.get("msg_id"), "message.msg_id"), text=clean(text),
                 author_id=sender, received_at=_received_at(data), answer_to=sender, in_reply_to="",
                 kind="message", attachments=_attachments(message.get("attachments")))


def _follow(event: str, data: dict) -> Reply:
    """A citizen followed (or left) the OA; following opens the CS window (§1.3), leaving does not."""
    follower = _required_id(_field(data, "follower", "id"), "follower.id")
    timestamp = _millis_text(data.get("timestamp"))
    if timestamp is None:
        raise BadContent("The Zalo webhook body has no valid timestamp.")
    return Reply(remote_id=f"{event}:{follower}:{timestamp}", text="", author_id=follower,
                 received_at=int(timestamp) / 1000, answer_to=follower if event == "follow" else "", kind=event)


def _attachments(items: Any) -> tuple[str, ...]:
    """URLs of message.attachments[].payload (image, gif, file, audio, video, sticker, link), and a
    geo: URI for a shared location (§1.6); entries of other shapes are skipped."""
    found = []
    for item in items if isinstance(items, list) else ():
        payload = item.get("payload") if isinstance(item, dict) else None
        if not isinstance(payload, dict):
            continue
        if isinstance(payload.get("url"), str) and payload["url"]:
            found.append(clean(payload["url"]))
        elif isinstance(payload.get("coordinates"), dict):
            where = payload["coordinates"]
            lat, lon = where.get("latitude"), where.get("longitude")
            if isinstance(lat, (str, int, float)) and isinstance(lon, (str, int, float)):
                found.append(clean(f"geo:{lat},{lon}"))
    return tuple(found)


def _received_at(data: dict) -> float:
    timestamp = _millis_text(data.get("timestamp"))
    if timestamp is None:
        raise BadContent("The Zalo webhook body has no valid timestamp.")
    return int(timestamp) / 1000  # Zalo's timestamps are milliseconds, as strings (§1.1)


# -- polling -----------------------------------------------------------------------------------------


def poll(api: ZaloApi, cursor: str) -> tuple[list[Reply], str]:
    """Citizens' messages (src 1) newer than `cursor`, oldest first, and the new cursor. Pages
    listrecentchat (newest first) back until a message already seen appears, at most MAX_PAGES."""
    since, seen = read_cursor(cursor)
    found: dict[str, dict] = {}
    for page in range(MAX_PAGES):
        items, full = _page(api, page * PAGE)
        for item in items:
            if not _is_old(item, since, seen):
                found.setdefault(item["message_id"], item)
        if not full or any(_is_old(item, since, seen) for item in items):
            break
    fresh = sorted(reversed(found.values()), key=lambda item: item["time"])  # listed newest first
    replies = [_polled(item) for item in fresh if item["src"] == FROM_USER]
    return replies, write_cursor(since, seen, fresh)


def _page(api: ZaloApi, offset: int) -> tuple[list[dict], bool]:
    """One listrecentchat request (`data` is a JSON object in the query, §1.1): its usable elements, and
    whether the page was full (a shorter one is the end of the list)."""
    query = json.dumps({"offset": offset, "count": PAGE}, separators=(",", ":"))
    data = api.call_raw("GET", "/v2.0/oa/listrecentchat", params={"data": query})
    if data is None:
        return [], False
    if not isinstance(data, list):
        raise NotCreated("Zalo's list of recent messages could not be read.")
    return [item for item in (_element(raw) for raw in data) if item is not None], len(data) >= PAGE


def _element(raw: Any) -> dict | None:
    """A listrecentchat element with a usable id, time and sender, normalised; None when unusable."""
    if not isinstance(raw, dict):
        return None
    message_id, time, src = _id(raw.get("message_id")), _millis_text(raw.get("time")), raw.get("src")
    if message_id is None or time is None or src not in (0, 1) or isinstance(src, bool):
        return None
    return {**raw, "message_id": message_id, "time": int(time), "src": src}


def _is_old(item: dict, since: int, seen: frozenset[str]) -> bool:
    """Already returned by an earlier poll: before the cursor's time, or at it with a known id."""
    return item["time"] < since or (item["time"] == since and item["message_id"] in seen)


def _polled(item: dict) -> Reply:
    """A polled message as the webhook gives it: the same remote id (message_id == msg_id), the same
    author id (from_id is a JSON number, exact in Python), answered with a CS message to the author."""
    author = _id(item.get("from_id")) or ""
    links = item.get("links") if isinstance(item.get("links"), list) else []
    urls = [u for u in [item.get("url"), *links] if isinstance(u, str) and u]  # url: photo, GIF, sticker, voice
    return Reply(remote_id=item["message_id"], text=clean(_text(item.get("message"))), author_id=author,
                 author_name=clean(_text(item.get("from_display_name"))), received_at=item["time"] / 1000,
                 answer_to=author, in_reply_to="", kind="message", attachments=tuple(clean(u) for u in urls))


def read_cursor(cursor: str) -> tuple[int, frozenset[str]]:
    """(newest time seen in ms, message ids seen at exactly that time); a blank or unreadable cursor
    starts over (the caller stores each remote id once, so re-reading costs nothing but calls)."""
    try:
        data = json.loads(cursor) if cursor else {}
        since, ids = int(data.get("time", 0)), data.get("ids", [])
        return since, frozenset(str(i) for i in ids if isinstance(i, str))
    except (ValueError, TypeError, AttributeError):
        return 0, frozenset()


def write_cursor(since: int, seen: frozenset[str], new: list[dict]) -> str:
    """The cursor after a poll: the newest time among old and new messages (either direction), and every
    id at that time, so a message arriving later in the same millisecond is still new."""
    if not new:
        return json.dumps({"time": since, "ids": sorted(seen)}) if since else ""
    newest = max(since, new[-1]["time"])
    ids = {item["message_id"] for item in new if item["time"] == newest} | (seen if newest == since else set())
    return json.dumps({"time": newest, "ids": sorted(ids)})


# -- small readers -----------------------------------------------------------------------------------


def clean(text: str) -> str:
    """NFC (decomposed Vietnamese diacritics compose), lone surrogates → U+FFFD, NULs dropped
    (PostgreSQL text cannot hold them): what the citizen wrote, storable as is."""
    text = _SURROGATE.sub("\ufffd", text).replace("\x00", "")  # JSON joins escaped pairs: any left is lone
    return unicodedata.normalize("NFC", text)


def _object(body: Any) -> dict | None:
    try:
        data = json.loads(body)
    except (ValueError, TypeError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _field(data: dict, outer: str, inner: str) -> Any:
    value = data.get(outer)
    return value.get(inner) if isinstance(value, dict) else None


def _id(value: Any) -> str | None:
    """An id as text: Zalo sends strings in webhooks and JSON numbers in listrecentchat (§1.1)."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        value = str(value)
    return value if isinstance(value, str) and _ID.fullmatch(value) else None


def _required_id(value: Any, name: str) -> str:
    found = _id(value)
    if found is None:
        raise BadContent(f"The Zalo webhook body has no valid {name}.")
    return found


def _millis_text(value: Any) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        value = str(value)
    return value if isinstance(value, str) and _MILLIS.fullmatch(value) else None
