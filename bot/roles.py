"""The four roles as Django groups with model permissions, so administrators see in the admin what each
role may do. Loa's own checks read Profile.role (bot.access, bot.web.guard); the groups mirror it, and
`sync_groups` keeps a user in exactly the group of their role."""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission

from bot.models import Role

GROUP_NAMES = {Role.EDITOR: "Biên tập viên", Role.APPROVER: "Lãnh đạo duyệt",
               Role.STAFF: "Cán bộ tiếp nhận phản ánh", Role.ADMIN: "Quản trị"}
# Model permissions per role (app "bot"): what each role's work touches.
PERMISSIONS = {
    Role.EDITOR: ["add_post", "change_post", "view_post", "view_delivery", "view_slogan", "add_slogan", "view_series",
                  "add_series", "view_channel", "view_feedback"],
    Role.APPROVER: ["view_post", "change_post", "view_delivery", "change_delivery", "view_slogan", "view_series",
                    "change_series", "view_channel", "view_feedback", "change_feedback", "view_savedreply"],
    Role.STAFF: ["view_feedback", "change_feedback", "view_savedreply", "add_savedreply", "change_savedreply",
                 "view_post", "view_channel"],
    Role.ADMIN: None,  # every permission of the app
}


def ensure_groups(**_kwargs) -> None:
    """Create or update the four groups (run after every migrate)."""
    app_perms = Permission.objects.filter(content_type__app_label="bot")
    for role, name in GROUP_NAMES.items():
        group, _created = Group.objects.get_or_create(name=name)
        codenames = PERMISSIONS[role]
        group.permissions.set(app_perms if codenames is None else app_perms.filter(codename__in=codenames))


def sync_groups(profile) -> None:
    ours = Group.objects.filter(name__in=GROUP_NAMES.values())
    profile.user.groups.remove(*ours.exclude(name=GROUP_NAMES[profile.role]))
    group = ours.filter(name=GROUP_NAMES[profile.role]).first()
    if group is not None:
        profile.user.groups.add(group)
