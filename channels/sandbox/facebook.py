"""A strict, stateful fake of the Graph API's Page endpoints Loa uses (platform-apis.md §2.3-2.6, §2.9).

Paths below the prefix `/facebook`, each under `/vNN.N/`:
  POST /{page}/feed (message, link, attached_media, published; `fields` adds permalink_url)
  POST /{page}/photos (multipart `source` or `url`; caption or message; published) -> {id, post_id} | {id}
  GET  /{page}/posts, /{page}/feed (fields, limit, after; paging.cursors and an absolute paging.next)
  GET  /{id}?fields=...            (a page, post, photo or comment)
  GET  /{post or comment}/comments (filter=toplevel|stream, order=chronological|reverse_chronological,
                                    since (Unix seconds, whole seconds as Facebook keeps them), limit, after)
  POST /{post or comment}/comments (message, attachment_url) -> {id}
The token is `access_token` in the query or the form; `appsecret_proof` (hex HMAC-SHA256 of the
token keyed by the app secret) is required when the page has an app_secret.

configure(data) — pages, added or replaced by id; every key but id and access_token is optional:
  {"pages": [{"id": "1234567890", "name": "UBND phường Bình Hưng", "access_token": "EAAB...",
              "app_secret": null,
              "token_status": "valid" | "expired" (190/463) | "invalid" (190/467)
                              | "password_changed" (190/460) | "app_removed" (190/458),
              "budget_calls": 200,    # calls before code 32; the usage headers grow towards it
              "used_calls": 0,        # calls already spent, to start near the budget
              "regain_minutes": 15,   # estimated_time_to_regain_access when throttled
              "throttle_code": 32,    # code answered when throttled: 32 (Page), 4 (app), 17, 613, 80001
              "blocked": false,       # true: posting is refused with 368 (policy block)
              "webhook": {"url": "http://127.0.0.1:8000/hooks/facebook/",  # the app's callback URL
                          "app_secret": "...",     # signs deliveries; default the page's app_secret (one needed)
                          "verify_token": "...",   # optional: configure first does the GET handshake, and
                                                   # delivers nothing unless the challenge comes back
                          "fields": ["feed"],      # subscribed fields; only `feed` is emitted
                          "retry_delays": [1, 2]}}]}  # seconds before each retry (Facebook: up to 36 h)
  -> {"pages": [ids]} (+ "webhooks": {"<page id>": "verified" | "refused" | "subscribed"}), or {"error"}
     when a webhook has no app secret to sign with (then nothing changes).
state() -> {"pages": {"<page id>": {"name", "calls",
    "posts": [{id, message, link, attached_media, created_time, permalink_url, published}],
    "photos": [{id, caption, published, post_id, filename, content_type, size, url, created_time}],
    "comments": {"<post id>": [{id, message, from, created_time, parent_id, post_id, photo}]},
    "webhook": {url, fields, retry_delays, active} | null,
    "deliveries": [{id, url, status: pending|delivered|dropped, attempts: [{status} | {error}],
                    envelope, signature}]}}}
inject(data), a citizen acting on the page (Facebook echoes it to the webhook and the listings):
  add (default)  {"page_id", "post_id", "parent_id"?, "from": {"id", "name"}, "message", "photo"?} -> {"id"}
  edit           {"page_id", "comment_id", "verb": "edited", "message"} -> {"id"}
  remove         {"page_id", "comment_id", "verb": "remove"} -> {"id"} (its replies go with it)
Webhook deliveries: POST {"object": "page", "entry": [{"id", "time", "changes": [{"field": "feed",
"value": {...}}]}]} as Facebook writes it (ASCII JSON, "/" escaped) with X-Hub-Signature-256
(sha256=HMAC of the exact bytes) and X-Hub-Signature (sha1); values: item "comment" (verb add, edited,
remove; from, comment_id, post_id, parent_id, created_time as Unix seconds, message, photo?, post{id,
permalink_url}), item "status"/"photo" when the Page publishes, and the Page's own comments too
(from.id = the Page). Anything but HTTP 200 is retried after each of retry_delays, then dropped.
`settle(timeout)` (in process) waits until every delivery under way is delivered or dropped.
Faults are keyed by page id: timeout, server_error (500, code 1), rate_limit (the throttle code),
fail_after_accept (the write is stored, then answered with that 500).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import re
import secrets
import threading
import time
from urllib.parse import urlencode, urlsplit

from channels.sandbox.core import Platform, Request, Response, Timeout, json_response

VERSION_RE = re.compile(r"^v\d{1,3}\.\d{1,2}$")
TEXT_CHARS = 63206
PHOTO_BYTES = 4 * 1024 * 1024
RETRY_DELAYS = (1.0, 2.0)  # Facebook retries failed deliveries for up to 36 hours; scaled down here
WEBHOOK_TIMEOUT = 5.0
TOKEN_ERRORS = {
    "expired": (463, "Error validating access token: Session has expired."),
    "invalid": (467, "Error validating access token: The session is invalid because the user logged out."),
    "password_changed": (460, "Error validating access token: The session has been invalidated because the user "
                              "changed their password."),
    "app_removed": (458, "Error validating access token: The user has not authorized application."),
}
THROTTLE_MESSAGES = {
    4: "(#4) Application request limit reached",
    17: "(#17) User request limit reached",
    32: "(#32) Page request limit reached",
    613: "(#613) Calls to this api have exceeded the rate limit.",
    80001: "(#80001) There have been too many calls to this Page account. Wait a bit and try again.",
}
FIELDS = {  # (allowed, default) per node type
    "page": ({"id", "name", "link"}, "id,name"),
    "post": ({"id", "message", "created_time", "permalink_url", "link", "is_published"}, "id,message,created_time"),
    "photo": ({"id", "name", "created_time", "page_story_id"}, "id,created_time"),
    "comment": ({"id", "message", "from", "created_time", "parent", "attachment"}, "id,message,created_time,from"),
}
PERMISSION = ("(#200) If posting to a page, requires both pages_read_engagement and pages_manage_posts "
              "as an admin with sufficient administrative permission")


class GraphError(Exception):
    """Raised inside a handler: becomes the Graph error envelope."""

    def __init__(self, code: int, message: str, subcode: int = 0, status: int = 400, kind: str = "OAuthException"):
        super().__init__(message)
        self.code, self.message, self.subcode, self.status, self.kind = code, message, subcode, status, kind


def _now(at: float | None = None) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.gmtime(at))


def _cursor(object_id: str) -> str:
    return base64.urlsafe_b64encode(object_id.encode()).decode().rstrip("=")


def _uncursor(cursor: str) -> str:
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except ValueError:
        raise GraphError(100, "(#100) Invalid cursor") from None


def _is_image(content: bytes) -> bool:
    return content.startswith(b"\xff\xd8\xff") or content.startswith(b"\x89PNG\r\n\x1a\n")


class FacebookFake(Platform):
    name = "facebook"
    prefixes = ("facebook",)

    def __init__(self, faults):
        super().__init__(faults)
        self.pages: dict[str, dict] = {}
        self.tokens: dict[str, str] = {}
        self.objects: dict[str, tuple[str, str, dict]] = {}  # id -> (type, page id, record)
        self._seq = 100000000000000

    # control surface -------------------------------------------------------------------------

    def configure(self, data: dict) -> dict:
        with self.lock:
            unsigned = [str(p.get("id")) for p in data.get("pages", [])
                        if p.get("webhook") and not (p["webhook"].get("app_secret") or p.get("app_secret"))]
            if unsigned:
                return {"error": f"page {unsigned[0]}: a webhook needs an app_secret to sign its deliveries"}
            webhooks = {}
            for raw in data.get("pages", []):
                page = {"name": "", "app_secret": None, "token_status": "valid", "budget_calls": 200,
                        "used_calls": 0, "regain_minutes": 15, "throttle_code": 32, "blocked": False, **raw}
                page["id"] = str(page["id"])
                old = self.pages.get(page["id"], {})
                page.update(calls=int(page["used_calls"]), posts=old.get("posts", []),
                            photos=old.get("photos", []), comments=old.get("comments", {}),
                            deliveries=old.get("deliveries", []), webhook=self._webhook(page))
                self.tokens = {t: p for t, p in self.tokens.items() if p != page["id"]}
                self.tokens[page["access_token"]] = page["id"]
                self.pages[page["id"]] = page
                if page["webhook"]:
                    webhooks[page["id"]] = self._subscribe(page["webhook"])
            return {"pages": sorted(self.pages), **({"webhooks": webhooks} if webhooks else {})}

    @staticmethod
    def _webhook(page: dict) -> dict | None:
        raw = page.get("webhook")
        if not raw:
            return None
        return {"url": str(raw["url"]), "app_secret": str(raw.get("app_secret") or page["app_secret"]),
                "verify_token": raw.get("verify_token"), "fields": list(raw.get("fields", ["feed"])),
                "retry_delays": [float(d) for d in raw.get("retry_delays", RETRY_DELAYS)], "active": False}

    def _subscribe(self, hook: dict) -> str:
        """Facebook checks a callback URL before saving it: GET with hub.challenge, which must come back."""
        if not hook["verify_token"]:
            hook["active"] = True
            return "subscribed"
        challenge = str(secrets.randbelow(10 ** 10))
        query = urlencode({"hub.mode": "subscribe", "hub.challenge": challenge,
                           "hub.verify_token": hook["verify_token"]})
        url = hook["url"] + ("&" if "?" in hook["url"] else "?") + query
        outcome = _http("GET", url, b"", {})
        answer = outcome.get("body", b"").decode("utf-8", "replace")
        hook["active"] = outcome.get("status") == 200 and answer == challenge
        return "verified" if hook["active"] else "refused"

    @classmethod
    def demo_account(cls, slug: str, title: str) -> tuple[dict, dict[str, str]]:
        page_id = str(int(hashlib.sha256(slug.encode()).hexdigest()[:12], 16))
        token = f"EAAB-demo-{slug}"
        account = {"pages": [{"id": page_id, "name": title, "access_token": token, "budget_calls": 100000}]}
        return account, {"page_id": page_id, "access_token": token}

    def state(self) -> dict:
        with self.lock:
            return {"pages": {pid: {"name": p["name"], "calls": p["calls"], "posts": list(p["posts"]),
                                    "photos": list(p["photos"]), "comments": {
                                        k: [{f: v for f, v in c.items() if not f.startswith("_")} for c in comments]
                                        for k, comments in p["comments"].items()},
                                    "webhook": {k: v for k, v in p["webhook"].items() if k in ("url", "fields",
                                                "retry_delays", "active")} if p["webhook"] else None,
                                    "deliveries": [{k: v for k, v in d.items() if k != "body"}
                                                   for d in p["deliveries"]]}
                              for pid, p in self.pages.items()}}

    def inject(self, data: dict) -> dict:
        with self.lock:
            page = self.pages.get(str(data.get("page_id")))
            verb = data.get("verb", "add")
            if verb not in ("add", "edited", "remove"):
                return {"error": "verb must be add, edited or remove"}
            if verb != "add":
                record = self.objects.get(str(data.get("comment_id")))
                if page is None or not record or record[0] != "comment" or record[1] != page["id"]:
                    return {"error": "unknown page or comment"}
                return self._edit(page, record[2], str(data.get("message", ""))) if verb == "edited" \
                    else self._remove(page, record[2])
            target = str(data.get("parent_id") or data.get("post_id"))
            if page is None or self._owner(target) != page["id"]:
                return {"error": "unknown page, post or comment"}
            comment = self._add_comment(page, target, str(data.get("message", "")), dict(data.get("from") or {}),
                                        str(data.get("photo") or ""))
            return {"id": comment["id"]}

    def _edit(self, page: dict, comment: dict, message: str) -> dict:
        comment["message"] = message
        self._emit(page, self._comment_change(comment, "edited"))
        return {"id": comment["id"]}

    def _remove(self, page: dict, comment: dict) -> dict:
        """Delete a comment and the replies under it, as Facebook does; the change carries no text."""
        gone = {comment["id"]}
        for other in page["comments"][comment["post_id"]]:  # chronological: a reply follows its parent
            if other["parent_id"] in gone:
                gone.add(other["id"])
        page["comments"][comment["post_id"]] = [c for c in page["comments"][comment["post_id"]] if c["id"] not in gone]
        for comment_id in gone:
            self.objects.pop(comment_id, None)
        change = self._comment_change(comment, "remove")
        change.pop("message", None)
        change.pop("photo", None)
        change["from"] = {"id": comment["from"].get("id", "")}
        self._emit(page, change)
        return {"id": comment["id"]}

    # dispatch --------------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        with self.lock:
            self.requests.append(request.log_entry())
            params = request.params()
            page = self.pages.get(self.tokens.get(str(params.get("access_token") or ""), ""))
        parts = request.path.strip("/").split("/")
        key = page["id"] if page else (parts[1] if len(parts) > 1 else "")
        verdict = self.faults.before(key)
        if verdict == "timeout":
            raise Timeout()
        if verdict == "server_error":
            return self._server_error(page)
        try:
            if verdict == "rate_limit":
                raise self._throttle(page)
            with self.lock:
                return self._serve(request, parts, params, page)
        except GraphError as exc:
            return self._error(exc, page)

    def _serve(self, request: Request, parts: list[str], params: dict, page: dict | None) -> Response:
        if len(parts) not in (2, 3) or not VERSION_RE.match(parts[0]):
            raise GraphError(2500, f"Unknown path components: {request.path}")
        self._authorise(params, page)
        page["calls"] += 1
        if page["calls"] > int(page["budget_calls"]):
            raise self._throttle(page)
        object_id, edge = parts[1], (parts[2] if len(parts) == 3 else "")
        owner = self._owner(object_id)
        if owner is None:
            raise GraphError(100, f"Unsupported {request.method.lower()} request. Object with ID '{object_id}' does "
                                  "not exist, cannot be loaded due to missing permissions, or does not support this "
                                  "operation.", subcode=33, kind="GraphMethodException")
        if owner != page["id"]:
            raise GraphError(200, PERMISSION)
        route = ROUTES.get((request.method, self._type(object_id), edge))
        if route is None:
            raise GraphError(2500, f"Unknown path components: /{edge}")
        return self._ok(route(self, request, params, page, object_id), page)

    def _authorise(self, params: dict, page: dict | None) -> None:
        token = str(params.get("access_token") or "")
        if not token:
            raise GraphError(104, "An access token is required to request this resource.")
        if page is None:
            raise GraphError(190, "Invalid OAuth access token - Cannot parse access token", subcode=467)
        if page["token_status"] in TOKEN_ERRORS:
            subcode, message = TOKEN_ERRORS[page["token_status"]]
            raise GraphError(190, message, subcode=subcode)
        if page["app_secret"]:
            proof = str(params.get("appsecret_proof") or "")
            expected = hmac.new(page["app_secret"].encode(), token.encode(), hashlib.sha256).hexdigest()
            if not proof:
                raise GraphError(100, "API calls from the server require an appsecret_proof argument",
                                 kind="GraphMethodException")
            if not hmac.compare_digest(proof, expected):
                raise GraphError(100, "Invalid appsecret_proof provided in the API argument", kind="GraphMethodException")

    def _owner(self, object_id: str) -> str | None:
        if object_id in self.pages:
            return object_id
        record = self.objects.get(object_id)
        return record[1] if record else None

    def _type(self, object_id: str) -> str:
        return "page" if object_id in self.pages else self.objects[object_id][0]

    # answers ---------------------------------------------------------------------------------

    def _usage(self, page: dict | None, minutes: int = 0, percent: int | None = None) -> list[tuple[str, str]]:
        if percent is None:
            percent = int(100 * page["calls"] / max(1, int(page["budget_calls"]))) if page else 0
        usage = {"call_count": percent, "total_time": percent, "total_cputime": percent}
        headers = [("X-App-Usage", json.dumps(usage))]
        if page:
            buc = {page["id"]: [{"type": "pages", **usage, "estimated_time_to_regain_access": minutes}]}
            headers.append(("X-Business-Use-Case-Usage", json.dumps(buc)))
        return headers

    def _ok(self, body: dict, page: dict) -> Response:
        return json_response(body, headers=self._usage(page))

    def _error(self, exc: GraphError, page: dict | None) -> Response:
        error = {"message": exc.message, "type": exc.kind, "code": exc.code, "fbtrace_id": f"A{self._next_id()}"}
        if exc.subcode:
            error["error_subcode"] = exc.subcode
        minutes = int(page["regain_minutes"]) if page and exc.code in THROTTLE_MESSAGES and exc.code != 4 else 0
        percent = 100 if exc.code in THROTTLE_MESSAGES else None
        return json_response({"error": error}, status=exc.status, headers=self._usage(page, minutes, percent))

    def _server_error(self, page: dict | None) -> Response:
        body = {"error": {"code": 1, "message": "An unknown error has occurred.", "type": "OAuthException"}}
        return json_response(body, status=500, headers=self._usage(page))

    def _throttle(self, page: dict | None) -> GraphError:
        code = int(page["throttle_code"]) if page else 4
        return GraphError(code, THROTTLE_MESSAGES.get(code, f"(#{code}) Rate limited"))

    def _next_id(self) -> str:
        self._seq += 1
        return str(self._seq)

    def _accepted(self, page: dict, body: dict) -> dict:
        """The write is stored; fail_after_accept answers 500 all the same (an unknown outcome)."""
        if self.faults.fail_after_accept(page["id"]):
            raise GraphError(1, "An unknown error has occurred.", status=500)
        return body

    # fields and paging -----------------------------------------------------------------------

    def _fields(self, params: dict, node_type: str) -> list[str]:
        allowed, default = FIELDS[node_type]
        wanted = [f.strip() for f in re.sub(r"\{[^}]*\}", "", str(params.get("fields") or default)).split(",")]
        for name in wanted:
            if name and name not in allowed:
                raise GraphError(100, f"(#100) Tried accessing nonexisting field ({name}) on node type ({node_type})")
        return [f for f in wanted if f]

    def _view(self, object_id: str, fields: list[str]) -> dict:
        node_type, _, record = ("page", object_id, self.pages[object_id]) if object_id in self.pages \
            else self.objects[object_id]
        full = {"page": lambda r: {"id": r["id"], "name": r["name"], "link": f"https://www.facebook.com/{r['id']}"},
                "post": lambda r: {**r, "is_published": r["published"]},
                "photo": lambda r: {"id": r["id"], "name": r["caption"], "created_time": r["created_time"],
                                    "page_story_id": r["post_id"]},
                "comment": lambda r: {**r, "parent": {"id": r["parent_id"]} if r["parent_id"] != r["post_id"] else None,
                                      "attachment": _attachment(r["photo"])},
                }[node_type](record)
        return {f: full[f] for f in fields if full.get(f) not in (None, "")}

    def _paged(self, request: Request, params: dict, items: list[dict], node_type: str) -> dict:
        fields = self._fields(params, node_type)
        try:
            limit = min(max(int(params.get("limit") or 25), 1), 100)
        except ValueError:
            raise GraphError(100, "(#100) param limit must be an integer") from None
        start = 0
        if params.get("after"):
            ids = [i["id"] for i in items]
            after = _uncursor(str(params["after"]))
            start = ids.index(after) + 1 if after in ids else len(items)
        chunk = items[start:start + limit]
        body: dict = {"data": [self._view(i["id"], fields) for i in chunk]}
        if chunk:
            body["paging"] = {"cursors": {"before": _cursor(chunk[0]["id"]), "after": _cursor(chunk[-1]["id"])}}
            if start + limit < len(items):
                query = {**{k: v for k, v in request.query.items() if k != "before"},
                         "limit": str(limit), "after": _cursor(chunk[-1]["id"])}
                host = request.headers.get("host", "graph.facebook.com")
                body["paging"]["next"] = f"http://{host}/{request.prefix}{request.path}?{urlencode(query)}"
        return body

    # routes ----------------------------------------------------------------------------------

    def _get_node(self, request, params, page, object_id) -> dict:
        return self._view(object_id, self._fields(params, self._type(object_id)))

    def _list_posts(self, request, params, page, object_id) -> dict:
        posts = [p for p in reversed(page["posts"]) if p["published"]]
        return self._paged(request, params, posts, "post")

    def _create_post(self, request, params, page, object_id) -> dict:
        message, link = str(params.get("message") or ""), str(params.get("link") or "")
        media = self._attached_media(page, params)
        if not message.strip() and not link and not media:
            raise GraphError(100, "(#100) Missing message or attachment")
        self._check_text(page, message)
        self._check_link(link)
        published = str(params.get("published", "true")).lower() != "false"
        post = self._add_post(page, message, link, [m["id"] for m in media], published)
        for photo in media:
            photo["post_id"] = post["id"]
        body = {"id": post["id"]}
        if "permalink_url" in str(params.get("fields") or ""):
            body["permalink_url"] = post["permalink_url"]
        return self._accepted(page, body)

    @staticmethod
    def _check_link(link: str) -> None:
        if not link:
            return
        parts = urlsplit(link)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise GraphError(100, "(#100) link URL is not properly formatted")
        if parts.hostname.endswith(".invalid"):  # RFC 2606: never resolves, so Facebook cannot scrape it
            raise GraphError(100, "(#100) Error Posting Link: the link could not be read", subcode=1609005)

    def _check_text(self, page: dict, message: str, duplicate: bool = True) -> None:
        if len(message) > TEXT_CHARS:
            raise GraphError(100, "(#100) The message is too long")
        if page["blocked"]:
            raise GraphError(368, "(#368) The action attempted has been deemed abusive or is otherwise disallowed")
        latest = page["posts"][-1]["message"] if page["posts"] else None
        if duplicate and message and message == latest:
            raise GraphError(506, "(#506) Duplicate status message")

    def _attached_media(self, page: dict, params: dict) -> list[dict]:
        items = params.get("attached_media")
        try:
            items = json.loads(items) if isinstance(items, str) else list(items or [])
            indexed = sorted((k for k in params if re.fullmatch(r"attached_media\[\d+\]", k)),
                             key=lambda k: int(k[15:-1]))
            items += [json.loads(params[k]) for k in indexed]
            ids = [str(item["media_fbid"]) for item in items]
        except (ValueError, TypeError, KeyError):
            raise GraphError(100, "(#100) param attached_media must be an array of {media_fbid}") from None
        photos = []
        for n, photo_id in enumerate(ids):
            record = self.objects.get(photo_id)
            if not record or record[0] != "photo" or record[1] != page["id"] or record[2]["published"] \
                    or record[2]["post_id"]:
                raise GraphError(100, f"(#100) param attached_media[{n}] has invalid media_fbid {photo_id}")
            photos.append(record[2])
        return photos

    def _create_photo(self, request, params, page, object_id) -> dict:
        caption = str(params.get("caption") or params.get("message") or "")
        published = str(params.get("published", "true")).lower() != "false"
        source, url = request.files.get("source"), str(params.get("url") or "")
        if source is None and not url:
            raise GraphError(324, "(#324) Requires upload file")
        if source is not None and (len(source.content) >= PHOTO_BYTES or not _is_image(source.content)):
            raise GraphError(100, "(#100) Photos should be smaller than 4 MB and saved as JPG or PNG files.",
                             subcode=1366046)
        if published:
            self._check_text(page, caption, duplicate=False)
        photo = {"id": self._next_id(), "caption": caption, "published": published, "post_id": "",
                 "filename": source.filename if source else "", "content_type": source.content_type if source else "",
                 "size": len(source.content) if source else 0, "url": url, "created_time": _now()}
        page["photos"].append(photo)
        self.objects[photo["id"]] = ("photo", page["id"], photo)
        if not published:
            return self._accepted(page, {"id": photo["id"]})
        photo["post_id"] = self._add_post(page, caption, "", [photo["id"]], True)["id"]
        return self._accepted(page, {"id": photo["id"], "post_id": photo["post_id"]})

    def _add_post(self, page: dict, message: str, link: str, media: list[str], published: bool) -> dict:
        number = self._next_id()
        post = {"id": f"{page['id']}_{number}", "message": message, "link": link, "attached_media": media,
                "created_time": _now(), "permalink_url": f"https://www.facebook.com/{page['id']}/posts/{number}",
                "published": published}
        page["posts"].append(post)
        self.objects[post["id"]] = ("post", page["id"], post)
        if published:
            self._emit(page, self._post_change(page, post))
        return post

    def _list_comments(self, request, params, page, object_id) -> dict:
        kind, _, record = self.objects[object_id]
        post_id = object_id if kind == "post" else record["post_id"]
        comments = page["comments"].get(post_id, [])
        if params.get("filter", "toplevel") not in ("toplevel", "stream"):
            raise GraphError(100, "(#100) param filter must be one of {toplevel, stream}")
        if params.get("order", "chronological") not in ("chronological", "reverse_chronological"):
            raise GraphError(100, "(#100) param order must be one of {chronological, reverse_chronological}")
        if params.get("filter") != "stream" or kind == "comment":
            comments = [c for c in comments if c["parent_id"] == object_id]
        if params.get("since"):
            try:
                since = float(params["since"])  # Unix seconds; Facebook also takes strtotime strings
            except ValueError:
                raise GraphError(100, "(#100) param since must be a Unix timestamp") from None
            comments = [c for c in comments if int(c["_at"]) >= since]  # created_time has whole seconds
        if params.get("order") == "reverse_chronological":
            comments = comments[::-1]
        return self._paged(request, params, comments, "comment")

    def _create_comment(self, request, params, page, object_id) -> dict:
        message = str(params.get("message") or "")
        if not message and not params.get("attachment_url"):
            raise GraphError(100, "(#100) Missing message or attachment")
        comment = self._add_comment(page, object_id, message, {"id": page["id"], "name": page["name"]},
                                    str(params.get("attachment_url") or ""))
        return self._accepted(page, {"id": comment["id"]})

    def _add_comment(self, page: dict, parent_id: str, message: str, author: dict, photo: str = "") -> dict:
        kind, _, record = self.objects[parent_id]
        post_id = parent_id if kind == "post" else record["post_id"]
        at = time.time()
        comment = {"id": f"{post_id.split('_')[-1]}_{self._next_id()}", "message": message, "from": author,
                   "created_time": _now(at), "parent_id": parent_id, "post_id": post_id, "photo": photo, "_at": at}
        page["comments"].setdefault(post_id, []).append(comment)
        self.objects[comment["id"]] = ("comment", page["id"], comment)
        self._emit(page, self._comment_change(comment, "add"))  # the Page's own comments too: Facebook echoes them
        return comment

    # the webhook emitter -----------------------------------------------------------------------

    def _comment_change(self, comment: dict, verb: str) -> dict:
        """The `feed` change value of a comment, with Facebook's snake_case keys (BOTTENDER fixtures)."""
        post = self.objects[comment["post_id"]][2]
        value = {"from": dict(comment["from"]), "post": {"id": post["id"], "permalink_url": post["permalink_url"],
                                                         "is_published": post["published"]},
                 "message": comment["message"], "post_id": comment["post_id"], "comment_id": comment["id"],
                 "created_time": int(comment["_at"]), "item": "comment", "parent_id": comment["parent_id"],
                 "verb": verb}
        return {**value, "photo": comment["photo"]} if comment["photo"] else value

    def _post_change(self, page: dict, post: dict) -> dict:
        return {"from": {"id": page["id"], "name": page["name"]},
                "item": "photo" if post["attached_media"] else "status",
                "post_id": post["id"], "verb": "add", "published": 1, "message": post["message"],
                "created_time": int(time.time())}

    def _emit(self, page: dict, value: dict) -> None:
        """Send one `feed` change to the page's webhook, when one is subscribed (called under the lock)."""
        hook = page["webhook"]
        if not hook or not hook["active"] or "feed" not in hook["fields"]:
            return
        envelope = {"object": "page", "entry": [{"id": page["id"], "time": int(time.time()),
                                                 "changes": [{"field": "feed", "value": value}]}]}
        # Facebook's JSON escapes non-ASCII and "/"; the signature covers these bytes, not a re-encoding.
        body = json.dumps(envelope, separators=(",", ":")).replace("/", "\\/").encode("ascii")
        key = hook["app_secret"].encode()
        delivery = {"id": sum(len(p["deliveries"]) for p in self.pages.values()) + 1, "url": hook["url"],
                    "status": "pending", "attempts": [], "envelope": envelope, "body": body,
                    "signature": "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest(),
                    "signature_sha1": "sha1=" + hmac.new(key, body, hashlib.sha1).hexdigest()}
        page["deliveries"].append(delivery)
        thread = threading.Thread(target=self._deliver, args=(delivery, list(hook["retry_delays"])),
                                  name="facebook-webhook", daemon=True)
        self.threads.append(thread)
        thread.start()

    def _deliver(self, delivery: dict, delays: list[float]) -> None:
        """POST until HTTP 200, again after each delay; then drop it."""
        headers = {"Content-Type": "application/json", "X-Hub-Signature-256": delivery["signature"],
                   "X-Hub-Signature": delivery["signature_sha1"], "User-Agent": "facebookexternalua"}
        for delay in [0.0, *delays]:
            time.sleep(delay)  # the platform's retry schedule, scaled down; not a test's synchronisation
            outcome = _http("POST", delivery["url"], delivery["body"], headers)
            outcome.pop("body", None)
            with self.lock:
                delivery["attempts"].append(outcome)
                if outcome.get("status") == 200:
                    delivery["status"] = "delivered"
                    return
        with self.lock:
            delivery["status"] = "dropped"


def _attachment(photo: str) -> dict | None:
    """A comment's photo as the Graph `attachment` field shows it."""
    return {"type": "photo", "url": photo, "media": {"image": {"src": photo}}} if photo else None


def _http(method: str, url: str, body: bytes, headers: dict) -> dict:
    """One request to a webhook receiver, without proxies: {status, body} or {error}."""
    parts = urlsplit(url)
    connection_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = connection_class(parts.hostname, parts.port, timeout=WEBHOOK_TIMEOUT)
    try:
        connection.request(method, (parts.path or "/") + (f"?{parts.query}" if parts.query else ""), body, headers)
        response = connection.getresponse()
        return {"status": response.status, "body": response.read()}
    except (OSError, http.client.HTTPException, ValueError) as exc:
        return {"error": type(exc).__name__}
    finally:
        connection.close()


ROUTES = {
    ("GET", "page", ""): FacebookFake._get_node,
    ("GET", "post", ""): FacebookFake._get_node,
    ("GET", "photo", ""): FacebookFake._get_node,
    ("GET", "comment", ""): FacebookFake._get_node,
    ("GET", "page", "posts"): FacebookFake._list_posts,
    ("GET", "page", "feed"): FacebookFake._list_posts,
    ("POST", "page", "feed"): FacebookFake._create_post,
    ("POST", "page", "photos"): FacebookFake._create_photo,
    ("GET", "post", "comments"): FacebookFake._list_comments,
    ("GET", "comment", "comments"): FacebookFake._list_comments,
    ("POST", "post", "comments"): FacebookFake._create_comment,
    ("POST", "comment", "comments"): FacebookFake._create_comment,
}
