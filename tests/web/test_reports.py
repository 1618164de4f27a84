"""/reports/ and /reports/export.xlsx on the seeded May 2026 of tests/test_reporting.py: the page's tables
and the workbook carry the hand-computed numbers; bad parameters fall back with a message; other units'
data and citizens' personal data never appear; chart texts are escaped."""

import io
import re
import xml.etree.ElementTree as ET

import pytest
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from bot.feedback.ingest import ingest
from bot.models import Channel, Unit
from bot.reporting import Month
from bot.web.charts import bar_chart
from channels.base import Reply
from tests.test_reporting import may, publish, vn  # noqa: F401 - the seeded month fixture

pytestmark = pytest.mark.django_db
SVG_RE = re.compile(r"<svg .*?</svg>", re.S)


@pytest.fixture
def client():
    """English pages (the default is Vietnamese): the assertions read the English msgids."""
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def cell(html: str, row_attr: str, data_attr: str) -> str:
    match = re.search(rf'<tr {row_attr}>.*?data-{data_attr}="([^"]*)"', html, re.S)
    return match.group(1) if match else None


def test_the_page_shows_mays_numbers_in_tables_next_to_its_charts(client, people, may):  # noqa: F811
    client.force_login(people["lan"])
    response = client.get("/reports/?unit=ben-thanh&month=2026-05")
    html = response.content.decode()
    assert response.status_code == 200
    assert (cell(html, 'data-kind="slogan"', "planned"), cell(html, 'data-kind="slogan"', "published")) == ("2", "1")
    assert cell(html, 'data-kind="bulletin"', "published") == "1" and 'data-plan="not-met"' in html
    assert cell(html, 'data-channel="bang-dien-tu"', "sent") == "2" and cell(html, 'data-channel="bang-tin"', "sent") == "1"
    assert cell(html, 'data-category="hoi_dap"', "count") == "3" and cell(html, 'data-status="answered"', "count") == "4"
    figures = {name: re.search(rf'<dd id="{name}">([^<]*)</dd>', html).group(1)
               for name in ("received", "answered", "median", "p90", "overdue")}
    assert figures == {"received": "7", "answered": "4", "median": "20.0", "p90": "79.0", "overdue": "2"}
    assert (cell(html, 'data-month="2026-04"', "posts"), cell(html, 'data-month="2026-05"', "feedback")) == ("1", "7")
    charts = SVG_RE.findall(html)
    assert len(charts) == 5 and all("<title id=" in svg and 'role="img"' in svg for svg in charts)
    assert "bang-sai-gon" not in html, "another unit's channel is not in this unit's report"


def test_without_parameters_the_report_is_the_users_unit_this_month(client, people):
    client.force_login(people["thu"])
    html = client.get("/reports/").content.decode()
    this_month = str(Month.of(timezone.now()))
    assert f'value="{this_month}"' in html and "Phường Bến Thành" in html and 'class="warning"' not in html


@pytest.mark.parametrize("query, says", [
    ("month=2026-13", "is not a month"), ("month=abc%00", "is not a month"), ("month=99999-01", "is not a month"),
    ("unit=sai-gon", "There is no unit sai-gon"), ("unit=khong-co", "There is no unit khong-co"),
    ("unit=%00", "There is no unit"), ("unit=%3Cscript%3Ealert(1)%3C/script%3E", "There is no unit &lt;script&gt;"),
    ("unit=" + "x" * 5000, "There is no unit"),
])
def test_bad_or_foreign_parameters_fall_back_to_the_defaults_with_a_message(client, people, query, says):
    client.force_login(people["lan"])
    response = client.get(f"/reports/?{query}")
    html = response.content.decode()
    assert response.status_code == 200 and says in html and "<script>alert" not in html
    assert "Phường Bến Thành" in html and "Phường Sài Gòn" not in html
    export = client.get(f"/reports/export.xlsx?{query}")
    assert export.status_code == 200 and "ben-thanh" in export["Content-Disposition"]


def test_a_foreign_unit_and_a_missing_one_get_the_same_words(client, people, units):
    client.force_login(people["lan"])
    foreign = client.get("/reports/?unit=sai-gon").content.decode().replace("sai-gon", "X")
    missing = client.get("/reports/?unit=khong-co").content.decode().replace("khong-co", "X")
    strip = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')
    assert strip.sub("", foreign) == strip.sub("", missing)


def test_the_province_reads_a_ward_below_it(client, people, may):  # noqa: F811
    client.force_login(people["minh"])
    html = client.get("/reports/?unit=sai-gon&month=2026-05").content.decode()
    assert cell(html, 'data-channel="bang-sai-gon"', "sent") == "1" and "bang-dien-tu" not in html


def test_the_xlsx_has_a_sheet_per_table_with_the_same_numbers(client, people, may):  # noqa: F811
    client.force_login(people["lan"])
    response = client.get("/reports/export.xlsx?unit=ben-thanh&month=2026-05")
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"] == 'attachment; filename="loa-report-ben-thanh-2026-05.xlsx"'
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    sheets = {sheet.title: [list(row) for row in sheet.iter_rows(values_only=True)] for sheet in book.worksheets}
    assert list(sheets) == ["Summary", "Plan", "Channels", "Categories", "Statuses", "Trend"]
    summary = dict((row[0], row[1]) for row in sheets["Summary"][1:])
    assert (summary["Feedback received"], summary["Median answer time (hours)"],
            summary["90th percentile answer time (hours)"], summary["Overdue"], summary["Plan met"]) == (
        7, 20.0, 79.0, 2, "no")
    assert [row[1:3] for row in sheets["Plan"][1:]] == [[2, 1], [1, 1], [0, 0]]
    assert sheets["Channels"][1:] == [["bang-dien-tu", "outbox", 2], ["bang-tin", "outbox", 1]]
    assert sum(row[1] for row in sheets["Categories"][1:]) == 7 and ["answered", 4] in [
        [label, n] for label, n in sheets["Statuses"][1:]]
    assert sheets["Trend"][-2:] == [["2026-04", 1, 1], ["2026-05", 2, 7]]


def test_no_personal_data_reaches_the_report_or_the_workbook(client, people, outbox_channel):
    ingest(outbox_channel, [Reply(remote_id="p1", text="Tôi là Trần Thị Lan, số 0912 345 678", author_id="c1",
                                  author_name="Trần Thị Lan", answer_to="c1", kind="message")])
    client.force_login(people["thu"])
    html = client.get("/reports/").content.decode()
    workbook = client.get("/reports/export.xlsx").content
    book = load_workbook(io.BytesIO(workbook), read_only=True)
    texts = " ".join(str(v) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for v in row)
    for secret in ("Trần Thị Lan", "0912 345 678"):
        assert secret not in html and secret not in texts
    assert '<dd id="received">1</dd>' in html


def test_a_unit_named_like_a_formula_stays_text_and_the_filename_stays_ascii(client, people, units):
    odd = Unit.objects.create(slug="bến-thành-2", name='=HYPERLINK("http://x.example","bấm")', parent=units["province"])
    client.force_login(people["minh"])
    response = client.get(f"/reports/export.xlsx?unit={odd.slug}")
    disposition = response["Content-Disposition"]
    assert disposition.isascii() and re.fullmatch(r'attachment; filename="loa-report-b-n-th-nh-2-\d{4}-\d{2}\.xlsx"',
                                                  disposition)
    book = load_workbook(io.BytesIO(response.content))
    name_cell = next(row[1] for row in book["Summary"].iter_rows() if row[0].value == "Unit")
    assert name_cell.data_type == "s" and name_cell.value == odd.name


def test_chart_texts_are_escaped_and_the_svg_is_well_formed():
    svg = bar_chart('c"1', "<script>alert(1)</script>", ["<b>Sài Gòn</b> & co", "x" * 200],
                    [("<i>plan</i>", [3, 0]), ("done", [1.5, -2])])
    assert "<script>" not in svg and "<b>" not in svg and "<i>" not in svg
    root = ET.fromstring(svg)  # escaping also keeps it parseable XML
    ns = "{http://www.w3.org/2000/svg}"
    assert root.find(f"{ns}title").text == "<script>alert(1)</script>"
    assert "<b>Sài Gòn</b> & co: <i>plan</i> 3, done 1.5" in root.find(f"{ns}desc").text
    labels = [t.text for t in root.iter(f"{ns}text") if t.get("class") == "label"]
    assert labels[0] == "<b>Sài Gòn</b> & co" and len(labels[1]) == 60 and labels[1].endswith("…")
    widths = [float(r.get("width")) for r in root.iter(f"{ns}rect") if r.get("height") == "14"]
    assert widths[0] == max(widths) and widths[-1] == 0, "the largest value spans the chart; negatives are zero"


def test_a_channel_name_with_markup_is_escaped_in_the_page_and_its_chart(client, people, may, tmp_path):  # noqa: F811
    odd = Channel.objects.create(unit=may, kind="outbox", name="<img src=x onerror=alert(1)>",
                                 settings={"path": str(tmp_path / "odd")})
    publish(people["lan"], people["minh"], "slogan", odd, sent_at=[vn(5, 7)])
    client.force_login(people["lan"])
    html = client.get("/reports/?month=2026-05").content.decode()
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    channels_svg = next(svg for svg in SVG_RE.findall(html) if 'id="chart-channels-title"' in svg)
    assert "&lt;img src=x onerror=alert(1)&gt;" in channels_svg


def test_reports_need_a_login(client):
    assert client.get("/reports/export.xlsx")["Location"].startswith("/login/")
