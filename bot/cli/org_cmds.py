"""`loa migrate`, `loa unit …`, `loa user …`."""

from __future__ import annotations

import json
import sys

from django.core.management import call_command
from django.utils.translation import gettext as _

from bot.models import Role, Unit
from bot.org import get_unit, unit_add, unit_update, user_add


def register(sub) -> None:
    p = sub.add_parser("migrate", help="create or update the database tables")
    p.set_defaults(handler=cmd_migrate)

    unit = sub.add_parser("unit", help="administrative units").add_subparsers(dest="action", required=True)
    p = unit.add_parser("add", help="add a unit")
    p.add_argument("slug")
    p.add_argument("--name", required=True)
    p.add_argument("--parent", metavar="SLUG")
    p.add_argument("--primary-color", metavar="#RRGGBB", help="the unit's colour on its image cards")
    p.add_argument("--accent-color", metavar="#RRGGBB")
    p.set_defaults(handler=cmd_unit_add)
    p = unit.add_parser("set", help="change a unit's hotline, reception address, portal or retention")
    p.add_argument("slug")
    p.add_argument("--hotline")
    p.add_argument("--reception-address", help="where complaints and denunciations are received")
    p.add_argument("--portal", help="the public service portal citizens are sent to")
    p.add_argument("--retention-days", type=int, help="days before citizens' data in feedback is anonymised")
    p.add_argument("--complaint-template-file", metavar="FILE",
                   help="the answer to complaints, with {unit}, {address}, {hotline}")
    p.set_defaults(handler=cmd_unit_set)
    p = unit.add_parser("list", help="list units")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_unit_list)

    user = sub.add_parser("user", help="users and roles").add_subparsers(dest="action", required=True)
    p = user.add_parser("add", help="add a user (password from stdin, or generated and printed)")
    p.add_argument("username")
    p.add_argument("--role", required=True, choices=Role.values)
    p.add_argument("--unit", required=True, metavar="SLUG")
    p.set_defaults(handler=cmd_user_add)


def cmd_migrate(args) -> int:
    call_command("migrate", interactive=False, verbosity=1)
    return 0


def cmd_unit_add(args) -> int:
    unit = unit_add(slug=args.slug, name=args.name, parent_slug=args.parent,
                    primary=args.primary_color, accent=args.accent_color)
    print(unit.pk)
    return 0


def cmd_unit_set(args) -> int:
    template = None
    if args.complaint_template_file:
        with open(args.complaint_template_file, encoding="utf-8") as fh:
            template = fh.read()
    unit = unit_update(get_unit(args.slug), hotline=args.hotline, reception_address=args.reception_address,
                       portal_url=args.portal, retention_days=args.retention_days, complaint_template=template)
    print(unit.slug)
    return 0


def cmd_unit_list(args) -> int:
    rows = [
        {"id": u.pk, "slug": u.slug, "name": u.name, "parent": u.parent.slug if u.parent else None,
         "hotline": u.hotline, "reception_address": u.reception_address, "portal": u.portal_url,
         "retention_days": u.feedback_retention_days}
        for u in Unit.objects.select_related("parent")
    ]
    print_rows(rows, args.json, ("slug", "name", "parent"))
    return 0


def _read_password() -> str | None:
    if sys.stdin is None or sys.stdin.isatty():
        return None
    return sys.stdin.readline().rstrip("\r\n") or None


def cmd_user_add(args) -> int:
    user, generated = user_add(username=args.username, role=args.role, unit_slug=args.unit, password=_read_password())
    print(user.pk)
    if generated:
        print(_("Generated password for %(name)s: %(password)s") % {"name": user.username, "password": generated})
    return 0


def print_rows(rows: list[dict], as_json: bool, columns: tuple[str, ...]) -> None:
    if as_json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        print("\t".join(str(row[c]) if row[c] is not None else "-" for c in columns))
