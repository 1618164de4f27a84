"""The Telegram channel over real HTTP against the strict Bot API fake: what goes over the wire,
how long texts become threads, and what every Telegram error means for a delivery."""

import json
import logging
import socket
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from PIL import Image as PILImage
import httpx
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from channels.base import ChannelConfig, Image, Message
from channels.errors import AuthExpired, BadContent, NotCreated, OutcomeUnknown, RateLimited
from channels.sandbox.app import Sandbox
from channels.sandbox.client import SandboxClient
from channels.sandbox.server import SandboxServer
from channels.sandbox.telegram import TelegramFake
from channels.telegram import TelegramAdapter, retry_seconds
from channels.telegram_format import split_html, visible_length, visible_text

TOKEN = "123456:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
CHANNEL = -1001234567890
PRIVATE = -1009876543210
DISCUSSION = -1003333333333
SPEC = json.loads(Path("/work/shared/reference/telegram-bot-api.json").read_text())
# PTB 22 warns about RetryAfter.retry_after becoming a timedelta each time it builds one.
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
SENTENCE = "Phường Bình Hưng triển khai dịch vụ công trực tuyến toàn trình cho người dân. "

ACCOUNTS = {"bots": [{"token": TOKEN, "id": 123456, "username": "loa_test_bot", "chats": [
    {"id": CHANNEL, "username": "phuongbinhhung", "title": "Phường Bình Hưng", "type": "channel",
     "bot_status": "administrator", "linked_chat_id": DISCUSSION},
    {"id": PRIVATE, "title": "Nội bộ", "type": "channel", "bot_status": "administrator"},
    {"id": -1002222222222, "username": "notadmin", "title": "Khác", "type": "channel", "bot_status": "left"},
    {"id": -1004444444444, "username": "readonly", "title": "Chỉ đọc", "type": "channel",
     "bot_status": "administrator", "can_post_messages": False},
    {"id": -1005555555555, "username": "slow", "title": "Chậm", "type": "channel",
     "bot_status": "administrator", "limit_per_minute": 1},
    {"id": -4001, "title": "Nhóm cũ", "type": "group", "bot_status": "member", "migrated_to": -1004001},
    {"id": -1004001, "title": "Nhóm mới", "type": "supergroup", "bot_status": "member"},
    {"id": DISCUSSION, "title": "Góp ý", "type": "supergroup", "bot_status": "administrator"},
]}]}


@pytest.fixture
def srv():
    with SandboxServer(Sandbox([TelegramFake], hold_seconds=1.0)) as server:
        SandboxClient(server.url).configure("telegram", ACCOUNTS)
        yield server


@pytest.fixture
def client(srv):
    return SandboxClient(srv.url)


def adapter(srv, chat="@phuongbinhhung", token=TOKEN, **settings) -> TelegramAdapter:
    return TelegramAdapter(ChannelConfig(name="telegram-phuong", secrets={"token": token}, settings={
        **TelegramAdapter.sandbox_settings(srv.url), "chat_id": chat, "timeout": "5", **settings}))


def sends(client) -> list[dict]:
    """What went over the wire after each Bot's getMe: method, form fields, uploaded files."""
    return [{"method": r["path"].rsplit("/", 1)[-1], "form": r["form"],
             "files": {k: (f["filename"], f["content_type"]) for k, f in r["files"].items()}}
            for r in client.requests("telegram") if not r["path"].endswith("/getMe")]


def messages(client, chat=CHANNEL) -> list[dict]:
    return client.state("telegram")["chats"][str(chat)]["messages"]


def picture(tmp_path, name="the.png", size=(64, 48)) -> Image:
    path = tmp_path / name
    PILImage.new("RGB", size, (200, 30, 30)).save(path)
    return Image(path, "image/jpeg" if name.endswith(".jpg") else "image/png")


def bulletin(total=9000) -> str:
    """A monthly reform bulletin: paragraphs of uneven length, at least `total` characters."""
    paragraphs, n = ["BẢN TIN CẢI CÁCH HÀNH CHÍNH THÁNG 11"], 0
    while len("\n\n".join(paragraphs)) < total:
        paragraphs.append((SENTENCE * (3, 11, 19, 7, 14)[n % 5]).strip())
        n += 1
    return "\n\n".join(paragraphs)


# -- what goes over the wire


def test_a_short_text_is_one_html_message_in_the_channel(srv, client):
    published = adapter(srv).publish(Message(marker="loa-1", text="Tháng 11: nộp hồ sơ trực tuyến."))
    assert sends(client) == [{"method": "sendMessage", "files": {}, "form": {
        "chat_id": "@phuongbinhhung", "text": "Tháng 11: nộp hồ sơ trực tuyến.", "parse_mode": "HTML"}}]
    assert (published.remote_id, published.marker) == ("1", "loa-1")
    assert published.permalink == "https://t.me/phuongbinhhung/1"


def test_plain_text_is_escaped_so_telegram_reads_no_markup(srv, client):
    adapter(srv).publish(Message(marker="loa-1", text="Lệ phí < 50.000đ & hồ sơ > 3 bản"))
    assert sends(client)[0]["form"]["text"] == "Lệ phí &lt; 50.000đ &amp; hồ sơ &gt; 3 bản"
    assert messages(client)[0]["text"] == "Lệ phí < 50.000đ & hồ sơ > 3 bản"


def test_html_text_is_sent_as_written(srv, client):
    adapter(srv).publish(Message(marker="loa-1", text="<b>Thông báo</b> &amp; lịch", text_format="html"))
    assert sends(client)[0]["form"]["text"] == "<b>Thông báo</b> &amp; lịch"
    assert messages(client)[0]["text"] == "Thông báo & lịch"


def test_a_private_channel_gets_a_c_permalink(srv):
    published = adapter(srv, chat=str(PRIVATE)).publish(Message(marker="loa-1", text="Nội bộ"))
    assert published.permalink == "https://t.me/c/9876543210/1"


def test_a_long_bulletin_becomes_a_thread_of_replies_split_between_paragraphs(srv, client):
    text = bulletin()
    published = adapter(srv).publish(Message(marker="loa-9k", text=text))
    wire = sends(client)
    parts = [w["form"]["text"] for w in wire]
    assert len(text) >= 9000 and len(parts) == 3
    assert all(w["method"] == "sendMessage" and w["form"]["chat_id"] == "@phuongbinhhung" for w in wire)
    assert all(len(part) <= 4096 for part in parts)
    assert "\n\n".join(parts) == text, "every break falls between paragraphs"
    ids = [m["message_id"] for m in messages(client)]
    assert "reply_parameters" not in wire[0]["form"]
    assert [json.loads(w["form"]["reply_parameters"]) for w in wire[1:]] == [{"message_id": ids[0]},
                                                                             {"message_id": ids[1]}]
    assert published.remote_id == str(ids[0])


def test_a_paragraph_too_long_alone_breaks_between_lines_then_words_keeping_tags_whole():
    line = (SENTENCE * 30).strip()
    parts = split_html(f"<b>{line}\n{line}</b>", 4096)
    assert parts == [f"<b>{line}</b>", f"<b>{line}</b>"], "the bold is closed and reopened across the break"
    words = split_html('<a href="https://dichvucong.gov.vn/p/home">' + "thủ tục " * 700 + "</a>", 4096)
    assert len(words) == 2 and all(p.count("<a ") == p.count("</a>") == 1 for p in words)
    assert all(visible_length(p) <= 4096 for p in words)
    assert {w for p in words for w in visible_text(p).split()} == {"thủ", "tục"}, "no word is cut"
    assert words[1].startswith('<a href="https://dichvucong.gov.vn/p/home">thủ tục')


def test_more_than_five_parts_is_refused_before_anything_is_sent(srv, client):
    with pytest.raises(BadContent, match="needs 6 Telegram messages"):
        adapter(srv).publish(Message(marker="loa-1", text="\n\n".join([SENTENCE * 50] * 6)))
    assert client.requests("telegram") == []


def test_a_photo_with_a_short_caption_is_one_send_photo(srv, client, tmp_path):
    published = adapter(srv).publish(Message(marker="loa-1", text="Khẩu hiệu tháng 11",
                                             images=(picture(tmp_path),)))
    assert sends(client) == [{"method": "sendPhoto", "files": {"photo": ("the.png", "image/png")}, "form": {
        "chat_id": "@phuongbinhhung", "caption": "Khẩu hiệu tháng 11", "parse_mode": "HTML"}}]
    assert messages(client)[0]["photo"][-1]["width"] == 64 and published.remote_id == "1"


def test_a_photo_with_a_2000_character_text_is_the_photo_then_the_text_as_a_reply(srv, client, tmp_path):
    text = (SENTENCE * 26).strip()
    assert len(text) > 2000
    published = adapter(srv).publish(Message(marker="loa-1", text=text, images=(picture(tmp_path),)))
    photo, reply = sends(client)
    assert photo == {"method": "sendPhoto", "files": {"photo": ("the.png", "image/png")},
                     "form": {"chat_id": "@phuongbinhhung", "parse_mode": "HTML"}}
    assert reply["form"] == {"chat_id": "@phuongbinhhung", "text": text, "parse_mode": "HTML",
                             "reply_parameters": json.dumps({"message_id": 1})}
    assert published.remote_id == "1"


def test_an_album_of_three_carries_the_caption_on_its_first_item(srv, client, tmp_path):
    images = (picture(tmp_path, "a.png"), picture(tmp_path, "b.jpg"), picture(tmp_path, "c.png"))
    published = adapter(srv).publish(Message(marker="loa-1", text="Ngày hội dịch vụ công", images=images))
    (album,) = sends(client)
    media = json.loads(album["form"].pop("media"))
    assert album["method"] == "sendMediaGroup" and album["form"] == {"chat_id": "@phuongbinhhung"}
    assert media[0] == {"type": "photo", "media": media[0]["media"], "caption": "Ngày hội dịch vụ công",
                        "parse_mode": "HTML"}
    assert [set(m) for m in media[1:]] == [{"type", "media"}] * 2
    attached = [album["files"][m["media"].removeprefix("attach://")] for m in media]
    assert attached == [("a.png", "image/png"), ("b.jpg", "image/jpeg"), ("c.png", "image/png")]
    posted = messages(client)
    assert len({m["media_group_id"] for m in posted}) == 1 and published.remote_id == "1"


def test_an_album_with_a_long_text_is_followed_by_the_text_as_a_reply(srv, client, tmp_path):
    text = (SENTENCE * 20).strip()
    adapter(srv).publish(Message(marker="loa-1", text=text, images=(picture(tmp_path, "a.png"),
                                                                     picture(tmp_path, "b.png"))))
    album, reply = sends(client)
    assert all("caption" not in m for m in json.loads(album["form"]["media"]))
    assert reply["form"]["text"] == text and json.loads(reply["form"]["reply_parameters"]) == {"message_id": 1}


def test_eleven_images_are_refused_before_anything_is_sent(srv, client, tmp_path):
    images = tuple(picture(tmp_path, f"{n}.png") for n in range(11))
    with pytest.raises(BadContent, match="at most 10 photos"):
        adapter(srv).publish(Message(marker="loa-1", text="x", images=images))
    assert client.requests("telegram") == []


def test_an_image_over_10_mb_is_refused_before_anything_is_sent(srv, client, tmp_path):
    big = tmp_path / "big.jpg"
    big.write_bytes(b"\xff\xd8" + bytes(10 * 1024 * 1024))
    with pytest.raises(BadContent, match="10 MB"):
        adapter(srv).publish(Message(marker="loa-1", text="x", images=(Image(big, "image/jpeg"),)))
    assert client.requests("telegram") == []


def test_every_parameter_sent_exists_in_the_bot_api(srv, client, tmp_path):
    bot = adapter(srv)
    bot.publish(Message(marker="a", text=bulletin(5000)))
    bot.publish(Message(marker="b", text="x" * 1500, images=(picture(tmp_path, "a.png"),)))
    bot.publish(Message(marker="c", text="album", images=(picture(tmp_path, "a.png"), picture(tmp_path, "b.png"))))
    bot.health()
    methods = {name.lower(): {f["name"] for f in m.get("fields", [])} for name, m in SPEC["methods"].items()}
    media_fields = {f["name"] for f in SPEC["types"]["InputMediaPhoto"]["fields"]}
    reply_fields = {f["name"] for f in SPEC["types"]["ReplyParameters"]["fields"]}
    seen = set()
    for request in client.requests("telegram"):
        method, form = request["path"].rsplit("/", 1)[-1].lower(), request["form"]
        media = json.loads(form.get("media", "[]"))
        attached = {item["media"].removeprefix("attach://") for item in media}
        assert set(form) | (set(request["files"]) - attached) <= methods[method], method
        assert set(request["files"]) == (attached or set(request["files"])), "every upload is referenced"
        assert set(json.loads(form.get("reply_parameters", "{}"))) <= reply_fields
        assert all(set(item) <= media_fields for item in media)
        seen.add(method)
    assert seen == {"getme", "sendmessage", "sendphoto", "sendmediagroup", "getchat", "getchatmember"}


# -- what Telegram's errors mean for a delivery


def test_flood_control_becomes_rate_limited_with_telegrams_wait(srv, client):
    slow = adapter(srv, chat="@slow")
    slow.publish(Message(marker="loa-1", text="một"))
    with pytest.raises(RateLimited) as caught:
        slow.publish(Message(marker="loa-2", text="hai"))
    assert 55 <= caught.value.retry_after <= 60
    chat = client.state("telegram")["chats"]["-1005555555555"]
    assert chat["rate_limited"] == 1 and len(chat["rate_limited_at"]) == 1 and len(chat["messages"]) == 1


def test_an_injected_rate_limit_carries_its_wait(srv, client):
    client.fault(str(CHANNEL), rate_limit=1)
    with pytest.raises(RateLimited) as caught:
        adapter(srv).publish(Message(marker="loa-1", text="một"))
    assert caught.value.retry_after == 3 and messages(client) == []


@pytest.mark.parametrize("value", [5, timedelta(seconds=5)])
def test_retry_after_is_read_as_seconds_whether_ptb_gives_int_or_timedelta(value, monkeypatch):
    monkeypatch.setenv("PTB_TIMEDELTA", "true" if isinstance(value, timedelta) else "")
    assert retry_seconds(RetryAfter(value)) == 5.0


def raised(exc, cause=None):
    """A PTB error as PTB raises it: wrapping the httpx error that caused it."""
    try:
        raise exc from cause
    except type(exc) as caught:
        return caught


@pytest.mark.parametrize("exc, verdict", [
    (raised(TimedOut("Pool timeout: Request was *not* sent"), httpx.PoolTimeout("pool")), NotCreated),
    (raised(TimedOut(), httpx.ConnectTimeout("connect")), NotCreated),
    (raised(NetworkError("httpx.ConnectError: refused"), httpx.ConnectError("refused")), NotCreated),
    (raised(TimedOut(), httpx.ReadTimeout("read")), OutcomeUnknown),
    (raised(NetworkError("Bad Gateway"), None), OutcomeUnknown),
    (raised(NetworkError("Too Many Requests"), None), OutcomeUnknown),  # a 429 without retry_after
    (raised(NetworkError("httpx.RemoteProtocolError: disconnected"), httpx.RemoteProtocolError("x")), OutcomeUnknown),
    (BadRequest("Not enough rights to send text messages to the chat"), AuthExpired),
    (Forbidden("Forbidden: bot was kicked from the channel chat"), AuthExpired),
    (BadRequest("Message is too long"), BadContent),
], ids=lambda v: type(v).__name__)
def test_errors_hard_to_provoke_on_the_wire_get_their_verdict(exc, verdict):
    assert type(TelegramAdapter(ChannelConfig(name="t", settings={"chat_id": "@x"})).verdict(exc)) is verdict


def test_an_unknown_token_needs_reauthorisation(srv, client):
    with pytest.raises(AuthExpired, match="rejected the bot token") as caught:
        adapter(srv, token="654321:AAWrongWrongWrongWrongWrongWrong12").publish(Message(marker="loa-1", text="x"))
    assert "654321" not in str(caught.value) and caught.value.__cause__ is None
    assert [r["path"].rsplit("/", 1)[-1] for r in client.requests("telegram")] == ["getMe"]


def test_a_kept_bot_asks_getme_once_and_is_dropped_when_its_token_is_revoked(srv, client):
    adapter(srv).publish(Message(marker="loa-1", text="Bản tin 1"))
    adapter(srv).publish(Message(marker="loa-2", text="Bản tin 2"))
    called = [r["path"].rsplit("/", 1)[-1] for r in client.requests("telegram")]
    assert called == ["getMe", "sendMessage", "sendMessage"]  # the second post reuses the Bot
    client.configure("telegram", {"bots": [{"token": TOKEN, "revoked": True}]})
    with pytest.raises(AuthExpired, match="rejected the bot token") as caught:
        adapter(srv).publish(Message(marker="loa-3", text="Bản tin 3"))
    assert TOKEN not in str(caught.value)
    with pytest.raises(AuthExpired, match="rejected the bot token"):
        adapter(srv).publish(Message(marker="loa-4", text="Bản tin 4"))
    called = [r["path"].rsplit("/", 1)[-1] for r in client.requests("telegram")]
    assert called[3:] == ["sendMessage", "getMe"]  # refused, dropped, and the next post starts over


def test_an_unknown_chat_is_a_broken_setup(srv):
    with pytest.raises(AuthExpired, match="(?i)chat not found"):
        adapter(srv, chat="@khongtontai").publish(Message(marker="loa-1", text="x"))


def test_a_bot_that_is_not_an_administrator_needs_reauthorisation(srv):
    with pytest.raises(AuthExpired, match="(?i)bot is not a member of the channel chat"):
        adapter(srv, chat="@notadmin").publish(Message(marker="loa-1", text="x"))
    with pytest.raises(AuthExpired, match="(?i)need administrator rights"):
        adapter(srv, chat="@readonly").publish(Message(marker="loa-1", text="x"))


@pytest.mark.parametrize("html, reason", [
    ("<b>Thông báo", 'Can\'t find end tag corresponding to start tag "b"'),
    ("<blink>Thông báo</blink>", 'Unsupported start tag "blink" at byte offset 0'),
    ("Hạn chót &hellip;", 'Unsupported HTML entity "&hellip;"'),
])
def test_malformed_html_is_bad_content_with_telegrams_reason(srv, client, html, reason):
    with pytest.raises(BadContent, match="could not read the HTML formatting") as caught:
        adapter(srv).publish(Message(marker="loa-1", text=html, text_format="html"))
    assert reason.lower() in caught.value.message.lower() and messages(client) == []


def test_a_migrated_chat_is_followed_once_and_its_new_id_exposed(srv, client):
    group = adapter(srv, chat="-4001")
    published = group.publish(Message(marker="loa-1", text="Họp tổ dân phố"))
    assert [w["form"]["chat_id"] for w in sends(client)] == ["-4001", "-1004001"]
    assert group.migrated_to == -1004001 and published.permalink == "https://t.me/c/4001/1"
    assert len(messages(client, -1004001)) == 1


def test_a_server_error_is_an_unknown_outcome(srv, client):
    client.fault(str(CHANNEL), server_errors=1)
    with pytest.raises(OutcomeUnknown, match="may or may not have been posted"):
        adapter(srv).publish(Message(marker="loa-1", text="x"))


def test_a_500_after_telegram_accepted_is_an_unknown_outcome_and_the_post_exists(srv, client):
    client.fault(str(CHANNEL), fail_after_accept=1)
    with pytest.raises(OutcomeUnknown):
        adapter(srv).publish(Message(marker="loa-1", text="x"))
    assert len(messages(client)) == 1


def test_a_timeout_is_an_unknown_outcome(srv, client):
    client.fault(str(CHANNEL), timeouts=1)
    with pytest.raises(OutcomeUnknown, match="did not answer in time"):
        adapter(srv, timeout="0.3").publish(Message(marker="loa-1", text="x"))


def test_a_refused_connection_proves_nothing_was_created():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    bot = TelegramAdapter(ChannelConfig(name="t", secrets={"token": TOKEN}, settings={
        "api_base": f"http://127.0.0.1:{port}/telegram/bot", "chat_id": "@phuongbinhhung"}))
    with pytest.raises(NotCreated, match="could not be reached"):
        bot.publish(Message(marker="loa-1", text="x"))


def test_a_failure_on_part_two_is_an_unknown_outcome_naming_part_one(srv, client):
    with pytest.raises(OutcomeUnknown, match=r"part 1 of 3 was published as message 1 \(https://t.me/slow/1\), "
                                             r"but part 2 failed") as caught:
        adapter(srv, chat="@slow").publish(Message(marker="loa-1", text=bulletin()))
    assert "flood control" in caught.value.message
    assert [w["method"] for w in sends(client)] == ["sendMessage", "sendMessage"], "nothing is resent"
    assert len(messages(client, -1005555555555)) == 1


def test_a_failed_reply_after_a_photo_is_an_unknown_outcome_naming_the_photo(srv, client, tmp_path):
    with pytest.raises(OutcomeUnknown, match="part 1 of 2 was published as message 1"):
        adapter(srv, chat="@slow").publish(Message(marker="loa-1", text=SENTENCE * 20, images=(picture(tmp_path),)))
    assert [w["method"] for w in sends(client)] == ["sendPhoto", "sendMessage"]


# -- health, replies, find, logs


def test_health_is_ok_for_an_administrator_allowed_to_post(srv, client):
    health = adapter(srv).health()
    assert health.ok and "@loa_test_bot" in health.detail
    assert [w["method"] for w in sends(client)] == ["getChat", "getChatMember"]
    assert sends(client)[1]["form"] == {"chat_id": "@phuongbinhhung", "user_id": "123456"}


@pytest.mark.parametrize("chat, detail", [
    ("@notadmin", "the bot is not an administrator of @notadmin"),
    ("@readonly", "the bot is an administrator of @readonly but may not post messages"),
    ("@khongtontai", "chat not found"),
])
def test_health_says_what_is_wrong(srv, chat, detail):
    health = adapter(srv, chat=chat).health()
    assert not health.ok and detail.lower() in health.detail.lower()


def test_health_with_a_revoked_token_is_not_ok(srv):
    health = adapter(srv, token="654321:AAWrongWrongWrongWrongWrongWrong12").health()
    assert not health.ok and "rejected the bot token" in health.detail


def test_reply_answers_a_comment_in_the_discussion_group(srv, client):
    adapter(srv).publish(Message(marker="loa-1", text="Bản tin"))
    comment = client.inject("telegram", {"chat_id": DISCUSSION, "text": "Cho hỏi lệ phí?", "reply_to_channel_post": 1})
    assert comment["message"]["reply_to_message"]["is_automatic_forward"] is True
    to = f"{DISCUSSION}:{comment['message']['message_id']}"
    published = adapter(srv).reply(to, "Miễn phí <100%> & nhanh")
    assert sends(client)[-1]["form"] == {"chat_id": str(DISCUSSION), "text": "Miễn phí &lt;100%&gt; &amp; nhanh",
                                         "parse_mode": "HTML", "reply_parameters": json.dumps(
                                             {"message_id": comment["message"]["message_id"]})}
    assert published.remote_id == str(messages(client, DISCUSSION)[-1]["message_id"])
    assert published.permalink == f"https://t.me/c/3333333333/{published.remote_id}"


def test_find_returns_none_because_the_bot_api_cannot_list_history(srv, client):
    assert adapter(srv).find(Message(marker="loa-1", text="x")) is None
    assert client.requests("telegram") == []


def test_the_token_never_reaches_the_logs(srv, client, caplog):
    caplog.set_level(logging.DEBUG)
    adapter(srv).publish(Message(marker="loa-1", text="x"))
    adapter(srv).health()
    client.fault(str(CHANNEL), server_errors=1)
    errors = []
    for bot in (adapter(srv), adapter(srv, token=TOKEN.replace("AAH", "BBH"))):
        with pytest.raises((OutcomeUnknown, AuthExpired)) as caught:
            bot.publish(Message(marker="loa-2", text="y"))
        errors.append(caught.value)
    assert caplog.records, "debug logging was on"
    logged = "\n".join(r.getMessage() for r in caplog.records) + "\n".join(str(e) for e in errors)
    assert "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw" not in logged and "BBHdqTcv" not in logged
    assert "123456:" not in logged


# -- the fake itself is strict where the adapter never strays


def call(srv, method, token=TOKEN, **fields):
    response = requests.post(f"{srv.url}/telegram/bot{token}/{method}", json=fields, timeout=5)
    return response.status_code, response.json()


def test_the_fake_refuses_what_telegram_refuses(srv):
    assert call(srv, "getMe", token="1:nope") == (401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
    status, body = call(srv, "SENDMESSAGE", chat_id=CHANNEL, text="x" * 4097)
    assert (status, body["description"]) == (400, "Bad Request: message is too long")
    status, body = call(srv, "sendMessage", chat_id=CHANNEL, text="&lt;" * 4096, parse_mode="HTML")
    assert status == 200 and body["result"]["text"] == "<" * 4096, "limits count visible characters"
    status, body = call(srv, "sendPhoto", chat_id=CHANNEL, photo="https://example.org/a.png", caption="x" * 1025)
    assert (status, body["description"]) == (400, "Bad Request: message caption is too long")
    status, body = call(srv, "sendMediaGroup", chat_id=CHANNEL, media=[{"type": "photo", "media": "https://e.org/a"}])
    assert status == 400
    status, body = call(srv, "sendMessage", chat_id=-4001, text="x")
    assert body["parameters"] == {"migrate_to_chat_id": -1004001}


def test_the_fakes_messages_carry_every_field_the_bot_api_requires(srv):
    _, body = call(srv, "sendMessage", chat_id="@phuongbinhhung", text="x")
    message = body["result"]
    required = {t: {f["name"] for f in SPEC["types"][t]["fields"] if f["required"]} for t in ("Message", "Chat")}
    assert required["Message"] <= set(message) and required["Chat"] <= set(message["chat"])
    assert message["sender_chat"]["id"] == CHANNEL


def test_get_updates_confirms_by_offset_and_conflicts_with_a_webhook(srv, client):
    client.inject("telegram", {"chat_id": DISCUSSION, "text": "một"})
    client.inject("telegram", {"chat_id": DISCUSSION, "text": "hai"})
    _, body = call(srv, "getUpdates")
    first, second = (u["update_id"] for u in body["result"])
    _, body = call(srv, "getUpdates", offset=second)
    assert [u["message"]["text"] for u in body["result"]] == ["hai"]
    assert call(srv, "setWebhook", url="https://loa.example.org/hook/telegram", secret_token="s3cret")[0] == 200
    status, body = call(srv, "getUpdates")
    assert status == 409 and body["description"].startswith("Conflict")
    assert client.state("telegram")["bots"]["123456"]["webhook"]["secret_token"] == "s3cret"
    call(srv, "deleteWebhook")
    assert call(srv, "getWebhookInfo")[1]["result"]["url"] == ""
