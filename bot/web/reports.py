"""/reports/: the monthly CCHC communication report of a unit, as a page with charts and as XLSX.

?unit=<slug>&month=YYYY-MM; a missing or bad value falls back to the user's unit and the current month,
with a message saying so (a bookmark with a typo still opens a report)."""

from __future__ import annotations

import io
import re

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from bot.models import Unit
from bot.reporting import Month, Report, monthly_report, parse_month
from bot.web.charts import bar_chart
from bot.web.guard import page

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_SLUG = re.compile(r"[-\w]{1,64}")  # anything else (a NUL byte, 10 kB of text) never reaches the database


def _echo(value: str) -> str:
    """User input quoted back in a message: short, without control characters (autoescaped later)."""
    return re.sub(r"[\x00-\x1f\x7f]", "", value)[:64]


def _params(request) -> tuple[Unit, Month, list[str]]:
    units = Unit.objects.filter(pk__in=request.scope)
    problems = []
    slug = request.GET.get("unit", "")
    unit = units.filter(slug=slug).first() if _SLUG.fullmatch(slug) else None
    if slug and unit is None:
        # Same words for a unit that does not exist and one outside the user's scope.
        problems.append(_("There is no unit %(unit)s among yours; showing %(own)s.")
                        % {"unit": _echo(slug), "own": request.profile.unit.name})
    text = request.GET.get("month", "")
    month = parse_month(text)
    if text and month is None:
        problems.append(_("%(month)s is not a month like 2026-05; showing this month.") % {"month": _echo(text)})
    return unit or request.profile.unit, month or Month.of(timezone.now()), problems


def charts(report: Report) -> dict:
    plan = report.plan
    return {
        "plan": bar_chart("chart-plan", _("Posts published against the plan"), [r.label for r in plan],
                          [(_("Planned"), [r.planned for r in plan]), (_("Published"), [r.published for r in plan])]),
        "channels": bar_chart("chart-channels", _("Deliveries sent per channel"), [r.name for r in report.channels],
                              [(_("Sent"), [r.sent for r in report.channels])]) if report.channels else "",
        "categories": bar_chart("chart-categories", _("Feedback by category"), [r.label for r in report.categories],
                                [(_("Feedback"), [r.count for r in report.categories])]),
        "statuses": bar_chart("chart-statuses", _("Feedback by status"), [r.label for r in report.statuses],
                              [(_("Feedback"), [r.count for r in report.statuses])]),
        "trend": bar_chart("chart-trend", _("The last six months"), [str(r.month) for r in report.trend],
                           [(_("Posts published"), [r.posts for r in report.trend]),
                            (_("Feedback received"), [r.feedback for r in report.trend])]),
    }


@page("reports")
def monthly(request):
    unit, month, problems = _params(request)
    for problem in problems:
        messages.warning(request, problem)
    report = monthly_report(unit, month)
    return render(request, "web/reports.html", {
        "report": report, "charts": charts(report), "month": str(month),
        "units": Unit.objects.filter(pk__in=request.scope).order_by("name"),
    })


def _text_cell(sheet, value):
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"  # a unit named "=HYPERLINK(...)" stays text, never a formula
    return cell


def _sheet(book: Workbook, title: str, header: list[str], rows: list[list]) -> None:
    sheet = book.create_sheet(_SHEET_FORBIDDEN.sub(" ", title)[:31])
    for row in [header, *rows]:
        sheet.append([_text_cell(sheet, value) for value in row])


def workbook(report: Report) -> bytes:
    """One sheet per table of the page, the same numbers."""
    book = Workbook(write_only=True)
    times = report.answer_times
    _sheet(book, _("Summary"), [_("Item"), _("Value")], [
        [_("Unit"), report.unit.name], [_("Month"), str(report.month)],
        [_("Plan met"), _("yes") if report.plan_met else _("no")], [_("Feedback received"), report.received],
        [_("Answered"), times.answered], [_("Median answer time (hours)"), times.median_hours],
        [_("90th percentile answer time (hours)"), times.p90_hours], [_("Overdue"), report.overdue]])
    _sheet(book, _("Plan"), [_("Kind"), _("Planned"), _("Published"), _("Plan met")],
           [[r.label, r.planned, r.published, _("yes") if r.met else _("no")] for r in report.plan])
    _sheet(book, _("Channels"), [_("Channel"), _("Kind"), _("Sent")],
           [[r.name, r.kind, r.sent] for r in report.channels])
    _sheet(book, _("Categories"), [_("Category"), _("Feedback")], [[r.label, r.count] for r in report.categories])
    _sheet(book, _("Statuses"), [_("Status"), _("Feedback")], [[r.label, r.count] for r in report.statuses])
    _sheet(book, _("Trend"), [_("Month"), _("Posts published"), _("Feedback received")],
           [[str(r.month), r.posts, r.feedback] for r in report.trend])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def filename(report: Report) -> str:
    """ASCII only: a slug typed into the admin may hold anything, and old browsers mangle the rest."""
    slug = re.sub(r"[^A-Za-z0-9-]+", "-", report.unit.slug).strip("-")[:40] or "unit"
    return f"loa-report-{slug}-{report.month}.xlsx"


@page("reports")
def export_xlsx(request):
    unit, month, _problems = _params(request)
    report = monthly_report(unit, month)
    response = HttpResponse(workbook(report), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename(report)}"'
    return response
