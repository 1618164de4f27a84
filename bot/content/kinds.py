"""The three kinds of content and their structured fields, validated into clean, NFC dicts.

slogan:   {"text", "source", "tags": [...]}
bulletin: {"issue", "month": "YYYY-MM", "sections": [{"title", "body", "link"}]}
guide:    {"service", "portal_url", "level", "steps": [...], "documents": [...], "fees",
           "processing_time", "help"}
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from django.utils.translation import gettext as _

from bot.content import limits as L
from bot.content.render import nfc
from bot.errors import Invalid

MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
GUIDE_LEVELS = {"toàn trình": "toàn trình", "một phần": "một phần", "full": "toàn trình", "partial": "một phần",
                "4": "toàn trình", "3": "một phần"}


def _text(fields: dict, key: str, label: str, limit: int, required: bool = False) -> str:
    value = fields.get(key, "")
    if not isinstance(value, (str, int)):
        raise Invalid(_("%(field)s must be text.") % {"field": label})
    value = nfc(str(value)).strip()
    if required and not value:
        raise Invalid(_("%(field)s is required.") % {"field": label})
    if len(value) > limit:
        raise Invalid(_("%(field)s is %(n)d characters; the limit is %(max)d.") % {"field": label, "n": len(value), "max": limit})
    return value


def _list(fields: dict, key: str, label: str, limit: int, item_limit: int, required: bool = False) -> list[str]:
    raw = fields.get(key) or []
    if isinstance(raw, str):
        raw = [line for line in raw.splitlines()]
    if not isinstance(raw, list):
        raise Invalid(_("%(field)s must be a list.") % {"field": label})
    items = [_text({"v": item}, "v", label, item_limit) for item in raw]
    items = [item for item in items if item]
    if required and not items:
        raise Invalid(_("%(field)s needs at least one entry.") % {"field": label})
    if len(items) > limit:
        raise Invalid(_("%(field)s has %(n)d entries; the limit is %(max)d.") % {"field": label, "n": len(items), "max": limit})
    return items


def _url(value: str, label: str) -> str:
    parts = urlsplit(value)
    if value and (parts.scheme not in ("http", "https") or not parts.netloc):
        raise Invalid(_("%(field)s must be a web address starting with https://.") % {"field": label})
    return value


def clean_slogan(fields: dict) -> dict:
    return {
        "text": _text(fields, "text", _("The slogan"), L.SLOGAN_TEXT_MAX),
        "source": _text(fields, "source", _("The source document"), L.SLOGAN_SOURCE_MAX),
        "tags": _list(fields, "tags", _("Tags"), L.TAGS_MAX, L.TAG_MAX),
    }


def _section(raw: Any, number: int) -> dict:
    if not isinstance(raw, dict):
        raise Invalid(_("Section %(n)d must have a title and a body.") % {"n": number})
    label = _("Section %(n)d") % {"n": number}
    return {
        "title": _text(raw, "title", label, L.SECTION_TITLE_MAX, required=True),
        "body": _text(raw, "body", label, L.SECTION_BODY_MAX, required=True),
        "link": _url(_text(raw, "link", label, 500), label),
    }


def clean_bulletin(fields: dict) -> dict:
    month = _text(fields, "month", _("The month"), 7, required=True)
    if not MONTH_RE.match(month):
        raise Invalid(_("The month must be written YYYY-MM, e.g. 2026-12."))
    sections = fields.get("sections") or []
    if not isinstance(sections, list) or not sections:
        raise Invalid(_("A bulletin needs at least one section."))
    if len(sections) > L.BULLETIN_SECTIONS_MAX:
        raise Invalid(_("A bulletin has at most %(max)d sections.") % {"max": L.BULLETIN_SECTIONS_MAX})
    return {
        "issue": _text(fields, "issue", _("The issue number"), 20),
        "month": month,
        "sections": [_section(s, n) for n, s in enumerate(sections, start=1)],
    }


def clean_guide(fields: dict) -> dict:
    level = _text(fields, "level", _("The service level"), 20)
    if level and level.lower() not in GUIDE_LEVELS:
        raise Invalid(_("The service level must be 'toàn trình' or 'một phần'."))
    return {
        "service": _text(fields, "service", _("The service name"), L.GUIDE_SERVICE_MAX, required=True),
        "portal_url": _url(_text(fields, "portal_url", _("The portal address"), 500), _("The portal address")),
        "level": GUIDE_LEVELS.get(level.lower(), "") if level else "",
        "steps": _list(fields, "steps", _("The steps"), L.GUIDE_STEPS_MAX, L.GUIDE_STEP_MAX, required=True),
        "documents": _list(fields, "documents", _("The documents needed"), L.GUIDE_ITEMS_MAX, L.GUIDE_ITEM_MAX),
        "fees": _text(fields, "fees", _("The fees"), 300),
        "processing_time": _text(fields, "processing_time", _("The processing time"), 200),
        "help": _text(fields, "help", _("Where to get help"), 500),
    }


CLEANERS = {"slogan": clean_slogan, "bulletin": clean_bulletin, "guide": clean_guide}


def clean_fields(kind: str, fields: dict | None) -> dict:
    """Validated fields for the kind; {} when the post carries only a title and a body."""
    if not fields:
        return {}
    if not isinstance(fields, dict):
        raise Invalid(_("The structured fields must be a JSON object."))
    return CLEANERS[kind](fields)
