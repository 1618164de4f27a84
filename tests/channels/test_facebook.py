"""The Facebook Page adapter against the Graph API fake, over real HTTP on loopback."""

import hashlib
import hmac
import json
import socket
import traceback

import pytest
import requests
from PIL import Image as PILImage

from channels.base import ChannelConfig, Health, Image, Message
from channels.errors import AuthExpired, BadContent, NotCreated, OutcomeUnknown, RateLimited
from channels.facebook import FacebookAdapter
from channels.sandbox.app import Sandbox
from channels.sandbox.client import SandboxClient
from channels.sandbox.facebook import FacebookFake
from channels.sandbox.server import SandboxServer

PAGE = "1234567890"
PAGE_NAME = "UBND phường Bình Hưng"
TOKEN = "EAABpagetokenBinhHung0123456789"
SECRET = "app-secret-binh-hung"
PROOF = hmac.new(SECRET.encode(), TOKEN.encode(), hashlib.sha256).hexdigest()
TEXT = "Từ ngày 01/12, người dân nộp hồ sơ trực tuyến mức độ 4 tại Cổng dịch vụ công."
LINK = "https://dichvucong.gov.vn/p/home/dvc-trang-chu.html"


@pytest.fixture
def server():
    with SandboxServer(Sandbox([FacebookFake], hold_seconds=1.0)) as srv:
        yield srv


@pytest.fixture
def sandbox(server):
    client = SandboxClient(server.url)
    client.configure("facebook", {"pages": [{"id": PAGE, "name": PAGE_NAME, "access_token": TOKEN}]})
    return client


def page(client, **values):
    client.configure("facebook", {"pages": [{"id": PAGE, "name": PAGE_NAME, "access_token": TOKEN, **values}]})


def adapter(server, token=TOKEN, **settings):
    secrets = {"access_token": token, **({"app_secret": settings.pop("app_secret")} if "app_secret" in settings else {})}
    settings = {**FacebookAdapter.sandbox_settings(server.url), "page_id": PAGE, "timeout": "5", **settings}
    return FacebookAdapter(ChannelConfig(name="fb-binh-hung", settings=settings, secrets=secrets))


def photo(tmp_path, name="card.jpg", fmt="JPEG", mime="image/jpeg", color="red"):
    path = tmp_path / name
    PILImage.new("RGB", (32, 24), color).save(path, fmt)
    return Image(path, mime)


def message(text=TEXT, **fields):
    return Message(marker="d-1", text=text, **fields)


def posts(client):
    return client.state("facebook")["pages"][PAGE]["posts"]


# publishing: exactly what goes over the wire ---------------------------------------------------

def test_a_text_post_with_a_link_goes_to_the_feed_signed_with_appsecret_proof(server, sandbox):
    page(sandbox, app_secret=SECRET)
    published = adapter(server, app_secret=SECRET).publish(message(link=LINK))
    [sent] = sandbox.requests("facebook")
    assert (sent["method"], sent["path"], sent["query"]) == ("POST", f"/v24.0/{PAGE}/feed", {"fields": "id,permalink_url"})
    assert sent["form"] == {"message": TEXT, "link": LINK, "access_token": TOKEN, "appsecret_proof": PROOF}
    [post] = posts(sandbox)
    assert (published.remote_id, published.permalink, published.marker) == (post["id"], post["permalink_url"], "d-1")
    assert post["id"].startswith(f"{PAGE}_") and post["link"] == LINK and published.pause_seconds == 0


def test_a_photo_post_uploads_the_file_as_source_with_its_caption(server, sandbox, tmp_path):
    image = photo(tmp_path)
    published = adapter(server).publish(message(images=(image,)))
    upload, lookup = sandbox.requests("facebook")
    assert (upload["method"], upload["path"]) == ("POST", f"/v24.0/{PAGE}/photos")
    assert upload["form"] == {"caption": TEXT, "published": "true", "access_token": TOKEN}
    assert upload["files"] == {"source": {"filename": "card.jpg", "content_type": "image/jpeg",
                                          "size": image.path.stat().st_size}}
    [post] = posts(sandbox)
    assert (lookup["method"], lookup["path"]) == ("GET", f"/v24.0/{post['id']}")
    assert lookup["query"] == {"fields": "permalink_url", "access_token": TOKEN}
    assert (published.remote_id, published.permalink) == (post["id"], post["permalink_url"])


def test_a_photo_post_carries_its_link_in_the_caption(server, sandbox, tmp_path):
    adapter(server).publish(message(images=(photo(tmp_path),), link=LINK))
    assert posts(sandbox)[0]["message"] == f"{TEXT}\n\n{LINK}"


def test_three_photos_are_uploaded_hidden_then_attached_to_one_feed_post(server, sandbox, tmp_path):
    images = (photo(tmp_path, "a.jpg"), photo(tmp_path, "b.png", "PNG", "image/png"), photo(tmp_path, "c.jpg"))
    published = adapter(server, app_secret=SECRET).publish(message(images=images))
    *uploads, feed = sandbox.requests("facebook")
    assert [(u["path"], u["form"], u["files"]["source"]["filename"]) for u in uploads] == [
        (f"/v24.0/{PAGE}/photos", {"published": "false", "access_token": TOKEN, "appsecret_proof": PROOF}, name)
        for name in ("a.jpg", "b.png", "c.jpg")]
    state = sandbox.state("facebook")["pages"][PAGE]
    photo_ids = [p["id"] for p in state["photos"]]
    assert (feed["path"], feed["query"]) == (f"/v24.0/{PAGE}/feed", {"fields": "id,permalink_url"})
    assert json.loads(feed["form"]["attached_media"]) == [{"media_fbid": i} for i in photo_ids]
    assert feed["form"]["message"] == TEXT
    [post] = state["posts"]
    assert post["attached_media"] == photo_ids and published.remote_id == post["id"]
    assert {p["post_id"] for p in state["photos"]} == {post["id"]} and not any(p["published"] for p in state["photos"])


def test_telegram_style_html_is_sent_as_plain_text(server, sandbox):
    adapter(server).publish(message("<b>Thông báo</b><br>Nộp hồ sơ &amp; trả kết quả", text_format="html"))
    assert sandbox.requests("facebook")[0]["form"]["message"] == "Thông báo\nNộp hồ sơ & trả kết quả"


def test_a_chosen_graph_version_is_used_and_a_malformed_one_refused_before_any_call(server, sandbox):
    adapter(server, graph_version="v25.0").publish(message())
    assert sandbox.requests("facebook")[0]["path"] == f"/v25.0/{PAGE}/feed"
    with pytest.raises(AuthExpired, match="version"):
        adapter(server, graph_version="25").publish(message("Khác"))
    assert len(sandbox.requests("facebook")) == 1


# reconciliation ----------------------------------------------------------------------------------

def test_find_pages_through_recent_posts_to_the_same_text_and_returns_none_for_another(server, sandbox):
    fb = adapter(server)
    target = fb.publish(message("Hướng dẫn   thanh toán\nphí trực tuyến"))
    for n in range(30):
        fb.publish(message(f"Khẩu hiệu số {n}"))
    sandbox.reset()
    found = fb.find(message("Hướng dẫn thanh toán phí trực tuyến "))
    assert (found.remote_id, found.permalink, found.marker) == (target.remote_id, target.permalink, "d-1")
    first, second = sandbox.requests("facebook")
    assert (first["path"], first["query"]) == (
        f"/v24.0/{PAGE}/posts", {"fields": "id,message,created_time,permalink_url", "limit": "25", "access_token": TOKEN})
    assert second["query"]["after"] and second["query"]["limit"] == "25"
    assert fb.find(message("Không có bài này")) is None


def test_an_accepted_post_answered_with_500_is_unknown_then_found_and_never_posted_twice(server, sandbox):
    sandbox.fault(PAGE, fail_after_accept=1)
    fb = adapter(server)
    with pytest.raises(OutcomeUnknown, match="may or may not exist"):
        fb.publish(message(link=LINK))
    found = fb.find(message(link=LINK))
    [post] = posts(sandbox)
    assert found is not None and found.remote_id == post["id"]


# usage headers -----------------------------------------------------------------------------------

@pytest.mark.parametrize("used, pause", [(0, 0), (84, 300), (95, 3600)])
def test_usage_headers_near_the_limit_ask_the_channel_to_pause(server, sandbox, used, pause):
    page(sandbox, budget_calls=100, used_calls=used)
    assert adapter(server).publish(message()).pause_seconds == pause


def test_the_fake_reports_usage_and_json_on_every_answer(server, sandbox):
    page(sandbox, budget_calls=10, used_calls=4)
    r = requests.get(f"{server.url}/facebook/v24.0/{PAGE}", params={"access_token": TOKEN}, timeout=5)
    assert r.headers["Content-Type"] == "application/json; charset=UTF-8" and r.json() == {"id": PAGE, "name": PAGE_NAME}
    assert json.loads(r.headers["X-App-Usage"]) == {"call_count": 50, "total_time": 50, "total_cputime": 50}
    [buc] = json.loads(r.headers["X-Business-Use-Case-Usage"])[PAGE]
    assert buc["type"] == "pages" and buc["call_count"] == 50 and buc["estimated_time_to_regain_access"] == 0


# error mapping -----------------------------------------------------------------------------------

@pytest.mark.parametrize("status, sentence", [
    ("expired", "has expired"), ("invalid", "no longer valid"),
    ("password_changed", "password"), ("app_removed", "removed")])
def test_a_refused_token_needs_reauthorisation_with_a_reason(server, sandbox, status, sentence):
    page(sandbox, token_status=status)
    with pytest.raises(AuthExpired, match=sentence):
        adapter(server).publish(message())
    assert posts(sandbox) == []


def test_an_unknown_token_needs_reauthorisation(server, sandbox):
    with pytest.raises(AuthExpired, match="no longer valid"):
        adapter(server, token="EAABnotatokenanyoneknows").publish(message())


def test_a_token_of_another_page_lacks_the_posting_permission(server, sandbox):
    sandbox.configure("facebook", {"pages": [{"id": "999", "name": "Khác", "access_token": "EAABother-page-token"}]})
    with pytest.raises(AuthExpired, match="pages_manage_posts"):
        adapter(server, token="EAABother-page-token").publish(message())


def test_a_wrong_app_secret_is_a_configuration_problem(server, sandbox):
    page(sandbox, app_secret=SECRET)
    with pytest.raises(AuthExpired, match="app secret"):
        adapter(server, app_secret="not-the-secret").publish(message())


@pytest.mark.parametrize("configure, link, sentence", [
    ({}, "not a link", "invalid"),
    ({"blocked": True}, "", "temporarily blocked this Page from posting for a policy violation"),
    ({}, "https://trang-khong-mo.invalid/x", "could not read the link"),
])
def test_content_facebook_refuses_is_bad_content(server, sandbox, configure, link, sentence):
    page(sandbox, **configure)
    with pytest.raises(BadContent, match=sentence):
        adapter(server).publish(message(link=link))
    assert posts(sandbox) == []


def test_the_same_text_twice_in_a_row_is_a_refused_duplicate(server, sandbox):
    fb = adapter(server)
    fb.publish(message())
    with pytest.raises(BadContent, match="duplicate"):
        fb.publish(message())
    assert len(posts(sandbox)) == 1


def test_a_file_that_only_claims_to_be_a_photo_is_refused_by_facebook(server, sandbox, tmp_path):
    fake = tmp_path / "not-really.png"
    fake.write_text("<html>not a picture</html>")
    with pytest.raises(BadContent, match="JPEG or PNG file smaller than 4 MB"):
        adapter(server).publish(message(images=(Image(fake, "image/png"),)))


@pytest.mark.parametrize("make", ["oversize", "gif", "eleven"])
def test_photos_facebook_cannot_take_are_refused_before_any_request(server, sandbox, tmp_path, make):
    if make == "oversize":
        big = tmp_path / "big.jpg"
        big.write_bytes(b"\xff\xd8\xff" + b"0" * 4_000_000)
        images = (Image(big, "image/jpeg"),)
    elif make == "gif":
        images = (photo(tmp_path, "anim.gif", "GIF", "image/gif"),)
    else:
        images = (photo(tmp_path),) * 11
    with pytest.raises(BadContent):
        adapter(server).publish(message(images=images))
    assert sandbox.requests("facebook") == []


def test_page_throttling_waits_as_long_as_facebook_estimates(server, sandbox):
    page(sandbox, budget_calls=1, used_calls=1, regain_minutes=15)
    with pytest.raises(RateLimited) as caught:
        adapter(server).publish(message())
    assert caught.value.retry_after == 900 and posts(sandbox) == []


def test_an_injected_rate_limit_is_page_throttling_and_the_app_limit_waits_an_hour(server, sandbox):
    page(sandbox, regain_minutes=7)
    sandbox.fault(PAGE, rate_limit=1)
    with pytest.raises(RateLimited) as caught:
        adapter(server).publish(message())
    assert caught.value.retry_after == 7 * 60
    page(sandbox, throttle_code=4)
    sandbox.fault(PAGE, rate_limit=1)
    with pytest.raises(RateLimited) as caught:
        adapter(server).publish(message())
    assert caught.value.retry_after == 3600 and posts(sandbox) == []


def test_a_server_error_on_a_post_is_an_unknown_outcome(server, sandbox):
    sandbox.fault(PAGE, server_errors=1)
    with pytest.raises(OutcomeUnknown):
        adapter(server).publish(message())


def test_a_server_error_while_uploading_hidden_photos_proves_nothing_visible_was_created(server, sandbox, tmp_path):
    sandbox.fault(PAGE, server_errors=1)
    with pytest.raises(NotCreated):
        adapter(server).publish(message(images=(photo(tmp_path, "a.jpg"), photo(tmp_path, "b.jpg"))))
    assert posts(sandbox) == []


def test_no_answer_within_the_timeout_is_an_unknown_outcome(server, sandbox):
    sandbox.fault(PAGE, timeouts=1)
    with pytest.raises(OutcomeUnknown, match="did not answer within 0.3 seconds"):
        adapter(server, timeout="0.3").publish(message())


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_refused_connection_proves_nothing_was_created():
    fb = adapter_at(f"http://127.0.0.1:{free_port()}/facebook/")
    with pytest.raises(NotCreated, match="could not be reached"):
        fb.publish(message())


def adapter_at(api_base):
    return FacebookAdapter(ChannelConfig(name="fb", settings={"page_id": PAGE, "api_base": api_base, "timeout": "2"},
                                         secrets={"access_token": TOKEN}))


def test_lookups_that_fail_propagate_their_verdict(server, sandbox):
    sandbox.fault(PAGE, server_errors=1)
    with pytest.raises(NotCreated):
        adapter(server).find(message())
    page(sandbox, token_status="expired")
    with pytest.raises(AuthExpired):
        adapter(server).find(message())


def test_the_token_never_appears_in_an_error(server, sandbox):
    page(sandbox, token_status="invalid")
    failures = []
    for call in (lambda: adapter(server).publish(message(link="nope")),
                 lambda: adapter(server, token="EAABunknown-token-123456").find(message()),
                 lambda: adapter_at(f"http://127.0.0.1:{free_port()}/facebook/").find(message()),
                 lambda: adapter_at(f"http://127.0.0.1:{free_port()}/facebook/").publish(message())):
        with pytest.raises(Exception) as caught:
            call()
        failures.append(caught.value)
    for exc in failures:
        shown = "".join(traceback.format_exception_only(exc))
        if not exc.__suppress_context__:  # a traceback would print the chained exceptions too
            shown += " ".join(repr(e) for e in (exc.__cause__, exc.__context__))
        assert TOKEN not in shown and "EAABunknown" not in shown


# health and replies ------------------------------------------------------------------------------

def test_health_names_the_page_or_says_why_not(server, sandbox):
    assert adapter(server).health() == Health(True, PAGE_NAME)
    assert sandbox.requests("facebook")[0]["query"] == {"fields": "id,name", "access_token": TOKEN}
    health = adapter(server, page_id="4242").health()
    assert not health.ok and "no Page with this id" in health.detail
    page(sandbox, token_status="expired")
    health = adapter(server).health()
    assert not health.ok and "expired" in health.detail


def test_reply_answers_a_citizen_comment_as_the_page(server, sandbox):
    post = adapter(server).publish(message())
    citizen = sandbox.inject("facebook", {"page_id": PAGE, "post_id": post.remote_id,
                                          "from": {"id": "77", "name": "Nguyễn Văn A"}, "message": "Nộp ở đâu ạ?"})
    sandbox.reset()
    answer = adapter(server).reply(citizen["id"], "Dạ, anh nộp tại dichvucong.gov.vn ạ.")
    [sent] = sandbox.requests("facebook")
    assert (sent["method"], sent["path"]) == ("POST", f"/v24.0/{citizen['id']}/comments")
    assert sent["form"] == {"message": "Dạ, anh nộp tại dichvucong.gov.vn ạ.", "access_token": TOKEN}
    [question, reply] = sandbox.state("facebook")["pages"][PAGE]["comments"][post.remote_id]
    assert reply["id"] == answer.remote_id and reply["parent_id"] == question["id"]
    assert reply["from"] == {"id": PAGE, "name": PAGE_NAME}


# the fake's own strictness -----------------------------------------------------------------------

def test_the_fake_refuses_a_feed_post_attaching_an_unknown_or_published_photo(server, sandbox, tmp_path):
    fb = adapter(server)
    fb.publish(message(images=(photo(tmp_path),)))
    published_photo = sandbox.state("facebook")["pages"][PAGE]["photos"][0]["id"]
    url = f"{server.url}/facebook/v24.0/{PAGE}/feed"
    for media_id in ("424242", published_photo):
        r = requests.post(url, data={"message": "x", "access_token": TOKEN,
                                     "attached_media": json.dumps([{"media_fbid": media_id}])}, timeout=5)
        assert r.status_code == 400 and r.json()["error"]["code"] == 100
    r = requests.post(url, data={"access_token": TOKEN}, timeout=5)
    assert r.json()["error"]["code"] == 100 and len(posts(sandbox)) == 1


def test_the_fake_lists_comments_with_cursor_paging(server, sandbox):
    post = adapter(server).publish(message())
    for n in range(3):
        sandbox.inject("facebook", {"page_id": PAGE, "post_id": post.remote_id, "from": {"id": "7", "name": "A"},
                                    "message": f"ý kiến {n}"})
    url = f"{server.url}/facebook/v24.0/{post.remote_id}/comments"
    first = requests.get(url, params={"access_token": TOKEN, "limit": 2, "filter": "stream"}, timeout=5).json()
    assert [c["message"] for c in first["data"]] == ["ý kiến 0", "ý kiến 1"]
    second = requests.get(first["paging"]["next"], timeout=5).json()
    assert [c["message"] for c in second["data"]] == ["ý kiến 2"] and "next" not in second["paging"]
