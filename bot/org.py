"""Units and users: the organisation Loa works for."""

from __future__ import annotations

import re
import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from bot import audit
from bot.content.cards import hex_colour
from bot.content.render import nfc
from bot.errors import Invalid, NotFound
from bot.models import MAX_UNIT_DEPTH, Profile, Role, Unit

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
USERNAME_RE = re.compile(r"^[A-Za-z0-9._@+-]{1,150}$")


def get_unit(slug: str) -> Unit:
    try:
        return Unit.objects.select_related("parent").get(slug=slug)
    except Unit.DoesNotExist:
        raise NotFound(_("Unknown unit %(slug)s.") % {"slug": slug}) from None


def get_user(username: str):
    try:
        return get_user_model().objects.select_related("loa_profile__unit").get(username=username)
    except get_user_model().DoesNotExist:
        raise NotFound(_("Unknown user %(name)s.") % {"name": username}) from None


def _colour(value: str | None, default: str) -> str:
    if not value:
        return default
    try:
        return hex_colour(value, "")
    except ValueError:
        raise Invalid(_("The colour %(value)s is not a hex colour like #b3261e.") % {"value": value}) from None


def unit_add(*, slug: str, name: str, parent_slug: str | None = None, primary: str | None = None,
             accent: str | None = None, actor=None) -> Unit:
    name = nfc(name).strip()
    primary = _colour(primary, Unit._meta.get_field("primary_color").default)
    accent = _colour(accent, Unit._meta.get_field("accent_color").default)
    if not SLUG_RE.match(slug):
        raise Invalid(_("Unit code %(slug)s is not valid: use lower-case letters, digits and hyphens.") % {"slug": slug})
    if not name:
        raise Invalid(_("The unit needs a name."))
    parent = get_unit(parent_slug) if parent_slug else None
    if parent is not None and len(parent.lineage()) >= MAX_UNIT_DEPTH:
        raise Invalid(
            _("Unit %(parent)s is already at the lowest level (province, district, ward); it cannot have sub-units.")
            % {"parent": parent.slug}
        )
    if Unit.objects.filter(slug=slug).exists():
        raise Invalid(_("A unit with code %(slug)s already exists.") % {"slug": slug})
    with transaction.atomic():
        unit = Unit.objects.create(slug=slug, name=name, parent=parent, primary_color=primary, accent_color=accent)
        audit.record("unit.add", unit, actor=actor, unit=unit, name=name, parent=parent_slug or "")
    return unit


def user_add(*, username: str, role: str, unit_slug: str, password: str | None = None, actor=None):
    """Create a user with a role in a unit. Returns (user, generated password or None)."""
    if not USERNAME_RE.match(username):
        raise Invalid(_("User name %(name)s is not valid: use letters, digits and . _ @ + -.") % {"name": username})
    if role not in Role.values:
        raise Invalid(_("Unknown role %(role)s; roles: %(roles)s.") % {"role": role, "roles": ", ".join(Role.values)})
    unit = get_unit(unit_slug)
    User = get_user_model()
    if User.objects.filter(username=username).exists():
        raise Invalid(_("A user named %(name)s already exists.") % {"name": username})
    generated = None
    if not password:
        password = generated = secrets.token_urlsafe(12)
    try:
        validate_password(password, User(username=username))
    except ValidationError as exc:
        raise Invalid(_("The password is too weak: %(why)s") % {"why": " ".join(exc.messages)}) from None
    with transaction.atomic():
        is_admin = role == Role.ADMIN
        user = User.objects.create_user(username=username, password=password, is_staff=is_admin, is_superuser=is_admin)
        Profile.objects.create(user=user, unit=unit, role=role)
        audit.record("user.add", user, actor=actor, unit=unit, role=role)
    return user, generated


PHONE_RE = re.compile(r"^[0-9 .()+-]{3,40}$")


def unit_update(unit: Unit, *, hotline=None, reception_address=None, portal_url=None, retention_days=None,
                complaint_template=None, actor=None) -> Unit:
    """Change what citizens are told about a unit (hotline, reception address, portal) and its retention."""
    from django.core.validators import URLValidator  # noqa: PLC0415

    from bot.feedback.classify import complaint_answer  # noqa: PLC0415 - org is imported by the classifier's users

    changes = {}
    if hotline is not None:
        hotline = nfc(hotline).strip()
        if hotline and not PHONE_RE.match(hotline):
            raise Invalid(_("Hotline %(value)s is not a phone number.") % {"value": hotline})
        changes["hotline"] = hotline
    if reception_address is not None:
        changes["reception_address"] = nfc(reception_address).strip()[:300]
    if portal_url is not None:
        portal_url = portal_url.strip()
        try:
            if portal_url:
                URLValidator(schemes=["https", "http"])(portal_url)
        except ValidationError:
            raise Invalid(_("Portal address %(value)s is not a web address.") % {"value": portal_url}) from None
        changes["portal_url"] = portal_url
    if retention_days is not None:
        if not 30 <= retention_days <= 3650:
            raise Invalid(_("Retention must be between 30 and 3,650 days."))
        changes["feedback_retention_days"] = retention_days
    if complaint_template is not None:
        template = nfc(complaint_template).strip()
        if template and "{address}" not in template:
            raise Invalid(_("The complaint answer must name the reception address: put {address} in it."))
        if len(complaint_answer(unit.name, "x" * 300, "x" * 40, template)) > 2000:
            raise Invalid(_("The complaint answer would be longer than 2,000 characters, Zalo's limit for one message."))
        changes["complaint_template"] = template
    if changes:
        Unit.objects.filter(pk=unit.pk).update(**changes)
        audit.record("unit.update", unit, actor=actor, unit=unit, fields=sorted(changes))
        unit.refresh_from_db()
    return unit
