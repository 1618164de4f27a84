"""Feedback as rows for people: the CLI list, CSV and XLSX exports, and the monthly summary.
Personal identifiers in texts are masked unless the reader needs them."""

from __future__ import annotations

import csv
import statistics

from django.utils import timezone

from bot.feedback.pii import mask_for
from bot.models import Feedback

COLUMNS = ("id", "unit", "channel", "post_id", "delivery_id", "received_at", "category", "status", "author",
           "author_name", "text", "answer", "answered_at", "due_at")


def _local(value):
    return timezone.localtime(value).isoformat() if value else None


def feedback_row(f: Feedback, *, unmasked: bool = False) -> dict:
    return {
        "id": f.pk, "unit": f.channel.unit.slug, "channel": f.channel.name,
        "post_id": f.delivery.post_id if f.delivery else None, "delivery_id": f.delivery_id,
        "received_at": _local(f.received_at), "category": f.category, "status": f.status,
        "author": f.author_key, "author_name": f.author_name, "text": mask_for(f.text, unmasked),
        "answer": f.answer, "answered_at": _local(f.answered_at), "due_at": _local(f.due_at),
    }


def queryset(*, unit=None, status=None, category=None):
    rows = Feedback.objects.select_related("channel__unit", "delivery")
    if unit is not None:
        rows = rows.filter(channel__unit=unit)
    if status:
        rows = rows.filter(status=status)
    if category:
        rows = rows.filter(category=category)
    return rows


def write_csv(path, rows: list[dict]) -> None:
    # utf-8-sig: Excel opens a CSV with a BOM as UTF-8, so Vietnamese text stays readable.
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)


def write_xlsx(path, rows: list[dict]) -> None:
    from openpyxl import Workbook  # noqa: PLC0415 - openpyxl costs ~180 ms to import; only exports need it

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Phản ánh")
    sheet.append(list(COLUMNS))
    for row in rows:
        sheet.append([row[c] for c in COLUMNS])
    book.save(path)


def summary(rows) -> dict:
    """Counts per category, status and channel, and the median hours to answer."""
    counts = {"category": {}, "status": {}, "channel": {}}
    hours = []
    for f in rows:
        for key, value in (("category", f.category), ("status", f.status), ("channel", f.channel.name)):
            counts[key][value] = counts[key].get(value, 0) + 1
        if f.answered_at:
            hours.append((f.answered_at - f.received_at).total_seconds() / 3600)
    return {**counts, "total": sum(counts["status"].values()),
            "median_answer_hours": round(statistics.median(hours), 1) if hours else None}
