"""The Zalo OA adapter against the Zalo sandbox fake, over real HTTP on loopback."""

from __future__ import annotations

import os
import socket
import threading
from contextlib import contextmanager
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from PIL import Image as PILImage

from channels.base import ChannelConfig, Health, Image, Message, Published
from channels.errors import AuthExpired, BadContent, NotCreated, OutcomeUnknown, RateLimited
from channels.sandbox.app import Sandbox
from channels.sandbox.client import SandboxClient
from channels.sandbox.server import SandboxServer
from channels.sandbox.zalo import ZaloFake
from channels.zalo import ZaloAdapter
from channels.zalo_api import ERRORS, REFUSED_REFRESH, VIETNAM, WINDOW

OA_ID, APP_ID, APP_SECRET = "1894522345678901234", "3254824024567022257", "app-secret-Kx7Qw"
AT, RT = "at-first-7f3c9a", "rt-first-2b8d41"
NOW = datetime(2026, 3, 12, 9, 0, tzinfo=VIETNAM).timestamp()  # a Thursday morning, 09:00 in Vietnam
COVER = "https://cdn.benthanh.gov.vn/bia-cchc.jpg"
CITIZEN = "8112345678901234567"
OA_SPEC = {"oa_id": OA_ID, "name": "Phường Bến Thành", "app_id": APP_ID, "access_token": AT, "refresh_token": RT,
           "verify_polls": 0, "monthly_broadcasts": 4, "followers": [CITIZEN, "8119999999999999999"]}


class MemoryStore:
    """The CredentialStore promise in memory: one lock, fresh copies inside it, save() durable at once."""

    def __init__(self, secrets: dict, on_save=lambda: None):
        self.secrets = dict(secrets)
        self.lock = threading.Lock()
        self.events: list = []
        self.on_save = on_save
        self.saved_at: list[int] = []

    @contextmanager
    def locked(self):
        with self.lock:
            self.events.append("lock")

            def save(updates):
                self.secrets.update(updates)
                self.events.append(("save", dict(updates)))
                self.saved_at.append(self.on_save())

            try:
                yield dict(self.secrets), save
            finally:
                self.events.append("unlock")


class Zalo:
    """One sandbox with one app and one OA, and ways to build adapters against it."""

    def __init__(self, server: SandboxServer):
        self.url = server.url
        self.client = SandboxClient(server.url)
        self.fake: ZaloFake = server.sandbox.platforms["zalo"]
        self.client.reset()  # one server per module: forget the previous test's faults and requests
        self.client.configure("zalo", {"now": NOW, "apps": [{"app_id": APP_ID, "app_secret": APP_SECRET}]})
        self.oa()

    def oa(self, **spec) -> None:
        self.client.configure("zalo", {"oas": [{**OA_SPEC, **spec}]})

    def store(self, **secrets) -> MemoryStore:
        secrets = {"access_token": AT, "refresh_token": RT, **secrets}
        return MemoryStore(secrets, on_save=lambda: len(self.fake.requests))

    def adapter(self, store: MemoryStore | None = None, clock: float = NOW, **settings) -> ZaloAdapter:
        secrets = dict(store.secrets) if store else {"access_token": AT, "refresh_token": RT}
        config = ChannelConfig(
            name="zalo-ben-thanh",
            settings={**ZaloAdapter.sandbox_settings(self.url), "oa_id": OA_ID, "app_id": APP_ID,
                      "access_expires_at": str(int(NOW + 90000)), "default_cover_url": COVER,
                      "author": "UBND Phường Bến Thành", "verify_timeout": "5", "timeout": "3", **settings},
            secrets={"app_secret": APP_SECRET, **secrets},
            store=store)
        adapter = ZaloAdapter(config)
        adapter.clock = lambda: clock
        return adapter

    def sent(self, prefix: str = "zalo") -> list[dict]:
        return [r for r in self.client.requests("zalo") if r["prefix"] == prefix]

    def state(self) -> dict:
        return self.client.state("zalo")["oas"][OA_ID]


@pytest.fixture(scope="module")
def server():
    with SandboxServer(Sandbox([ZaloFake], hold_seconds=0.5)) as srv:
        yield srv


@pytest.fixture
def zalo(server):
    return Zalo(server)


def bulletin(**fields) -> Message:
    text = ("Phường Bến Thành hướng dẫn nộp hồ sơ trực tuyến mức độ 4.\n\n"
            "Người dân truy cập Cổng dịch vụ công quốc gia để nộp hồ sơ và thanh toán lệ phí.")
    return Message(**{"marker": "d-41", "kind": "bulletin", "title": "Bản tin cải cách hành chính tháng 3",
                      "text": text, **fields})


def refused(error: type, call, *secrets: str):
    """The call raises `error`, whose officer sentence carries no token or secret."""
    with pytest.raises(error) as info:
        call()
    for secret in (AT, RT, APP_SECRET, *secrets):
        assert secret not in info.value.message and secret not in str(info.value)
    return info.value


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- publishing ------------------------------------------------------------------------------------


def test_publishing_creates_an_article_polls_verify_and_broadcasts_it_with_the_token_in_a_header(zalo):
    zalo.oa(verify_polls=2)
    images = (Image(Path("bia.jpg"), "image/jpeg", COVER), Image(Path("p.png"), "image/png"),
              Image(Path("qr.png"), "image/png", "https://cdn.benthanh.gov.vn/qr.png"))
    message = bulletin(images=images, link="https://dichvucong.gov.vn", summary="Nộp hồ sơ trực tuyến.")

    published = zalo.adapter().publish(message)

    sent = zalo.sent()
    assert [(r["method"], r["path"]) for r in sent] == [
        ("POST", "/v2.0/article/create"), ("POST", "/v2.0/article/verify"), ("POST", "/v2.0/article/verify"),
        ("POST", "/v2.0/article/verify"), ("POST", "/v2.0/oa/message"), ("GET", "/v2.0/article/getdetail")]
    assert all(r["headers"]["access_token"] == AT and "access_token" not in r["query"] for r in sent)
    assert sent[0]["json"] == {
        "type": "normal", "title": "Bản tin cải cách hành chính tháng 3", "author": "UBND Phường Bến Thành",
        "cover": {"cover_type": "photo", "photo_url": COVER, "status": "show"},
        "description": "Nộp hồ sơ trực tuyến.",
        "body": [{"type": "text", "content": "Phường Bến Thành hướng dẫn nộp hồ sơ trực tuyến mức độ 4."},
                 {"type": "text", "content": "Người dân truy cập Cổng dịch vụ công quốc gia để nộp hồ sơ và "
                                             "thanh toán lệ phí."},
                 {"type": "text", "content": "https://dichvucong.gov.vn"},
                 {"type": "image", "url": "https://cdn.benthanh.gov.vn/qr.png"}],
        "status": "show", "comment": "show"}
    token = sent[1]["json"]["token"]
    assert all(r["json"] == {"token": token} for r in sent[1:4])
    article = zalo.state()["articles"][0]
    assert sent[4]["json"] == {"recipient": {"target": {}}, "message": {"attachment": {"type": "template", "payload": {
        "template_type": "media", "elements": [{"media_type": "article", "attachment_id": article["id"]}]}}}}
    assert sent[5]["query"] == {"id": article["id"]}
    assert published == Published(article["id"], article["link"], "d-41")
    assert [b["article_ids"] for b in zalo.state()["broadcasts"]] == [[article["id"]]]


def test_a_long_text_without_summary_gives_a_description_cut_on_a_word_boundary(zalo):
    text = " ".join(["Thủ tục hành chính được giải quyết nhanh hơn."] * 20)
    zalo.adapter().publish(bulletin(text=text))
    description = zalo.sent()[0]["json"]["description"]
    assert len(description) <= 300 and description.endswith("…")
    assert text.startswith(description[:-1]) and text[len(description) - 1] == " "


@pytest.mark.parametrize("local, wait", [((22, 0), 8 * 3600), ((23, 30), 6.5 * 3600), ((5, 59), 60)])
def test_broadcasts_wait_until_six_in_the_morning_without_any_request(zalo, local, wait):
    night = datetime(2026, 3, 12, *local, tzinfo=VIETNAM).timestamp()
    error = refused(RateLimited, lambda: zalo.adapter(clock=night).publish(bulletin()))
    assert error.retry_after == wait and "06:00" in error.message
    assert zalo.client.requests("zalo") == []


def test_a_title_over_150_characters_is_refused_before_any_request(zalo):
    error = refused(BadContent, lambda: zalo.adapter().publish(bulletin(title="Tiêu đề " * 19)))
    assert "150" in error.message and zalo.client.requests("zalo") == []


def test_an_article_without_any_cover_photo_is_refused_before_any_request(zalo):
    adapter = zalo.adapter(default_cover_url="")
    error = refused(BadContent, lambda: adapter.publish(bulletin(images=(Image(Path("a.jpg"), "image/jpeg"),))))
    assert "default_cover_url" in error.message and zalo.client.requests("zalo") == []


def test_an_article_that_never_finishes_processing_is_an_unknown_outcome_naming_its_token(zalo):
    zalo.oa(verify_polls=1000)
    error = refused(OutcomeUnknown, lambda: zalo.adapter(verify_timeout="0.6").publish(bulletin()))
    [job] = zalo.state()["processing"]
    assert job["token"] in error.message
    assert zalo.state()["broadcasts"] == [] and zalo.state()["articles"] == []


def test_a_broadcast_that_fails_after_acceptance_is_an_unknown_outcome_naming_the_article(zalo):
    zalo.client.fault(OA_ID, fail_after_accept=1)
    error = refused(OutcomeUnknown, lambda: zalo.adapter().publish(bulletin()))
    [article] = zalo.state()["articles"]
    assert article["id"] in error.message and "Do not resend" in error.message
    assert len(zalo.state()["broadcasts"]) == 1


def test_a_night_refusal_after_the_article_exists_is_not_rescheduled_but_unknown(zalo):
    zalo.client.configure("zalo", {"now": datetime(2026, 3, 12, 22, 0, 5, tzinfo=VIETNAM).timestamp()})
    evening = datetime(2026, 3, 12, 21, 59, 59, tzinfo=VIETNAM).timestamp()
    error = refused(OutcomeUnknown, lambda: zalo.adapter(clock=evening).publish(bulletin()))
    assert zalo.state()["articles"][0]["id"] in error.message and zalo.state()["broadcasts"] == []


def test_the_monthly_broadcast_quota_used_up_is_bad_content_naming_the_article(zalo):
    zalo.oa(monthly_broadcasts=1)
    zalo.adapter().publish(bulletin())
    error = refused(BadContent, lambda: zalo.adapter().publish(bulletin(title="Bản tin tháng 3, kỳ 2")))
    assert "quota for this feature is used up" in error.message
    assert zalo.state()["articles"][0]["id"] in error.message and len(zalo.state()["broadcasts"]) == 1


def test_the_rate_limit_error_asks_to_wait_until_the_next_minute_and_creates_nothing(zalo):
    zalo.client.fault(OA_ID, rate_limit=1)
    error = refused(RateLimited, lambda: zalo.adapter(clock=NOW + 15).publish(bulletin()))
    assert error.retry_after == 45
    assert zalo.state()["articles"] == [] and zalo.state()["processing"] == []


def test_an_exhausted_per_minute_budget_reports_in_health_and_low_budget_asks_for_a_pause(zalo):
    zalo.client.configure("zalo", {"apps": [{"app_id": APP_ID, "app_secret": APP_SECRET, "rate_per_minute": 4}]})
    published = zalo.adapter().publish(bulletin())  # create, verify, broadcast, getdetail: the whole budget
    assert published.pause_seconds == 60
    health = zalo.adapter().health()
    assert not health.ok and "per-minute" in health.detail


# -- the access token and its single-use refresh token ---------------------------------------------------


def test_a_refused_access_token_is_renewed_saved_before_use_and_the_call_repeated(zalo):
    store = zalo.store(access_token="at-revoked-0a1b")
    published = zalo.adapter(store).publish(bulletin())

    [grant] = zalo.sent("zalo-oauth")
    assert grant["path"] == "/v4/oa/access_token"
    assert grant["form"] == {"refresh_token": RT, "app_id": APP_ID, "grant_type": "refresh_token"}
    assert grant["headers"]["secret_key"] == APP_SECRET
    assert grant["headers"]["content-type"].startswith("application/x-www-form-urlencoded")
    assert [e if isinstance(e, str) else e[0] for e in store.events] == ["lock", "save", "unlock"]
    saved = store.events[1][1]
    assert saved["access_token"] not in (AT, "at-revoked-0a1b") and saved["refresh_token"] != RT
    assert saved["access_expires_at"] == str(int(NOW + 90000))
    state = zalo.state()
    assert (state["access_token"], state["refresh_token"]) == (saved["access_token"], saved["refresh_token"])
    log = zalo.fake.requests
    using_new = [i for i, r in enumerate(log) if r["headers"].get("access_token") == saved["access_token"]]
    assert log[0]["headers"]["access_token"] == "at-revoked-0a1b"
    assert using_new[0] >= store.saved_at[0] and log[using_new[0]]["path"] == "/v2.0/article/create"
    assert published.remote_id == zalo.state()["articles"][0]["id"]
    again = requests.post(f"{zalo.url}/zalo-oauth/v4/oa/access_token", headers={"secret_key": APP_SECRET},
                          data={"refresh_token": RT, "app_id": APP_ID, "grant_type": "refresh_token"}, timeout=5)
    assert again.status_code == 200 and "access_token" not in again.json() and again.json()["error"] == -14014


def test_an_expired_access_token_is_renewed_and_the_call_repeated(zalo):
    zalo.client.configure("zalo", {"expire_access_token": OA_ID})
    store = zalo.store()
    assert zalo.adapter(store, access_expires_at="").health().ok
    paths = [(r["prefix"], r["headers"].get("access_token")) for r in zalo.client.requests("zalo")]
    assert paths == [("zalo", AT), ("zalo-oauth", None), ("zalo", store.secrets["access_token"])]


def test_a_token_about_to_expire_is_renewed_before_the_call(zalo):
    store = zalo.store()
    assert zalo.adapter(store, access_expires_at=str(int(NOW + 300))).health().ok
    assert [r["prefix"] for r in zalo.client.requests("zalo")] == ["zalo-oauth", "zalo"]
    assert zalo.client.requests("zalo")[1]["headers"]["access_token"] == store.secrets["access_token"] != AT


def test_adapters_holding_the_stale_token_adopt_the_stored_pair_without_a_second_refresh(zalo):
    store = zalo.store()
    first = zalo.adapter(store, access_expires_at=str(int(NOW + 60)))
    refused_later = zalo.adapter(store, access_expires_at="")  # will meet -216 with the old token
    due_later = zalo.adapter(store, access_expires_at=str(int(NOW + 60)))  # will see the pair already renewed
    assert first.health().ok and refused_later.health().ok and due_later.health().ok

    assert zalo.state()["refresh_calls"] == 1 and len(zalo.sent("zalo-oauth")) == 1
    assert [e[0] for e in store.events if isinstance(e, tuple)] == ["save"]
    tokens = [r["headers"]["access_token"] for r in zalo.sent()]
    assert tokens == [store.secrets["access_token"], AT, store.secrets["access_token"], store.secrets["access_token"]]


def test_a_refresh_token_zalo_refuses_needs_reauthorisation(zalo):
    requests.post(f"{zalo.url}/zalo-oauth/v4/oa/access_token", headers={"secret_key": APP_SECRET},
                  data={"refresh_token": RT, "app_id": APP_ID, "grant_type": "refresh_token"}, timeout=5)
    store = zalo.store()  # still holds the refresh token someone else just spent
    new_pair = (zalo.state()["access_token"], zalo.state()["refresh_token"])
    error = refused(AuthExpired, lambda: zalo.adapter(store).publish(bulletin()), *new_pair)
    assert error.message == REFUSED_REFRESH
    assert store.events == ["lock", "unlock"] and zalo.state()["articles"] == []


def test_without_a_credential_store_an_expired_token_needs_reauthorisation(zalo):
    zalo.client.configure("zalo", {"expire_access_token": OA_ID})
    error = refused(AuthExpired, lambda: zalo.adapter(None, access_expires_at="").publish(bulletin()))
    assert "authorise Loa again" in error.message and zalo.sent("zalo-oauth") == []


def test_a_refresh_that_times_out_warns_the_refresh_token_may_be_consumed(zalo):
    zalo.client.configure("zalo", {"expire_access_token": OA_ID})
    zalo.client.fault(APP_ID, timeouts=1)
    store = zalo.store()
    error = refused(NotCreated, lambda: zalo.adapter(store, access_expires_at="", timeout="0.3").publish(bulletin()))
    assert "may have been consumed" in error.message
    assert zalo.state()["refresh_token"] == RT and zalo.state()["refresh_calls"] == 0
    assert zalo.adapter(store, access_expires_at="").publish(bulletin()).remote_id


def test_an_unreachable_sign_in_server_is_not_created(zalo):
    adapter = zalo.adapter(zalo.store(), oauth_base=f"http://127.0.0.1:{free_port()}", access_expires_at=str(int(NOW)))
    assert "nothing was sent" in refused(NotCreated, lambda: adapter.publish(bulletin())).message


def test_a_failed_early_renewal_still_uses_the_token_while_it_lasts(zalo):
    adapter = zalo.adapter(zalo.store(), oauth_base=f"http://127.0.0.1:{free_port()}",
                           access_expires_at=str(int(NOW + 300)))
    assert adapter.health().ok and zalo.sent()[0]["headers"]["access_token"] == AT


def test_a_token_refused_again_after_renewal_needs_reauthorisation(zalo):
    zalo.client.configure("zalo", {"fail_next": {OA_ID: [-216, -216]}})
    store = zalo.store()
    error = refused(AuthExpired, lambda: zalo.adapter(store).publish(bulletin()))
    assert "even after renewing" in error.message and store.secrets["access_token"] not in error.message
    assert zalo.state()["refresh_calls"] == 1
    assert [r["headers"]["access_token"] for r in zalo.sent()] == [AT, store.secrets["access_token"]]


# -- transport failures and the error table --------------------------------------------------------------


def test_a_refused_connection_is_not_created(zalo):
    adapter = zalo.adapter(api_base=f"http://127.0.0.1:{free_port()}/zalo")
    assert "nothing was sent" in refused(NotCreated, lambda: adapter.publish(bulletin())).message


def test_a_read_timeout_or_server_error_on_create_is_an_unknown_outcome(zalo):
    zalo.client.fault(OA_ID, timeouts=1)
    refused(OutcomeUnknown, lambda: zalo.adapter(timeout="0.3").publish(bulletin()))
    zalo.client.fault(OA_ID, server_errors=1)
    assert "server error" in refused(OutcomeUnknown, lambda: zalo.adapter().publish(bulletin())).message


def test_an_unreadable_answer_after_sending_is_an_unknown_outcome():
    class Proxy(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            body = b"<html>502 upstream</html>"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        config = ChannelConfig("z", {"api_base": f"http://127.0.0.1:{httpd.server_address[1]}", "oa_id": OA_ID,
                                     "default_cover_url": COVER}, {"access_token": AT, "refresh_token": RT})
        adapter = ZaloAdapter(config)
        adapter.clock = lambda: NOW
        assert "could not be read" in refused(OutcomeUnknown, lambda: adapter.publish(bulletin())).message
    finally:
        httpd.shutdown()
        httpd.server_close()


TABLE = [(code, cls) for code, (cls, _) in ERRORS.items()] + [
    (-32, RateLimited), (-234, RateLimited), (-214, OutcomeUnknown), (-999, OutcomeUnknown)]


@pytest.mark.parametrize("code, verdict", TABLE, ids=[str(c) for c, _ in TABLE])
def test_every_zalo_error_code_has_its_verdict_and_an_officer_sentence(zalo, code, verdict):
    zalo.client.configure("zalo", {"fail_next": {OA_ID: [code]}})
    error = refused(verdict, lambda: zalo.adapter().publish(bulletin()))
    assert error.message[0].isupper() and error.message.endswith(".") and "{" not in error.message
    if code in ERRORS:
        assert ERRORS[code][1][:40].lower() in error.message.lower()
    assert zalo.state()["articles"] == [] and zalo.state()["processing"] == []


# -- replies, images, find, health -----------------------------------------------------------------------


def test_a_reply_inside_the_7_day_window_is_a_cs_text_message(zalo):
    zalo.client.inject("zalo", {"oa_id": OA_ID, "user_id": CITIZEN, "text": "Cho hỏi thủ tục cấp đổi CCCD?"})
    published = zalo.adapter().reply(CITIZEN, "Anh/chị vui lòng mang CCCD cũ đến bộ phận một cửa.")
    [sent] = zalo.sent()
    assert (sent["method"], sent["path"], sent["headers"]["access_token"]) == ("POST", "/v3.0/oa/message/cs", AT)
    assert sent["json"] == {"recipient": {"user_id": CITIZEN},
                            "message": {"text": "Anh/chị vui lòng mang CCCD cũ đến bộ phận một cửa."}}
    assert published.remote_id == zalo.state()["cs_messages"][0]["message_id"]


@pytest.mark.parametrize("interactions", [{CITIZEN: int((NOW - 8 * 86400) * 1000)}, {}], ids=["stale", "never"])
def test_a_reply_outside_the_7_day_window_points_to_the_hotline(zalo, interactions):
    zalo.oa(interactions=interactions)
    error = refused(BadContent, lambda: zalo.adapter().reply(CITIZEN, "Xin chào"))
    assert error.message == WINDOW[0].upper() + WINDOW[1:] + "." and zalo.state()["cs_messages"] == []


def test_a_reply_over_2000_characters_is_refused_before_any_request(zalo):
    refused(BadContent, lambda: zalo.adapter().reply(CITIZEN, "a" * 2001))
    assert zalo.client.requests("zalo") == []


def test_a_noisy_3000px_png_is_recompressed_to_a_jpeg_under_1_mb_and_uploaded_as_file(zalo, tmp_path):
    path = tmp_path / "khau-hieu.png"
    PILImage.frombytes("RGB", (3000, 3000), os.urandom(3000 * 3000 * 3)).save(path, compress_level=0)
    attachment_id = zalo.adapter().upload_image(Image(path, "image/png"))
    [sent] = zalo.sent()
    assert sent["path"] == "/v2.0/oa/upload/image" and sent["headers"]["access_token"] == AT
    assert sent["files"]["file"]["content_type"] == "image/jpeg"
    assert sent["files"]["file"]["filename"] == "khau-hieu.jpg" and sent["files"]["file"]["size"] <= 1_000_000
    assert zalo.state()["uploads"][0]["attachment_id"] == attachment_id


def test_a_small_jpeg_is_uploaded_unchanged(zalo, tmp_path):
    path = tmp_path / "anh.jpg"
    PILImage.new("RGB", (640, 360), "navy").save(path)
    zalo.adapter().upload_image(Image(path, "image/jpeg"))
    assert zalo.sent()[0]["files"]["file"] == {"filename": "anh.jpg", "content_type": "image/jpeg",
                                               "size": path.stat().st_size}


def test_a_text_file_or_a_decompression_bomb_passed_as_an_image_is_bad_content(zalo, tmp_path):
    text = tmp_path / "ghi-chu.jpg"
    text.write_text("không phải ảnh")
    bomb = tmp_path / "bom.png"
    PILImage.new("1", (12000, 12000)).save(bomb)
    adapter = zalo.adapter()
    assert "not a picture" in refused(BadContent, lambda: adapter.upload_image(Image(text, "image/jpeg"))).message
    assert "too large" in refused(BadContent, lambda: adapter.upload_image(Image(bomb, "image/png"))).message
    assert zalo.client.requests("zalo") == []


def test_find_never_claims_a_broadcast_it_cannot_see(zalo):
    zalo.adapter().publish(bulletin())
    before = len(zalo.sent())
    assert zalo.adapter().find(bulletin()) is None, "an article is not proof that its broadcast went out"
    assert len(zalo.sent()) == before


def test_the_night_rule_can_be_switched_off_for_sandboxes_and_training(zalo):
    night = datetime(2026, 3, 12, 23, 30, tzinfo=VIETNAM).timestamp()
    published = zalo.adapter(clock=night, night_rule="off").publish(bulletin())
    assert published.remote_id


def test_health_names_the_oa_and_when_the_token_expires(zalo):
    assert zalo.adapter().health() == Health(True, "OA Phường Bến Thành; token valid until 2026-03-13 10:00 (UTC+7)")
    zalo.client.configure("zalo", {"fail_next": {OA_ID: [-204]}})
    assert zalo.adapter().health() == Health(False, "The Zalo OA has been disabled or deleted.")


# -- the fake's own strictness ----------------------------------------------------------------------------


def test_the_fake_is_strict_about_tokens_limits_and_shapes(zalo, tmp_path):
    def call(method, path, **kw):
        return requests.request(method, f"{zalo.url}/zalo{path}", timeout=5, **kw)

    missing = call("GET", "/v2.0/oa/getoa")
    assert missing.status_code == 200 and missing.json()["error"] == -216
    ok = call("GET", "/v2.0/oa/getoa", headers={"access_token": AT})
    assert ok.json()["data"]["name"] == "Phường Bến Thành" and ok.headers["X-RateLimit-Limit"] == "4000"
    big = call("POST", "/v2.0/oa/upload/image", headers={"access_token": AT},
               files={"file": ("a.jpg", b"\xff\xd8\xff" + b"0" * 1_000_000, "image/jpeg")})
    assert big.json()["error"] == -210
    title = call("POST", "/v2.0/article/create", headers={"access_token": AT},
                 json={"type": "normal", "title": "t" * 151})
    assert title.json()["error"] == -210
    cs = call("POST", "/v3.0/oa/message/cs", headers={"access_token": AT},
              json={"recipient": {"user_id": CITIZEN}, "message": {"text": "x" * 2001}})
    assert cs.json()["error"] == -210
    wrong_secret = requests.post(f"{zalo.url}/zalo-oauth/v4/oa/access_token", headers={"secret_key": "nope"},
                                 data={"refresh_token": RT, "app_id": APP_ID, "grant_type": "refresh_token"}, timeout=5)
    assert "access_token" not in wrong_secret.json() and zalo.state()["refresh_token"] == RT
