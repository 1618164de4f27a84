"""Citizens' comments coming back from a Facebook Page: polling, webhooks and answers, over real HTTP."""

import hashlib
import hmac
import json
import threading
import unicodedata
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from channels import facebook_inbound as inbound
from channels.base import ChannelConfig, Message, Reply
from channels.errors import AuthExpired, BadContent, NotCreated, RateLimited
from channels.facebook import FacebookAdapter
from channels.sandbox.app import Sandbox
from channels.sandbox.client import SandboxClient
from channels.sandbox.facebook import FacebookFake
from channels.sandbox.server import SandboxServer

PAGE = "1234567890"
OTHER_PAGE = "9876543210"
PAGE_NAME = "UBND phường Bình Hưng"
TOKEN = "EAABpagetokenBinhHung0123456789"
SECRET = "app-secret-binh-hung"
VERIFY_TOKEN = "loa-verify-binh-hung"
CITIZEN = {"id": "100045678901234", "name": "Nguyễn Thị Lan"}
NEIGHBOUR = {"id": "100098765432109", "name": "Trần Văn Minh"}
QUESTION = "Cho hỏi đăng ký khai sinh trực tuyến ở đâu ạ?"
FIELDS = "id,message,from,created_time,parent,attachment"


# a stand-in for Loa's webhook endpoint ---------------------------------------------------------

class Receiver:
    """Answers Facebook's GET handshake with the adapter's helper and records every POST."""

    def __init__(self, statuses=(), verify_token=VERIFY_TOKEN):
        self.statuses = list(statuses)  # answers to successive POSTs; 200 once they run out
        self.verify_token = verify_token
        self.posts: list[dict] = []
        self.lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.httpd.daemon_threads = True

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/hooks/facebook/"

    def _handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                query = dict(parse_qsl(urlsplit(self.path).query))
                config = ChannelConfig(name="fb", settings={"page_id": PAGE},
                                       secrets={"verify_token": receiver.verify_token})
                answer = FacebookAdapter.webhook_handshake(query, [ChannelConfig(name="other"), config])
                self._answer(200 if answer is not None else 403, (answer or "").encode())

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.lock:
                    receiver.posts.append({"headers": {k.lower(): v for k, v in self.headers.items()}, "body": body})
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                self._answer(status, b"ok")

            def _answer(self, status, body):
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        return Handler

    def __enter__(self):
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


# fixtures and helpers --------------------------------------------------------------------------

@pytest.fixture
def server():
    with SandboxServer(Sandbox([FacebookFake], hold_seconds=0.5)) as srv:
        yield srv


@pytest.fixture
def sandbox(server):
    client = SandboxClient(server.url)
    page(client)
    return client


def fake(server) -> FacebookFake:
    return server.sandbox.platforms["facebook"]


def page(client, **values):
    return client.configure("facebook", {"pages": [{"id": PAGE, "name": PAGE_NAME, "access_token": TOKEN, **values}]})


def hooked(client, receiver, **webhook):
    """The page signs calls and webhooks with SECRET and delivers to `receiver`."""
    return page(client, app_secret=SECRET, webhook={"url": receiver.url, "retry_delays": [0.02, 0.02], **webhook})


def adapter(server, **settings):
    secrets = {"access_token": TOKEN, **{k: settings.pop(k) for k in ("app_secret", "verify_token") if k in settings}}
    settings = {**FacebookAdapter.sandbox_settings(server.url), "page_id": PAGE, "timeout": "5", **settings}
    return FacebookAdapter(ChannelConfig(name="fb-binh-hung", settings=settings, secrets=secrets))


def publish(fb, text="Từ 01/12 người dân nộp hồ sơ trực tuyến mức độ 4."):
    return fb.publish(Message(marker="d-1", text=text))


def comment(client, post_id, message=QUESTION, author=CITIZEN, **extra):
    return client.inject("facebook", {"page_id": PAGE, "post_id": post_id, "from": author, "message": message, **extra})


def stored(client, comment_id):
    comments = client.state("facebook")["pages"][PAGE]["comments"]
    return next(c for thread in comments.values() for c in thread if c["id"] == comment_id)


def epoch(created_time):
    return datetime.strptime(created_time, "%Y-%m-%dT%H:%M:%S%z").timestamp()


def comment_bodies(receiver):
    """The delivered webhook bodies that carry a comment change."""
    return [p for p in receiver.posts if b'"item":"comment"' in p["body"]]


def signed(body: bytes, secret=SECRET) -> dict:
    return {"x-hub-signature-256": "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()}


def envelope(*entries) -> bytes:
    return json.dumps({"object": "page", "entry": list(entries)}).encode()


def comment_entry(page_id=PAGE, **value):
    value = {"from": CITIZEN, "item": "comment", "comment_id": "555_777", "post_id": f"{page_id}_555",
             "verb": "add", "parent_id": f"{page_id}_555", "created_time": 1764500000, "message": QUESTION, **value}
    return {"id": page_id, "time": 1764500001, "changes": [{"field": "feed", "value": value}]}


# polling ---------------------------------------------------------------------------------------

def test_a_citizens_comment_comes_back_by_polling_exactly_once(server, sandbox):
    fb = adapter(server)
    post = publish(fb)
    citizen = comment(sandbox, post.remote_id)
    replies, cursor = fb.fetch_replies("", (post.remote_id,))
    created = epoch(stored(sandbox, citizen["id"])["created_time"])
    assert replies == [Reply(remote_id=citizen["id"], text=QUESTION, author_id=CITIZEN["id"],
                             author_name=CITIZEN["name"], received_at=created, in_reply_to=post.remote_id,
                             answer_to=citizen["id"], kind="comment")]
    first = sandbox.requests("facebook")[-1]
    assert (first["method"], first["path"]) == ("GET", f"/v24.0/{post.remote_id}/comments")
    assert first["query"] == {"filter": "stream", "order": "chronological", "fields": FIELDS, "limit": "100",
                              "access_token": TOKEN}
    assert json.loads(cursor) == {post.remote_id: {citizen["id"]: int(created)}}

    again, cursor = fb.fetch_replies(cursor, (post.remote_id,))
    assert again == []
    assert sandbox.requests("facebook")[-1]["query"]["since"] == str(int(created) - inbound.OVERLAP)

    later = comment(sandbox, post.remote_id, "Cảm ơn phường.", author=NEIGHBOUR)
    replies, cursor = fb.fetch_replies(cursor, (post.remote_id,))
    assert [(r.remote_id, r.author_id) for r in replies] == [(later["id"], NEIGHBOUR["id"])]
    assert fb.fetch_replies(cursor, (post.remote_id,))[0] == []


def test_polling_pages_through_a_burst_and_never_repeats_comments_of_the_same_second(server, sandbox):
    fb = adapter(server)
    post = publish(fb)
    burst = [{"page_id": PAGE, "post_id": post.remote_id, "from": CITIZEN, "message": f"Ý kiến {n}"}
             for n in range(inbound.MAX_PAGES * inbound.PAGE_SIZE + 10)]
    ids = [fake(server).inject(data)["id"] for data in burst]
    replies, cursor = fb.fetch_replies("", (post.remote_id,))
    assert [r.remote_id for r in replies] == ids[:500], "five pages of a hundred per post and poll"
    calls = [r for r in sandbox.requests("facebook") if r["path"].endswith("/comments")]
    assert len(calls) == 5 and "after" not in calls[0]["query"] and all("after" in c["query"] for c in calls[1:])

    rest, cursor = fb.fetch_replies(cursor, (post.remote_id,))
    assert [r.remote_id for r in rest] == ids[500:], "pages of comments already seen do not use up the budget"
    assert fb.fetch_replies(cursor, (post.remote_id,))[0] == []


def test_a_reply_to_a_reply_belongs_to_its_post_and_is_answered_in_its_thread(server, sandbox):
    fb = adapter(server)
    post = publish(fb)
    top = comment(sandbox, post.remote_id)
    nested = comment(sandbox, post.remote_id, "Tôi cũng muốn hỏi.", author=NEIGHBOUR, parent_id=top["id"])
    deeper = comment(sandbox, post.remote_id, "Hỏi thêm nữa.", parent_id=nested["id"])
    replies, _ = fb.fetch_replies("", (post.remote_id,))
    assert [(r.remote_id, r.in_reply_to, r.answer_to) for r in replies] == [
        (top["id"], post.remote_id, top["id"]), (nested["id"], post.remote_id, top["id"]),
        (deeper["id"], post.remote_id, nested["id"])]

    answer = fb.reply(replies[1].answer_to, "Dạ, anh chị vào dichvucong.gov.vn ạ.")
    sent = sandbox.requests("facebook")[-1]
    assert (sent["method"], sent["path"]) == ("POST", f"/v24.0/{top['id']}/comments")
    assert stored(sandbox, answer.remote_id)["parent_id"] == top["id"]


def test_the_pages_own_replies_are_not_feedback(server, sandbox):
    fb = adapter(server)
    post = publish(fb)
    citizen = comment(sandbox, post.remote_id)
    fb.reply(post.remote_id, "Phường xin thông báo thêm: hạn chót là 30/12.")
    fb.reply(citizen["id"], "Dạ, chị vào dichvucong.gov.vn ạ.")
    replies, cursor = fb.fetch_replies("", (post.remote_id,))
    assert [r.remote_id for r in replies] == [citizen["id"]]
    assert len(json.loads(cursor)[post.remote_id]) == 3, "the Page's comments still move the mark"


def test_text_is_nfc_and_kept_as_the_citizen_wrote_it(server, sandbox):
    fb = adapter(server)
    post = publish(fb)
    written = "<b>Khẩn</b> & gấp: đường Lê Văn Lương ngập 😟"
    comment(sandbox, post.remote_id, unicodedata.normalize("NFD", written),
            author={"id": CITIZEN["id"], "name": unicodedata.normalize("NFD", CITIZEN["name"])})
    [reply], _ = fb.fetch_replies("", (post.remote_id,))
    assert (reply.text, reply.author_name) == (written, CITIZEN["name"])


def test_a_photo_in_a_comment_comes_back_by_both_paths(server, sandbox):
    photo = "https://scontent.xx.fbcdn.net/v/t39/ngap-nuoc.jpg"
    with Receiver() as receiver:
        hooked(sandbox, receiver)
        fb = adapter(server, app_secret=SECRET)
        post = publish(fb)
        comment(sandbox, post.remote_id, "Ảnh chụp sáng nay", photo=photo)
        fake(server).settle()
        [polled], _ = fb.fetch_replies("", (post.remote_id,))
        [pushed] = fb.parse_webhook({}, comment_bodies(receiver)[0]["body"])
    assert polled.attachments == pushed.attachments == (photo,)


def test_a_deleted_post_is_skipped_and_dropped_from_the_cursor(server, sandbox):
    fb = adapter(server)
    post = publish(fb)
    citizen = comment(sandbox, post.remote_id)
    gone = f"{PAGE}_99999"
    replies, cursor = fb.fetch_replies(json.dumps({gone: {"1_2": 1764500000}}), (gone, post.remote_id))
    assert [r.remote_id for r in replies] == [citizen["id"]]
    assert list(json.loads(cursor)) == [post.remote_id]


def test_an_unreadable_cursor_starts_over_and_repeats_nothing_the_caller_cannot_dedupe(server, sandbox):
    fb = adapter(server)
    post = publish(fb)
    citizen = comment(sandbox, post.remote_id)
    for cursor in ("not json", "[1, 2]", json.dumps({post.remote_id: "x"}), json.dumps({post.remote_id: {"a": "b"}})):
        replies, new_cursor = fb.fetch_replies(cursor, (post.remote_id,))
        assert [r.remote_id for r in replies] == [citizen["id"]]
        assert list(json.loads(new_cursor)[post.remote_id]) == [citizen["id"]]


@pytest.mark.parametrize("setup, verdict", [
    (lambda c: page(c, token_status="expired"), AuthExpired),
    (lambda c: c.fault(PAGE, rate_limit=1), RateLimited),
    (lambda c: c.fault(PAGE, server_errors=1), NotCreated),
    (lambda c: c.fault(PAGE, timeouts=1), NotCreated),
])
def test_a_failed_poll_says_why_and_loses_nothing(server, sandbox, setup, verdict):
    fb = adapter(server, timeout="0.3")
    post = publish(fb)
    citizen = comment(sandbox, post.remote_id)
    setup(sandbox)
    with pytest.raises(verdict) as caught:
        fb.fetch_replies("", (post.remote_id,))
    assert TOKEN not in caught.value.message and "{" not in caught.value.message
    page(sandbox)
    replies, _ = adapter(server).fetch_replies("", (post.remote_id,))
    assert [r.remote_id for r in replies] == [citizen["id"]]


def test_answering_a_deleted_comment_is_refused_without_flagging_the_channel(server, sandbox):
    fb = adapter(server)
    post = publish(fb)
    citizen = comment(sandbox, post.remote_id)
    sandbox.inject("facebook", {"page_id": PAGE, "comment_id": citizen["id"], "verb": "remove"})
    with pytest.raises(BadContent) as caught:
        fb.reply(citizen["id"], "Dạ, chị vào dichvucong.gov.vn ạ.")
    assert not isinstance(caught.value, AuthExpired) and "no longer exists" in caught.value.message


# webhooks --------------------------------------------------------------------------------------

def test_a_comment_is_pushed_signed_and_gives_the_same_reply_as_polling(server, sandbox):
    with Receiver() as receiver:
        assert hooked(sandbox, receiver)["webhooks"] == {PAGE: "subscribed"}
        fb = adapter(server, app_secret=SECRET)
        post = publish(fb)
        citizen = comment(sandbox, post.remote_id)
        fake(server).settle()
        [pushed] = comment_bodies(receiver)
    body, headers = pushed["body"], pushed["headers"]
    assert headers["content-type"] == "application/json"
    assert headers["x-hub-signature-256"] == signed(body)["x-hub-signature-256"]
    assert b"\\u" in body and b"\\/" in body, "Facebook's escaped JSON: verify the raw bytes, never a re-encoding"
    assert fb.verify_webhook(headers, body)
    assert FacebookAdapter.webhook_routes(body) == [("page_id", PAGE)]
    [reply] = fb.parse_webhook(headers, body)
    [polled], _ = fb.fetch_replies("", (post.remote_id,))
    assert reply == polled and reply.in_reply_to == post.remote_id and reply.remote_id == citizen["id"]
    deliveries = sandbox.state("facebook")["pages"][PAGE]["deliveries"]
    assert [d["status"] for d in deliveries] == ["delivered", "delivered"]  # the post, then the comment


def test_the_pages_own_posts_and_comments_echo_back_but_are_not_feedback(server, sandbox):
    with Receiver() as receiver:
        hooked(sandbox, receiver)
        fb = adapter(server, app_secret=SECRET)
        post = publish(fb)
        fb.reply(post.remote_id, "Phường xin thông báo thêm.")
        fake(server).settle()
    items = [json.loads(p["body"])["entry"][0]["changes"][0]["value"] for p in receiver.posts]
    assert sorted((v["item"], v["from"]["id"]) for v in items) == [("comment", PAGE), ("status", PAGE)]
    assert all(fb.verify_webhook(p["headers"], p["body"]) and fb.parse_webhook({}, p["body"]) == []
               for p in receiver.posts)


def test_an_edit_keeps_the_remote_id_and_a_removal_is_not_feedback(server, sandbox):
    with Receiver() as receiver:
        hooked(sandbox, receiver)
        fb = adapter(server, app_secret=SECRET)
        post = publish(fb)
        citizen = comment(sandbox, post.remote_id)
        fake(server).settle()
        sandbox.inject("facebook", {"page_id": PAGE, "comment_id": citizen["id"], "verb": "edited",
                                    "message": "Đã tìm được, cảm ơn."})
        fake(server).settle()
        sandbox.inject("facebook", {"page_id": PAGE, "comment_id": citizen["id"], "verb": "remove"})
        fake(server).settle()
    added, edited, removed = (fb.parse_webhook({}, p["body"]) for p in comment_bodies(receiver))
    assert [r.remote_id for r in added + edited] == [citizen["id"]] * 2
    assert (added[0].text, edited[0].text) == (QUESTION, "Đã tìm được, cảm ơn.")
    assert removed == []
    assert fb.fetch_replies("", (post.remote_id,))[0] == [], "a removed comment is no longer listed"


def test_forged_missing_or_unkeyed_signatures_are_refused(server):
    fb = adapter(server, app_secret=SECRET)
    body = envelope(comment_entry())
    assert fb.verify_webhook(signed(body), body)
    assert not fb.verify_webhook({}, body)
    assert not fb.verify_webhook(signed(body, "another-app-secret"), body)
    assert not fb.verify_webhook(signed(body), body.replace(b"khai sinh", b"khai tu"))
    assert not fb.verify_webhook(signed(body), body + b" ")
    assert not fb.verify_webhook({"x-hub-signature-256": signed(body)["x-hub-signature-256"][7:]}, body)
    sha1 = "sha1=" + hmac.new(SECRET.encode(), body, hashlib.sha1).hexdigest()
    assert not fb.verify_webhook({"x-hub-signature": sha1}, body), "only the SHA-256 signature counts"
    assert not fb.verify_webhook({"x-hub-signature-256": "sha256=ặ\udc80"}, body)
    assert not adapter(server).verify_webhook(signed(body), body), "no app secret set: nothing is trusted"


def test_a_failed_delivery_is_retried_then_dropped(server, sandbox):
    with Receiver(statuses=[500]) as flaky:
        hooked(sandbox, flaky)
        post = publish(adapter(server, app_secret=SECRET))
        fake(server).settle()
        assert len(flaky.posts) == 2 and flaky.posts[0]["body"] == flaky.posts[1]["body"]
    with Receiver(statuses=[500, 503, 500]) as down:
        hooked(sandbox, down)
        comment(sandbox, post.remote_id)
        fake(server).settle()
        assert len(down.posts) == 3
    deliveries = sandbox.state("facebook")["pages"][PAGE]["deliveries"]
    assert [(d["status"], d["attempts"]) for d in deliveries] == [
        ("delivered", [{"status": 500}, {"status": 200}]),
        ("dropped", [{"status": 500}, {"status": 503}, {"status": 500}])]


def test_the_subscription_handshake_answers_only_our_verify_token(server, sandbox):
    query = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444"}
    assert inbound.handshake(query, VERIFY_TOKEN) == "1158201444"
    assert inbound.handshake(query, "another-token") is None
    assert inbound.handshake({**query, "hub.mode": "unsubscribe"}, VERIFY_TOKEN) is None
    assert inbound.handshake({k: v for k, v in query.items() if k != "hub.challenge"}, VERIFY_TOKEN) is None
    assert inbound.handshake(query, "") is None and inbound.handshake({}, VERIFY_TOKEN) is None
    assert FacebookAdapter.webhook_handshake(query, [ChannelConfig(name="a", secrets={"verify_token": "x"})]) is None
    with Receiver() as receiver:
        assert hooked(sandbox, receiver, verify_token=VERIFY_TOKEN)["webhooks"] == {PAGE: "verified"}
    with Receiver(verify_token="what-loa-expects") as receiver:
        assert hooked(sandbox, receiver, verify_token="typed-wrong-in-the-app")["webhooks"] == {PAGE: "refused"}
        publish(adapter(server, app_secret=SECRET))
        fake(server).settle()
        assert receiver.posts == [], "Facebook delivers nothing to a callback that failed the handshake"


def test_a_body_for_several_pages_routes_to_each_and_each_reads_only_its_own(server):
    body = envelope(comment_entry(), comment_entry(OTHER_PAGE, comment_id="888_999", post_id=f"{OTHER_PAGE}_888"))
    assert inbound.page_ids(body) == [PAGE, OTHER_PAGE]
    assert FacebookAdapter.webhook_routes(body) == [("page_id", PAGE), ("page_id", OTHER_PAGE)]
    [ours] = adapter(server).parse_webhook({}, body)
    [theirs] = adapter(server, page_id=OTHER_PAGE).parse_webhook({}, body)
    assert (ours.remote_id, theirs.remote_id) == ("555_777", "888_999")
    assert ours == Reply(remote_id="555_777", text=QUESTION, author_id=CITIZEN["id"], author_name=CITIZEN["name"],
                         received_at=1764500000.0, in_reply_to=f"{PAGE}_555", answer_to="555_777", kind="comment")
    assert inbound.page_ids(b'{"object":"instagram","entry":[{"id":"1"}]}') == []


def test_webhook_bodies_that_are_not_ours_or_not_comments_give_nothing(server):
    fb = adapter(server)
    reaction = comment_entry(item="reaction", verb="add", reaction_type="like")
    messenger = {"id": PAGE, "time": 1, "messaging": [{"sender": {"id": "1"}, "message": {"text": "hi"}}]}
    assert fb.parse_webhook({}, envelope(reaction, messenger)) == []
    assert fb.parse_webhook({}, json.dumps({"object": "user", "entry": []}).encode()) == []
    reply_to_reply = comment_entry(parent_id="555_666")
    assert fb.parse_webhook({}, envelope(reply_to_reply))[0].answer_to == "555_666"
    no_author = comment_entry()
    del no_author["changes"][0]["value"]["from"]
    assert fb.parse_webhook({}, envelope(no_author))[0].author_id == ""


@pytest.mark.parametrize("body", [
    b"", b"not json", b"[]", b'{"object":"page"}', b'{"object":"page","entry":{}}', b'{"object":"page","entry":[1]}',
    envelope({"id": PAGE, "changes": {}}), envelope({"id": PAGE, "changes": [{"field": "feed", "value": []}]}),
    envelope(comment_entry(comment_id=None)), envelope(comment_entry(post_id=["x"])), b"\xff\xfe{", b"[" * 100000,
])
def test_a_malformed_body_is_bad_content(server, body):
    with pytest.raises(BadContent):
        adapter(server).parse_webhook({}, body)


# fuzzing: verification never raises, parsing raises nothing but BadContent -----------------------

JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
                    lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(st.text(max_size=12), inner, max_size=4),
                    max_leaves=20)
VALID = json.loads(envelope(comment_entry()))
PATHS = [("entry",), ("entry", 0), ("entry", 0, "id"), ("entry", 0, "changes"), ("entry", 0, "changes", 0),
         ("entry", 0, "changes", 0, "value")] + [("entry", 0, "changes", 0, "value", key)
                                                 for key in VALID["entry"][0]["changes"][0]["value"]]


def mutated(path, replacement, delete):
    data = json.loads(json.dumps(VALID))
    node = data
    for key in path[:-1]:
        node = node[key]
    if delete:
        del node[path[-1]]
    else:
        node[path[-1]] = replacement
    return json.dumps(data).encode()


def truncated(cut):
    body = envelope(comment_entry())
    return body[: cut % len(body)]


BODIES = st.one_of(
    st.binary(max_size=300),
    st.builds(truncated, st.integers(0, 10 ** 6)),
    st.builds(lambda data: json.dumps(data).encode(), JSON),
    st.builds(lambda data: json.dumps({"object": "page", "entry": data}).encode(), JSON),
    st.builds(mutated, st.sampled_from(PATHS), JSON, st.booleans()),
    st.builds(lambda n, ch: envelope(comment_entry(message=ch * n, comment_id=ch * (n // 10))),
              st.integers(0, 300_000), st.sampled_from(["a", "ặ", "\x00", "\ud800", "😟"])),
    st.builds(lambda prefix, tail: prefix + tail, st.just(envelope(comment_entry())[:40]), st.binary(max_size=50)),
)
HEADER_NAMES = st.sampled_from(["x-hub-signature-256", "x-hub-signature", "content-type"]) | st.text(max_size=20)
HEADERS = st.dictionaries(HEADER_NAMES,
                          st.text(max_size=80) | st.builds(lambda h: "sha256=" + h, st.text("0123456789abcdef")),
                          max_size=3)
FUZZ = settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                           HealthCheck.function_scoped_fixture])
OFFLINE = FacebookAdapter(ChannelConfig(name="fb", settings={"page_id": PAGE},
                                        secrets={"access_token": TOKEN, "app_secret": SECRET}))


@FUZZ
@given(body=BODIES, headers=HEADERS)
def test_verification_never_raises_and_accepts_only_the_true_signature(body, headers):
    assert OFFLINE.verify_webhook(headers, body) is False or headers.get("x-hub-signature-256", "").strip().lower() \
        == signed(body)["x-hub-signature-256"]
    assert OFFLINE.verify_webhook(signed(body), body) is True


@FUZZ
@given(body=BODIES)
def test_parsing_raises_nothing_but_bad_content(body):
    try:
        replies = OFFLINE.parse_webhook(signed(body), body)
    except BadContent as exc:
        assert exc.message and "{" not in exc.message
        return
    assert all(isinstance(r, Reply) and r.remote_id and r.text == unicodedata.normalize("NFC", r.text)
               and "\x00" not in r.text for r in replies)
    assert isinstance(FacebookAdapter.webhook_routes(body), list)


@settings(FUZZ, max_examples=500)
@given(query=st.dictionaries(st.sampled_from(["hub.mode", "hub.verify_token", "hub.challenge"]) | st.text(max_size=10),
                             st.text(max_size=40) | st.none() | st.integers(), max_size=4),
       token=st.text(max_size=40))
def test_the_handshake_never_raises(query, token):
    answer = inbound.handshake(query, token)
    assert answer is None or (answer == query["hub.challenge"] and query["hub.verify_token"] == token)
