"""Render a post into the message one channel receives, from templates/posts/<kind>/<channel kind>.txt."""

from __future__ import annotations

import unicodedata

from django.template.loader import select_template
from django.utils.translation import gettext as _

from channels.base import Adapter, Message
from channels.errors import BadContent


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text or "")


def template_names(kind: str, channel_kind: str) -> list[str]:
    return [f"posts/{kind}/{channel_kind}.txt", f"posts/{kind}/default.txt", "posts/default.txt"]


def render_text(post, channel_kind: str) -> str:
    template = select_template(template_names(post.kind, channel_kind))
    text = template.render({"post": post, "unit": post.unit, "fields": post.fields})
    return nfc(text).strip()


def check_limits(text: str, adapter_cls: type[Adapter], channel_name: str) -> None:
    limit = adapter_cls.limits.text_chars
    if limit is not None and len(text) > limit:
        raise BadContent(
            _("The text for channel %(channel)s is %(length)d characters; the limit is %(limit)d (%(excess)d too many).")
            % {"channel": channel_name, "length": len(text), "limit": limit, "excess": len(text) - limit}
        )


def check_message(message: Message, adapter_cls: type[Adapter], channel_name: str) -> None:
    """Our own length check (in the officer's language), then the platform's finer rules."""
    check_limits(message.text, adapter_cls, channel_name)
    try:
        adapter_cls.check(message)
    except BadContent as exc:
        raise BadContent(_("Channel %(channel)s: %(why)s") % {"channel": channel_name, "why": exc.message}) from None


def render_message(post, channel, adapter_cls: type[Adapter], marker: str) -> Message:
    message = Message(marker=marker, text=render_text(post, channel.kind), title=nfc(post.title), kind=post.kind)
    check_message(message, adapter_cls, channel.name)
    return message
