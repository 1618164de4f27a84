"""What every back-office page needs: the navigation the user's role uses, and the channels of their
units that need re-authorisation (a banner on every page until fixed)."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from bot.access import scope_of
from bot.models import Channel, Profile
from bot.web.guard import allowed

NAV = [
    ("dashboard", "/", _("Overview")),
    ("posts", "/posts/", _("Posts")),
    ("approvals", "/approvals/", _("Approvals")),
    ("calendar", "/calendar/", _("Calendar")),
    ("inbox", "/inbox/", _("Feedback inbox")),
    ("reports", "/reports/", _("Reports")),
]
GUIDES = {"zalo": "docs/channels/zalo.md", "facebook": "docs/channels/facebook.md",
          "telegram": "docs/channels/telegram.md"}


def back_office(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    try:
        profile = user.loa_profile
    except Profile.DoesNotExist:
        return {"nav": []}
    items = [(name, url, label) for name, url, label in NAV if allowed(profile, name)]
    if settings.SANDBOX_URL:
        items.append(("sandbox", "/sandbox/", _("Sandbox")))
    path = request.path
    nav = [(url, label, path == url or (url != "/" and path.startswith(url))) for _name, url, label in items]
    reauth = [(c, GUIDES.get(c.kind, "")) for c in
              Channel.objects.filter(unit__in=scope_of(user), needs_reauth=True).order_by("name")]
    return {"nav": nav, "profile": profile, "reauth_channels": reauth, "demo": bool(settings.SANDBOX_URL)}
