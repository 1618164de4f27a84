"""Issue 6 end to end in a real browser: Playwright drives Debian's chromium against `loa web`
(its own process), a real Celery worker and the Telegram fake.

An editor logs in, composes a slogan, sees its card preview and submits it with the keyboard; an
approver approves it; the worker publishes it to the sandbox; staff, playing a citizen in the
sandbox view, comment on it there and the fake's signed webhook brings the comment to Loa; they
answer it from the inbox (also seen on a phone) and the answer lands in the citizen's thread on
the fake. Each step is a screenshot in $LOA_ARTIFACTS (default var/test-artifacts/browser/).
"""

from __future__ import annotations

import re

import pytest
from django.conf import global_settings
from django.db import connections
from playwright.sync_api import expect

from bot.channel_config import channel_add
from bot.models import Delivery, Feedback, Post, Workflow
from bot.publishing import states
from channels import registry
from channels.sandbox.app import Sandbox, fake_class_for
from channels.sandbox.client import SandboxClient
from channels.sandbox.server import SandboxServer
from tests.processes import Worker, pg_env, wait_until
from tests.web.browser import (DESKTOP, PHONE, Screenshots, WebServer, artifacts_dir, chromium, log_in, log_out,
                               tab_until)

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]  # other processes read what we commit

PASSWORD = "Mật-khẩu-đủ-dài-1"
CHANNEL = "telegram-e2e"
HOOK_SECRET = "tg-hook-secret_browser"
SLOGAN = "Cải cách hành chính: người dân và doanh nghiệp là trung tâm phục vụ."
TITLE = "Khẩu hiệu tháng 12 (thử trình duyệt)"
CITIZEN = "Bình Trần"
COMMENT = "Cho hỏi làm thủ tục khai sinh trực tuyến ở đâu ạ?"
ANSWER = "Bạn nộp hồ sơ tại dichvucong.gov.vn, kết quả gửi qua bưu điện."


@pytest.fixture
def users(people, settings):
    """The personas with passwords hashed as the web server hashes them (the tests' fast MD5 hasher is
    configured in this process only, so the server could not check those)."""
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS
    for user in people.values():
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
    return people


@pytest.fixture
def sandbox():
    with SandboxServer(Sandbox(hold_seconds=1.0)) as server:
        server.client = SandboxClient(server.url)
        yield server


@pytest.fixture
def web(sandbox, tmp_path):
    server = WebServer(pg_env(LOA_SANDBOX_URL=sandbox.url), tmp_path / "web.log")
    try:
        yield server.wait_ready()
    finally:
        server.stop()


@pytest.fixture
def telegram(sandbox, web, units):
    """The ward's Telegram channel on the fake, whose webhook is Loa's hook URL on the web server."""
    adapter_cls = registry.adapter_class("telegram")
    fake_cls = fake_class_for(adapter_cls)
    account, pairs = fake_cls.demo_account(units["ward"].slug, units["ward"].name)
    account["bots"][0]["webhook"] = {"url": f"{web.url}/hooks/telegram/{CHANNEL}/", "secret_token": HOOK_SECRET}
    sandbox.client.configure(fake_cls.name, account)
    return channel_add(unit=units["ward"], kind="telegram", name=CHANNEL,
                       pairs={**pairs, **adapter_cls.sandbox_settings(sandbox.url), "webhook_secret": HOOK_SECRET})


@pytest.fixture
def worker(redis_db, tmp_path):
    w = Worker(pg_env(), tmp_path / "worker.log")
    yield w
    w.stop()


@pytest.fixture
def browser(monkeypatch):
    # Playwright's sync API keeps an asyncio loop in this thread, and Django refuses ORM calls while
    # a loop runs here; the test's ORM calls are plain synchronous ones between browser steps.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with chromium() as b:
        try:
            yield b
        finally:
            # Inside Playwright's context Django keeps a second set of connections (its connection
            # handler is context-local); left open, it stops the test database from being dropped.
            connections.close_all()


@pytest.fixture
def shots():
    return Screenshots(artifacts_dir())


def new_page(browser, viewport=DESKTOP):
    context = browser.new_context(viewport=viewport, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    context.set_default_timeout(30_000)  # a loaded CI machine renders cards slowly
    return context.new_page()


def group_messages(sandbox, channel) -> list[dict]:
    return sandbox.client.state("telegram")["chats"][channel.settings["discussion_chat_id"]]["messages"]


def test_a_slogan_goes_from_compose_to_the_citizen_and_the_answer_comes_back(
        browser, shots, web, sandbox, telegram, worker, users):
    page = new_page(browser)
    try:
        post_id = compose_and_submit(page, web, shots)
        delivery = approve(page, web, shots, post_id)
        see_it_published(page, web, shots, sandbox, telegram, delivery, worker)
        feedback = citizen_comments(page, web, shots, telegram, delivery, worker)
        answer_from_the_inbox(browser, page, web, shots, feedback, post_id)
    except Exception as exc:
        page.screenshot(path=str(shots.folder / "zz-failure.png"), full_page=True)
        exc.add_note(f"at {page.url}; the web server's log ends with:\n{web.output()[-3000:]}")
        raise

    # The answer reached the citizen's thread on the fake, as a reply to their comment.
    answers = [m for m in group_messages(sandbox, telegram) if m.get("from", {}).get("is_bot")]
    assert [m["text"] for m in answers] == [ANSWER]
    assert answers[0]["reply_to_message"]["message_id"] == int(feedback.remote_id.split(":")[1])
    feedback.refresh_from_db()
    assert feedback.status == "answered" and feedback.answer_remote_id == str(answers[0]["message_id"])
    expect(page.locator("#status")).to_have_class(re.compile(r"\banswered\b"))


def compose_and_submit(page, web, shots) -> int:
    """The editor writes a slogan, sees the card preview, and submits it without the mouse."""
    page.goto(f"{web.url}/login/")
    page.fill("#id_username", "lan")
    page.fill("#id_password", PASSWORD)
    shots.take(page, "login")
    with page.expect_navigation():
        page.locator("form[action='/login/'] button[type=submit]").click()
    assert page.url == f"{web.url}/", "logged in, the editor lands on the dashboard"

    page.goto(f"{web.url}/posts/new/")
    page.select_option("#id_kind", "slogan")
    expect(page.locator("#id_text")).to_be_visible()
    page.fill("#id_title", TITLE)
    page.fill("#id_text", SLOGAN)
    page.check(f"form#compose input[name=channels][value='{CHANNEL}']")
    shots.take(page, "compose")

    pane = page.locator(f"section#preview article.channel-preview[data-channel='{CHANNEL}']")
    card = pane.locator("img.card-preview")
    expect(card).to_be_visible()
    expect(pane.locator(".counter").first).to_be_visible()
    wait_for_image(page, card)
    expect(pane).to_contain_text("người dân và doanh nghiệp là trung tâm")
    shots.take(page, "preview")

    page.focus("#id_title")
    tab_until(page, "form#compose button[name=action][value=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    match = re.fullmatch(rf"{re.escape(web.url)}/posts/(\d+)/", page.url)
    assert match, f"after submitting, the post's page, not {page.url}"
    post = Post.objects.get(pk=int(match.group(1)))
    assert (post.workflow, post.title, post.kind) == (Workflow.SUBMITTED, TITLE, "slogan")
    assert post.fields["text"] == SLOGAN and [c.name for c in post.channels.all()] == [CHANNEL]
    shots.take(page, "submitted")
    log_out(page)
    return post.pk


def wait_for_image(page, image) -> None:
    """The card image actually decoded (a broken image is visible too)."""
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())


def approve(page, web, shots, post_id: int) -> Delivery:
    log_in(page, web.url, "minh", PASSWORD)
    page.goto(f"{web.url}/approvals/")
    link = page.locator(f"table#approvals a[href='/posts/{post_id}/']")
    expect(link).to_be_visible()
    shots.take(page, "approvals")
    with page.expect_navigation():
        link.click()
    with page.expect_navigation():
        page.locator(f"form[action='/posts/{post_id}/action/'] button[name=action][value=approve]").click()
    expect(page.locator(f"table#deliveries tr[data-channel='{CHANNEL}']")).to_be_visible()
    shots.take(page, "approved")
    (delivery,) = Delivery.objects.filter(post_id=post_id)
    assert Post.objects.get(pk=post_id).approver.username == "minh"
    return delivery


def see_it_published(page, web, shots, sandbox, telegram, delivery, worker) -> None:
    wait_until(lambda: Delivery.objects.get(pk=delivery.pk).state == states.SENT, timeout=60,
               what="the worker to publish the post", worker=worker)
    delivery.refresh_from_db()
    page.reload()
    expect(page.locator(f"table#deliveries tr[data-channel='{CHANNEL}'][data-state='sent']")).to_be_visible()
    wait_for_image(page, page.locator(f"article.channel-preview[data-channel='{CHANNEL}'] img.card-preview"))
    shots.take(page, "published")
    channel_chat = next(c for c in sandbox.client.state("telegram")["chats"].values() if c["type"] == "channel")
    (sent,) = [m for m in channel_chat["messages"] if m["message_id"] == int(delivery.remote_id)]
    assert SLOGAN in (sent.get("caption") or sent.get("text") or ""), sent
    assert sent.get("photo"), "a slogan goes out with its card"
    log_out(page)


def citizen_comments(page, web, shots, telegram, delivery, worker) -> Feedback:
    """In demo mode the sandbox view lets staff play a citizen: a comment on the published post, which
    the fake delivers to Loa as a signed webhook and the worker stores."""
    log_in(page, web.url, "thu", PASSWORD)
    page.goto(f"{web.url}/sandbox/")
    form = page.locator("form#citizen-reply")
    target = form.locator("select[name=target] option", has_text=TITLE)
    expect(target).to_have_count(1)
    form.locator("select[name=target]").select_option(target.get_attribute("value"))
    form.locator("[name=name]").fill(CITIZEN)
    form.locator("textarea[name=text]").fill(COMMENT)
    shots.take(page, "citizen-reply")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    feedback = wait_until(lambda: Feedback.objects.filter(channel=telegram, text=COMMENT).first(), timeout=60,
                          what="the comment to arrive through the webhook and the worker", worker=worker)
    assert feedback.delivery_id == delivery.pk, "the comment is linked to the post it answers"
    assert feedback.author_name.startswith(CITIZEN.split()[0]), feedback.author_name
    page.reload()
    expect(page.locator(f".sandbox-channel[data-channel='{CHANNEL}']")).to_contain_text(COMMENT)
    shots.take(page, "sandbox")
    return feedback


def answer_from_the_inbox(browser, page, web, shots, feedback, post_id: int) -> None:
    page.goto(f"{web.url}/inbox/")
    row = page.locator(f"table#inbox tr[data-id='{feedback.pk}']")
    expect(row).to_be_visible()
    expect(row).to_contain_text("khai sinh")
    shots.take(page, "inbox")
    on_a_phone(browser, web, shots, feedback)

    with page.expect_navigation():
        row.locator(f"a[href='/inbox/{feedback.pk}/']").first.click()
    expect(page.locator("main")).to_contain_text(COMMENT)
    expect(page.locator(f"main a[href='/posts/{post_id}/']")).to_contain_text(TITLE)  # the post it answers
    form = page.locator("form#answer")
    form.locator("textarea[name=answer]").fill(ANSWER)
    shots.take(page, "answer")
    with page.expect_navigation():
        form.locator("button[name=action][value=answer]").click()
    expect(page.locator("#status")).to_have_class(re.compile(r"\banswered\b"))
    shots.take(page, "answered")


def on_a_phone(browser, web, shots, feedback) -> None:
    """The inbox on a 375 px phone: the item is there and the page does not scroll sideways."""
    phone = new_page(browser, PHONE)
    try:
        log_in(phone, web.url, "thu", PASSWORD)
        phone.goto(f"{web.url}/inbox/")
        expect(phone.locator(f"table#inbox tr[data-id='{feedback.pk}']")).to_be_attached()
        shots.take(phone, "inbox-phone", full_page=False)
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"the inbox is {width} px wide on a {PHONE['width']} px phone"
    finally:
        phone.context.close()
