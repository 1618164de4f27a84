"""Channels as configured by administrators: validated settings, encrypted secrets, live adapters."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings as django_settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bot import audit
from bot.credential_store import ChannelCredentialStore
from bot.crypto import decrypt_json, encrypt_json
from bot.errors import Invalid, NotFound
from bot.publishing import states
from bot.models import Channel, Unit
from channels import registry
from channels.base import Adapter, ChannelConfig

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


def refuse_unknown(kind_cls: type[Adapter], pairs: dict[str, str]) -> set[str]:
    """Refuse keys the kind does not have; returns the keys it has."""
    known = {s.key for s in kind_cls.settings_schema}
    unknown = sorted(set(pairs) - known)
    if unknown:
        raise Invalid(
            _("Channel kind %(kind)s has no setting %(key)s; its settings are: %(known)s.")
            % {"kind": kind_cls.kind, "key": unknown[0], "known": ", ".join(sorted(known)) or "-"}
        )
    return known


def split_settings(kind_cls: type[Adapter], pairs: dict[str, str]) -> tuple[dict, dict]:
    """Check keys against the kind's schema and split them into plain settings and secrets."""
    refuse_unknown(kind_cls, pairs)
    missing = [s.key for s in kind_cls.settings_schema if s.required and not pairs.get(s.key, "").strip()]
    if missing:
        raise Invalid(
            _("Channel kind %(kind)s needs the setting %(key)s (--set %(key)s=...).")
            % {"kind": kind_cls.kind, "key": missing[0]}
        )
    plain = {k: v for k, v in pairs.items() if not kind_cls.setting(k).secret}
    secret = {k: v for k, v in pairs.items() if kind_cls.setting(k).secret}
    if "path" in plain:
        # Relative folders are anchored in the data dir, so workers started elsewhere agree.
        plain["path"] = str((django_settings.LOA.data_dir / Path(plain["path"]).expanduser()).resolve())
    return plain, secret


def channel_add(*, unit: Unit, kind: str, name: str, pairs: dict[str, str], actor=None) -> Channel:
    try:
        kind_cls = registry.adapter_class(kind)
    except registry.UnknownKind:
        raise Invalid(
            _("Unknown channel kind %(kind)s; known kinds: %(kinds)s.") % {"kind": kind, "kinds": ", ".join(registry.kinds())}
        ) from None
    if not NAME_RE.match(name):
        raise Invalid(
            _("Channel name %(name)s is not valid: use lower-case letters, digits and hyphens (it appears in URLs).")
            % {"name": name}
        )
    if Channel.objects.filter(name=name).exists():
        raise Invalid(_("A channel named %(name)s already exists.") % {"name": name})
    plain, secret = split_settings(kind_cls, pairs)
    with transaction.atomic():
        channel = Channel.objects.create(
            unit=unit, kind=kind, name=name, settings=plain, secrets_encrypted=encrypt_json(secret)
        )
        audit.record("channel.add", channel, actor=actor, unit=unit, kind=kind, settings=sorted(pairs))
    return channel


def channel_update(channel: Channel, pairs: dict[str, str], *, actor=None) -> Channel:
    """Change some settings (a new token after re-authorisation, say); clears the re-authorisation flag."""
    kind_cls = registry.adapter_class(channel.kind)
    known = refuse_unknown(kind_cls, pairs)
    with transaction.atomic():
        channel = Channel.objects.select_for_update().get(pk=channel.pk)
        merged = {**channel.settings, **decrypt_json(channel.secrets_encrypted), **pairs}
        plain, secret = split_settings(kind_cls, {k: v for k, v in merged.items() if k in known})
        channel.settings, channel.secrets_encrypted = plain, encrypt_json(secret)
        channel.needs_reauth, channel.reauth_reason = False, ""
        channel.save(update_fields=["settings", "secrets_encrypted", "needs_reauth", "reauth_reason"])
        audit.record("channel.update", channel, actor=actor, unit=channel.unit, settings=sorted(pairs))
    return channel


def secret_keys(channel: Channel) -> list[str]:
    return sorted(decrypt_json(channel.secrets_encrypted))


def config_for(channel: Channel) -> ChannelConfig:
    return ChannelConfig(
        name=channel.name, settings=dict(channel.settings), secrets=decrypt_json(channel.secrets_encrypted),
        store=ChannelCredentialStore(channel.pk),
    )


def adapter_for(channel: Channel) -> Adapter:
    return registry.adapter_class(channel.kind)(config_for(channel))


def get_channel(name: str) -> Channel:
    try:
        return Channel.objects.select_related("unit").get(name=name)
    except Channel.DoesNotExist:
        raise NotFound(_("Unknown channel %(name)s.") % {"name": name}) from None


def channel_usage(channel: Channel) -> dict:
    """Deliveries sent on this channel this month (Vietnam time), and the monthly quota when the
    channel has one (a Zalo OA's broadcast quota depends on its package: set monthly_broadcasts)."""
    start = timezone.localtime().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    sent = channel.deliveries.filter(state=states.SENT, sent_at__gte=start).count()
    quota = channel.settings.get("monthly_broadcasts")
    return {"sent_this_month": sent, "monthly_quota": int(quota) if str(quota or "").isdigit() else None}
