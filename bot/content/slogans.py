"""Each unit's slogan library: import from CSV or XLSX (all rows valid or nothing written), add, rotate."""

from __future__ import annotations

import unicodedata
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from bot import audit
from bot.content.limits import SLOGAN_SOURCE_MAX, SLOGAN_TEXT_MAX, TAG_MAX, TAGS_MAX
from bot.errors import Invalid
from bot.models import Slogan, Unit
from bot.content.sheets import MARKUP, Row, clean_line, clean_text, read_rows, split_tags, text_key

MAX_PROBLEMS_SHOWN = 10
INSERT_BATCH = 100  # small enough for the progress bar to move during a large import


@dataclass(frozen=True)
class ImportResult:
    created: int
    duplicates_in_file: int
    already_in_library: int
    rows: int

# Validation


def _field_problems(label: str, value: str, newline_ok: bool = False) -> list[str]:
    control = [c for c in value if unicodedata.category(c) == "Cc" and not (newline_ok and c == "\n")]
    markup, problems = MARKUP.search(value), []
    if control:
        problems.append(_("there is an invisible control character (%(code)s) in the %(field)s.")
                        % {"field": label, "code": f"U+{ord(control[0]):04X}"})
    if markup:
        problems.append(_("there is HTML markup (%(markup)s) in the %(field)s; write plain text.")
                        % {"field": label, "markup": markup.group(0)[:30]})
    return problems


def _too_long(message: str, value, limit: int) -> list[str]:
    return [message % {"length": len(value), "limit": limit}] if len(value) > limit else []


def _tag_problems(tags: tuple[str, ...]) -> list[str]:
    problems = _too_long(_("there are %(length)d tags; the limit is %(limit)d."), tags, TAGS_MAX)
    problems += [_("the tag “%(tag)s…” is %(length)d characters; the limit is %(limit)d.")
                 % {"tag": t[:20], "length": len(t), "limit": TAG_MAX} for t in tags if len(t) > TAG_MAX]
    return problems + _field_problems(_("tags"), " ".join(tags))


def row_problems(row: Row) -> list[str]:
    """What is wrong with one row, as sentences starting in lower case; empty when it can be stored."""
    if not row.text or not text_key(row.text):
        problems = [_("the slogan is empty.") if not row.text else _("the slogan has no letters or digits.")]
    else:
        problems = _too_long(_("the slogan is %(length)d characters; the limit is %(limit)d."),
                             row.text, SLOGAN_TEXT_MAX)
    problems += _field_problems(_("slogan"), row.text, newline_ok=True) + _too_long(
        _("the source is %(length)d characters; the limit is %(limit)d."), row.source, SLOGAN_SOURCE_MAX)
    problems += _field_problems(_("source"), row.source) + _tag_problems(row.tags)
    if row.overflow:
        problems.append(_("the row has more cells than the header; put a slogan containing the separator (, or ;) in "
                          "quotes."))
    return problems


def _refusal(name: str, problems: list[str]) -> str:
    shown = " ".join(problems[:MAX_PROBLEMS_SHOWN])
    if (more := len(problems) - MAX_PROBLEMS_SHOWN) > 0:
        shown += " " + _("…and %(count)d more problems.") % {"count": more}
    return _("Nothing was imported from %(name)s. %(problems)s") % {"name": name, "problems": shown}


# Storing


class _Progress:
    """Calls progress(done, total) at the start, about every 1 % and at the end."""

    def __init__(self, callback, total: int):
        self.callback, self.total, self.done, self.reported = callback, total, 0, 0
        if callback:
            callback(0, total)

    def advance(self, steps: int = 1) -> None:
        self.done += steps
        if self.callback and (self.done - self.reported >= max(1, self.total // 100) or self.done == self.total):
            self.reported = self.done
            self.callback(self.done, self.total)


def _check_all(rows: list[Row], progress: _Progress) -> list[str]:
    problems = []
    for row in rows:
        problems += [_("Row %(row)d: %(why)s") % {"row": row.number, "why": why} for why in row_problems(row)]
        progress.advance()
    return problems


def _lock_library(unit: Unit) -> None:
    # Serialises the writers of one library (imports, adds) so duplicate counts are exact and the unique
    # constraint never fails half-way; NO KEY UPDATE still lets others insert rows pointing at the unit.
    Unit.objects.select_for_update(no_key=True).filter(pk=unit.pk).first()


def _insert(unit: Unit, rows: list[Row], progress: _Progress) -> None:
    for start in range(0, len(rows), INSERT_BATCH):
        batch = rows[start:start + INSERT_BATCH]
        Slogan.objects.bulk_create(Slogan(unit=unit, text=r.text, text_key=text_key(r.text), source=r.source,
                                          tags=list(r.tags)) for r in batch)
        progress.advance(len(batch))


def import_slogans(unit: Unit, path, *, actor=None, progress=None) -> ImportResult:
    """Check every row, then store the new slogans in one transaction; one bad row and nothing is stored.

    `progress(done, total)`: total is twice the rows (each row is checked, then stored or skipped).
    """
    path = Path(path)
    if not (rows := read_rows(path)):
        raise Invalid(_("%(name)s has no slogans below the header row.") % {"name": path.name})
    report = _Progress(progress, 2 * len(rows))
    if problems := _check_all(rows, report):
        raise Invalid(_refusal(path.name, problems))
    unique = {}
    for row in rows:
        unique.setdefault(text_key(row.text), row)  # the first of duplicates in the file wins
    with transaction.atomic():
        _lock_library(unit)
        known = set(Slogan.objects.filter(unit=unit, text_key__in=list(unique)).values_list("text_key", flat=True))
        new = [row for key, row in unique.items() if key not in known]
        report.advance(len(rows) - len(new))
        _insert(unit, new, report)
        result = ImportResult(len(new), len(rows) - len(unique), len(known), len(rows))
        audit.record("slogan.import", unit, actor=actor, unit=unit, file=path.name, **asdict(result))
    return result


def add_slogan(unit: Unit, text: str, source: str = "", tags=(), actor=None) -> Slogan:
    """One slogan typed by an officer; a duplicate of one already in the library is refused."""
    row = Row(0, clean_text(text), clean_line(source), split_tags(*tags))
    if problems := row_problems(row):
        raise Invalid(" ".join(p[:1].upper() + p[1:] for p in problems))
    key = text_key(row.text)
    with transaction.atomic():
        _lock_library(unit)
        if Slogan.objects.filter(unit=unit, text_key=key).exists():
            raise Invalid(_("This slogan is already in the library of %(unit)s.") % {"unit": unit.name})
        slogan = Slogan.objects.create(unit=unit, text=row.text, text_key=key, source=row.source, tags=list(row.tags))
        audit.record("slogan.add", slogan, actor=actor, unit=unit)
    return slogan


def rotation_order(unit: Unit):
    """The unit's slogans, next to be picked first: never used, then longest unused, ties by id."""
    return Slogan.objects.filter(unit=unit).order_by(F("last_used_at").asc(nulls_first=True), "pk")


def pick_slogan(unit: Unit, now: datetime | None = None) -> Slogan | None:
    """Take the least recently used slogan and mark it used.

    Rows another transaction is picking are skipped (SKIP LOCKED), so concurrent pickers get different
    slogans; None means the library is empty or every slogan is being picked at this moment.
    """
    with transaction.atomic():
        slogan = rotation_order(unit).select_for_update(skip_locked=True).first()
        if slogan is None:
            return None
        slogan.times_used += 1  # safe: the row stays locked until our transaction ends
        slogan.last_used_at = now or timezone.now()
        slogan.save(update_fields=["times_used", "last_used_at"])
    return slogan
