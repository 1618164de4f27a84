"""Citizens writing back to a Zalo OA: polling listrecentchat, the signed webhook, and the fake that emits both."""

from __future__ import annotations

import hashlib
import hmac
import json
import queue
import re
import threading
import unicodedata
from dataclasses import replace
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from channels.base import ChannelConfig, Message, Reply
from channels.errors import AuthExpired, BadContent, NotCreated, RateLimited
from channels.sandbox.app import Sandbox
from channels.sandbox.client import SandboxClient
from channels.sandbox.server import SandboxServer
from channels.sandbox.zalo import ZaloFake
from channels.zalo import ZaloAdapter
from channels.zalo_api import VIETNAM

OA_ID, APP_ID, APP_SECRET, OA_SECRET = "1894522345678901234", "3254824024567022257", "app-secret-Kx7Qw", "oa-sk-9Hq2"
AT, RT = "at-first-7f3c9a", "rt-first-2b8d41"
NOW = datetime(2026, 3, 12, 9, 0, tzinfo=VIETNAM).timestamp()  # a Thursday, 09:00 in Vietnam
NOW_MS = int(NOW * 1000)
CITIZEN, NEIGHBOUR = "8112345678901234567", "8119999999999999999"  # past 2^53: exact only as integers or text
QUESTION = "Cho hỏi thủ tục cấp đổi CCCD gắn chip cần mang gì?"
LIST_PATH = "/v2.0/oa/listrecentchat"


class Zalo:
    """One sandbox with one app and one OA, citizens who write to it, and adapters that read it."""

    def __init__(self, server: SandboxServer):
        self.url = server.url
        self.client = SandboxClient(server.url)
        self.fake: ZaloFake = server.sandbox.platforms["zalo"]
        self.client.reset()  # one server per module: forget the previous test's requests and deliveries
        self.client.configure("zalo", {
            "now": NOW,
            "apps": [{"app_id": APP_ID, "app_secret": APP_SECRET, "webhook_url": "",
                      "webhook_retry_delays": [0.01, 0.02]}],
            "oas": [{"oa_id": OA_ID, "name": "Phường Bến Thành", "app_id": APP_ID, "access_token": AT,
                     "refresh_token": RT, "verify_polls": 0, "followers": [CITIZEN], "oa_secret_key": OA_SECRET}]})

    def hook(self, url: str) -> None:
        self.client.configure("zalo", {"apps": [{"app_id": APP_ID, "webhook_url": url,
                                                 "webhook_retry_delays": [0.01, 0.02]}]})

    def write(self, text: str = QUESTION, user: str = CITIZEN, at: float | None = None, **extra) -> dict:
        """A citizen writes to the OA (at `at`, epoch seconds; else at NOW)."""
        self.client.configure("zalo", {"now": NOW if at is None else at})
        return self.client.inject("zalo", {"oa_id": OA_ID, "user_id": user, "text": text, **extra})

    def adapter(self, **settings) -> ZaloAdapter:
        adapter = ZaloAdapter(config(settings={**ZaloAdapter.sandbox_settings(self.url), **settings}))
        adapter.clock = lambda: NOW
        return adapter

    def polls(self) -> list[dict]:
        return [json.loads(r["query"]["data"]) for r in self.client.requests("zalo") if r["path"] == LIST_PATH]

    def state(self) -> dict:
        return self.client.state("zalo")


def config(settings: dict | None = None, **secrets) -> ChannelConfig:
    return ChannelConfig(
        name="zalo-ben-thanh",
        settings={"api_base": "http://127.0.0.1:9/zalo", "oa_id": OA_ID, "app_id": APP_ID,
                  "access_expires_at": str(int(NOW + 90000)), "default_cover_url": "https://cdn.example.vn/bia.jpg",
                  "timeout": "3", **(settings or {})},
        secrets={"app_secret": APP_SECRET, "access_token": AT, "refresh_token": RT, "oa_secret_key": OA_SECRET,
                 **secrets})


class Receiver:
    """A tiny webhook endpoint on loopback: records each POST; answers the queued statuses, then 200."""

    def __init__(self, statuses: tuple[int, ...] = ()):
        self.got: queue.Queue = queue.Queue()
        self.statuses = list(statuses)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.got.put(({k.lower(): v for k, v in self.headers.items()}, body, self.path))
                self.send_response(receiver.statuses.pop(0) if receiver.statuses else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format, *args):  # noqa: A002
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/hooks/zalo/"

    def next(self) -> tuple[dict, bytes, str]:
        return self.got.get(timeout=5)

    def __enter__(self) -> "Receiver":
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def zalo_mac(body: bytes, timestamp: str, secret: str = OA_SECRET, app_id: str = APP_ID) -> str:
    """Written out here rather than imported, so the adapter's formula is checked, not copied."""
    return hashlib.sha256(app_id.encode() + body + timestamp.encode() + secret.encode()).hexdigest()


def envelope(event: str = "user_send_text", **fields) -> dict:
    base = {"app_id": APP_ID, "sender": {"id": CITIZEN}, "user_id_by_app": "552177279717587730",
            "recipient": {"id": OA_ID}, "event_name": event, "message": {"text": QUESTION, "msg_id": "a4f0f2d8e8"},
            "timestamp": str(NOW_MS)}
    return {**base, **fields}


def signed(data: dict, timestamp: str = str(NOW_MS), **mac) -> tuple[dict, bytes]:
    body = json.dumps(data, ensure_ascii=False).encode()
    return {"x-zevent-signature": zalo_mac(body, timestamp, **mac), "content-type": "application/json"}, body


@pytest.fixture(scope="module")
def server():
    with SandboxServer(Sandbox([ZaloFake], hold_seconds=0.5)) as srv:
        yield srv


@pytest.fixture
def zalo(server):
    return Zalo(server)


# -- polling ---------------------------------------------------------------------------------------------


def test_a_citizens_message_comes_back_once_by_polling_and_the_cursor_moves_past_it(zalo):
    sent = zalo.write(QUESTION, name="Nguyễn Văn An")
    adapter = zalo.adapter()

    replies, cursor = adapter.fetch_replies("")

    assert replies == [Reply(remote_id=sent["msg_id"], text=QUESTION, author_id=CITIZEN, author_name="Nguyễn Văn An",
                             received_at=NOW, in_reply_to="", answer_to=CITIZEN, kind="message")]
    [request] = zalo.client.requests("zalo")
    assert (request["method"], request["path"], request["query"], request["headers"]["access_token"]) == (
        "GET", LIST_PATH, {"data": '{"offset":0,"count":10}'}, AT)
    assert adapter.fetch_replies(cursor) == ([], cursor)


def test_polling_pages_back_until_it_reaches_what_it_has_already_seen(zalo):
    first = [zalo.write(f"câu hỏi {i}", at=NOW + i)["msg_id"] for i in range(25)]
    adapter = zalo.adapter()
    replies, cursor = adapter.fetch_replies("")
    assert [r.remote_id for r in replies] == first and [p["offset"] for p in zalo.polls()] == [0, 10, 20]

    later = [zalo.write(f"câu hỏi thêm {i}", at=NOW + 100 + i)["msg_id"] for i in range(12)]
    zalo.client.reset()
    replies, cursor = adapter.fetch_replies(cursor)

    assert [r.remote_id for r in replies] == later  # oldest first
    assert [p["offset"] for p in zalo.polls()] == [0, 10]  # the second page reached an old message: stop
    assert adapter.fetch_replies(cursor)[0] == []


def test_messages_in_the_same_millisecond_as_the_cursor_are_neither_lost_nor_repeated(zalo):
    zalo.write("một")
    adapter = zalo.adapter()
    _, cursor = adapter.fetch_replies("")
    second, third = zalo.write("hai", user=NEIGHBOUR)["msg_id"], zalo.write("ba")["msg_id"]

    replies, cursor = adapter.fetch_replies(cursor)

    assert [(r.remote_id, r.text) for r in replies] == [(second, "hai"), (third, "ba")]
    assert adapter.fetch_replies(cursor)[0] == []


def test_one_poll_reads_at_most_ten_pages(zalo):
    written = [zalo.write(f"tin {i}")["msg_id"] for i in range(105)]
    adapter = zalo.adapter()

    replies, cursor = adapter.fetch_replies("")

    assert [r.remote_id for r in replies] == written[5:]  # the 100 newest; older ones are the webhook's to bring
    assert [p["offset"] for p in zalo.polls()] == list(range(0, 100, 10))
    assert adapter.fetch_replies(cursor)[0] == []


def test_a_cursor_it_cannot_read_starts_over(zalo):
    sent = zalo.write()
    replies, cursor = zalo.adapter().fetch_replies("{not json")
    assert [r.remote_id for r in replies] == [sent["msg_id"]] and json.loads(cursor)["ids"] == [sent["msg_id"]]


def test_the_oas_own_answers_are_listed_but_are_not_citizens_replies(zalo):
    zalo.write()
    adapter = zalo.adapter()
    [reply], cursor = adapter.fetch_replies("")
    answer = adapter.reply(reply.answer_to, "Anh/chị mang CCCD cũ đến bộ phận một cửa.")

    listed = requests.get(f"{zalo.url}/zalo{LIST_PATH}", params={"data": '{"offset":0,"count":10}'},
                          headers={"access_token": AT}, timeout=5).json()["data"]
    assert [(m["src"], m["message_id"], m["to_id"]) for m in listed[:1]] == [(0, answer.remote_id, int(CITIZEN))]
    assert adapter.fetch_replies(cursor)[0] == []


def test_a_polled_photo_carries_its_url(zalo):
    sent = zalo.write("", image_url="https://photo.zadn.vn/o/ho-ga-bi-vo.jpg")
    [reply], _ = zalo.adapter().fetch_replies("")
    assert (reply.remote_id, reply.text, reply.attachments) == (sent["msg_id"], "",
                                                                 ("https://photo.zadn.vn/o/ho-ga-bi-vo.jpg",))


@pytest.mark.parametrize("fault, error", [
    ({"rate_limit": 1}, RateLimited),  # -32: the app's per-minute budget
    ({"server_errors": 1}, NotCreated),  # a read that failed created nothing
    ({"timeouts": 1}, NotCreated),
], ids=["rate-limited", "server-error", "timeout"])
def test_a_failed_poll_says_why_and_creates_nothing(zalo, fault, error):
    zalo.client.fault(OA_ID, **fault)
    with pytest.raises(error) as info:
        zalo.adapter(timeout="0.2").fetch_replies("")
    assert AT not in info.value.message


@pytest.mark.parametrize("code", [-223, -216], ids=["permission-missing", "token-refused"])
def test_a_poll_the_oa_does_not_allow_needs_reauthorisation(zalo, code):
    zalo.client.configure("zalo", {"fail_next": {OA_ID: [code]}})
    with pytest.raises(AuthExpired):
        zalo.adapter().fetch_replies("")  # -223: the "manage user messages" permission (platform-apis §1.5)


def test_an_answer_that_is_not_a_list_of_messages_is_an_unreadable_read():
    class NotAList(BaseHTTPRequestHandler):
        def do_GET(self):
            body = b'{"error":0,"message":"Success","data":{"messages":[]}}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format, *args):  # noqa: A002
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), NotAList)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        adapter = ZaloAdapter(config({"api_base": f"http://127.0.0.1:{httpd.server_address[1]}"}))
        adapter.clock = lambda: NOW
        with pytest.raises(NotCreated, match="could not be read"):
            adapter.fetch_replies("")
    finally:
        httpd.shutdown()
        httpd.server_close()


# -- the webhook -------------------------------------------------------------------------------------------


def test_the_webhook_brings_the_same_message_signed_so_that_verify_webhook_accepts_it(zalo):
    with Receiver() as hook:
        zalo.hook(hook.url)
        sent = zalo.write(QUESTION, name="Nguyễn Văn An")
        headers, body, path = hook.next()
    zalo.fake.settle()
    adapter = zalo.adapter()

    assert path == "/hooks/zalo/" and headers["content-type"] == "application/json" and "num_retry" not in headers
    data = json.loads(body)
    assert data.pop("user_id_by_app").isdigit() and data == {
        "app_id": APP_ID, "sender": {"id": CITIZEN}, "recipient": {"id": OA_ID}, "event_name": "user_send_text",
        "message": {"text": QUESTION, "msg_id": sent["msg_id"]}, "timestamp": str(NOW_MS)}
    assert QUESTION.encode() in body  # raw UTF-8, signed exactly as sent
    assert headers["x-zevent-signature"] == zalo_mac(body, str(NOW_MS))
    assert adapter.verify_webhook(headers, body)
    [from_hook] = adapter.parse_webhook(headers, body)
    [polled], _ = adapter.fetch_replies("")
    assert from_hook.remote_id == polled.remote_id == sent["msg_id"]
    assert from_hook == replace(polled, author_name="")  # the webhook carries no display name
    [delivery] = zalo.state()["deliveries"]
    assert (delivery["status"], delivery["attempts"]) == ("delivered", [{"num_retry": 0, "status": 200}])


def test_zalo_does_not_say_which_broadcast_a_message_answers(zalo):
    adapter = zalo.adapter(night_rule="off", verify_timeout="5")
    published = adapter.publish(Message(marker="d-41", title="Bản tin CCHC tháng 3", text="Nộp hồ sơ trực tuyến."))
    with Receiver() as hook:
        zalo.hook(hook.url)
        zalo.write("Bản tin này áp dụng từ khi nào?")
        headers, body, _ = hook.next()

    [polled], _ = adapter.fetch_replies("")
    [from_hook] = adapter.parse_webhook(headers, body)
    assert published.remote_id and polled.in_reply_to == from_hook.in_reply_to == ""  # no guessing


def test_answering_a_webhook_reply_sends_a_cs_message_to_the_citizen_who_wrote(zalo):
    with Receiver() as hook:
        zalo.hook(hook.url)
        zalo.write(user=NEIGHBOUR)
        headers, body, _ = hook.next()
    adapter = zalo.adapter()
    [reply] = adapter.parse_webhook(headers, body)

    answer = adapter.reply(reply.answer_to, "Anh/chị mang CCCD cũ đến bộ phận một cửa.")

    [cs] = zalo.state()["oas"][OA_ID]["cs_messages"]
    assert (cs["message_id"], cs["user_id"], cs["message"]) == (
        answer.remote_id, NEIGHBOUR, {"text": "Anh/chị mang CCCD cũ đến bộ phận một cửa."})


def test_a_refused_delivery_is_retried_with_num_retry_and_the_same_signed_body(zalo):
    with Receiver(statuses=(500, 503)) as hook:
        zalo.hook(hook.url)
        zalo.write()
        attempts = [hook.next() for _ in range(3)]
    zalo.fake.settle()

    assert [h.get("num_retry") for h, _, _ in attempts] == [None, "1", "2"]
    assert len({(h["x-zevent-signature"], body) for h, body, _ in attempts}) == 1
    assert zalo.state()["deliveries"][0]["status"] == "delivered"


def test_a_delivery_that_keeps_failing_is_dropped_and_zalo_disables_the_webhook(zalo):
    with Receiver(statuses=(500, 500, 500)) as hook:
        zalo.hook(hook.url)
        zalo.write("một")
        [hook.next() for _ in range(3)]
        zalo.fake.settle()
        assert zalo.write("hai")["delivery"] is None  # disabled: nothing more is sent
        zalo.hook(hook.url)  # the administrator subscribes again
        zalo.write("ba")
        _, body, _ = hook.next()
    zalo.fake.settle()

    assert json.loads(body)["message"]["text"] == "ba"
    assert [d["status"] for d in zalo.state()["deliveries"]] == ["dropped", "delivered"]


def test_a_photo_arrives_as_user_send_image_with_its_url(zalo):
    with Receiver() as hook:
        zalo.hook(hook.url)
        sent = zalo.write("", image_url="https://photo.zadn.vn/o/ho-ga-bi-vo.jpg")
        headers, body, _ = hook.next()
    adapter = zalo.adapter()
    assert adapter.verify_webhook(headers, body) and json.loads(body)["event_name"] == "user_send_image"
    [reply] = adapter.parse_webhook(headers, body)
    assert (reply.remote_id, reply.text, reply.attachments) == (sent["msg_id"], "",
                                                                 ("https://photo.zadn.vn/o/ho-ga-bi-vo.jpg",))


@pytest.mark.parametrize("event, answer_to", [("follow", CITIZEN), ("unfollow", "")])
def test_following_and_leaving_the_oa_arrive_as_their_own_kinds(zalo, event, answer_to):
    with Receiver() as hook:
        zalo.hook(hook.url)
        zalo.write(event=event)
        headers, body, _ = hook.next()
    adapter = zalo.adapter()

    assert adapter.verify_webhook(headers, body) and ZaloAdapter.oa_id(body) == OA_ID
    assert adapter.parse_webhook(headers, body) == [Reply(
        remote_id=f"{event}:{CITIZEN}:{NOW_MS}", text="", author_id=CITIZEN, received_at=NOW, answer_to=answer_to,
        kind=event)]
    assert adapter.fetch_replies("")[0] == []  # a follow is no message in the conversation


def test_decomposed_vietnamese_comes_back_composed_on_both_paths(zalo):
    decomposed = unicodedata.normalize("NFD", QUESTION)
    with Receiver() as hook:
        zalo.hook(hook.url)
        zalo.write(decomposed)
        headers, body, _ = hook.next()
    adapter = zalo.adapter()
    assert decomposed.encode() in body and adapter.verify_webhook(headers, body)  # signed over the raw bytes
    assert adapter.parse_webhook(headers, body)[0].text == adapter.fetch_replies("")[0][0].text == QUESTION


def test_what_the_citizen_wrote_is_kept_composed_and_storable():
    data = envelope(message={"text": "Ho\u0302\u0300 so\u031b\x00 \ud83d<b>gấp</b>", "msg_id": "a4f0f2d8e8"})
    [reply] = ZaloAdapter(config()).parse_webhook({}, json.dumps(data).encode())  # ASCII escapes, as JSON allows
    assert reply.text == "Hồ sơ \ufffd<b>gấp</b>"  # NFC; no NUL (PostgreSQL refuses it); a lone surrogate replaced


def test_events_that_are_not_citizens_writing_give_nothing():
    adapter = ZaloAdapter(config())
    for data in (envelope("user_seen_message", sender={"id": OA_ID}, recipient={"id": CITIZEN}),
                 envelope("oa_send_text", sender={"id": OA_ID}, recipient={"id": CITIZEN}),
                 {"app_id": APP_ID, "oa_id": OA_ID, "user_id": CITIZEN, "event_name": "user_withdraw",
                  "timestamp": str(NOW_MS)}):
        headers, body = signed(data)
        assert adapter.verify_webhook(headers, body) and adapter.parse_webhook(headers, body) == []
        assert ZaloAdapter.webhook_routes(body) == [("oa_id", OA_ID)]  # still routed, so Zalo gets its 200


def test_the_oa_is_read_from_the_body_before_verification():
    assert ZaloAdapter.oa_id(signed(envelope())[1]) == OA_ID
    assert ZaloAdapter.webhook_routes(signed(envelope())[1]) == [("oa_id", OA_ID)]
    for body in (b"{}", b"[]", b"not json", b'{"event_name":"user_send_text","recipient":{"id":["x"]}}'):
        assert ZaloAdapter.oa_id(body) is None and ZaloAdapter.webhook_routes(body) == []


# -- signatures ------------------------------------------------------------------------------------------


def test_a_body_signed_the_way_zalo_documents_is_accepted_bare_or_mac_prefixed_in_any_case():
    adapter = ZaloAdapter(config())
    headers, body = signed(envelope())
    assert adapter.verify_webhook(headers, body)
    assert adapter.verify_webhook({"x-zevent-signature": "mac=" + headers["x-zevent-signature"].upper()}, body)


def test_the_timestamp_may_come_from_the_x_zevent_timestamp_header():
    data = {k: v for k, v in envelope().items() if k != "timestamp"}
    headers, body = signed(data, timestamp="1773280800123")
    adapter = ZaloAdapter(config())
    assert not adapter.verify_webhook(headers, body)
    assert adapter.verify_webhook({**headers, "x-zevent-timestamp": "1773280800123"}, body)


@pytest.mark.parametrize("forge", [
    lambda h, b: (h, b.replace(b"CCCD", b"CCCd")),  # the body was altered
    lambda h, b: (h, json.dumps(json.loads(b), ensure_ascii=False, indent=1).encode()),  # re-serialised
    lambda h, b: ({}, b),  # no signature
    lambda h, b: ({"x-zevent-signature": ""}, b),
    lambda h, b: ({"x-zevent-signature": "mac="}, b),
    lambda h, b: ({"x-zevent-signature": h["x-zevent-signature"][:-1]}, b),
    lambda h, b: ({"x-zevent-signature": hmac.new(OA_SECRET.encode(), b, "sha256").hexdigest()}, b),  # HMAC
    lambda h, b: ({"x-zevent-signature": zalo_mac(b, str(NOW_MS), secret=APP_SECRET)}, b),  # the app secret
    lambda h, b: ({"x-zevent-signature": zalo_mac(b, str(NOW_MS), app_id=OA_ID)}, b),  # oa_id first
    lambda h, b: ({"x-zevent-signature": zalo_mac(b, str(NOW_MS + 1))}, b),  # another timestamp
], ids=["altered", "reserialised", "missing", "empty", "bare-prefix", "truncated", "hmac", "app-secret",
        "oa-id-first", "other-timestamp"])
def test_a_forged_or_missing_signature_is_refused(forge):
    headers, body = forge(*signed(envelope()))
    assert ZaloAdapter(config()).verify_webhook(headers, body) is False


def test_without_an_oa_secret_key_or_app_id_nothing_verifies():
    headers, body = signed(envelope())
    assert not ZaloAdapter(config(oa_secret_key="")).verify_webhook(headers, body)
    assert not ZaloAdapter(config({"app_id": ""})).verify_webhook(headers, body)
    assert not ZaloAdapter(config({"app_id": "3254824024567022258"})).verify_webhook(headers, body)


@pytest.mark.parametrize("body, problem", [
    (b"", "not a JSON object"), (b"\xff\xfe{", "not a JSON object"), (b"[1]", "not a JSON object"),
    (b'{"timestamp": "1"}', "names no event"),
    (json.dumps(envelope(message="hi")).encode(), "message is missing"),
    (json.dumps(envelope(sender={"id": 8.5})).encode(), "sender.id"),
    (json.dumps(envelope(timestamp="soon")).encode(), "timestamp"),
    (json.dumps(envelope(message={"text": ["x"], "msg_id": "a"})).encode(), "not text"),
    (json.dumps(envelope("follow", follower={})).encode(), "follower.id"),
])
def test_a_malformed_body_is_bad_content_saying_what_is_wrong(body, problem):
    with pytest.raises(BadContent, match=problem):
        ZaloAdapter(config()).parse_webhook({}, body)


# -- fuzzing -----------------------------------------------------------------------------------------------

FUZZ = settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ADAPTER = ZaloAdapter(config())
huge = st.builds(lambda c, n: c * n, st.characters(), st.integers(10_000, 100_000))
digits = st.integers(18, 6000).map(lambda n: "9" * n)  # past int()'s 4,300-digit guard
junk = st.one_of(st.none(), st.booleans(), st.integers(), st.integers(min_value=10**19), st.floats(allow_nan=True),
                 st.text(max_size=20), huge, digits, st.lists(st.integers(), max_size=3),
                 st.dictionaries(st.text(max_size=5), st.integers(), max_size=3))
PATHS = [("sender",), ("sender", "id"), ("recipient",), ("recipient", "id"), ("event_name",), ("message",),
         ("message", "text"), ("message", "msg_id"), ("message", "attachments"), ("timestamp",), ("follower",),
         ("follower", "id"), ("oa_id",), ("app_id",)]


@st.composite
def damaged_envelopes(draw) -> dict:
    """A real event's envelope with some fields removed or replaced by values of the wrong type or size."""
    event = draw(st.sampled_from(["user_send_text", "user_send_image", "user_send_location", "follow", "unfollow"]))
    data = json.loads(json.dumps(envelope(event, follower={"id": CITIZEN}, oa_id=OA_ID)))
    data["message"]["attachments"] = [{"type": "image", "payload": {"url": "https://photo.zadn.vn/a.jpg"}},
                                      {"type": "location", "payload": {"coordinates": {"latitude": "10.77",
                                                                                       "longitude": "106.7"}}}]
    for path in draw(st.lists(st.sampled_from(PATHS), max_size=4)):
        parent = data.get(path[0]) if len(path) == 2 else data
        if isinstance(parent, dict):
            if draw(st.booleans()):
                parent.pop(path[-1], None)
            else:
                parent[path[-1]] = draw(junk)
    return data


def bodies() -> st.SearchStrategy[bytes]:
    valid = json.dumps(envelope(), ensure_ascii=False).encode()
    return st.one_of(
        st.binary(max_size=300),
        st.integers(0, len(valid)).map(lambda n: valid[:n]),  # truncated JSON
        st.tuples(st.integers(0, len(valid)), st.binary(min_size=1, max_size=4)).map(
            lambda t: valid[:t[0]] + b"\xc3\x28" + t[1] + valid[t[0]:]),  # invalid UTF-8 inside
        damaged_envelopes().map(lambda d: json.dumps(d).encode()),
        st.recursive(junk, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                                        max_size=3)).map(
            lambda v: json.dumps(v).encode()),
        st.integers(1, 50_000).map(lambda n: b"[" * n),  # nesting deep enough to exhaust a recursive parser
    )


def assert_only_bad_content(body: bytes) -> None:
    try:
        items = ADAPTER.parse_webhook({}, body)
    except BadContent as exc:
        assert exc.message.endswith(".")
        return
    assert all(isinstance(item, Reply) and isinstance(item.text, str) and "\x00" not in item.text for item in items)


hex_signature = st.builds(lambda prefix, raw: prefix + raw.hex(), st.sampled_from(["", "mac=", "MAC= "]),
                          st.binary(min_size=32, max_size=32))
headers_st = st.dictionaries(st.sampled_from(["x-zevent-signature", "x-zevent-timestamp", "num_retry"]),
                             st.one_of(st.text(max_size=80), hex_signature, st.just(str(NOW_MS)), digits), max_size=3)


@FUZZ
@given(headers=headers_st, body=bodies())
def test_verify_webhook_never_raises_on_any_input(headers, body):
    assert ADAPTER.verify_webhook(headers, body) in (True, False)


@FUZZ
@given(body=bodies())
def test_parse_webhook_raises_nothing_but_bad_content(body):
    assert_only_bad_content(body)


@FUZZ
@given(data=damaged_envelopes())
def test_a_correctly_signed_but_damaged_envelope_verifies_by_its_signature_and_parses_or_is_bad_content(data):
    timestamp = data.get("timestamp") if isinstance(data.get("timestamp"), str) else str(NOW_MS)
    headers, body = signed(data, timestamp=timestamp)
    headers["x-zevent-timestamp"] = timestamp
    assert ADAPTER.verify_webhook(headers, body) is bool(re.fullmatch(r"[0-9]{1,17}", timestamp))
    assert_only_bad_content(body)
