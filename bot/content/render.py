"""Render a post into the message one channel receives, from templates/posts/<kind>/<channel kind>.*

A `.html` template produces Telegram's HTML subset (Django's autoescaping escapes the officer's
text); a `.txt` template produces plain text. The first template found wins:
<kind>/<channel kind>.html, <kind>/<channel kind>.txt, <kind>/default.txt, default.txt.
"""

from __future__ import annotations

import re
import unicodedata

from django.template.loader import select_template
from django.utils.translation import gettext as _

from channels.base import Adapter, Message
from channels.errors import BadContent

SUMMARY_MAX = 300  # Zalo article descriptions stop at 300 characters


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text or "")


def template_names(kind: str, channel_kind: str) -> list[str]:
    return [f"posts/{kind}/{channel_kind}.html", f"posts/{kind}/{channel_kind}.txt",
            f"posts/{kind}/default.txt", "posts/default.txt"]


def tidy(text: str) -> str:
    """Templates leave stray spaces and blank lines around their tags; readers should not see them."""
    lines = [line.rstrip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def render_text(post, channel_kind: str) -> tuple[str, str]:
    """(text, "html" | "plain") for this channel kind."""
    template = select_template(template_names(post.kind, channel_kind))
    text_format = "html" if template.origin.template_name.endswith(".html") else "plain"
    text = template.render({"post": post, "unit": post.unit, "fields": post.fields})
    return tidy(nfc(text)), text_format


def cut(text: str, limit: int) -> str:
    """At most `limit` characters, cut on a word boundary, with an ellipsis when cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    head = text[: limit - 1].rsplit(" ", 1)[0]
    return head + "…"


def summary(post) -> str:
    """A short description (Zalo's article description): what a citizen sees before opening it."""
    fields = post.fields or {}
    if post.kind == "slogan":
        source = fields.get("text") or post.body
    elif post.kind == "bulletin" and fields.get("sections"):
        source = fields["sections"][0]["body"]
    elif post.kind == "guide" and fields.get("service"):
        source = f"{fields['service']}: {fields['steps'][0]}"
    else:
        source = post.body
    return cut(nfc(source), SUMMARY_MAX)


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


def render_message(post, channel, adapter_cls: type[Adapter], marker: str, images=()) -> Message:
    text, text_format = render_text(post, channel.kind)
    message = Message(marker=marker, text=text, title=nfc(post.title), kind=post.kind, text_format=text_format,
                      summary=summary(post), images=tuple(images))
    check_message(message, adapter_cls, channel.name)
    return message
