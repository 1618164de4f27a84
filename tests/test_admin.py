"""The Django admin: Vietnamese, behind its login, for administrators only, every model present."""

import pytest
from django.contrib import admin
from django.urls import reverse

from bot.models import (AuditEntry, Channel, ClassifierPhrase, Delivery, Feedback, FeedbackView, InboundEvent, Post,
                        Profile, RateSlot, SavedReply, Series, Slogan, ThreadMap, Unit)
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user(units):
    user = make_user("quan", "admin", units["province"])
    user.is_staff = user.is_superuser = True
    user.save()
    return user


def test_every_model_is_registered():
    from django.apps import apps

    assert set(apps.get_app_config("bot").get_models()) == {Unit, Profile, Channel, Post, Delivery, AuditEntry,
                                                            Slogan, Series, RateSlot, Feedback, InboundEvent, ThreadMap,
                                                            SavedReply, ClassifierPhrase, FeedbackView}
    for model in apps.get_app_config("bot").get_models():
        assert admin.site.is_registered(model), model.__name__


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    response = client.get("/admin/bot/post/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


def test_the_login_page_is_in_vietnamese(client):
    page = client.get("/admin/login/", HTTP_ACCEPT_LANGUAGE="").content.decode()
    assert "Tên đăng nhập" in page and 'lang="vi"' in page


def test_an_editor_cannot_enter_the_admin(client, people):
    client.force_login(people["lan"])
    assert client.get("/admin/").status_code == 302


def test_an_administrator_sees_every_list_in_vietnamese(client, admin_user, outbox_channel):
    client.force_login(admin_user)
    for model in (Unit, Profile, Channel, Post, Delivery, AuditEntry, Slogan, Series, RateSlot, Feedback, InboundEvent,
                  ThreadMap):
        url = reverse(f"admin:bot_{model._meta.model_name}_changelist")
        response = client.get(url)
        assert response.status_code == 200, url
    page = client.get(reverse("admin:bot_channel_changelist")).content.decode()
    assert "Kênh" in page and "bang-dien-tu" in page


def test_channel_secrets_never_appear_in_the_admin(client, admin_user, units):
    from bot.channel_config import channel_add
    from channels import registry
    from tests.fakes import ScriptedPlatform

    registry.register(ScriptedPlatform)
    try:
        channel = channel_add(unit=units["ward"], kind="scripted", name="fb", pairs={"token": "t0ps3cret"})
        client.force_login(admin_user)
        page = client.get(reverse("admin:bot_channel_change", args=[channel.pk])).content.decode()
    finally:
        registry.unregister("scripted")
    assert "t0ps3cret" not in page and channel.secrets_encrypted not in page and "token" in page


def test_an_approved_post_cannot_be_edited_in_the_admin(client, admin_user, people, outbox_channel):
    from bot.posts import post_approve, post_create, post_submit

    post = post_create(author=people["lan"], unit=outbox_channel.unit, kind="slogan", title="Gốc", body="Nội dung gốc",
                       channel_names=[outbox_channel.name])
    post_submit(post, by=people["lan"])
    post_approve(post, by=people["minh"])
    client.force_login(admin_user)
    url = reverse("admin:bot_post_change", args=[post.pk])
    client.post(url, {"title": "Đã sửa", "body": "Nội dung khác", "kind": "slogan", "unit": post.unit_id,
                      "deliveries-TOTAL_FORMS": "1", "deliveries-INITIAL_FORMS": "1"})
    post.refresh_from_db()
    assert post.title == "Gốc" and post.body == "Nội dung gốc"
    page = client.get(url).content.decode()
    assert 'name="title"' not in page and 'name="body"' not in page and "Nội dung gốc" in page


def test_a_draft_post_is_editable_in_the_admin(client, admin_user, people, outbox_channel):
    from bot.posts import post_create

    post = post_create(author=people["lan"], unit=outbox_channel.unit, kind="slogan", title="Gốc", body="Nội dung",
                       channel_names=[outbox_channel.name])
    client.force_login(admin_user)
    assert 'name="title"' in client.get(reverse("admin:bot_post_change", args=[post.pk])).content.decode()
