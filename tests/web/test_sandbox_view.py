"""/sandbox/: only in demo mode; shows what the fakes hold for the user's channels, and writes as a citizen
through the fakes' control surface, so Loa then collects it as it would from the real platform."""

from __future__ import annotations

import socket
import unicodedata

import pytest
from django.utils import timezone

from bot.channel_config import channel_add, channel_update
from bot.feedback.collect import collect
from bot.models import Feedback
from bot.posts import post_approve, post_create, post_submit
from bot.publishing import states
from bot.publishing.claim import claim_due
from bot.publishing.publisher import publish_delivery
from channels import registry
from channels.sandbox.app import Sandbox, fake_class_for
from channels.sandbox.client import SandboxClient
from channels.sandbox.server import SandboxServer
from tests.integration.conftest import platform_channel, sandbox  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db
NAME = "Nguyễn <b>Thị</b> Hoa"
QUESTION = unicodedata.normalize("NFD", "Cho hỏi nộp hồ sơ khai sinh trực tuyến ở đâu? <script>alert(1)</script>")


@pytest.fixture(autouse=True)
def in_english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def demo_mode(settings, sandbox):
    settings.SANDBOX_URL = sandbox.url
    return sandbox


def publish(people, channel, title="Khẩu hiệu tháng 12"):
    post = post_create(author=people["lan"], unit=channel.unit, kind="slogan", title=title,
                       body="Cải cách hành chính vì nhân dân phục vụ.", channel_names=[channel.name])
    post_submit(post, by=people["lan"])
    (delivery,) = post_approve(post, by=people["minh"])
    claim_due(timezone.now(), 10)
    assert publish_delivery(delivery.pk) == states.SENT
    delivery.refresh_from_db()
    return delivery


def reply(client, target: str, platform: str, name=NAME, text=QUESTION):
    return client.post("/sandbox/", {"platform": platform, "target": target, "name": name, "text": text})


def test_without_a_sandbox_the_page_does_not_exist(client, people, settings):
    settings.SANDBOX_URL = ""
    client.force_login(people["lan"])
    assert client.get("/sandbox/").status_code == 404
    assert client.post("/sandbox/", {"target": "channel:1", "name": "A", "text": "B"}).status_code == 404


def test_a_citizen_comment_on_facebook_reaches_the_fake_and_loa_collects_it_on_its_post(
        client, people, demo_mode, platform_channel):
    channel = platform_channel("facebook")
    delivery = publish(people, channel)
    client.force_login(people["lan"])
    page = client.get("/sandbox/").content.decode()
    assert 'id="citizen-reply"' in page and f'value="delivery:{delivery.pk}"' in page
    assert "Cải cách hành chính vì nhân dân phục vụ." in page, "the post as the page shows it"

    response = reply(client, f"delivery:{delivery.pk}", "facebook")
    assert response.status_code == 302 and response["Location"] == "/sandbox/"
    page_state = demo_mode.client.state("facebook")["pages"][channel.settings["page_id"]]
    (comment,) = page_state["comments"][delivery.remote_id]
    assert comment["message"] == unicodedata.normalize("NFC", QUESTION) and comment["from"]["name"] == NAME

    page = client.get("/sandbox/").content.decode()
    assert "Sent as" in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page
    assert "Nguyễn &lt;b&gt;Thị&lt;/b&gt; Hoa" in page
    assert collect(channel) == 1
    stored = Feedback.objects.get()
    assert (stored.delivery_id, stored.author_name, stored.kind) == (delivery.pk, NAME, "comment")


def test_telegram_takes_comments_in_the_discussion_group_and_private_messages_to_the_bot(
        client, people, demo_mode, platform_channel):
    channel = platform_channel("telegram")
    delivery = publish(people, channel)
    client.force_login(people["lan"])
    assert reply(client, f"delivery:{delivery.pk}", "telegram", text="Lệ phí bao nhiêu ạ?").status_code == 302
    assert reply(client, f"channel:{channel.pk}", "telegram", text="Xin lịch tiếp công dân").status_code == 302
    assert reply(client, f"channel:{channel.pk}", "telegram", text="Cảm ơn").status_code == 302
    assert collect(channel) == 3
    comment, private, again = Feedback.objects.order_by("pk")
    assert (comment.kind, comment.delivery_id, comment.text) == ("comment", delivery.pk, "Lệ phí bao nhiêu ạ?")
    assert (private.kind, private.delivery_id, private.author_name) == ("message", None, NAME)
    assert again.author_key == private.author_key, "the same name writes from the same private chat"
    page = client.get("/sandbox/").content.decode()
    assert "Private messages to the bot" in page and "Xin lịch tiếp công dân" in page and "Lệ phí bao nhiêu ạ?" in page


def test_a_message_to_the_zalo_official_account_is_collected_as_a_message(client, people, demo_mode, platform_channel):
    channel = platform_channel("zalo")
    client.force_login(people["lan"])
    page = client.get("/sandbox/").content.decode()
    assert f'value="channel:{channel.pk}"' in page and 'data-platform="zalo"' in page
    assert reply(client, f"channel:{channel.pk}", "zalo", text="Cho hỏi giờ làm việc").status_code == 302
    assert collect(channel) == 1
    stored = Feedback.objects.get()
    assert (stored.kind, stored.text, stored.author_name) == ("message", "Cho hỏi giờ làm việc", NAME)
    assert "Cho hỏi giờ làm việc" in client.get("/sandbox/").content.decode()


def test_posts_a_restarted_sandbox_has_forgotten_are_not_offered(client, people, units, settings, demo_mode,
                                                                  platform_channel):
    channel = platform_channel("facebook")
    before = publish(people, channel, title="Trước khi khởi động lại")
    client.force_login(people["lan"])
    assert f'value="delivery:{before.pk}"' in client.get("/sandbox/").content.decode()
    with SandboxServer(Sandbox(hold_seconds=1.0)) as restarted:  # `loa demo --keep`: same data, a new sandbox
        settings.SANDBOX_URL = restarted.url
        adapter_cls = registry.adapter_class("facebook")
        account, _ = fake_class_for(adapter_cls).demo_account(units["ward"].slug, units["ward"].name)
        SandboxClient(restarted.url).configure("facebook", account)
        channel_update(channel, adapter_cls.sandbox_settings(restarted.url))
        page = client.get("/sandbox/").content.decode()
        assert f"delivery:{before.pk}" not in page and 'data-channel="facebook-test"' in page
        assert reply(client, f"delivery:{before.pk}", "facebook").status_code == 400


def test_another_units_channel_is_neither_shown_nor_writable(client, people, demo_mode, platform_channel):
    channel = platform_channel("facebook")
    delivery = publish(people, channel, title="Bài của phường Bến Thành")
    client.force_login(people["hung"])
    page = client.get("/sandbox/").content.decode()
    assert channel.name not in page and "Bài của phường Bến Thành" not in page
    response = reply(client, f"delivery:{delivery.pk}", "facebook")
    assert response.status_code == 400 and "Choose a post to comment on" in response.content.decode()
    assert demo_mode.client.state("facebook")["pages"][channel.settings["page_id"]]["comments"] == {}


@pytest.mark.parametrize("form, says", [
    ({"platform": "zalo"}, "That target is on Facebook, not on Zalo."),
    ({"name": "  "}, "Give the citizen"),
    ({"text": ""}, "Write the message"),
    ({"text": "x" * 2001}, "Write the message"),
    ({"target": "delivery:abc"}, "Choose a post to comment on"),
    ({"target": "channel:\x00"}, "Choose a post to comment on"),
])
def test_bad_input_is_refused_with_a_sentence_and_nothing_reaches_the_fake(
        client, people, demo_mode, platform_channel, form, says):
    channel = platform_channel("facebook")
    delivery = publish(people, channel)
    client.force_login(people["lan"])
    data = {"platform": "facebook", "target": f"delivery:{delivery.pk}", "name": "Hoa", "text": "Xin chào",
            **form}
    response = client.post("/sandbox/", data)
    assert response.status_code == 400 and says in response.content.decode()
    assert demo_mode.client.state("facebook")["pages"][channel.settings["page_id"]]["comments"] == {}


def test_a_sandbox_that_stopped_answering_is_a_message_not_an_error(client, people, units, settings):
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        settings.SANDBOX_URL = f"http://127.0.0.1:{probe.getsockname()[1]}"
    adapter_cls = registry.adapter_class("facebook")
    _, pairs = fake_class_for(adapter_cls).demo_account("ben-thanh", "Phường Bến Thành")
    channel_add(unit=units["ward"], kind="facebook", name="facebook-test",
                pairs={**pairs, **adapter_cls.sandbox_settings(settings.SANDBOX_URL)})
    client.force_login(people["lan"])
    response = client.get("/sandbox/")
    assert response.status_code == 503 and "does not answer" in response.content.decode()
