"""The back-office shell: login, logout, password change, the guard on every page, CSRF, error pages."""

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from bot.models import Channel
from tests.conftest import make_user

pytestmark = pytest.mark.django_db
PASSWORD = "Mật-khẩu-đủ-dài-1"


def test_pages_send_visitors_to_the_login_page_and_back(client):
    response = client.get("/inbox/?status=new")
    assert response.status_code == 302 and response["Location"] == "/login/?next=/inbox/%3Fstatus%3Dnew"


def test_login_in_vietnamese_then_the_dashboard_then_logout(client, people):
    page = client.get("/login/", HTTP_ACCEPT_LANGUAGE="vi")
    assert "Đăng nhập" in page.content.decode()
    wrong = client.post("/login/", {"username": "lan", "password": "sai"}, HTTP_ACCEPT_LANGUAGE="vi")
    assert wrong.status_code == 200 and "Sai tên đăng nhập hoặc mật khẩu" in wrong.content.decode()
    assert client.post("/login/", {"username": "lan", "password": PASSWORD})["Location"] == "/"
    assert client.get("/").status_code == 200
    assert client.get("/logout/").status_code == 405, "logging out is a POST, so a link cannot log anyone out"
    client.post("/logout/")
    assert client.get("/").status_code == 302


def test_forms_need_the_csrf_token(people):
    strict = Client(enforce_csrf_checks=True)
    response = strict.post("/login/", {"username": "lan", "password": PASSWORD})
    assert response.status_code == 403


def test_a_user_without_a_role_is_told_so_not_shown_an_error(client, db):
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_user("lac", password=PASSWORD)
    client.login(username="lac", password=PASSWORD)
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="vi")
    assert response.status_code == 403 and "chưa được giao vai trò" in response.content.decode()


def test_each_role_is_in_the_group_of_its_role_only(people):
    assert [g.name for g in people["lan"].groups.all()] == ["Biên tập viên"]
    profile = people["lan"].loa_profile
    profile.role = "staff"
    profile.save()
    assert [g.name for g in people["lan"].groups.all()] == ["Cán bộ tiếp nhận phản ánh"]
    assert Group.objects.get(name="Quản trị").permissions.filter(codename="change_channel").exists()
    assert not Group.objects.get(name="Biên tập viên").permissions.filter(codename="change_channel").exists()


def test_a_channel_needing_reauthorisation_shows_a_banner_with_its_guide_to_its_units_only(client, people, units):
    Channel.objects.create(unit=units["ward"], kind="zalo", name="zalo-phuong", needs_reauth=True)
    client.force_login(people["lan"])
    page = client.get("/").content.decode()
    assert "zalo-phuong" in page and "/guides/zalo/" in page
    assert "Zalo" in client.get("/guides/zalo/").content.decode()
    client.force_login(people["hung"])
    assert "zalo-phuong" not in client.get("/").content.decode()


def test_an_unknown_page_is_a_plain_404(client, people):
    client.force_login(people["lan"])
    response = client.get("/khong-co/")
    assert response.status_code == 404 and b"Traceback" not in response.content


def test_sessions_expire_after_eight_idle_hours(settings):
    assert settings.SESSION_COOKIE_AGE == 8 * 3600 and settings.SESSION_SAVE_EVERY_REQUEST
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
