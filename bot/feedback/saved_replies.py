"""Saved replies: answers staff reuse, with variables filled in per citizen and unit.

Variables are Vietnamese words without accents, so staff can type them: {ten_cong_dan}, {don_vi},
{duong_day_nong}, {cong_dich_vu}. A unit without its own hotline or portal uses its parent's."""

from __future__ import annotations

import re

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from bot import audit
from bot.access import require
from bot.content.render import nfc
from bot.errors import Invalid, NotFound
from bot.models import Feedback, Role, SavedReply, Unit

VARIABLES = ("ten_cong_dan", "don_vi", "duong_day_nong", "cong_dich_vu")
_VARIABLE_RE = re.compile(r"\{([a-z_]{1,40})\}")
TEXT_LIMIT = 2000  # Zalo's customer-service message limit, the smallest of the three platforms
EDIT_ROLES = {Role.STAFF, Role.APPROVER, Role.ADMIN}


def unknown_variables(template: str) -> list[str]:
    return sorted({name for name in _VARIABLE_RE.findall(template) if name not in VARIABLES})


def fill(template: str, values: dict[str, str]) -> str:
    """The template with its variables replaced; a variable without a value is refused, never sent as "{...}"."""
    missing = sorted({n for n in _VARIABLE_RE.findall(template) if n in VARIABLES and not values.get(n, "").strip()})
    if missing:
        raise Invalid(_("The reply uses %(names)s, which this unit has not filled in (hotline and portal are set "
                        "with `loa unit set`).") % {"names": ", ".join("{%s}" % n for n in missing)})
    return nfc(_VARIABLE_RE.sub(lambda m: values.get(m.group(1), m.group(0)).strip(), template))


def nearest(unit: Unit, field: str) -> str:
    """The unit's own value, else its nearest ancestor's: a ward shares its province's hotline."""
    return next((getattr(u, field) for u in unit.lineage() if getattr(u, field)), "")


def values_for(feedback: Feedback) -> dict[str, str]:
    unit = feedback.channel.unit
    return {"ten_cong_dan": feedback.author_name or "Ông/Bà", "don_vi": unit.name,
            "duong_day_nong": nearest(unit, "hotline"), "cong_dich_vu": nearest(unit, "portal_url")}


def replies_for(unit: Unit):
    """The saved replies a unit's staff may use: their own and their parents'."""
    return SavedReply.objects.filter(unit__in=unit.lineage()).order_by("title")


def get_reply(unit: Unit, title_or_id: str) -> SavedReply:
    replies = replies_for(unit)
    found = replies.filter(pk=int(title_or_id)).first() if title_or_id.isdigit() else None
    found = found or replies.filter(title=nfc(title_or_id).strip()).first()
    if found is None:
        raise NotFound(_("No saved reply %(name)s for unit %(unit)s.") % {"name": title_or_id, "unit": unit.slug})
    return found


def add_reply(unit: Unit, *, title: str, text: str, by) -> SavedReply:
    require(by, unit, EDIT_ROLES, _("add saved replies"))
    title, text = nfc(title).strip(), nfc(text).strip()
    if not title or not text:
        raise Invalid(_("A saved reply needs a title and a text."))
    if len(title) > 120:
        raise Invalid(_("The title has %(n)d characters; at most 120.") % {"n": len(title)})
    if len(text) > TEXT_LIMIT:
        raise Invalid(_("The text has %(n)d characters; at most %(limit)d (Zalo's limit for one message).")
                      % {"n": len(text), "limit": TEXT_LIMIT})
    unknown = unknown_variables(text)
    if unknown:
        raise Invalid(_("Unknown variables %(unknown)s; known: %(known)s.")
                      % {"unknown": ", ".join("{%s}" % n for n in unknown),
                         "known": ", ".join("{%s}" % n for n in VARIABLES)})
    try:
        with transaction.atomic():
            reply = SavedReply.objects.create(unit=unit, title=title, text=text, created_by=by)
    except IntegrityError:
        raise Invalid(_("Unit %(unit)s already has a saved reply titled %(title)s.")
                      % {"unit": unit.slug, "title": title}) from None
    audit.record("saved_reply.add", reply, actor=by, unit=unit, title=title)
    return reply
