"""`loa channel …`: add, list and check publishing channels."""

from __future__ import annotations

import sys

from django.utils.translation import gettext as _

from bot.channel_config import adapter_for, channel_add, channel_update, channel_usage, get_channel, secret_keys
from bot.cli.org_cmds import print_rows
from bot.errors import Invalid
from bot.models import Channel
from bot.org import get_unit
from channels import registry
from channels.errors import ChannelError


def register(sub) -> None:
    channel = sub.add_parser("channel", help="publishing channels").add_subparsers(dest="action", required=True)
    p = channel.add_parser("add", help="add a channel; prints its id")
    p.add_argument("--unit", required=True, metavar="SLUG")
    p.add_argument("--kind", required=True, help="one of: " + ", ".join(registry.kinds()))
    p.add_argument("--name", required=True)
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", dest="pairs")
    p.set_defaults(handler=cmd_add)
    p = channel.add_parser("list", help="list channels")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_list)
    p = channel.add_parser("set", help="change settings of a channel (e.g. a new token); clears 'needs re-authorisation'")
    p.add_argument("name")
    p.add_argument("--set", action="append", required=True, metavar="KEY=VALUE", dest="pairs")
    p.set_defaults(handler=cmd_set)
    p = channel.add_parser("check", help="ask the platform whether the channel can publish (token, rights, quota)")
    p.add_argument("name")
    p.set_defaults(handler=cmd_check)


def parse_pairs(pairs: list[str]) -> dict[str, str]:
    result = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise Invalid(_("--set expects KEY=VALUE, got %(pair)s.") % {"pair": pair})
        result[key.strip()] = value
    return result


def cmd_add(args) -> int:
    channel = channel_add(unit=get_unit(args.unit), kind=args.kind, name=args.name, pairs=parse_pairs(args.pairs))
    print(channel.pk)
    return 0


def cmd_set(args) -> int:
    channel = channel_update(get_channel(args.name), parse_pairs(args.pairs))
    print(_("Channel %(name)s updated: %(keys)s.") % {"name": channel.name, "keys": ", ".join(sorted(parse_pairs(args.pairs)))},
          file=sys.stderr)
    return 0


def cmd_list(args) -> int:
    rows = [
        {
            "id": c.pk, "name": c.name, "kind": c.kind, "unit": c.unit.slug, "enabled": c.enabled,
            "needs_reauth": c.needs_reauth, "settings": c.settings, "secret_keys": secret_keys(c), **channel_usage(c),
        }
        for c in Channel.objects.select_related("unit")
    ]
    print_rows(rows, args.json, ("name", "kind", "unit", "enabled", "needs_reauth", "sent_this_month"))
    return 0


def cmd_check(args) -> int:
    channel = get_channel(args.name)
    try:
        health = adapter_for(channel).health()
    except ChannelError as exc:
        raise Invalid(_("Channel %(name)s: %(why)s") % {"name": channel.name, "why": exc.message}) from None
    usage = channel_usage(channel)
    quota = ""
    if usage.get("monthly_quota"):
        quota = _(" Broadcasts this month: %(sent)d of %(quota)d.") % {
            "sent": usage["sent_this_month"], "quota": usage["monthly_quota"]}
    if not health.ok:
        raise Invalid(_("Channel %(name)s cannot publish: %(why)s") % {"name": channel.name, "why": health.detail})
    print(_("Channel %(name)s is ready: %(detail)s.%(quota)s") % {"name": channel.name, "detail": health.detail, "quota": quota})
    if channel.needs_reauth:
        print(_("Note: the channel is still flagged for re-authorisation (%(why)s).") % {"why": channel.reauth_reason},
              file=sys.stderr)
    return 0
