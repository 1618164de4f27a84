"""Facebook Page feedback: citizens' comments polled per post, and `feed` webhooks verified and parsed.

Polling reads GET /{post-id}/comments?filter=stream&order=chronological (every level, oldest
first: FB-COMMENTS) from a mark per post; webhooks carry X-Hub-Signature-256, an HMAC-SHA256 of
the raw body keyed by the app secret, and `feed` changes with item "comment" (FB-WH, BOTTENDER;
platform-apis.md §2.4-2.5). A comment has the same id on both paths, so it is one Reply whichever
path saw it first. Nothing here raises anything but channels.errors.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import unicodedata
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Callable, Iterable, Iterator, Mapping

from channels.base import Reply
from channels.errors import BadContent, NotCreated
from channels.facebook_errors import UnknownObject

SIGNATURE_HEADER = "x-hub-signature-256"
COMMENT_FIELDS = "id,message,from,created_time,parent,attachment"
PAGE_SIZE = 100  # the comments edge's largest page (§2.4)
# Pages with something new read per post and poll; the mark keeps the place, so a longer backlog
# comes next time. Pages of comments already seen (the overlap below) do not count, up to MAX_CALLS.
MAX_PAGES = 5
MAX_CALLS = 50
# Comments can show up in listings a moment after their created_time, and several share a second:
# each poll re-reads this many seconds before the newest comment seen and skips the ids it knows.
OVERLAP = 120
ANSWERED_VERBS = ("add", "edited")  # "remove" is skipped: nothing is left to read or answer
MAX_ID = 200
LATEST_EPOCH = 4102444800  # 2100-01-01: a later time is garbage, and would break datetime conversion

# Called like GraphAPI.get_connection(post id, "comments", **query); returns the Graph answer.
ListComments = Callable[..., dict]


# values ------------------------------------------------------------------------------------

def clean(text: str) -> str:
    """The citizen's text in NFC, minus what no database stores (NUL, lone surrogates)."""
    text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return unicodedata.normalize("NFC", text.replace("\x00", ""))


def _id(value: Any) -> str:
    """A Graph id as text, or "" when the value is no id (Facebook sends ids as strings)."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return ""
    if isinstance(value, int) and value.bit_length() > 700:  # str() of a longer int raises (and is no id)
        return ""
    text = clean(str(value)).strip()
    return text if len(text) <= MAX_ID else ""


def _epoch(value: Any) -> float:
    """Epoch seconds from a webhook's Unix time or a Graph ISO time; 0.0 when unreadable."""
    try:
        if isinstance(value, str):
            value = datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z").timestamp()
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return 0.0
        value = float(value)
    except (ValueError, OverflowError):
        return 0.0
    return value if math.isfinite(value) and 0 < value < LATEST_EPOCH else 0.0


def _author(value: Any) -> tuple[str, str]:
    """(id, name) of `from`; Facebook may omit it, and omits the name on removals."""
    if not isinstance(value, dict):
        return "", ""
    name = value.get("name")
    return _id(value.get("id")), clean(name) if isinstance(name, str) else ""


def _reply(comment: str, post: str, parent: str, message: Any, author: tuple[str, str], at: float,
           photo: Any) -> Reply:
    # Facebook threads are two levels deep: a reply to a reply is answered in its parent's thread,
    # which is also the only comment Facebook surely lets us reply under.
    thread = parent if parent and parent != post else comment
    return Reply(remote_id=comment, text=clean(message) if isinstance(message, str) else "",
                 author_id=author[0], author_name=author[1], received_at=at, in_reply_to=post,
                 answer_to=thread, kind="comment", attachments=(photo,) if isinstance(photo, str) and photo else ())


@contextmanager
def answering() -> Iterator[None]:
    """Around a reply: a comment deleted since it was read (100/33) refuses the answer, not the channel."""
    try:
        yield
    except UnknownObject:
        raise BadContent("The comment to answer no longer exists on Facebook (it was deleted).") from None


# webhooks ----------------------------------------------------------------------------------

def signature(app_secret: str, body: bytes) -> str:
    """The X-Hub-Signature-256 value Facebook sends with `body`."""
    return "sha256=" + hmac.new(app_secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify(headers: Mapping[str, str], body: bytes, app_secret: str) -> bool:
    """True only for a body signed with this app secret; False on anything missing or malformed."""
    try:
        given = headers.get(SIGNATURE_HEADER)
        if not app_secret or not isinstance(given, str) or not isinstance(body, (bytes, bytearray)):
            return False
        expected = signature(app_secret, bytes(body)).encode("ascii")
        return hmac.compare_digest(given.strip().lower().encode("utf-8", "surrogatepass"), expected)
    except Exception:  # noqa: BLE001 - a verifier answers False, whatever it is handed
        return False


def handshake(query: Mapping[str, str], verify_token: str) -> str | None:
    """hub.challenge when Facebook subscribes with our verify token (the GET handshake), else None."""
    try:
        mode, token, challenge = (query.get(k) for k in ("hub.mode", "hub.verify_token", "hub.challenge"))
        if mode != "subscribe" or not verify_token or not isinstance(token, str) \
                or not isinstance(challenge, str) or not challenge:
            return None
        same = hmac.compare_digest(token.encode("utf-8", "surrogatepass"),
                                   verify_token.encode("utf-8", "surrogatepass"))
        return challenge if same else None
    except Exception:  # noqa: BLE001 - an unauthenticated GET gets None, never an error page
        return None


def handshake_any(query: Mapping[str, str], verify_tokens: Iterable[str]) -> str | None:
    """The challenge when any of these channels' verify tokens matches (one webhook URL per app)."""
    answers = [handshake(query, token) for token in verify_tokens]  # all compared: timing tells nothing
    return next((a for a in answers if a is not None), None)


def _load(body: bytes) -> Any:
    try:
        return json.loads(bytes(body).decode("utf-8"))
    except (TypeError, ValueError, RecursionError):
        raise BadContent("The Facebook webhook body is not readable JSON.") from None


def page_ids(body: bytes) -> list[str]:
    """The Page ids a `page` webhook body speaks for, read before verification; [] when none."""
    try:
        data = _load(body)
    except BadContent:
        return []
    entries = data.get("entry") if isinstance(data, dict) and data.get("object") == "page" else None
    if not isinstance(entries, list):
        return []
    return list(dict.fromkeys(i for i in (_id(e.get("id")) for e in entries if isinstance(e, dict)) if i))


def parse(body: bytes, page_id: str) -> list[Reply]:
    """Citizens' comments in a verified `feed` webhook body, for the Page `page_id` only."""
    data = _load(body)
    if not isinstance(data, dict) or not isinstance(data.get("entry"), list):
        raise BadContent("The Facebook webhook body has no list of entries.")
    if data.get("object") != "page":
        return []  # Instagram, user or permission notifications: nothing for a Page channel
    return [reply for entry in data["entry"] for reply in _entry(entry, page_id)]


def _entry(entry: Any, page_id: str) -> list[Reply]:
    if not isinstance(entry, dict) or not _id(entry.get("id")):
        raise BadContent("A Facebook webhook entry names no Page.")
    if _id(entry["id"]) != page_id:
        return []  # another Page of the same app: its own channel reads it
    changes = entry.get("changes", [])  # Messenger entries carry `messaging` instead: not read here
    if not isinstance(changes, list):
        raise BadContent("A Facebook webhook entry's changes are not a list.")
    return [reply for reply in (_change(change, page_id) for change in changes) if reply is not None]


def _change(change: Any, page_id: str) -> Reply | None:
    if not isinstance(change, dict) or not isinstance(change.get("value"), dict):
        raise BadContent("A Facebook webhook change has no value.")
    value = change["value"]
    verb = value.get("verb")
    if change.get("field") != "feed" or value.get("item") != "comment" or verb not in ANSWERED_VERBS:
        return None  # posts, reactions, removed comments: nothing a citizen wrote that we can answer
    comment, post = _id(value.get("comment_id")), _id(value.get("post_id"))
    if not comment or not post:
        raise BadContent("A Facebook comment notification lacks its comment or post id.")
    author = _author(value.get("from"))
    if author[0] == page_id:
        return None  # the Page's own comment echoed back (from.id is the Page): never feedback
    return _reply(comment, post, _id(value.get("parent_id")), value.get("message"), author,
                  _epoch(value.get("created_time")), value.get("photo"))


# polling -----------------------------------------------------------------------------------

def load_cursor(cursor: str) -> dict[str, dict[str, int]]:
    """post id -> {comment id: created epoch} of the newest comments seen; {} when unreadable."""
    try:
        data = json.loads(cursor) if cursor else {}
    except (TypeError, ValueError, RecursionError):
        return {}  # starting over repeats comments, which the caller stores once by remote id
    if not isinstance(data, dict):
        return {}
    return {str(post): {str(c): t for c, t in mark.items() if isinstance(t, int) and not isinstance(t, bool)}
            for post, mark in data.items() if isinstance(mark, dict)}


def poll(list_comments: ListComments, cursor: str, recent_posts: Iterable[str],
         page_id: str) -> tuple[list[Reply], str]:
    """Citizens' comments on `recent_posts` not seen before `cursor`, and the cursor after them."""
    marks, replies, kept = load_cursor(cursor), [], {}
    for post_id in dict.fromkeys(p for p in recent_posts if p):
        try:
            found, kept[post_id] = _poll_post(list_comments, post_id, marks.get(post_id, {}), page_id)
        except UnknownObject:
            continue  # the post was deleted on Facebook (100/33): nothing more will come from it
        replies += found
    return replies, json.dumps(kept, separators=(",", ":"))


def _poll_post(list_comments: ListComments, post_id: str, mark: dict[str, int],
               page_id: str) -> tuple[list[Reply], dict[str, int]]:
    query: dict[str, Any] = {"filter": "stream", "order": "chronological", "fields": COMMENT_FIELDS,
                             "limit": PAGE_SIZE}
    floor = max(mark.values()) - OVERLAP if mark else None
    if floor is not None:
        query["since"] = max(0, floor)
    found, seen, fresh_pages = [], dict(mark), 0
    for _ in range(MAX_CALLS):
        items, after = _listing(list_comments(post_id, "comments", **query))
        known = len(seen)
        for item in items:
            reply = _take(item, post_id, page_id, floor, seen)
            found += [reply] if reply else []
        fresh_pages += len(seen) > known
        if not after or fresh_pages >= MAX_PAGES:
            break
        query["after"] = after
    return found, _prune(seen)


def _listing(answer: Any) -> tuple[list[dict], str | None]:
    data = answer.get("data") if isinstance(answer, dict) else None
    if not isinstance(data, list):
        raise NotCreated("Facebook answered the list of comments in a form Loa cannot read; nothing was stored.")
    paging = answer.get("paging") if isinstance(answer.get("paging"), dict) else {}
    cursors = paging.get("cursors") if isinstance(paging.get("cursors"), dict) else {}
    after = cursors.get("after") if paging.get("next") else None
    return [item for item in data if isinstance(item, dict)], after if isinstance(after, str) and after else None


def _take(item: dict, post_id: str, page_id: str, floor: float | None, seen: dict[str, int]) -> Reply | None:
    """The Reply for one listed comment, or None when it is known, too old or the Page's own."""
    comment, at = _id(item.get("id")), _epoch(item.get("created_time"))
    if not comment or comment in seen or (floor is not None and at < floor):
        return None
    seen[comment] = int(at)
    author = _author(item.get("from"))
    if author[0] == page_id:
        return None  # our own replies are listed too
    parent = item.get("parent")
    parent_id = _id(parent.get("id")) if isinstance(parent, dict) else ""
    return _reply(comment, post_id, parent_id, item.get("message"), author, at, _photo(item.get("attachment")))


def _photo(attachment: Any) -> str:
    """The image address of a comment's photo attachment (attachment.media.image.src)."""
    media = attachment.get("media") if isinstance(attachment, dict) else None
    image = media.get("image") if isinstance(media, dict) else None
    src = image.get("src") if isinstance(image, dict) else None
    return src if isinstance(src, str) else ""


def _prune(seen: dict[str, int]) -> dict[str, int]:
    """Keep only the ids within OVERLAP of the newest: older ones are below the next `since`."""
    if not seen:
        return {}
    newest = max(seen.values())
    return {c: t for c, t in seen.items() if t >= newest - OVERLAP}
