"""Fake Zalo OA Open API (prefix /zalo) and OAuth v4 token endpoint (prefix /zalo-oauth), per platform-apis §1.9.

Wire rules kept: the `access_token` request header (missing/unknown → -216, expired → -220); the envelope
{"error": 0, "message": "Success", "data": {...}} with HTTP 200 for errors too; X-RateLimit-Limit /
X-RateLimit-Remain headers and -32 when an app's per-minute budget is spent; single-use refresh tokens
(rotated on every refresh; a reused one gets HTTP 200 JSON without `access_token`); `expires_in` as a string;
uploads ≤ 1 MB JPEG/PNG in multipart field `file`; articles answer verify with -214 for N polls; broadcasts
only 06:00–21:59 Vietnam time (-234) and within a monthly quota (-211); CS texts ≤ 2,000 characters inside
the 7-day interaction window (-230 stale, -232 never). Stricter than Zalo on one point: after a refresh the
previous access token stops working at once (-216), so a process still holding it must adopt the new one.
The OAuth error codes (-14xxx) are the fake's own: Zalo's real OAuth error body is unconfirmed (§1.2).

configure(data), all keys optional:
  {"apps": [{"app_id", "app_secret", "rate_per_minute": 4000,     # (re)configuring an app resets its budget;
             "webhook_url": "http://…", "webhook_retry_delays": [0.05, …]}],  # app_secret optional on update
   "oas": [{"oa_id", "name", "app_id", "access_token", "refresh_token", "access_expires_in": 90000,
            "verify_polls": 1, "monthly_broadcasts": 4, "followers": ["<user id>", ...],
            "interactions": {"<user id>": <epoch ms>}, "oa_secret_key": "<signs webhooks>"}],
   "now": <epoch seconds to freeze the fake's clock, or null for real time>,
   "expire_access_token": "<oa id>",          # the OA's current access token expires now (→ -220)
   "fail_next": {"<oa id>": [-223, ...]}}     # the OA's next authorised calls answer these error codes
state(): {"now": <epoch s>, "oas": {"<oa id>": {"name", "app_id", "access_token", "access_expires_at",
   "refresh_token", "refresh_calls": n, "refresh_history": [{"at", "presented", "ok"}], "articles": [...],
   "processing": [{"token", "polls_left"}], "broadcasts": [{"message_id", "article_ids", "target", "followers",
   "month", "at"}], "cs_messages": [{"message_id", "user_id", "message", "at_ms", "seq"}], "uploads": [...],
   "inbox": [<listrecentchat elements, src 1>], "interactions": {...}}},
   "apps": {"<app id>": {"webhook_url", "webhook_disabled"}}, "unknown_refresh_calls": n,
   "deliveries": [{"id", "app_id", "oa_id", "event_name", "url", "status": "pending"|"delivered"|"dropped",
                   "attempts": [{"num_retry", "status" | "error"}], "body": <the JSON sent>, "signature", "delays"}]}
inject(data): {"oa_id", "user_id", "text", "name"?, "image_url"?, "event"?: "follow"|"unfollow"} — a citizen
writes to the OA (opens the 7-day CS window): the message is listed by GET /v2.0/oa/listrecentchat (newest
first, src 1, from_id a JSON number) and, when the OA's app has a webhook_url and the OA an oa_secret_key,
POSTed there at once as user_send_text (user_send_image with image_url) signed with X-ZEvent-Signature =
sha256(app_id + raw body + timestamp + oa_secret_key). Zalo wants HTTP 200 within 2 s; a failed delivery is
retried after each of webhook_retry_delays (Zalo: 30 s … 1 h, scaled down here) with a num_retry header,
then dropped and the app's webhook disabled, as Zalo does, until webhook_url is configured again (§1.6).
`settle()` (in process) waits for deliveries under way.
Faults are keyed by OA id on /zalo and by app id on /zalo-oauth ('timeout' fires before the refresh token
is consumed; only 'timeout' and 'server_error' apply there); fail_after_accept applies to broadcasts.
"""

from __future__ import annotations

import hashlib
import http.client
import itertools
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

from channels.sandbox.core import Platform, Request, Response, Timeout, json_response

VIETNAM = timezone(timedelta(hours=7))
MAX_IMAGE = 1_000_000
REFRESH_LIFETIME = 90 * 86400  # refresh tokens live 3 months (platform-apis §1.2)
WINDOW_MS, FREE_WINDOW_MS, FREE_REPLIES = 7 * 86400_000, 48 * 3600_000, 8
LIMITS = {"title": 150, "author": 50, "description": 300}
RETRY_DELAYS = (0.05, 0.1, 0.2, 0.4, 0.8)  # Zalo retries after 30 s, 5, 15, 30 min and 1 h (§1.6), scaled down
WEBHOOK_TIMEOUT = 2.0  # Zalo wants HTTP 200 within 2 seconds (§1.6)


def ok(data: dict) -> dict:
    return {"error": 0, "message": "Success", "data": data}


def err(code: int, message: str) -> dict:
    return {"error": code, "message": message}


@dataclass
class OA:
    oa_id: str
    name: str
    app_id: str
    access_token: str
    refresh_token: str
    access_expires_at: float
    refresh_expires_at: float
    access_expires_in: int = 90000
    verify_polls: int = 1
    monthly_broadcasts: int = 4
    followers: list = field(default_factory=list)
    interactions: dict = field(default_factory=dict)
    articles: list = field(default_factory=list)
    processing: dict = field(default_factory=dict)  # token -> {"article": ..., "polls_left": n, "id": ...}
    broadcasts: list = field(default_factory=list)
    cs_messages: list = field(default_factory=list)
    uploads: list = field(default_factory=list)
    inbox: list = field(default_factory=list)
    names: dict = field(default_factory=dict)  # user id -> display name, from what they wrote
    oa_secret_key: str = ""
    refresh_calls: int = 0
    refresh_history: list = field(default_factory=list)
    fail_next: list = field(default_factory=list)


class ZaloFake(Platform):
    name = "zalo"
    prefixes = ("zalo", "zalo-oauth")

    def __init__(self, faults):
        super().__init__(faults)
        self.apps: dict[str, dict] = {}
        self.oas: dict[str, OA] = {}
        self.frozen_now: float | None = None
        self.minute_calls: dict[tuple[str, int], int] = {}
        self.refresh_owner: dict[str, str] = {}  # every refresh token ever issued -> its OA id
        self.unknown_refresh_calls = 0
        self.serial = 0
        self.deliveries: list[dict] = []
        self.order = itertools.count(1)  # orders messages sent in the same millisecond (frozen clock)

    def now(self) -> float:
        return self.frozen_now if self.frozen_now is not None else time.time()

    def next_id(self) -> str:
        self.serial += 1
        return str(4_700_000_000_000_000_000 + self.serial)  # Zalo ids are long digit strings

    # -- routing -------------------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        with self.lock:
            self.requests.append(request.log_entry())
        if request.prefix == "zalo-oauth":
            return self._oauth(request)
        return self._api(request)

    def _api(self, request: Request) -> Response:
        route = API_ROUTES.get((request.method, request.path))
        if route is None:
            return Response(404, b"Not Found", [("Content-Type", "text/plain")])
        with self.lock:
            oa = self._oa_by_token(request.headers.get("access_token", ""))
        verdict = self.faults.before(oa.oa_id if oa else "")
        if verdict == "timeout":
            raise Timeout()
        if verdict == "server_error":
            return json_response({"error": -1, "message": "Internal Server Error"}, status=500)
        with self.lock:
            answer = self._authorised(oa, verdict) or getattr(self, route)(oa, request)
            headers = self._rate_headers(oa)
        if isinstance(answer, Response):
            return answer
        return json_response(answer, headers=headers)

    def _oa_by_token(self, token: str) -> OA | None:
        return next((oa for oa in self.oas.values() if token and oa.access_token == token), None)

    def _authorised(self, oa: OA | None, verdict: str | None) -> dict | None:
        if oa is None:
            return err(-216, "Access token is invalid")
        if self.now() >= oa.access_expires_at:
            return err(-220, "Access token has expired")
        if verdict == "rate_limit" or not self._count_call(oa.app_id):
            return err(-32, "The application has exceeded the request limit")
        if oa.fail_next:
            return err(oa.fail_next.pop(0), "Injected error")
        return None

    def _count_call(self, app_id: str) -> bool:
        key = (app_id, int(self.now() // 60))
        if self.minute_calls.get(key, 0) >= self.apps.get(app_id, {}).get("rate_per_minute", 4000):
            return False
        self.minute_calls[key] = self.minute_calls.get(key, 0) + 1
        return True

    def _rate_headers(self, oa: OA | None) -> list[tuple[str, str]]:
        if oa is None:
            return []
        limit = self.apps.get(oa.app_id, {}).get("rate_per_minute", 4000)
        used = self.minute_calls.get((oa.app_id, int(self.now() // 60)), 0)
        return [("X-RateLimit-Limit", str(limit)), ("X-RateLimit-Remain", str(max(0, limit - used)))]

    # -- OAuth ---------------------------------------------------------------------------------------

    def _oauth(self, request: Request) -> Response:
        if (request.method, request.path) != ("POST", "/v4/oa/access_token"):
            return Response(404, b"Not Found", [("Content-Type", "text/plain")])
        app_id = request.form.get("app_id", "")
        verdict = self.faults.before(app_id)  # before anything is consumed
        if verdict == "timeout":
            raise Timeout()
        if verdict == "server_error":
            return json_response({"error": -1, "message": "Internal Server Error"}, status=500)
        with self.lock:
            return json_response(self._grant(request, app_id))

    def _grant(self, request: Request, app_id: str) -> dict:
        app = self.apps.get(app_id)
        if not request.content_type.startswith("application/x-www-form-urlencoded"):
            return {"error": -14003, "error_name": "Invalid parameter", "error_reason": "form body expected"}
        if app is None:
            return {"error": -14002, "error_name": "Invalid app_id", "error_reason": "unknown app"}
        if request.headers.get("secret_key") != app["app_secret"]:
            return {"error": -14004, "error_name": "Invalid secret key", "error_reason": "secret_key header"}
        if request.form.get("grant_type") != "refresh_token":
            return {"error": -14003, "error_name": "Invalid parameter", "error_reason": "grant_type"}
        return self._rotate(request.form.get("refresh_token", ""), app_id)

    def _rotate(self, presented: str, app_id: str) -> dict:
        oa = self.oas.get(self.refresh_owner.get(presented, ""))
        if oa is None or oa.app_id != app_id:
            self.unknown_refresh_calls += 1
            return {"error": -14014, "error_name": "Invalid refresh token", "error_reason": "unknown refresh token"}
        oa.refresh_calls += 1
        good = presented == oa.refresh_token and self.now() < oa.refresh_expires_at
        oa.refresh_history.append({"at": self.now(), "presented": presented, "ok": good})
        if not good:
            return {"error": -14014, "error_name": "Invalid refresh token",
                    "error_reason": "refresh token was already used or has expired"}
        self._issue(oa, "at_" + uuid.uuid4().hex, "rt_" + uuid.uuid4().hex)
        return {"access_token": oa.access_token, "refresh_token": oa.refresh_token,
                "expires_in": str(oa.access_expires_in)}

    def _issue(self, oa: OA, access: str, refresh: str) -> None:
        oa.access_token, oa.refresh_token = access, refresh
        oa.access_expires_at = self.now() + oa.access_expires_in
        oa.refresh_expires_at = self.now() + REFRESH_LIFETIME
        self.refresh_owner[refresh] = oa.oa_id

    # -- OA endpoints --------------------------------------------------------------------------------

    def getoa(self, oa: OA, request: Request) -> dict:
        return ok({"oa_id": oa.oa_id, "name": oa.name, "description": "", "is_verified": True,
                   "num_follower": len(oa.followers), "avatar": "", "cover": ""})

    def upload_image(self, oa: OA, request: Request) -> dict:
        upload = request.files.get("file")
        if upload is None:
            return err(-201, "file is missing")
        if len(upload.content) > MAX_IMAGE:
            return err(-210, "Image size exceeds 1MB")
        if not upload.content.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")):
            return err(-201, "Only jpg and png images are supported")
        attachment_id = uuid.uuid4().hex
        oa.uploads.append({"attachment_id": attachment_id, "filename": upload.filename,
                           "content_type": upload.content_type, "size": len(upload.content)})
        return ok({"attachment_id": attachment_id})

    def article_create(self, oa: OA, request: Request) -> dict:
        body = _json(request)
        problem = _article_problem(body)
        if problem:
            return err(*problem)
        token = uuid.uuid4().hex
        oa.processing[token] = {"article": body, "polls_left": oa.verify_polls, "id": None}
        return ok({"token": token})

    def article_verify(self, oa: OA, request: Request) -> dict:
        job = oa.processing.get(str((_json(request) or {}).get("token", "")))
        if job is None:
            return err(-201, "token is invalid")
        if job["polls_left"] > 0:
            job["polls_left"] -= 1
            return err(-214, "Article is being processed")
        if job["id"] is None:
            job["id"] = self.next_id()
            oa.articles.insert(0, {**job["article"], "id": job["id"], "create_date": int(self.now() * 1000),
                                   "link": f"https://zalo.sandbox.invalid/article/{job['id']}"})
        return ok({"id": job["id"]})

    def article_detail(self, oa: OA, request: Request) -> dict:
        article = next((a for a in oa.articles if a["id"] == request.query.get("id")), None)
        return ok(article) if article else err(-201, "Article not found")

    def article_slice(self, oa: OA, request: Request) -> dict:
        try:
            offset, limit = int(request.query.get("offset", 0)), int(request.query.get("limit", 10))
        except ValueError:
            return err(-201, "offset and limit must be numbers")
        if limit > 10:
            return err(-210, "limit must not exceed 10")
        kind = request.query.get("type", "normal")
        chosen = [a for a in oa.articles if a["type"] == kind]
        medias = [{"id": a["id"], "type": a["type"], "title": a["title"], "status": a["status"],
                   "total_view": 0, "total_share": 0, "create_date": a["create_date"],
                   "update_date": a["create_date"], "thumb": a["cover"]["photo_url"], "link_view": a["link"]}
                  for a in chosen[offset:offset + limit]]
        return ok({"medias": medias, "total": len(chosen)})

    def broadcast(self, oa: OA, request: Request) -> dict | Response:
        body = _json(request)
        ids = _broadcast_articles(body)
        known = {a["id"] for a in oa.articles}
        if ids is None or not ids or not set(ids) <= known:
            return err(-201, "attachment_id is invalid")
        if not 6 <= datetime.fromtimestamp(self.now(), VIETNAM).hour < 22:
            return err(-234, "This message type cannot be sent at night (22:00 - 06:00)")
        month = datetime.fromtimestamp(self.now(), VIETNAM).strftime("%Y-%m")
        if sum(1 for b in oa.broadcasts if b["month"] == month) >= oa.monthly_broadcasts:
            return err(-211, "Out of quota")
        message_id = uuid.uuid4().hex
        oa.broadcasts.append({"message_id": message_id, "article_ids": ids, "target": body["recipient"]["target"],
                              "followers": len(oa.followers), "month": month, "at": self.now()})
        if self.faults.fail_after_accept(oa.oa_id):
            return json_response({"error": -1, "message": "Internal Server Error"}, status=500)
        return ok({"message_id": message_id})

    def message_cs(self, oa: OA, request: Request) -> dict:
        body = _json(request) or {}
        user_id = str((body.get("recipient") or {}).get("user_id", ""))
        message = body.get("message") or {}
        problem = _cs_problem(message)
        if not user_id or problem:
            return err(*(problem or (-201, "recipient.user_id is missing")))
        last = oa.interactions.get(user_id)
        if last is None:
            return err(-232, "User has not interacted with the OA")
        if self.now() * 1000 - last > WINDOW_MS:
            return err(-230, "User has not interacted with the OA in the last 7 days")
        message_id = uuid.uuid4().hex
        free_used = sum(1 for m in oa.cs_messages if m["user_id"] == user_id and m["at_ms"] >= last)
        oa.cs_messages.append({"message_id": message_id, "user_id": user_id, "message": message,
                               "at_ms": int(self.now() * 1000), "seq": next(self.order)})
        data = {"message_id": message_id, "user_id": user_id}
        if self.now() * 1000 - last <= FREE_WINDOW_MS and free_used < FREE_REPLIES:  # else paid: no quota
            data["quota"] = {"quota_type": "reply", "remain": str(FREE_REPLIES - free_used - 1),
                             "total": str(FREE_REPLIES)}
        return ok(data)

    def list_recent_chat(self, oa: OA, request: Request) -> dict:
        """GET /v2.0/oa/listrecentchat?data={"offset","count"}: the OA's messages both ways, newest first,
        at most 10 per request (§1.5); ids are JSON numbers, as Zalo sends them (§1.1)."""
        try:
            query = json.loads(request.query["data"])
            offset, count = query["offset"], query["count"]
        except (KeyError, ValueError, TypeError):
            return err(-201, "data must be a JSON object with offset and count")
        if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in (offset, count)):
            return err(-201, "offset and count must be non-negative integers")
        if count > 10:
            return err(-210, "count must not exceed 10")
        chat = [(m["seq"], {k: v for k, v in m.items() if k != "seq"}) for m in oa.inbox]
        chat += [(m["seq"], self._sent_element(oa, m)) for m in oa.cs_messages]
        chat.sort(key=lambda pair: (pair[1]["time"], pair[0]), reverse=True)
        return {"error": 0, "message": "Success", "data": [element for _, element in chat[offset:offset + count]]}

    def _sent_element(self, oa: OA, sent: dict) -> dict:
        """A CS message the OA sent, as listrecentchat shows it (src 0)."""
        text = sent["message"].get("text")
        return {"src": 0, "time": sent["at_ms"], "type": "text" if text else "photo",
                "message": text or "", "message_id": sent["message_id"], "from_id": _number(oa.oa_id),
                "to_id": _number(sent["user_id"]), "from_display_name": oa.name, "from_avatar": "",
                "to_display_name": oa.names.get(sent["user_id"], ""), "to_avatar": ""}

    # -- control surface -----------------------------------------------------------------------------

    def configure(self, data: dict) -> dict:
        with self.lock:
            if "now" in data:
                self.frozen_now = data["now"]
            for app in data.get("apps", ()):
                self._add_app(app)
            for spec in data.get("oas", ()):
                self._add_oa(spec)
            for oa_id, codes in data.get("fail_next", {}).items():
                self.oas[str(oa_id)].fail_next.extend(int(c) for c in codes)
            if data.get("expire_access_token"):
                self.oas[str(data["expire_access_token"])].access_expires_at = self.now() - 1
            return {"apps": sorted(self.apps), "oas": sorted(self.oas)}

    def _add_app(self, spec: dict) -> None:
        app_id = str(spec["app_id"])
        app = self.apps.setdefault(app_id, {"app_secret": spec.get("app_secret", ""), "webhook_url": "",
                                            "webhook_retry_delays": list(RETRY_DELAYS), "webhook_disabled": False})
        app.update({k: spec[k] for k in ("app_secret", "webhook_retry_delays") if k in spec})
        app["rate_per_minute"] = int(spec.get("rate_per_minute", 4000))
        if "webhook_url" in spec:  # setting the URL again re-subscribes an app whose webhook Zalo disabled
            app["webhook_url"], app["webhook_disabled"] = spec["webhook_url"] or "", False
        self.minute_calls = {k: v for k, v in self.minute_calls.items() if k[0] != app_id}

    def _add_oa(self, spec: dict) -> None:
        oa = OA(oa_id=str(spec["oa_id"]), name=spec.get("name", "OA"), app_id=str(spec["app_id"]),
                access_token="", refresh_token="", access_expires_at=0, refresh_expires_at=0,
                access_expires_in=int(spec.get("access_expires_in", 90000)),
                verify_polls=int(spec.get("verify_polls", 1)),
                monthly_broadcasts=int(spec.get("monthly_broadcasts", 4)),
                followers=[str(f) for f in spec.get("followers", ())],
                interactions={str(k): int(v) for k, v in spec.get("interactions", {}).items()},
                oa_secret_key=str(spec.get("oa_secret_key", "")))
        self.oas[oa.oa_id] = oa
        self._issue(oa, spec["access_token"], spec["refresh_token"])

    @classmethod
    def demo_account(cls, slug: str, title: str) -> tuple[dict, dict[str, str]]:
        digest = hashlib.sha256(slug.encode()).hexdigest()
        oa_id, app_id = str(int(digest[:15], 16)), str(int(digest[15:27], 16))
        secret, access, refresh = f"secret-{slug}", f"at-{slug}-0", f"rt-{slug}-0"
        account = {"apps": [{"app_id": app_id, "app_secret": secret}],
                   "oas": [{"oa_id": oa_id, "name": title, "app_id": app_id, "access_token": access,
                            "refresh_token": refresh, "verify_polls": 1, "monthly_broadcasts": 40,
                            "oa_secret_key": f"oa-secret-{slug}"}]}
        pairs = {"oa_id": oa_id, "app_id": app_id, "app_secret": secret, "access_token": access,
                 "oa_secret_key": f"oa-secret-{slug}",
                 "refresh_token": refresh, "default_cover_url": "https://loa.example/cover.png",
                 "author": title[:50], "night_rule": "off", "monthly_broadcasts": "40"}
        return account, pairs

    def state(self) -> dict:
        with self.lock:
            oas = {}
            for oa in self.oas.values():
                view = {k: v for k, v in vars(oa).items() if k != "processing"}
                view["processing"] = [{"token": t, "polls_left": j["polls_left"]} for t, j in oa.processing.items()]
                oas[oa.oa_id] = json.loads(json.dumps(view))
            apps = {app_id: {"webhook_url": app["webhook_url"], "webhook_disabled": app["webhook_disabled"]}
                    for app_id, app in self.apps.items()}
            return {"now": self.now(), "oas": oas, "apps": apps, "unknown_refresh_calls": self.unknown_refresh_calls,
                    "deliveries": json.loads(json.dumps(self.deliveries))}

    def inject(self, data: dict) -> dict:
        """A citizen writes to (or follows, or leaves) the OA: listed for polling, and sent to the webhook."""
        with self.lock:
            oa = self.oas.get(str(data.get("oa_id")))
            if oa is None:
                return {"error": f"unknown OA {data.get('oa_id')!r}"}
            user_id, at_ms = str(data["user_id"]), int(self.now() * 1000)
            if data.get("event") in ("follow", "unfollow"):
                envelope, answer = self._follow(oa, user_id, data["event"], at_ms), {}
            else:
                envelope, answer = self._user_message(oa, user_id, data, at_ms)
            delivery = self._queue_delivery(oa, envelope)
        if delivery is not None:
            self._start(delivery)
        return {**answer, "user_id": user_id, "timestamp": str(at_ms), "delivery": delivery and delivery["id"]}

    def _user_message(self, oa: OA, user_id: str, data: dict, at_ms: int) -> tuple[dict, dict]:
        """Store the message as listrecentchat shows it; the user_send_* envelope the webhook carries."""
        msg_id, text, image = uuid.uuid4().hex[:20], data.get("text", ""), data.get("image_url")
        oa.interactions[user_id] = at_ms  # a message opens the 7-day CS window (§1.3)
        oa.names[user_id] = data.get("name", "Người dân")
        element = {"src": 1, "time": at_ms, "type": "photo" if image else "text", "message": text,
                   "message_id": msg_id, "from_id": _number(user_id), "to_id": _number(oa.oa_id),
                   "from_display_name": oa.names[user_id], "from_avatar": "", "to_display_name": oa.name,
                   "to_avatar": "", **({"url": image, "thumb": image, "description": ""} if image else {})}
        oa.inbox.append({**element, "seq": next(self.order)})
        message = {"text": text, "msg_id": msg_id}
        if image:
            message["attachments"] = [{"type": "image", "payload": {"thumbnail": image, "url": image}}]
        envelope = {"app_id": oa.app_id, "sender": {"id": user_id}, "user_id_by_app": _by_app(oa.app_id, user_id),
                    "recipient": {"id": oa.oa_id}, "event_name": "user_send_image" if image else "user_send_text",
                    "message": message, "timestamp": str(at_ms)}
        return envelope, {"msg_id": msg_id}

    def _follow(self, oa: OA, user_id: str, event: str, at_ms: int) -> dict:
        oa.followers = [f for f in oa.followers if f != user_id] + ([user_id] if event == "follow" else [])
        if event == "follow":
            oa.interactions[user_id] = at_ms  # following opens the CS window too (§1.3)
        return {"oa_id": oa.oa_id, "follower": {"id": user_id}, "user_id_by_app": _by_app(oa.app_id, user_id),
                "event_name": event, "source": "oa_profile", "app_id": oa.app_id, "timestamp": str(at_ms)}

    # -- the webhook emitter -------------------------------------------------------------------------

    def _queue_delivery(self, oa: OA, envelope: dict) -> dict | None:
        """A delivery record with the exact bytes and headers to send, or None when no webhook is set."""
        app = self.apps.get(oa.app_id)
        if not app or not app["webhook_url"] or app["webhook_disabled"] or not oa.oa_secret_key:
            return None
        body = json.dumps(envelope, ensure_ascii=False)  # raw UTF-8 on the wire, as Zalo sends Vietnamese
        mac = hashlib.sha256(oa.app_id.encode() + body.encode() + envelope["timestamp"].encode()
                             + oa.oa_secret_key.encode()).hexdigest()
        delivery = {"id": len(self.deliveries) + 1, "app_id": oa.app_id, "oa_id": oa.oa_id,
                    "event_name": envelope["event_name"], "url": app["webhook_url"], "status": "pending",
                    "attempts": [], "body": body, "signature": mac, "delays": list(app["webhook_retry_delays"])}
        self.deliveries.append(delivery)
        return delivery

    def _start(self, delivery: dict) -> None:
        thread = threading.Thread(target=self._deliver, args=(delivery,), name="zalo-webhook", daemon=True)
        with self.lock:
            self.threads.append(thread)
        thread.start()

    def _deliver(self, delivery: dict) -> None:
        """POST until HTTP 200, retrying after each delay with num_retry; then drop and disable (§1.6)."""
        for attempt, delay in enumerate([0.0, *delivery["delays"]]):
            time.sleep(delay)  # the platform's retry schedule, scaled down; not a test's synchronisation
            outcome = self._post(delivery, attempt)
            with self.lock:
                delivery["attempts"].append({"num_retry": attempt, **outcome})
                if outcome.get("status") == 200:
                    delivery["status"] = "delivered"
                    return
        with self.lock:
            delivery["status"] = "dropped"
            self.apps[delivery["app_id"]]["webhook_disabled"] = True

    def _post(self, delivery: dict, attempt: int) -> dict:
        url = urlsplit(delivery["url"])
        connection_class = http.client.HTTPSConnection if url.scheme == "https" else http.client.HTTPConnection
        headers = {"Content-Type": "application/json", "X-ZEvent-Signature": delivery["signature"]}
        if attempt:
            headers["num_retry"] = str(attempt)
        connection = connection_class(url.hostname, url.port, timeout=WEBHOOK_TIMEOUT)
        try:
            path = (url.path or "/") + (f"?{url.query}" if url.query else "")
            connection.request("POST", path, delivery["body"].encode(), headers)
            response = connection.getresponse()
            response.read()
            return {"status": response.status}
        except (OSError, http.client.HTTPException) as exc:
            return {"error": type(exc).__name__}
        finally:
            connection.close()

    def reset(self) -> None:
        self.settle()
        with self.lock:
            super().reset()
            self.deliveries.clear()


API_ROUTES = {
    ("GET", "/v2.0/oa/getoa"): "getoa",
    ("POST", "/v2.0/oa/upload/image"): "upload_image",
    ("POST", "/v2.0/article/create"): "article_create",
    ("POST", "/v2.0/article/verify"): "article_verify",
    ("GET", "/v2.0/article/getdetail"): "article_detail",
    ("GET", "/v2.0/article/getslice"): "article_slice",
    ("POST", "/v2.0/oa/message"): "broadcast",
    ("POST", "/v3.0/oa/message/cs"): "message_cs",
    ("GET", "/v2.0/oa/listrecentchat"): "list_recent_chat",
}


def _number(user_or_oa_id: str) -> int | str:
    """listrecentchat's from_id/to_id are JSON numbers (integers past 2^53, §1.1); kept as text if not digits."""
    return int(user_or_oa_id) if user_or_oa_id.isdigit() else user_or_oa_id


def _by_app(app_id: str, user_id: str) -> str:
    """user_id_by_app: the app-scoped id, different from the OA-scoped one (§1.6)."""
    return str(int(hashlib.sha256(f"{app_id}:{user_id}".encode()).hexdigest()[:15], 16))


def _json(request: Request):
    if not request.content_type.startswith("application/json"):
        return None
    try:
        return request.json()
    except ValueError:
        return None


def _article_problem(body) -> tuple[int, str] | None:
    """Zalo's checks on a normal article (platform-apis §1.4): required fields, lengths, a photo cover."""
    if not isinstance(body, dict) or body.get("type") != "normal":
        return -201, "type must be normal"
    for key, limit in LIMITS.items():
        if not isinstance(body.get(key), str) or not body[key]:
            return -201, f"{key} is required"
        if len(body[key]) > limit:
            return -210, f"{key} exceeds {limit} characters"
    cover = body.get("cover") or {}
    if cover.get("cover_type") != "photo" or not cover.get("photo_url") or cover.get("status") not in ("show", "hide"):
        return -201, "cover is invalid"
    if not isinstance(body.get("body"), list) or not all(_paragraph_ok(p) for p in body["body"]):
        return -201, "body is invalid"
    if body.get("status") not in ("show", "hide") or body.get("comment", "show") not in ("show", "hide"):
        return -201, "status is invalid"
    return None


def _paragraph_ok(p) -> bool:
    if not isinstance(p, dict):
        return False
    if p.get("type") == "text":
        return isinstance(p.get("content"), str)
    return p.get("type") == "image" and isinstance(p.get("url"), str) and p["url"].startswith(("http://", "https://"))


def _broadcast_articles(body) -> list[str] | None:
    """The article ids of a broadcast body, or None when its shape is wrong (platform-apis §1.3.3)."""
    try:
        target = body["recipient"]["target"]
        payload = body["message"]["attachment"]["payload"]
        if not isinstance(target, dict) or body["message"]["attachment"]["type"] != "template":
            return None
        if payload["template_type"] != "media" or not 1 <= len(payload["elements"]) <= 5:
            return None
        if any(e.get("media_type") != "article" for e in payload["elements"]):
            return None
        return [str(e["attachment_id"]) for e in payload["elements"]]
    except (KeyError, TypeError, AttributeError):
        return None


def _cs_problem(message: dict) -> tuple[int, str] | None:
    """CS message checks (platform-apis §1.3.1): text ≤ 2,000; one media element at most."""
    text, attachment = message.get("text"), message.get("attachment")
    if not text and not attachment:
        return -201, "message.text is required"
    if text is not None and (not isinstance(text, str) or len(text) > 2000):
        return -210, "text exceeds 2000 characters"
    if attachment:
        elements = ((attachment.get("payload") or {}).get("elements")) or []
        if attachment.get("type") == "template" and len(elements) != 1:
            return -201, "elements must contain exactly one element"
    return None
