"""Who may do what where: roles and unit scope. Shared by the CLI, the services and the web."""

from django.utils.translation import gettext as _

from bot.errors import Forbidden
from bot.models import Profile, Role, Unit

AUTHOR_ROLES = {Role.EDITOR, Role.APPROVER}
APPROVER_ROLES = {Role.APPROVER}


def profile_of(user) -> Profile:
    try:
        return user.loa_profile
    except Profile.DoesNotExist:
        raise Forbidden(_("User %(user)s has no role in any unit.") % {"user": user.get_username()}) from None


def in_scope(user, unit: Unit) -> bool:
    """A user works in their own unit and every unit below it."""
    return unit.is_within(profile_of(user).unit)


def require(user, unit: Unit, roles: set, action: str) -> Profile:
    profile = profile_of(user)
    if profile.role not in roles:
        raise Forbidden(
            _("User %(user)s (%(role)s) may not %(action)s.")
            % {"user": user.get_username(), "role": profile.get_role_display(), "action": action}
        )
    if not unit.is_within(profile.unit):
        raise Forbidden(
            _("User %(user)s belongs to unit %(own)s and may not act for unit %(unit)s.")
            % {"user": user.get_username(), "own": profile.unit.slug, "unit": unit.slug}
        )
    return profile


def units_below(unit: Unit) -> list[int]:
    """The ids of a unit and every unit below it (at most three levels: province, district, ward)."""
    ids, frontier = [unit.pk], [unit.pk]
    while frontier:
        frontier = list(Unit.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
        ids.extend(frontier)
    return ids


def scope_of(user) -> list[int]:
    """The ids of the units a user works in."""
    return units_below(profile_of(user).unit)
