"""Who may open which back-office page, and the unit scope every query is cut to.

One table, `PAGES`, says which roles use a page; `page(name)` enforces it on the view, and the access
matrix test (tests/web/test_access_matrix.py) reads nothing from here: it states the expectations itself.
An object of a unit outside the user's scope is a 404, so its existence is not revealed."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _

from bot.access import scope_of
from bot.models import Profile, Role

EVERYONE = frozenset(Role.values)
PAGES: dict[str, frozenset[str]] = {
    "dashboard": EVERYONE,
    "posts": frozenset({Role.EDITOR, Role.APPROVER, Role.ADMIN}),
    "compose": frozenset({Role.EDITOR, Role.APPROVER}),
    "approvals": frozenset({Role.APPROVER, Role.ADMIN}),
    "calendar": frozenset({Role.EDITOR, Role.APPROVER, Role.ADMIN}),
    "inbox": frozenset({Role.STAFF, Role.APPROVER, Role.EDITOR, Role.ADMIN}),
    "reports": EVERYONE,
    "sandbox": EVERYONE,
}


def forbidden(request, message: str):
    return render(request, "web/403.html", {"message": message}, status=403)


def page(name: str):
    """Login, a profile, and a role that uses page `name`; sets request.profile and request.scope."""
    roles = PAGES[name]

    def decorate(view):
        @wraps(view)
        def guarded(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            try:
                profile = request.user.loa_profile
            except Profile.DoesNotExist:
                return forbidden(request, _("Your account has no role in any unit yet; ask an administrator."))
            if profile.role not in roles:
                return forbidden(request, _("This page is not part of the work of a %(role)s.")
                                 % {"role": profile.get_role_display()})
            request.profile = profile
            request.scope = scope_of(request.user)
            return view(request, *args, **kwargs)

        guarded.page_name = name
        return guarded

    return decorate


def allowed(profile: Profile | None, name: str) -> bool:
    return profile is not None and profile.role in PAGES[name]


def in_scope(request, queryset, unit_field: str, **lookup):
    """The one object of `queryset` matching `lookup` inside the user's units, else 404."""
    found = queryset.filter(**{f"{unit_field}__in": request.scope}, **lookup).first()
    if found is None:
        raise Http404
    return found


def scoped(request, queryset, unit_field: str):
    return queryset.filter(**{f"{unit_field}__in": request.scope})
