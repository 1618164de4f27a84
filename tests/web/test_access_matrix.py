"""Issue 6's access matrix: every back-office URL x every role x a foreign unit.

Two sibling wards each have a channel, an approved post with its delivery, a submitted post, a
citizen's feedback and a saved reply. Users of every role work in the first ward. Their own
objects answer 200 on the pages their role uses and 403 on the others; the other ward's objects
answer exactly what a missing object does (404: existence is not revealed), change nothing, and
none of the other ward's text reaches any page, whatever the query string. Never a 500.

The expectations are stated here, from the issue, and not read from bot.web.guard.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field

from urllib.parse import urlsplit

import pytest
from django.urls import resolve
from openpyxl import load_workbook

from bot.channel_config import channel_add
from bot.feedback.ingest import ingest
from bot.feedback.saved_replies import add_reply
from bot.models import AuditEntry, Delivery, Feedback, FeedbackView, Post, Workflow
from bot.posts import post_approve, post_create, post_submit
from bot.web import urls as back_office_urls
from channels.base import Reply
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

ROLES = ("editor", "approver", "staff", "admin")
EVERYONE = frozenset(ROLES)
# Who uses which page (issue 6 and the back-office brief).
USES = {
    "dashboard": EVERYONE,
    "posts": frozenset({"editor", "approver", "admin"}),
    "compose": frozenset({"editor", "approver"}),
    "approvals": frozenset({"approver", "admin"}),
    "calendar": frozenset({"editor", "approver", "admin"}),
    "inbox": EVERYONE,
    "reports": EVERYONE,
    "account": EVERYONE,  # password change, setup guides
}
# Every string seeded in the other ward carries this token; none may reach a page of the first ward.
# The hyphen keeps it out of CSRF tokens (letters and digits), where "zqx" alone once turned up.
TOKEN = "Zqx-9"
FOREIGN_UNIT_NAME = "Phường Sài Gòn"
FOREIGN_CHANNEL = "kenh-sai-gon"


@dataclass(frozen=True)
class Route:
    name: str
    path: str  # {post}, {submitted}, {delivery}, {feedback}: an object id of the ward being tested
    page: str
    method: str = "GET"
    data: dict = field(default_factory=dict)
    ok: tuple[int, ...] = (200,)  # what a user of the page gets with their own objects
    listing: bool = False  # a list page: also fed garbage and foreign filters

    def url(self, ids: dict) -> str:
        return self.path.format(**ids)

    @property
    def takes_object(self) -> bool:
        return "{" in self.path


HARMLESS = {"action": "no-such-action"}
ROUTES = [
    Route("dashboard", "/", "dashboard"),
    Route("posts", "/posts/", "posts", listing=True),
    Route("post-new", "/posts/new/", "compose"),
    Route("post-new-post", "/posts/new/", "compose", "POST", {"action": "draft", "kind": "slogan"}, ok=(200, 400)),
    Route("post", "/posts/{post}/", "posts"),
    Route("post-action", "/posts/{submitted}/action/", "posts", "POST", HARMLESS, ok=(200, 302, 400)),
    Route("delivery-action", "/deliveries/{delivery}/action/", "posts", "POST", HARMLESS, ok=(200, 302, 400)),
    Route("preview", "/preview/", "compose", "POST", {"kind": "slogan", "title": "Thử", "text": "Thử"},
          ok=(200, 400)),
    Route("preview-card", "/preview/card.png?kind=slogan&text=Th%E1%BB%AD", "posts", ok=(200, 400)),
    Route("approvals", "/approvals/", "approvals", listing=True),
    Route("calendar", "/calendar/", "calendar", listing=True),
    Route("calendar-week", "/calendar/?view=week", "calendar", listing=True),
    Route("inbox", "/inbox/", "inbox", listing=True),
    Route("inbox-item", "/inbox/{feedback}/", "inbox"),
    Route("inbox-item-post", "/inbox/{feedback}/", "inbox", "POST", HARMLESS, ok=(200, 302, 400)),
    Route("reports", "/reports/", "reports", listing=True),
    Route("reports-xlsx", "/reports/export.xlsx", "reports", listing=True),
    Route("password", "/password/", "account"),
    Route("password-done", "/password/done/", "account"),
    Route("guide", "/guides/telegram/", "account"),
]
# What a foreign object is sent: a real action that would change it, were the scope not enforced.
FOREIGN_POSTS = {
    "post-action": [{"action": "approve"}, {"action": "cancel", "reason": "thử"}],
    "delivery-action": [{"action": "resend", "i_understand": "on"}, {"action": "close", "reason": "thử"},
                        {"action": "confirm", "permalink": "https://example.org/p/1"}],
    "inbox-item-post": [{"action": "close"}, {"action": "answer", "answer": "Thử trả lời"},
                        {"action": "classify", "category": "spam"}, {"action": "assign", "assignee": "me"}],
}
GARBAGE = [
    "?page=abc&month=13-2026&unit=../../etc&status=<script>alert(1)</script>",
    "?page=-1&week=2026-W99&view=year&kind=%00&channel=%E2%80%8B&overdue=maybe",
    "?page=99999999999999999999999999&month=99999-01&category=%3Cb%3E",
    "?unit=sai-gon&channel=kenh-sai-gon",  # the other ward asked for by name
    "?status=m%C6%A1%CC%81i&unit=Be%CC%82%CC%81n+Tha%CC%80nh",  # NFD Vietnamese
    "?" + "x" * 5000 + "=1&page=" + "9" * 300,
]


# -- the world ------------------------------------------------------------------------------------

def seed_ward(unit, prefix: str, login: str, tmp_path) -> dict:
    """Users of every role (user names start with `login`), a channel, an approved post (with its
    delivery), a submitted post, a citizen's message and a saved reply, all in `unit`; every text
    starts with `prefix`."""
    users = {role: make_user(f"{login}-{role}", role, unit) for role in ROLES}
    users["admin"].is_staff = users["admin"].is_superuser = True
    users["admin"].save()
    channel = channel_add(unit=unit, kind="outbox", name=f"kenh-{unit.slug}", pairs={"path": str(tmp_path / unit.slug)})
    approved = post_create(author=users["editor"], unit=unit, kind="slogan", title=f"{prefix} khẩu hiệu đã duyệt",
                           body=f"{prefix} cải cách hành chính vì nhân dân.", channel_names=[channel.name])
    post_submit(approved, by=users["editor"])
    (delivery,) = post_approve(approved, by=users["approver"])
    submitted = post_create(author=users["editor"], unit=unit, kind="slogan", title=f"{prefix} khẩu hiệu chờ duyệt",
                            body=f"{prefix} một cửa, một lần.", channel_names=[channel.name])
    post_submit(submitted, by=users["editor"])
    (feedback,) = ingest(channel, [Reply(remote_id=f"{unit.slug}-1", text=f"{prefix} cho hỏi giờ làm việc ạ?",
                                         author_id="42", author_name=f"{prefix} Công Dân", answer_to="42",
                                         kind="message")])
    saved = add_reply(unit, title=f"{prefix} trả lời mẫu", text=f"{prefix} xin cảm ơn {{ten_cong_dan}}.",
                      by=users["staff"])
    ids = {"post": approved.pk, "submitted": submitted.pk, "delivery": delivery.pk,
           "feedback": Feedback.objects.get(channel=channel, remote_id=feedback.remote_id).pk}
    return {"users": users, "channel": channel, "ids": ids, "saved": saved}


@pytest.fixture
def world(units, tmp_path):
    own = seed_ward(units["ward"], "Bến Thành", "bt", tmp_path)
    foreign = seed_ward(units["other"], TOKEN, TOKEN.lower(), tmp_path)
    assert units["other"].name == FOREIGN_UNIT_NAME and foreign["channel"].name == FOREIGN_CHANNEL
    own_titles = set(Post.objects.filter(unit=units["ward"]).values_list("title", flat=True))
    assert own_titles == {"Bến Thành khẩu hiệu đã duyệt", "Bến Thành khẩu hiệu chờ duyệt"}
    missing = {key: 10_000_000 + n for n, key in enumerate(own["ids"])}
    return {"own": own, "foreign": foreign, "missing": missing}


def fetch(client, route: Route, ids: dict, data: dict | None = None, query: str = ""):
    url = route.url(ids) + query
    if route.method == "POST":
        return client.post(url, data if data is not None else route.data)
    return client.get(url)


def text_of(response) -> str:
    """What a person could read in the response: the HTML, or every cell of an XLSX."""
    if response.get("Content-Type", "").startswith("application/vnd.openxmlformats"):
        book = load_workbook(io.BytesIO(response.content), read_only=True)
        return "\n".join(str(cell) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)
                         for cell in row if cell is not None)
    if response.get("Content-Type", "").startswith("image/"):
        return ""
    return response.content.decode("utf-8", errors="replace")


def assert_no_foreign_data(response, world, where: str, *, echoed: str = "") -> None:
    text = text_of(response).casefold()
    assert TOKEN.casefold() not in text, f"{where}: the other ward's data is on the page"
    assert FOREIGN_UNIT_NAME.casefold() not in text, f"{where}: the other ward's name is on the page"
    if FOREIGN_CHANNEL not in echoed:
        assert FOREIGN_CHANNEL not in text, f"{where}: the other ward's channel is on the page"
    for key, pk in world["foreign"]["ids"].items():
        prefix = {"post": "/posts/", "submitted": "/posts/", "delivery": "/deliveries/", "feedback": "/inbox/"}[key]
        assert f"{prefix}{pk}/" not in text, f"{where}: a link to the other ward's {key}"


def assert_not_500(response, where: str) -> None:
    assert response.status_code < 500, f"{where}: {response.status_code}"
    assert b"Traceback" not in response.content, f"{where}: a stack trace"


def as_role(client, world, role: str):
    client.force_login(world["own"]["users"][role])
    return client


def objects_state(world, side: str) -> tuple:
    """The seeded objects' stages: what a refused or harmless request must leave as it was."""
    ids = world[side]["ids"]
    return (
        list(Post.objects.filter(pk__in=[ids["post"], ids["submitted"]]).order_by("pk").values_list("workflow", flat=True)),
        Delivery.objects.get(pk=ids["delivery"]).state,
        Feedback.objects.filter(pk=ids["feedback"]).values_list("status", "category", "assignee_id", "answer").get(),
    )


def foreign_state(world) -> tuple:
    """The other ward's objects, its audit trail, and who viewed its citizen's feedback."""
    ids = world["foreign"]["ids"]
    return (
        objects_state(world, "foreign"),
        AuditEntry.objects.filter(unit=world["foreign"]["channel"].unit).count(),
        FeedbackView.objects.filter(feedback_id=ids["feedback"]).count(),
    )


def cases(routes, *, users_only: bool = False):
    """(route, role) pairs named after both; users_only: only the roles that use the route's page."""
    return [pytest.param(route, role, id=f"{route.method} {route.path} as {role}") for route in routes
            for role in ROLES if not users_only or role in USES[route.page]]


# -- the matrix covers every URL ------------------------------------------------------------------

def test_every_back_office_url_is_in_the_matrix():
    """A route added to bot/web/urls.py without a line in ROUTES fails here."""
    dummy = {"post": 1, "submitted": 1, "delivery": 1, "feedback": 1}
    covered = {resolve(urlsplit(r.url(dummy)).path).url_name for r in ROUTES} | {"login", "logout", "sandbox"}
    routes = {p.name for p in back_office_urls.urlpatterns}
    assert routes - covered == set()


def test_logging_in_and_out(client, world):
    assert client.get("/login/").status_code == 200
    as_role(client, world, "staff")
    assert client.get("/login/")["Location"] == "/", "a logged-in user is sent on to the dashboard"
    assert client.post("/logout/")["Location"] == "/login/"
    assert client.get("/")["Location"].startswith("/login/")


# -- anonymous ------------------------------------------------------------------------------------

@pytest.mark.parametrize("route", [pytest.param(r, id=f"{r.method} {r.path}") for r in ROUTES])
def test_anonymous_visitors_are_sent_to_the_login_page(client, world, route):
    response = fetch(client, route, world["own"]["ids"])
    assert response.status_code == 302, route.name
    assert response["Location"].startswith("/login/?next=/"), response["Location"]
    assert_no_foreign_data(response, world, route.name)


# -- one's own unit -------------------------------------------------------------------------------

@pytest.mark.parametrize("route, role", cases(ROUTES))
def test_own_unit_pages_open_for_the_roles_that_use_them_and_are_forbidden_to_the_others(client, world, route, role):
    as_role(client, world, role)
    where = f"{route.method} {route.url(world['own']['ids'])} as {role}"
    before, own_before = foreign_state(world), objects_state(world, "own")
    response = fetch(client, route, world["own"]["ids"])
    assert_not_500(response, where)
    if role in USES[route.page]:
        assert response.status_code in route.ok, f"{where}: {response.status_code}, expected one of {route.ok}"
    else:
        assert response.status_code == 403, f"{where}: {response.status_code}, expected 403"
    assert_no_foreign_data(response, world, where)
    assert foreign_state(world) == before
    assert objects_state(world, "own") == own_before, f"{where}: a harmless request changed the ward's posts"


# What a list page must show of the ward's own data (so that the absence of the other ward's means something).
OWN_ON_LIST = {
    "posts": lambda ids: ["Bến Thành khẩu hiệu đã duyệt", "Bến Thành khẩu hiệu chờ duyệt"],
    "approvals": lambda ids: ["Bến Thành khẩu hiệu chờ duyệt", f'href="/posts/{ids["submitted"]}/"'],
    "calendar": lambda ids: [f'href="/posts/{ids["post"]}/"'],
    "inbox": lambda ids: [f'data-id="{ids["feedback"]}"', f'href="/inbox/{ids["feedback"]}/"'],
}


@pytest.mark.parametrize("route, role", cases([r for r in ROUTES if r.name in OWN_ON_LIST], users_only=True))
def test_lists_show_the_wards_own_items(client, world, route, role):
    as_role(client, world, role)
    page = client.get(route.url({})).content.decode()
    for expected in OWN_ON_LIST[route.name](world["own"]["ids"]):
        assert expected in page, f"{route.path} as {role}: {expected!r} missing"


@pytest.mark.parametrize("route, role", cases([r for r in ROUTES if r.listing], users_only=True))
def test_list_pages_survive_garbage_and_foreign_filters(client, world, route, role):
    as_role(client, world, role)
    base = route.url({})
    for query in GARBAGE:
        query = query if "?" not in base else "&" + query[1:]
        where = f"GET {base}{query[:120]} as {role}"
        response = client.get(base + query)
        assert_not_500(response, where)
        assert response.status_code in (200, 400, 404), f"{where}: {response.status_code}"
        assert "<script>alert(1)" not in text_of(response), f"{where}: the query's markup came back unescaped"
        assert_no_foreign_data(response, world, where, echoed=query)


def test_the_xlsx_export_is_a_real_workbook(client, world):
    as_role(client, world, "staff")
    response = client.get("/reports/export.xlsx")
    assert response.status_code == 200
    assert zipfile.is_zipfile(io.BytesIO(response.content)), "not an XLSX"
    assert text_of(response), "an empty workbook proves nothing about foreign data"


# -- the other ward -------------------------------------------------------------------------------

@pytest.mark.parametrize("route, role", cases([r for r in ROUTES if r.takes_object]))
def test_the_other_wards_objects_are_as_missing_ones_and_stay_untouched(client, world, route, role):
    as_role(client, world, role)
    before = foreign_state(world)
    bodies = FOREIGN_POSTS.get(route.name, [route.data])
    for body in bodies:
        where = f"{route.method} {route.url(world['foreign']['ids'])} {body or ''} as {role}"
        foreign = fetch(client, route, world["foreign"]["ids"], body)
        missing = fetch(client, route, world["missing"], body)
        assert_not_500(foreign, where)
        if role in USES[route.page]:
            assert foreign.status_code == 404, f"{where}: {foreign.status_code}, expected 404"
        else:
            assert foreign.status_code == 403, f"{where}: {foreign.status_code}, expected 403"
        assert missing.status_code == foreign.status_code, f"{where}: a foreign object differs from a missing one"
        assert_no_foreign_data(foreign, world, where)
    assert foreign_state(world) == before, f"{route.name} as {role} changed the other ward's data"


ACTIONS = [r for r in ROUTES if r.method == "POST" and r.takes_object and r.path != "/inbox/{feedback}/"]


@pytest.mark.parametrize("route, role", cases(ACTIONS))
def test_action_urls_change_nothing_on_get(client, world, route, role):
    as_role(client, world, role)
    before = (objects_state(world, "own"), foreign_state(world))
    for side in ("own", "foreign"):
        where = f"GET {route.url(world[side]['ids'])} as {role}"
        response = client.get(route.url(world[side]["ids"]))
        assert_not_500(response, where)
        assert response.status_code in (302, 403, 404, 405), f"{where}: {response.status_code}"
        assert_no_foreign_data(response, world, where)
    assert (objects_state(world, "own"), foreign_state(world)) == before


def test_a_preview_for_the_other_wards_channel_renders_nothing_of_it(client, world):
    as_role(client, world, "editor")
    response = client.post("/preview/", {"kind": "slogan", "title": "Thử", "text": "Cải cách hành chính",
                                         "channels": [FOREIGN_CHANNEL]})
    assert_not_500(response, "POST /preview/ with the other ward's channel")
    # The rendered text of a channel names its unit: the other ward's name would prove a foreign render.
    assert FOREIGN_UNIT_NAME.casefold() not in response.content.decode().casefold()


def test_the_other_wards_saved_replies_are_not_offered(client, world):
    as_role(client, world, "staff")
    page = client.get(f"/inbox/{world['own']['ids']['feedback']}/")
    assert page.status_code == 200
    assert world["own"]["saved"].title in page.content.decode(), "the ward's own saved reply is offered"
    assert_no_foreign_data(page, world, "the inbox item's saved replies")


# -- the admin and the sandbox --------------------------------------------------------------------

@pytest.mark.parametrize("role", ROLES)
def test_the_django_admin_is_for_administrators_only(client, world, role):
    as_role(client, world, role)
    response = client.get("/admin/")
    if role == "admin":
        assert response.status_code == 200
    else:
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


def test_anonymous_visitors_to_the_admin_are_sent_to_its_login(client, world):
    response = client.get("/admin/bot/post/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


@pytest.mark.parametrize("role", ROLES)
def test_the_sandbox_view_does_not_exist_outside_demo_mode(client, world, role, settings):
    settings.SANDBOX_URL = ""
    as_role(client, world, role)
    assert client.get("/sandbox/").status_code == 404


@pytest.fixture
def sandbox_url(settings):
    from channels.sandbox.app import Sandbox
    from channels.sandbox.server import SandboxServer

    with SandboxServer(Sandbox(hold_seconds=1.0)) as server:
        settings.SANDBOX_URL = server.url
        yield server.url


@pytest.mark.parametrize("role", ROLES)
def test_the_sandbox_view_opens_for_every_role_in_demo_mode(client, world, role, sandbox_url):
    as_role(client, world, role)
    response = client.get("/sandbox/")
    assert_not_500(response, f"GET /sandbox/ as {role}")
    assert response.status_code == 200
    garbage = client.get("/sandbox/?platform=<script>alert(1)</script>&page=abc")
    assert_not_500(garbage, f"GET /sandbox/?garbage as {role}")
    assert b"<script>alert(1)" not in garbage.content


def test_anonymous_visitors_to_the_sandbox_view_are_sent_to_the_login_page(client, world, sandbox_url):
    response = client.get("/sandbox/")
    assert response.status_code == 302 and response["Location"].startswith("/login/?next=/sandbox/")


def test_the_seeded_stages_are_what_the_matrix_relies_on(world):
    """The matrix sends real actions to the other ward's objects: they must be in stages those actions apply to."""
    ids = world["foreign"]["ids"]
    assert Post.objects.get(pk=ids["submitted"]).workflow == Workflow.SUBMITTED
    assert Post.objects.get(pk=ids["post"]).workflow == Workflow.APPROVED
    assert Feedback.objects.get(pk=ids["feedback"]).status == "new"
