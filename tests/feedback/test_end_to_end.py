"""Citizens' replies through the whole of Loa, per platform, against the sandbox: Loa publishes two
posts, a citizen answers one of them on the fake, the fake delivers it as a signed webhook to Loa's
own hook URL (a live server) and lists it for polling too; Loa stores it once, linked to the post
it answers, and the staff's answer lands on the fake in the citizen's thread."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone as dt_timezone

import pytest
import redis
from django.conf import settings
from django.utils import timezone

from bot.channel_config import adapter_for, channel_add
from bot.errors import Invalid
from bot.feedback.answer import answer_feedback
from bot.feedback.collect import collect, process_pending
from bot.models import Channel, Delivery, Feedback, InboundEvent
from bot.posts import post_approve, post_create, post_submit
from bot.publishing import ratelimit, states
from bot.publishing.claim import claim_due
from bot.publishing.publisher import publish_delivery
from channels import registry
from channels.sandbox.app import Sandbox, fake_class_for
from channels.sandbox.client import SandboxClient
from channels.sandbox.server import SandboxServer

pytestmark = pytest.mark.django_db(transaction=True)  # the live server reads what the test commits

TG_SECRET = "tg-hook-secret_42"
FB_APP_SECRET = "fb-app-secret-e2e"
FB_VERIFY_TOKEN = "loa-verify-e2e"
VIETNAM = dt_timezone(timedelta(hours=7))


# -- fixtures and helpers -------------------------------------------------------------------------

@pytest.fixture
def sandbox():
    with SandboxServer(Sandbox(hold_seconds=1.0)) as server:
        server.client = SandboxClient(server.url)
        yield server


@pytest.fixture
def hook_url(live_server):
    """Loa's webhook URL for a path below /hooks/, served by the live server the fakes post to."""
    return lambda path: f"{live_server.url}/hooks/{path}"


def sandbox_channel(sandbox, unit, kind: str, tweak=None, configure_after=False, **extra) -> tuple[Channel, dict]:
    """A channel of `kind` on the sandbox with its demo account, and the fake's answer to configuring it.
    `tweak(account)` adds webhooks and the like; configure_after configures the fake once the channel
    exists (Facebook checks the hook URL with Loa then)."""
    adapter_cls = registry.adapter_class(kind)
    fake_cls = fake_class_for(adapter_cls)
    account, pairs = fake_cls.demo_account(unit.slug, unit.name)
    if tweak:
        tweak(account)
    answer = None if configure_after else sandbox.client.configure(fake_cls.name, account)
    channel = channel_add(unit=unit, kind=kind, name=f"{kind}-e2e",
                          pairs={**pairs, **adapter_cls.sandbox_settings(sandbox.url), **extra})
    return channel, answer or sandbox.client.configure(fake_cls.name, account)


def publish(people, channel: Channel, title: str, body: str) -> Delivery:
    """Write, approve and publish a post through Loa's own publisher; the delivery, sent."""
    forget_rate_limits()
    post = post_create(author=people["lan"], unit=channel.unit, kind="slogan", title=title, body=body,
                       channel_names=[channel.name])
    post_submit(post, by=people["lan"])
    (delivery,) = post_approve(post, by=people["minh"])
    claim_due(timezone.now(), 10)
    assert publish_delivery(delivery.pk) == states.SENT
    delivery.refresh_from_db()
    assert delivery.remote_id
    return delivery


def forget_rate_limits() -> None:
    """Real posts go out hours apart; here seconds apart, so Telegram's one-message-per-3-seconds
    slot would postpone the second post. Forgetting the reserved slots stands for that time."""
    client = redis.Redis.from_url(settings.LOA.redis_url)
    keys = client.keys(f"{ratelimit.PREFIX}*")
    if keys:
        client.delete(*keys)


def settle(sandbox, platform: str) -> None:
    """Wait until the fake has delivered (or dropped) every webhook it started."""
    assert sandbox.sandbox.platforms[platform].settle(10.0) is not False, f"{platform} webhooks still in flight"


def feedback_by_remote_id(channel: Channel) -> dict[str, Feedback]:
    return {f.remote_id: f for f in Feedback.objects.filter(channel=channel)}


def post_two(people, channel) -> tuple[Delivery, Delivery]:
    first = publish(people, channel, "Khẩu hiệu tháng 11", "Cải cách hành chính vì nhân dân phục vụ.")
    second = publish(people, channel, "Hướng dẫn khai sinh trực tuyến",
                     "Đăng ký khai sinh trực tuyến trên Cổng dịch vụ công, nhận kết quả qua bưu điện.")
    assert first.remote_id != second.remote_id
    return first, second


# -- Telegram -------------------------------------------------------------------------------------

PRIVATE_CHAT = 555111  # a citizen who opened the bot: a private chat's id is the person's id


@pytest.fixture
def telegram(sandbox, units, hook_url):
    def tweak(account):
        bot = account["bots"][0]
        bot["chats"].append({"id": PRIVATE_CHAT, "type": "private", "first_name": "Hoa"})
        bot["webhook"] = {"url": hook_url("telegram/telegram-e2e/"), "secret_token": TG_SECRET}

    channel, _ = sandbox_channel(sandbox, units["ward"], "telegram", tweak, webhook_secret=TG_SECRET)
    return channel


def group_messages(sandbox, channel) -> list[dict]:
    return sandbox.client.state("telegram")["chats"][channel.settings["discussion_chat_id"]]["messages"]


def forward_of(sandbox, channel, delivery) -> int:
    """The discussion-group copy of our channel post: its comment thread starts there."""
    (copy,) = [m for m in group_messages(sandbox, channel) if m.get("is_automatic_forward")
               and m["forward_origin"]["message_id"] == int(delivery.remote_id)]
    return copy["message_id"]


def tg_inject(sandbox, author: dict | None = None, **data) -> dict:
    """A citizen writes on the fake (`author` is Telegram's `from`); the fake's answer."""
    answer = sandbox.client.inject("telegram", {**data, **({"from": author} if author else {})})
    assert "error" not in answer, answer
    return answer


def test_telegram_comments_come_once_by_webhook_and_polling_each_linked_to_its_post(sandbox, telegram, people):
    first, second = post_two(people, telegram)
    group = int(telegram.settings["discussion_chat_id"])
    on_second = tg_inject(sandbox, chat_id=group, reply_to_channel_post=int(second.remote_id),
                          text="Cho hỏi đăng ký khai sinh trực tuyến cần giấy tờ gì?",
                          author={"id": 9001, "first_name": "Bình", "last_name": "Trần"})["message"]
    on_first = tg_inject(sandbox, chat_id=group, reply_to_channel_post=int(first.remote_id),
                         text="Khẩu hiệu rất hay, cảm ơn phường!", author={"id": 9002, "first_name": "Cúc"})["message"]
    settle(sandbox, "telegram")

    deliveries = next(iter(sandbox.client.state("telegram")["bots"].values()))["deliveries"]
    assert [d["status"] for d in deliveries] == ["delivered"] * 4, "2 automatic forwards, 2 comments, all accepted"
    assert InboundEvent.objects.filter(channel=telegram).count() == 4
    assert process_pending() == 2
    assert collect(telegram) == 0, "while the webhook is set, polling adds nothing"

    # Telegram gives each update to one path only (getUpdates answers 409 while a webhook is set), so
    # polling sees a stored message again when it is edited: same message id. Loa goes back to polling;
    # the comment on the second post is edited, and a reply in that post's thread names only the
    # thread, resolved by the link the webhook brought.
    adapter_for(telegram).set_webhook("")
    tg_inject(sandbox, chat_id=group, edit_message_id=on_second["message_id"], text="(đã sửa) Cần giấy tờ gì?")
    threaded = tg_inject(sandbox, chat_id=group, reply_to_message_id=on_second["message_id"],
                         text="Tôi cũng muốn hỏi điều này.", author={"id": 9003, "first_name": "Dũng"})
    assert collect(telegram) == 1
    telegram.refresh_from_db()
    assert telegram.reply_cursor == str(threaded["update_ids"][-1] + 1), "the poll read past the edit and the reply"

    stored = feedback_by_remote_id(telegram)
    ids = {name: f"{group}:{m['message_id']}" for name, m in
           (("second", on_second), ("first", on_first), ("threaded", threaded["message"]))}
    assert sorted(stored) == sorted(ids.values()), "each message exactly once"
    assert stored[ids["second"]].delivery_id == second.pk
    assert stored[ids["threaded"]].delivery_id == second.pk
    assert stored[ids["first"]].delivery_id == first.pk
    assert stored[ids["second"]].text == "Cho hỏi đăng ký khai sinh trực tuyến cần giấy tờ gì?"


def test_telegram_answers_land_in_the_comment_thread_and_in_the_private_chat(sandbox, telegram, people):
    _, second = post_two(people, telegram)
    group = int(telegram.settings["discussion_chat_id"])
    comment = tg_inject(sandbox, chat_id=group, reply_to_channel_post=int(second.remote_id),
                        text="Nộp hồ sơ trực tuyến ở đâu ạ?", author={"id": 9001, "first_name": "Bình"})["message"]
    private = tg_inject(sandbox, chat_id=PRIVATE_CHAT, text="Cho hỏi lịch tiếp công dân tuần này?")["message"]
    settle(sandbox, "telegram")
    process_pending()
    stored = feedback_by_remote_id(telegram)
    in_thread = stored[f"{group}:{comment['message_id']}"]
    in_private = stored[f"{PRIVATE_CHAT}:{private['message_id']}"]
    assert (in_thread.kind, in_thread.delivery_id) == ("comment", second.pk)
    assert (in_private.kind, in_private.delivery_id) == ("message", None)

    answer_feedback(in_thread, by=people["thu"], text="Bạn nộp tại dichvucong.gov.vn.")
    answer_feedback(in_private, by=people["thu"], text="Thứ Năm, 8 giờ, tại trụ sở phường.")

    (answer,) = [m for m in group_messages(sandbox, telegram) if m.get("from", {}).get("is_bot")]
    assert answer["text"] == "Bạn nộp tại dichvucong.gov.vn."
    assert answer["reply_to_message"]["message_id"] == comment["message_id"]
    assert answer["message_thread_id"] == forward_of(sandbox, telegram, second), "inside the post's comment thread"
    private_chat = sandbox.client.state("telegram")["chats"][str(PRIVATE_CHAT)]["messages"]
    (reply,) = [m for m in private_chat if m.get("from", {}).get("is_bot")]
    assert reply["text"] == "Thứ Năm, 8 giờ, tại trụ sở phường."
    assert reply["reply_to_message"]["message_id"] == private["message_id"]
    in_thread.refresh_from_db()
    assert (in_thread.status, in_thread.answer_remote_id) == ("answered", str(answer["message_id"]))


# -- Facebook -------------------------------------------------------------------------------------

@pytest.fixture
def facebook(sandbox, units, hook_url):
    def tweak(account):
        page = account["pages"][0]
        page["app_secret"] = FB_APP_SECRET
        page["webhook"] = {"url": hook_url("facebook/"), "verify_token": FB_VERIFY_TOKEN, "retry_delays": [0.05]}

    channel, configured = sandbox_channel(sandbox, units["ward"], "facebook", tweak, configure_after=True,
                                          app_secret=FB_APP_SECRET, verify_token=FB_VERIFY_TOKEN)
    assert configured["webhooks"] == {channel.settings["page_id"]: "verified"}, "Loa answered the handshake"
    return channel


def fb_comment(sandbox, page_id: str, post_id: str, author: tuple[str, str], message: str) -> str:
    answer = sandbox.client.inject("facebook", {"page_id": page_id, "post_id": post_id, "message": message,
                                                "from": {"id": author[0], "name": author[1]}})
    assert "id" in answer, answer
    return answer["id"]


def test_facebook_comments_come_once_whichever_path_sees_them_first_and_the_answer_replies_to_the_comment(
        sandbox, facebook, people):
    page_id = facebook.settings["page_id"]
    first, second = post_two(people, facebook)

    # Webhook first, then polling, for the comment on the second post.
    on_second = fb_comment(sandbox, page_id, second.remote_id, ("10001", "Trần Bình"),
                           "Cho hỏi làm căn cước cho trẻ em ở đâu?")
    settle(sandbox, "facebook")
    assert process_pending() == 1
    # Polling first, then the webhook's stored event, for the comment on the first post.
    on_first = fb_comment(sandbox, page_id, first.remote_id, ("10002", "Lê Cúc"),
                          "Đường Lê Lợi bị ngập, đề nghị xử lý.")
    settle(sandbox, "facebook")
    assert collect(facebook) == 1, "polling lists both comments and stores only the one not yet known"
    assert process_pending() == 0

    deliveries = sandbox.client.state("facebook")["pages"][page_id]["deliveries"]
    assert deliveries and all(d["status"] == "delivered" for d in deliveries), "every signed delivery was accepted"
    stored = feedback_by_remote_id(facebook)
    assert sorted(stored) == sorted([on_second, on_first])
    assert stored[on_second].delivery_id == second.pk and stored[on_first].delivery_id == first.pk

    answered = answer_feedback(stored[on_second], by=people["thu"], text="Bạn đến bộ phận một cửa của phường.")
    comments = sandbox.client.state("facebook")["pages"][page_id]["comments"][second.remote_id]
    (ours,) = [c for c in comments if c["from"]["id"] == page_id]
    assert (ours["parent_id"], ours["message"]) == (on_second, "Bạn đến bộ phận một cửa của phường.")
    assert answered.answer_remote_id == ours["id"] and answered.status == "answered"

    # Facebook echoes the Page's own answer to the webhook and lists it: it is not citizen feedback.
    settle(sandbox, "facebook")
    assert process_pending() == 0 and collect(facebook) == 0
    assert Feedback.objects.filter(channel=facebook).count() == 2


# -- Zalo -----------------------------------------------------------------------------------------

def daytime_before_now() -> float:
    """The latest 10:00 Vietnam time not after now: broadcasts are refused at night (-234)."""
    now = datetime.now(VIETNAM)
    ten = now.replace(hour=10, minute=0, second=0, microsecond=0)
    return (ten if ten <= now else ten - timedelta(days=1)).timestamp()


@pytest.fixture
def zalo_clock():
    return {"now": daytime_before_now()}


@pytest.fixture
def zalo(sandbox, units, hook_url, zalo_clock):
    def tweak(account):
        account["now"] = zalo_clock["now"]  # the fake's clock; tokens are issued on it
        account["apps"][0].update(webhook_url=hook_url("zalo/"), webhook_retry_delays=[0.05])
        # A token outliving the 8 days the window test moves the clock keeps a refresh out of that test.
        account["oas"][0].update(verify_polls=0, access_expires_in=30 * 86400)

    channel, _ = sandbox_channel(sandbox, units["ward"], "zalo", tweak)
    return channel


def zalo_write(sandbox, channel, user_id: str, text: str, name: str) -> str:
    answer = sandbox.client.inject("zalo", {"oa_id": channel.settings["oa_id"], "user_id": user_id,
                                            "text": text, "name": name})
    assert answer.get("msg_id"), answer
    return answer["msg_id"]


def test_zalo_messages_come_once_whichever_path_sees_them_first_and_the_answer_goes_to_the_writer(
        sandbox, zalo, people):
    post_two(people, zalo)
    oa = sandbox.client.state("zalo")["oas"][zalo.settings["oa_id"]]
    assert len(oa["broadcasts"]) == 2

    from_an = zalo_write(sandbox, zalo, "8110000000000001", "Cho hỏi thủ tục cấp đổi căn cước?", "An")
    settle(sandbox, "zalo")
    assert process_pending() == 1
    from_binh = zalo_write(sandbox, zalo, "8110000000000002", "Xin hỏi giờ làm việc của bộ phận một cửa?", "Bình")
    settle(sandbox, "zalo")
    assert collect(zalo) == 1, "polling lists both messages and stores only the one not yet known"
    assert process_pending() == 0

    state = sandbox.client.state("zalo")
    assert [d["status"] for d in state["deliveries"]] == ["delivered", "delivered"]
    stored = feedback_by_remote_id(zalo)
    assert sorted(stored) == sorted([from_an, from_binh])
    # Zalo does not say which broadcast a message answers: Loa links none rather than guess.
    assert {f.delivery_id for f in stored.values()} == {None}
    assert stored[from_an].author_key != stored[from_binh].author_key

    answered = answer_feedback(stored[from_binh], by=people["thu"], text="Từ 7 giờ 30 đến 17 giờ, thứ Hai đến thứ Sáu.")
    (sent,) = sandbox.client.state("zalo")["oas"][zalo.settings["oa_id"]]["cs_messages"]
    assert sent["user_id"] == "8110000000000002"
    assert sent["message"] == {"text": "Từ 7 giờ 30 đến 17 giờ, thứ Hai đến thứ Sáu."}
    assert answered.answer_remote_id == sent["message_id"] and answered.status == "answered"


def test_zalo_refuses_an_answer_after_the_7_day_window_and_says_to_use_the_hotline(
        sandbox, zalo, zalo_clock, people):
    msg_id = zalo_write(sandbox, zalo, "8110000000000003", "Cho hỏi đăng ký tạm trú cần gì?", "Chi")
    settle(sandbox, "zalo")
    assert process_pending() == 1
    sandbox.client.configure("zalo", {"now": zalo_clock["now"] + 8 * 86400})

    feedback = Feedback.objects.get(channel=zalo, remote_id=msg_id)
    with pytest.raises(Invalid) as refused:
        answer_feedback(feedback, by=people["thu"], text="Bạn mang căn cước đến công an phường.")
    said = refused.value.message.lower()
    assert re.search(r"\b7[- ]day", said) and "hotline" in said, refused.value.message
    assert sandbox.client.state("zalo")["oas"][zalo.settings["oa_id"]]["cs_messages"] == []
    feedback.refresh_from_db()
    assert feedback.answer == "" and feedback.answer_remote_id == "", "not sent: free to answer another way"
