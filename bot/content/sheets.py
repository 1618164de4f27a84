"""Reading slogan spreadsheets: CSV (UTF-8) and XLSX, columns found by their header, with the
size and zip-bomb bounds checked before anything is parsed."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import gettext as _

from bot.content.render import nfc
from bot.errors import Invalid

MB = 1024 * 1024
MAX_FILE_BYTES = 20 * MB
# openpyxl inflates the parts it reads (sharedStrings whole, in memory): bound what the zip directory
# declares before opening. zipfile stops at the declared size (a lying part fails its CRC), and
# expat >= 2.4 refuses entity-expansion ("billion laughs") XML.
MAX_XLSX_PART_BYTES, MAX_XLSX_TOTAL_BYTES, MAX_XLSX_PARTS = 50 * MB, 100 * MB, 1000
MAX_ROWS = 20_000  # a ward's library holds hundreds; more is the wrong file

HEADERS = {
    "text": ("text", "slogan", "khẩu hiệu", "khau hieu", "nội dung"),
    "source": ("source", "nguồn", "căn cứ", "văn bản"),
    "tags": ("tags", "tag", "thẻ", "nhãn"),
}
_EDGES = re.compile(r"^[\W_]+|[\W_]+$")  # punctuation, quotes, symbols and spaces around the words
_HSPACE = re.compile(r"[ \t\u00a0\u3000]+")
_TAG_SPLIT = re.compile(r"[,;]")
MARKUP = re.compile(r"<\s*/?\s*[A-Za-z][A-Za-z0-9-]*(\s[^<>]*)?/?\s*>")


@dataclass(frozen=True)
class Row:
    number: int  # as the officer sees it in the spreadsheet; the header is row 1
    text: str
    source: str = ""
    tags: tuple[str, ...] = ()
    overflow: bool = False  # a CSV row with more cells than the header: an unquoted separator


def text_key(text: str) -> str:
    """The duplicate key: case, spacing and surrounding punctuation ignored; tone marks kept."""
    key = _EDGES.sub("", " ".join(nfc(text).casefold().split()))
    return nfc(key)[:600]  # casefold decomposes a few letters, hence NFC again; 600 = the column


def clean_text(value: str) -> str:
    """NFC, one space between words, no blank lines; single line breaks stay (two-line boards)."""
    text = nfc(value).replace("\r\n", "\n").replace("\r", "\n")
    lines = (_HSPACE.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def clean_line(value: str) -> str:
    return clean_text(value).replace("\n", " ")


def split_tags(*values: str) -> tuple[str, ...]:
    unique: dict[str, str] = {}
    for tag in (t for value in values for t in map(clean_line, _TAG_SPLIT.split(value or "")) if t):
        unique.setdefault(tag.casefold(), tag)  # the first spelling of a repeated tag wins
    return tuple(unique.values())


def _fold_header(value) -> str:
    text = unicodedata.normalize("NFD", str(value or "")).casefold().replace("đ", "d")
    return " ".join("".join(c for c in text if not unicodedata.combining(c)).replace("_", " ").split())


# Reading files


def _columns(header: list) -> dict[str, int]:
    folded = [_fold_header(cell) for cell in header]
    columns = {}
    for field, names in HEADERS.items():
        accepted = {_fold_header(n) for n in names}
        found = [i for i, name in enumerate(folded) if name in accepted]
        if found:
            columns[field] = found[0]
    return columns


def _require_text_column(columns: dict[str, int], name: str) -> None:
    if "text" not in columns:
        raise Invalid(_("%(name)s has no slogan column: the first row must name it with one of: %(headers)s.")
                      % {"name": name, "headers": ", ".join(f"“{h}”" for h in HEADERS["text"])})


def _cell(value) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "" if value is None else str(value)


def _make_row(number: int, cells: list, columns: dict[str, int], width: int | None) -> Row | None:
    cells = [_cell(c) for c in cells]
    text, source, tags = (_at(cells, columns.get(field)) for field in ("text", "source", "tags"))
    if not (text.strip() or source.strip() or tags.strip()):
        return None  # blank, or only other columns filled (a pre-numbered "STT" row of a template)
    overflow = width is not None and any(c.strip() for c in cells[width:])
    return Row(number, clean_text(text), clean_line(source), split_tags(tags), overflow)


def _at(cells: list[str], index: int | None) -> str:
    return cells[index] if index is not None and index < len(cells) else ""


def _collect(records, columns: dict[str, int], width: int | None) -> list[Row]:
    rows = []
    for number, cells in enumerate(records, start=2):
        row = _make_row(number, list(cells), columns, width)
        if row is not None:
            rows.append(row)
        if len(rows) > MAX_ROWS:
            raise Invalid(_("The file has more than %(limit)d slogans; split it into smaller files.")
                          % {"limit": MAX_ROWS})
    return rows


def _decode_csv(data: bytes, name: str) -> str:
    if data.startswith(b"PK\x03\x04"):
        raise Invalid(_("%(name)s is an Excel workbook, not a CSV file; rename it to .xlsx.") % {"name": name})
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise Invalid(_("%(name)s is not UTF-8 text (first unreadable byte on line %(line)d); in Excel use Save As "
                        "“CSV UTF-8 (Comma delimited)”, or import the .xlsx file itself.")
                      % {"name": name, "line": line}) from None
    if "\x00" in text:
        raise Invalid(_("%(name)s is not a text file; export the slogans as CSV UTF-8 or .xlsx.") % {"name": name})
    return text


def _delimiter(header_line: str) -> str:
    """The separator that makes the header name the most known columns.

    Excel writes ';' where the decimal mark is a comma, as in Vietnamese regional settings.
    """
    present = [d for d in ",;\t" if d in header_line]
    if not present:
        return "\x1f"  # one column: commas inside slogans are text, not separators
    known = {d: len(_columns(next(csv.reader([header_line], delimiter=d)))) for d in present}
    return max(present, key=lambda d: (known[d], header_line.count(d)))


def _read_csv(path: Path) -> list[Row]:
    text = _decode_csv(path.read_bytes(), path.name)
    records = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text.split("\n", 1)[0].rstrip("\r")))
    try:
        header = next(records, [])
        _require_text_column(columns := _columns(header), path.name)
        return _collect(records, columns, len(header))
    except csv.Error as exc:
        raise Invalid(_("%(name)s is not a well-formed CSV file (%(why)s).")
                      % {"name": path.name, "why": exc}) from None


def _check_zip(path: Path) -> None:
    if not zipfile.is_zipfile(path):
        raise Invalid(_("%(name)s is not an Excel workbook (.xlsx); it may be damaged, password-protected or "
                        "of another format.") % {"name": path.name})
    with zipfile.ZipFile(path) as archive:
        parts = archive.infolist()
    for part in parts:
        if part.file_size > MAX_XLSX_PART_BYTES:
            raise Invalid(_("%(name)s is refused as unsafe: its part %(part)s unpacks to %(size)d MB; the limit is "
                            "%(limit)d MB. Copy the slogans into a new workbook and import that.")
                          % {"name": path.name, "part": part.filename, "size": part.file_size // MB,
                             "limit": MAX_XLSX_PART_BYTES // MB})
    if len(parts) > MAX_XLSX_PARTS or sum(p.file_size for p in parts) > MAX_XLSX_TOTAL_BYTES:
        raise Invalid(_("%(name)s is refused as unsafe: it unpacks to more than %(limit)d MB or %(parts)d parts. "
                        "Copy the slogans into a new workbook and import that.")
                      % {"name": path.name, "limit": MAX_XLSX_TOTAL_BYTES // MB, "parts": MAX_XLSX_PARTS})


def _read_xlsx(path: Path) -> list[Row]:
    # Imported here, not at the top: it costs ~180 ms, which every `loa` command would pay otherwise.
    import openpyxl

    _check_zip(path)
    workbook = None
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
        return _sheet_rows(workbook, path.name)
    except Invalid:
        raise
    except Exception:  # noqa: BLE001 - openpyxl raises KeyError, ValueError, ParseError… on damaged files
        raise Invalid(_("%(name)s could not be read as an Excel workbook.") % {"name": path.name}) from None
    finally:
        if workbook is not None:
            workbook.close()


def _sheet_rows(workbook, name: str) -> list[Row]:
    if not workbook.worksheets:
        raise Invalid(_("%(name)s has no worksheet.") % {"name": name})
    sheet = workbook.worksheets[0]
    sheet.reset_dimensions()  # files from other tools declare wrong sizes; read every row
    records = sheet.iter_rows(values_only=True)
    _require_text_column(columns := _columns(list(next(records, ()))), name)
    return _collect(records, columns, None)


READERS = {".csv": _read_csv, ".xlsx": _read_xlsx}


def read_rows(path) -> list[Row]:
    """The non-empty rows of a .csv or .xlsx file (its first sheet), columns found by their header."""
    path, limit = Path(path), MAX_FILE_BYTES // MB
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise Invalid(_("Only .csv (UTF-8) and .xlsx files can be imported; %(name)s is neither (save it as .xlsx).")
                      % {"name": path.name})
    if not path.is_file():
        raise Invalid(_("There is no file %(path)s.") % {"path": path})
    if (size := path.stat().st_size) > MAX_FILE_BYTES:
        raise Invalid(_("%(name)s is %(size)d MB; files up to %(limit)d MB can be imported.")
                      % {"name": path.name, "size": -(-size // MB), "limit": limit})
    return reader(path)
