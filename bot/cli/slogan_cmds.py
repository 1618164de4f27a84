"""`loa slogan …`: import a unit's slogan library from CSV or XLSX, list it in rotation order, add one."""

from __future__ import annotations

import json
import sys

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from bot.content.slogans import ImportResult, add_slogan, import_slogans, rotation_order
from bot.org import get_unit


def register(sub) -> None:
    slogan = sub.add_parser("slogan", help="a unit's slogan library").add_subparsers(dest="action", required=True)
    p = slogan.add_parser("import", help="import slogans from a .csv (UTF-8) or .xlsx file: every row valid, or nothing")
    p.add_argument("--unit", required=True, metavar="SLUG")
    p.add_argument("file", metavar="FILE")
    p.set_defaults(handler=cmd_import)
    p = slogan.add_parser("list", help="the library in rotation order (the next slogan to be used first)")
    p.add_argument("--unit", required=True, metavar="SLUG")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_list)
    p = slogan.add_parser("add", help="add one slogan; prints its id")
    p.add_argument("--unit", required=True, metavar="SLUG")
    p.add_argument("--text", required=True)
    p.add_argument("--source", default="", help="the document the slogan comes from")
    p.add_argument("--tag", action="append", default=[], dest="tags", metavar="TAG")
    p.set_defaults(handler=cmd_add)


class ProgressBar:
    """Import progress on stderr: redrawn in place on a terminal, one line per 10 % into a log."""

    WIDTH = 30
    MIN_TOTAL = 400  # progress units (two per row): below 200 rows the import is instant

    def __init__(self, stream=None):
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.tenths_shown, self.open_line = -1, False

    def __call__(self, done: int, total: int) -> None:
        if total < self.MIN_TOTAL:
            return
        if self.tty:
            self._redraw(done, total)
        elif done * 10 // total > self.tenths_shown:
            self.tenths_shown = done * 10 // total
            self.stream.write(f"{_('Importing slogans')}: {self.tenths_shown * 10}%\n")
        self.stream.flush()

    def _redraw(self, done: int, total: int) -> None:
        filled = self.WIDTH * done // total
        self.stream.write(f"\r{_('Importing slogans')} [{'#' * filled}{'.' * (self.WIDTH - filled)}] "
                          f"{100 * done // total:3d}%")
        self.open_line = done < total
        if not self.open_line:
            self.stream.write("\n")

    def close(self) -> None:
        """End a bar left half-drawn (the import was refused), so the error starts on its own line."""
        if self.open_line:
            self.stream.write("\n")
            self.open_line = False


def summary(result: ImportResult) -> str:
    values = {"created": result.created, "in_file": result.duplicates_in_file, "known": result.already_in_library}
    if not (result.duplicates_in_file or result.already_in_library):
        return ngettext("Imported %(created)d slogan.", "Imported %(created)d slogans.", result.created) % values
    return ngettext(
        "Imported %(created)d slogan; %(in_file)d duplicates in the file and %(known)d already in the library "
        "were skipped.",
        "Imported %(created)d slogans; %(in_file)d duplicates in the file and %(known)d already in the library "
        "were skipped.",
        result.created,
    ) % values


def cmd_import(args) -> int:
    unit, bar = get_unit(args.unit), ProgressBar()
    try:
        result = import_slogans(unit, args.file, progress=bar)
    finally:
        bar.close()
    print(summary(result))
    return 0


def slogan_dict(slogan) -> dict:
    used = slogan.last_used_at
    return {"id": slogan.pk, "text": slogan.text, "source": slogan.source, "tags": slogan.tags,
            "times_used": slogan.times_used, "last_used_at": used.isoformat() if used else None}


def cmd_list(args) -> int:
    slogans = list(rotation_order(get_unit(args.unit)))
    if args.json:
        print(json.dumps([slogan_dict(s) for s in slogans], ensure_ascii=False, indent=2))
        return 0
    for s in slogans:
        used = timezone.localtime(s.last_used_at).strftime("%Y-%m-%d %H:%M") if s.last_used_at else "-"
        print("\t".join((str(s.pk), str(s.times_used), used, s.text.replace("\n", " / "))))
    return 0


def cmd_add(args) -> int:
    slogan = add_slogan(get_unit(args.unit), args.text, source=args.source, tags=args.tags)
    print(slogan.pk)
    return 0
