"""Citizens' replies coming back from Telegram, over real HTTP against the strict Bot API fake:
polling and the webhook see the same message as the same Reply, thread links tie comments to the
post publish() returned, answers land in the right thread, and no body makes the webhook checks
raise anything but BadContent."""

import copy
import json
import logging
import queue
import re
import socket
import threading
import unicodedata
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from channels.base import ChannelConfig, Message, Reply, ThreadLink
from channels.errors import AuthExpired, BadContent, NotCreated, RateLimited
from channels.sandbox.app import Sandbox
from channels.sandbox.client import SandboxClient
from channels.sandbox.server import SandboxServer
from channels.sandbox.telegram import TelegramFake
from channels.telegram import TelegramAdapter
from channels.telegram_inbound import ALLOWED_UPDATES, SECRET_HEADER

TOKEN = "123456:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"  # the channel's bot: publishes and polls
WATCHER = "654321:AAWatcherWatcherWatcherWatcher12"  # a second bot in the same group, on a webhook
CHANNEL, DISCUSSION, OTHER_GROUP, CITIZEN = -1001234567890, -1003333333333, -1007777777777, 4242
SECRET = "s3cret-Token_1"
GROUP = [{"id": DISCUSSION, "title": "Góp ý Phường Bình Hưng", "type": "supergroup", "bot_status": "administrator"},
         {"id": CITIZEN, "type": "private", "first_name": "Lan", "bot_status": "member"}]
ACCOUNTS = {"bots": [{"token": TOKEN, "id": 123456, "username": "loa_test_bot", "chats": [
    {"id": CHANNEL, "username": "phuongbinhhung", "title": "Phường Bình Hưng", "type": "channel",
     "bot_status": "administrator", "linked_chat_id": DISCUSSION},
    {"id": OTHER_GROUP, "title": "Hội phụ huynh", "type": "supergroup", "bot_status": "member"}, *GROUP]}]}
LAN = {"id": 777, "is_bot": False, "first_name": "Lan", "last_name": "Nguyễn"}


class Receiver:
    """Loa's webhook endpoint, played by a stdlib server: records each POST and answers the planned
    statuses in turn, then 200."""

    def __init__(self, *statuses: int):
        self.posts: queue.Queue = queue.Queue()
        self.statuses = list(statuses)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.posts.put(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(receiver.statuses.pop(0) if receiver.statuses else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/hooks/telegram/phuong/"

    def __enter__(self) -> "Receiver":
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def everything(self) -> list[tuple[dict, bytes]]:
        found = []
        while not self.posts.empty():
            found.append(self.posts.get_nowait())
        return found


@pytest.fixture
def srv():
    with SandboxServer(Sandbox([TelegramFake], hold_seconds=0.5)) as server:
        SandboxClient(server.url).configure("telegram", ACCOUNTS)
        yield server


@pytest.fixture
def client(srv):
    return SandboxClient(srv.url)


@pytest.fixture
def fake(srv) -> TelegramFake:
    return srv.sandbox.platforms["telegram"]


@pytest.fixture
def hook(client):
    """The watcher bot joins the discussion group with its webhook pointing at a Receiver."""
    with Receiver() as receiver:
        client.configure("telegram", {"bots": [{"token": WATCHER, "username": "loa_watch_bot", "chats": GROUP,
                                                "webhook": {"url": receiver.url, "secret_token": SECRET}}]})
        yield receiver


def adapter(srv, token=TOKEN, **settings) -> TelegramAdapter:
    return TelegramAdapter(ChannelConfig(name="telegram-phuong", secrets={"token": token, "webhook_secret": SECRET},
                                         settings={**TelegramAdapter.sandbox_settings(srv.url),
                                                   "chat_id": "@phuongbinhhung", "discussion_chat_id": str(DISCUSSION),
                                                   "timeout": "5", **settings}))


def offline(**settings) -> TelegramAdapter:
    """An adapter for the pure checks; it never touches the network."""
    return TelegramAdapter(ChannelConfig(name="t", secrets={"token": TOKEN, "webhook_secret": SECRET}, settings={
        "chat_id": "@phuongbinhhung", "discussion_chat_id": str(DISCUSSION), **settings}))


def polls(client) -> list[dict]:
    return [r["json"] for r in client.requests("telegram") if r["path"].endswith("/getUpdates")]


def group(client, chat=DISCUSSION) -> list[dict]:
    return client.state("telegram")["chats"][str(chat)]["messages"]


def comment_on(client, post_id: str, text="Cho hỏi lệ phí cấp bản sao là bao nhiêu?", **extra) -> dict:
    return client.inject("telegram", {"chat_id": DISCUSSION, "text": text, "from": LAN,
                                      "reply_to_channel_post": int(post_id), **extra})


def as_reply(message: dict, in_reply_to: str, kind="comment") -> Reply:
    rid = f"{message['chat']['id']}:{message['message_id']}"
    sender = message["from"]
    name = " ".join(n for n in (sender.get("first_name"), sender.get("last_name")) if n)
    return Reply(remote_id=rid, text=message["text"], author_id=str(sender["id"]), author_name=name,
                 received_at=float(message["date"]), in_reply_to=in_reply_to, answer_to=rid, kind=kind)


# -- polling


def test_a_comment_on_our_post_comes_back_once_by_polling_linked_to_the_post(srv, client):
    post = adapter(srv).publish(Message(marker="loa-1", text="Bản tin cải cách hành chính tháng 11"))
    comment = comment_on(client, post.remote_id)
    forward = group(client)[0]
    link = ThreadLink(post_id=post.remote_id, thread_id=f"{DISCUSSION}:{forward['message_id']}")

    items, cursor = adapter(srv).fetch_replies("")
    assert items == [link, link, as_reply(comment["message"], in_reply_to=post.remote_id)]
    assert items[2].remote_id == f"{DISCUSSION}:{comment['message']['message_id']}"
    assert items[2].author_name == "Lan Nguyễn" and items[2].author_id == "777"
    assert cursor == str(comment["update_ids"][0] + 1)

    assert adapter(srv).fetch_replies(cursor) == ([], cursor), "confirmed updates never come back"
    wanted = {"limit": 100, "timeout": 0, "allowed_updates": ["message", "channel_post", "edited_message"]}
    assert polls(client) == [wanted, {**wanted, "offset": int(cursor)}]


def test_a_reply_to_another_comment_names_the_thread_its_thread_link_resolves(srv, client):
    post = adapter(srv).publish(Message(marker="loa-1", text="Bản tin"))
    first = comment_on(client, post.remote_id)["message"]
    second = client.inject("telegram", {"chat_id": DISCUSSION, "text": "Tôi cũng muốn hỏi",
                                        "reply_to_message_id": first["message_id"]})["message"]
    items, _ = adapter(srv).fetch_replies("")
    link = items[0]
    assert items[-1] == as_reply(second, in_reply_to=link.thread_id)
    assert link.thread_id == f"{DISCUSSION}:{second['message_thread_id']}" != link.post_id


def test_a_private_message_to_the_bot_is_a_message_answered_in_the_private_chat(srv, client):
    sent = client.inject("telegram", {"chat_id": CITIZEN, "text": "Xin hướng dẫn nộp hồ sơ trực tuyến"})["message"]
    items, _ = adapter(srv).fetch_replies("")
    assert items == [as_reply(sent, in_reply_to="", kind="message")]
    assert items[0].remote_id == f"{CITIZEN}:{sent['message_id']}" and items[0].author_id == str(CITIZEN)

    adapter(srv).reply(items[0].answer_to, "Mời bạn truy cập dichvucong.gov.vn")
    answer = group(client, CITIZEN)[-1]
    assert answer["text"] == "Mời bạn truy cập dichvucong.gov.vn"
    assert answer["reply_to_message"]["message_id"] == sent["message_id"]


def test_opening_the_bot_with_start_is_a_follow_without_text(srv, client):
    client.inject("telegram", {"chat_id": CITIZEN, "text": "/start"})
    (follow,), _ = adapter(srv).fetch_replies("")
    assert (follow.kind, follow.text, follow.author_id) == ("follow", "", str(CITIZEN))


def test_messages_in_other_groups_are_not_this_channels_feedback_but_the_cursor_moves_on(srv, client):
    injected = client.inject("telegram", {"chat_id": OTHER_GROUP, "text": "Họp phụ huynh lúc 8 giờ"})
    assert adapter(srv).fetch_replies("") == ([], str(injected["update_ids"][0] + 1))


def test_an_edit_keeps_the_remote_id_so_the_message_is_stored_once(srv, client):
    sent = client.inject("telegram", {"chat_id": CITIZEN, "text": "Giờ làm việc?"})["message"]
    client.inject("telegram", {"chat_id": CITIZEN, "edit_message_id": sent["message_id"],
                               "text": "Giờ làm việc thứ Bảy?"})
    items, _ = adapter(srv).fetch_replies("")
    assert [(r.remote_id, r.text) for r in items] == [(f"{CITIZEN}:{sent['message_id']}", "Giờ làm việc?"),
                                                      (f"{CITIZEN}:{sent['message_id']}", "Giờ làm việc thứ Bảy?")]


def test_text_comes_back_nfc_normalised(srv, client):
    decomposed = unicodedata.normalize("NFD", "Phường Bình Hưng có làm việc thứ Bảy không?")
    client.inject("telegram", {"chat_id": CITIZEN, "text": decomposed})
    (reply,), _ = adapter(srv).fetch_replies("")
    assert reply.text == unicodedata.normalize("NFC", decomposed) != decomposed


def test_a_malformed_update_is_skipped_and_the_cursor_moves_past_it(srv, client, fake):
    with fake.lock:  # Telegram never sends this; the fake is made to, to show one bad update blocks nothing
        bot = fake.bots[TOKEN]
        bot["updates"].append({"update_id": bot["next_update_id"], "message": {"chat": "not a chat"}})
        bot["next_update_id"] += 1
    sent = client.inject("telegram", {"chat_id": CITIZEN, "text": "Còn tôi thì sao?"})
    items, cursor = adapter(srv).fetch_replies("")
    assert [r.text for r in items] == ["Còn tôi thì sao?"] and cursor == str(sent["update_ids"][0] + 1)


# -- answering in the right thread


def test_answering_a_comment_replies_to_it_inside_its_posts_thread(srv, client):
    post = adapter(srv).publish(Message(marker="loa-1", text="Bản tin"))
    first = comment_on(client, post.remote_id)["message"]
    nested = client.inject("telegram", {"chat_id": DISCUSSION, "text": "Và lệ phí chứng thực?",
                                        "reply_to_message_id": first["message_id"]})["message"]
    items, _ = adapter(srv).fetch_replies("")
    forward_id = group(client)[0]["message_id"]
    for reply, message in zip([i for i in items if isinstance(i, Reply)], (first, nested)):
        adapter(srv).reply(reply.answer_to, "Miễn phí khi nộp trực tuyến")
        answer = group(client)[-1]
        assert answer["reply_to_message"]["message_id"] == message["message_id"]
        assert answer["message_thread_id"] == forward_id, "the answer stays in the post's comment thread"


# -- the webhook


def test_the_webhook_gets_the_same_comment_with_a_secret_verify_accepts(srv, client, fake, hook):
    post = adapter(srv).publish(Message(marker="loa-1", text="Bản tin"))
    comment_on(client, post.remote_id)
    assert fake.settle()
    posts = hook.everything()
    assert len(posts) == 2, "the automatic forward, then the comment"
    watcher = adapter(srv, token=WATCHER)
    webhook_items = []
    for headers, body in posts:
        assert headers[SECRET_HEADER] == SECRET and headers["content-type"] == "application/json"
        assert watcher.verify_webhook(headers, body)
        webhook_items += watcher.parse_webhook(headers, body)
    polled, _ = adapter(srv).fetch_replies("")
    assert webhook_items == polled, "same ThreadLinks, same Reply, same remote_id whichever path saw it"
    assert webhook_items[-1].in_reply_to == post.remote_id
    bot = client.state("telegram")["bots"]["654321"]
    assert [(d["status"], d["attempts"], d["http_status"]) for d in bot["deliveries"]] == [("delivered", 1, 200)] * 2
    assert bot["pending_updates"] == 0


def test_polling_a_bot_on_a_webhook_finds_nothing_and_keeps_the_cursor(srv, client, hook):
    client.inject("telegram", {"chat_id": DISCUSSION, "text": "Xin chào"})
    assert adapter(srv, token=WATCHER).fetch_replies("100000007") == ([], "100000007")
    assert polls(client)[-1]["offset"] == 100000007, "Telegram answered 409 Conflict"


def test_a_failed_webhook_delivery_is_retried_then_delivered(srv, client, fake):
    with Receiver(500, 503) as receiver:
        client.configure("telegram", {"bots": [{"token": WATCHER, "chats": GROUP,
                                                "webhook": {"url": receiver.url, "secret": SECRET}}]})
        client.inject("telegram", {"chat_id": CITIZEN, "text": "Alo"})
        assert fake.settle()
        bodies = [body for _, body in receiver.everything()]
    assert len(bodies) == 3 and len(set(bodies)) == 1
    (delivery,) = client.state("telegram")["bots"]["654321"]["deliveries"]
    assert (delivery["status"], delivery["attempts"], delivery["http_status"]) == ("delivered", 3, 200)


def test_an_unreachable_webhook_is_dropped_after_its_attempts(srv, client, fake):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}/hooks/telegram/phuong/"
    client.configure("telegram", {"bots": [{"token": WATCHER, "chats": GROUP,
                                            "webhook": {"url": closed, "secret": SECRET, "attempts": 2}}]})
    client.inject("telegram", {"chat_id": CITIZEN, "text": "Alo"})
    assert fake.settle()
    bot = client.state("telegram")["bots"]["654321"]
    assert [(d["status"], d["attempts"], d["http_status"]) for d in bot["deliveries"]] == [("dropped", 2, None)]
    assert bot["pending_updates"] == 0


@pytest.mark.parametrize("headers", [
    {},
    {SECRET_HEADER: ""},
    {SECRET_HEADER: "s3cret-Token_2"},
    {SECRET_HEADER: SECRET + " "},
    {SECRET_HEADER: SECRET.upper()},
    {SECRET_HEADER: "s3cret-Tokén_1"},
    {"X-Telegram-Bot-Api-Secret-Token": SECRET},  # the caller passes names lower-cased
    {"x-hub-signature-256": SECRET},
], ids=["missing", "empty", "forged", "padded", "case", "non-ascii", "not-lower-cased", "other-header"])
def test_a_forged_or_missing_secret_is_refused(headers):
    assert offline().verify_webhook(headers, b'{"update_id": 1}') is False


def test_the_right_secret_is_accepted_and_no_secret_setting_accepts_nothing():
    assert offline().verify_webhook({SECRET_HEADER: SECRET}, b"anything") is True
    unset = TelegramAdapter(ChannelConfig(name="t", secrets={"token": TOKEN}, settings={"chat_id": "@x"}))
    assert unset.verify_webhook({SECRET_HEADER: ""}, b"{}") is False
    assert unset.verify_webhook({SECRET_HEADER: SECRET}, b"{}") is False


def test_set_webhook_registers_the_url_the_secret_and_the_updates_we_read(srv, client):
    adapter(srv).set_webhook("https://loa.example.org/hooks/telegram/telegram-phuong/")
    webhook = client.state("telegram")["bots"]["123456"]["webhook"]
    assert (webhook["url"], webhook["secret_token"]) == ("https://loa.example.org/hooks/telegram/telegram-phuong/",
                                                         SECRET)
    assert webhook["allowed_updates"] == list(ALLOWED_UPDATES)
    adapter(srv).set_webhook("")
    assert client.state("telegram")["bots"]["123456"]["webhook"]["url"] == ""
    bare = TelegramAdapter(ChannelConfig(name="t", secrets={"token": TOKEN}, settings={
        **TelegramAdapter.sandbox_settings(srv.url), "chat_id": "@x"}))
    before = len(client.requests("telegram"))
    with pytest.raises(BadContent, match="webhook_secret"):
        bare.set_webhook("https://loa.example.org/hooks/telegram/t/")
    assert len(client.requests("telegram")) == before


# -- what a webhook body maps to


def update(**message) -> bytes:
    base = {"message_id": 12, "date": 1_760_000_000, "chat": {"id": DISCUSSION, "type": "supergroup"},
            "from": {"id": 777, "is_bot": False, "first_name": "Lan"}, "text": "Xin chào"}
    return json.dumps({"update_id": 5, "message": {**base, **message}}).encode()


@pytest.mark.parametrize("body", [
    json.dumps({"update_id": 5, "channel_post": {"message_id": 3, "date": 1, "text": "Bản tin",
                                                 "chat": {"id": CHANNEL, "type": "channel"}}}).encode(),
    json.dumps({"update_id": 5, "callback_query": {"id": "1"}}).encode(),
    update(**{"from": {"id": 123456, "is_bot": True, "first_name": "Loa"}}),
    update(**{"from": {"id": 1087968824, "is_bot": True, "first_name": "Group"},
              "sender_chat": {"id": DISCUSSION, "type": "supergroup"}}),
    update(text=None, new_chat_members=[{"id": 778, "is_bot": False, "first_name": "Minh"}]),
    update(text=None, pinned_message={"message_id": 3, "date": 1, "chat": {"id": DISCUSSION, "type": "supergroup"}}),
    update(chat={"id": OTHER_GROUP, "type": "supergroup"}),
    update(is_automatic_forward=True, forward_origin={"type": "user", "sender_user": LAN, "date": 1}),
], ids=["channel-post", "callback", "a-bot", "anonymous-admin", "joined", "pinned", "other-group", "not-a-channel"])
def test_what_is_not_a_citizen_writing_to_us_is_ignored(body):
    assert offline().parse_webhook({}, body) == []


def test_a_photo_comment_keeps_its_caption_and_the_largest_photo():
    body = update(text=None, caption="Ổ gà trước số 12", photo=[{"file_id": "small", "width": 90},
                                                               {"file_id": "large", "width": 1280}])
    (reply,) = offline().parse_webhook({}, body)
    assert (reply.text, reply.attachments, reply.in_reply_to) == ("Ổ gà trước số 12", ("large",), "")


def test_a_discussion_group_named_by_username_is_recognised():
    body = update(chat={"id": DISCUSSION, "type": "supergroup", "username": "gopybinhhung"})
    assert len(offline(discussion_chat_id="@GopYBinhHung").parse_webhook({}, body)) == 1
    assert offline(discussion_chat_id="").parse_webhook({}, body) == []


@pytest.mark.parametrize("body", [b"", b"{", b"[]", b"null", b'"x"', b'{"message": {}}', b'{"update_id": "5"}',
                                  b"\xff\xfe", update(chat=None), update(message_id=True), update(date=10 ** 400),
                                  update(text=5), update(photo=[]), b"[" * 100_000])
def test_a_malformed_body_is_bad_content(body):
    with pytest.raises(BadContent):
        offline().parse_webhook({}, body)


# -- what polling errors mean


def test_a_revoked_token_needs_reauthorisation(srv):
    with pytest.raises(AuthExpired, match="rejected the bot token"):
        adapter(srv, token="999999:AARevokedRevokedRevokedRevoked12").fetch_replies("")


@pytest.mark.parametrize("fault, error, says", [
    ({"rate_limit": 1}, RateLimited, "wait 3 seconds"),
    ({"server_errors": 1}, NotCreated, "Internal Server Error"),
    ({"timeouts": 1}, NotCreated, "did not answer getUpdates"),
])
def test_a_failed_poll_says_why_and_loses_nothing(srv, client, fault, error, says):
    sent = client.inject("telegram", {"chat_id": CITIZEN, "text": "Alo"})
    client.fault("123456", **fault)
    with pytest.raises(error, match=says):
        adapter(srv, timeout="0.3").fetch_replies("")
    assert [r.text for r in adapter(srv).fetch_replies("")[0]] == ["Alo"], f"update {sent['update_ids']} kept"


def test_an_unreachable_telegram_is_not_created():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(NotCreated, match="did not answer getUpdates"):
        offline(api_base=f"http://127.0.0.1:{port}/telegram/bot").fetch_replies("")


def test_the_token_never_reaches_the_logs_while_polling(srv, client, caplog):
    caplog.set_level(logging.DEBUG)
    client.inject("telegram", {"chat_id": CITIZEN, "text": "Alo"})
    adapter(srv).fetch_replies("")
    client.fault("123456", server_errors=1)
    with pytest.raises(NotCreated) as caught:
        adapter(srv).fetch_replies("")
    assert caplog.records, "debug logging was on"
    logged = "\n".join(r.getMessage() for r in caplog.records) + str(caught.value)
    assert "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw" not in logged and "123456:" not in logged


# -- no input makes the webhook checks raise anything but BadContent

VALID = [json.loads(b) for b in (
    update(reply_to_message={"message_id": 3, "date": 1, "chat": {"id": DISCUSSION, "type": "supergroup"},
                             "is_automatic_forward": True, "forward_origin": {
                                 "type": "channel", "message_id": 9, "date": 1,
                                 "chat": {"id": CHANNEL, "type": "channel"}}}, message_thread_id=3),
    update(message_id=3, text="Bản tin", is_automatic_forward=True, **{"from": {
        "id": 777000, "is_bot": False, "first_name": "Telegram"}}, sender_chat={"id": CHANNEL, "type": "channel"},
        forward_origin={"type": "channel", "message_id": 9, "date": 1, "chat": {"id": CHANNEL, "type": "channel"}}),
    update(chat={"id": 777, "type": "private", "first_name": "Lan"}),
    update(text=None, caption="Ảnh", photo=[{"file_id": "a"}], document={"file_id": "b"}, message_thread_id=3),
)] + [{"update_id": 6, "edited_message": json.loads(update())["message"]}]
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                    max_leaves=12)


def _dicts(value) -> list[dict]:
    if isinstance(value, dict):
        return [value, *(d for v in value.values() for d in _dicts(v))]
    return [d for v in value for d in _dicts(v)] if isinstance(value, list) else []


@st.composite
def damaged(draw) -> bytes:
    """A valid envelope with fields removed or replaced by any JSON value."""
    envelope = copy.deepcopy(draw(st.sampled_from(VALID)))
    for _ in range(draw(st.integers(1, 3))):
        node = draw(st.sampled_from(_dicts(envelope)))
        if not node:
            continue
        key = draw(st.sampled_from(sorted(node)))
        if draw(st.booleans()):
            del node[key]
        else:
            node[key] = draw(JSON)
    return json.dumps(envelope, ensure_ascii=draw(st.booleans())).encode()


VALID_BODIES = [json.dumps(v).encode() for v in VALID]
BODIES = st.one_of(
    damaged(),
    st.binary(max_size=400),  # random bytes, mostly invalid UTF-8
    st.sampled_from(VALID_BODIES).flatmap(lambda b: st.integers(0, len(b) - 1).map(lambda n: b[:n])),  # truncated
    JSON.map(lambda v: json.dumps(v).encode()),  # wrong types and shapes
    st.integers(10_000, 100_000).map(lambda n: update(text="ư" * n, caption="x" * n)),  # huge strings
    st.integers(1, 3000).map(lambda n: b'{"update_id": 1, "message": ' * n),  # deep nesting, truncated
    st.sampled_from(VALID_BODIES).map(lambda b: b.replace(b"Xin", b"X\xc3\x28n")),  # invalid UTF-8 inside
)
HEADERS = st.dictionaries(st.sampled_from([SECRET_HEADER, "content-type", "x-hub-signature-256"]),
                          st.one_of(st.text(max_size=40), st.just(SECRET), st.just(SECRET + "\ud800")), max_size=3)


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(headers=HEADERS, body=BODIES)
def test_no_body_makes_verify_raise_or_parse_raise_anything_but_bad_content(headers, body):
    bot = offline()
    assert bot.verify_webhook(headers, body) is (headers.get(SECRET_HEADER) == SECRET)
    try:
        items = bot.parse_webhook(headers, body)
    except BadContent:
        return
    for item in items:
        assert isinstance(item, (Reply, ThreadLink))
        if isinstance(item, Reply):
            chat, _, message = item.remote_id.rpartition(":")
            assert re.fullmatch(r"-?\d+", chat) and message.isdigit() and item.answer_to == item.remote_id
            assert item.text == unicodedata.normalize("NFC", item.text)


@pytest.mark.parametrize("headers", [None, [], "x-telegram-bot-api-secret-token", {SECRET_HEADER: None},
                                     {SECRET_HEADER: 5}, {SECRET_HEADER: b"s3cret-Token_1"}])
def test_verify_never_raises_even_for_headers_that_are_not_a_mapping_of_strings(headers):
    assert offline().verify_webhook(headers, None) is False
