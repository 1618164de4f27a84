"""Citizens' personal identifiers in feedback text — phone numbers, citizen ID numbers, e-mail — found and masked.

Pure: no Django, no database. Offsets refer to the text as given (not re-normalised), so that masking
leaves every other character exactly as it was; identifiers are ASCII, so NFC or NFD makes no difference.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.feedback.classify import fold

PHONE, CITIZEN_ID, EMAIL = "phone", "citizen_id", "email"

# A number is not a piece of a longer one: no digit (or digit and separator) right before or after it.
# Letters may touch it ("sđt0912345678"): dossier codes are excluded by their digit counts and context.
_BEFORE = r"(?<![0-9+])(?<![0-9][.\-/])"
_AFTER = r"(?![0-9])(?![.\-/][0-9])"
_SEP = r"(?:[ .\-]|\)\s?)?"  # one separator between digits: "0912 345 678", "0912.345.678", "(028) 3829..."
_COUNTRY = r"(?:\(?\+84\)?|84)[ .\-]?"
# Mobiles: 0 or +84/84, then 3/5/7/8/9 and 8 more digits (10 digits nationally).
_MOBILE = rf"(?:{_COUNTRY}|\(?0)[35789](?:{_SEP}[0-9]){{8}}"
# Landlines: 02x area codes, 10 or 11 digits nationally (0236 3822 123, 028 3829 1234).
_LANDLINE = rf"(?:{_COUNTRY}|\(?0)2(?:{_SEP}[0-9]){{8,9}}"
PHONE_RE = re.compile(rf"{_BEFORE}(?:{_MOBILE}|{_LANDLINE}){_AFTER}")
# CCCD: 12 digits, the first three a province code 001-096; written whole or in even groups (079 123 456 789,
# 0791 2345 6789) — loose separators would read "0912 345 678 12h" as one.
CCCD_RE = re.compile(rf"{_BEFORE}(?:0[0-9]{{11}}|0[0-9]{{2}}([ .\-])[0-9]{{3}}\1[0-9]{{3}}\1[0-9]{{3}}"
                     rf"|0[0-9]{{3}}([ .\-])[0-9]{{4}}\2[0-9]{{4}}){_AFTER}")
# The old CMND has 9 digits, too common a shape to mask without the words that announce it.
CMND_RE = re.compile(rf"{_BEFORE}[0-9](?:[ .\-]?[0-9]){{8}}{_AFTER}")
EMAIL_RE = re.compile(r"(?<![\w.%+\-])[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}(?![\w\-])")

# Looked for in the ~40 characters before a number, folded (accents off, lower case).
_ID_WORDS_RE = re.compile(
    r"\b(cmnd|cmt|cccd|can cuoc|chung minh( nhan dan| thu)?|dinh danh)[^0-9]{0,20}$")
# A number announced as a dossier, receipt, decision or tax code is not a person's identifier.
_NOT_PERSONAL_RE = re.compile(
    r"\b(ma so thue|mst|ma ho so|so ho so|ma hs|so bien nhan|ma bien nhan|so quyet dinh|so van ban)[^0-9]{0,15}$")
_DATE_RE = re.compile(r"(^|[^0-9])[0-3]?[0-9][.\-/][01]?[0-9][.\-/](19|20)[0-9]{2}([^0-9]|$)")


@dataclass(frozen=True)
class Match:
    kind: str
    start: int
    end: int
    value: str  # the text as written, separators included


def _before(text: str, start: int) -> str:
    return fold(text[max(0, start - 40):start])


def digits(value: str) -> str:
    return re.sub(r"[^0-9]", "", value)


def _province_code(value: str) -> bool:
    return 1 <= int(digits(value)[:3]) <= 96


def _candidates(text: str) -> list[Match]:
    found = [Match(EMAIL, m.start(), m.end(), m.group()) for m in EMAIL_RE.finditer(text)]
    found += [Match(PHONE, m.start(), m.end(), m.group()) for m in PHONE_RE.finditer(text)]
    found += [Match(CITIZEN_ID, m.start(), m.end(), m.group()) for m in CCCD_RE.finditer(text)
              if _province_code(m.group()) or _ID_WORDS_RE.search(_before(text, m.start()))]
    found += [Match(CITIZEN_ID, m.start(), m.end(), m.group()) for m in CMND_RE.finditer(text)
              if _ID_WORDS_RE.search(_before(text, m.start()))]
    return found


def _plausible(text: str, match: Match) -> bool:
    """Dates written with dots ("03.05.2024 12") and numbers announced as dossier or tax codes are not ids."""
    if match.kind == EMAIL:
        return True
    return not _DATE_RE.search(match.value) and not _NOT_PERSONAL_RE.search(_before(text, match.start))


def find_identifiers(text: str) -> list[Match]:
    """Phone numbers, citizen ID numbers and e-mail addresses in the text, in order, never overlapping."""
    text = text or ""
    kept: list[Match] = []
    # Where two overlap ("0912345678@gmail.com"), the one starting first wins, then the longer.
    for match in sorted(_candidates(text), key=lambda m: (m.start, -(m.end - m.start))):
        if _plausible(text, match) and (not kept or match.start >= kept[-1].end):
            kept.append(match)
    return kept


def _national(value: str) -> str:
    number = digits(value)
    # +84 912 345 678 and 0912 345 678 are the same number; the hint is shown in the national form.
    return "0" + number[2:] if number.startswith("84") and not value.lstrip("( ").startswith("0") else number


def masked(match: Match) -> str:
    """The hint left in place of an identifier: 091*****678, 0790********, n***@gmail.com."""
    if match.kind == EMAIL:
        local, _, domain = match.value.partition("@")
        return f"{local[0]}***@{domain}"
    if match.kind == PHONE:
        number = _national(match.value)
        return f"{number[:3]}*****{number[-3:]}"
    number = digits(match.value)
    keep = 4 if len(number) == 12 else 3
    return number[:keep] + "*" * (len(number) - keep)


def mask(text: str) -> str:
    """The text with every identifier replaced by its hint; everything else unchanged."""
    text = text or ""
    found = find_identifiers(text)
    parts, position = [], 0
    for match in found:
        parts += [text[position:match.start], masked(match)]
        position = match.end
    result = "".join(parts) + text[position:]
    # The same number may also sit where it is not recognised (glued to other digits): hide it there too.
    for value in {m.value for m in found}:
        result = result.replace(value, "*" * len(value))
    return result


def mask_for(text: str, can_see: bool) -> str:
    """The text for a reader: as written for those allowed to see identifiers, masked for everyone else."""
    return text if can_see else mask(text)
