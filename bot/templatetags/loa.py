"""Template filters for post texts: hashtags from Vietnamese tags, months in Vietnamese."""

import re

from django import template

register = template.Library()


@register.filter
def hashtag(tag: str) -> str:
    """'cải cách hành chính' -> '#CảiCáchHànhChính' (hashtags cannot contain spaces)."""
    words = re.findall(r"\w+", tag or "")
    return "#" + "".join(w[:1].upper() + w[1:] for w in words) if words else ""


@register.filter
def month_vi(value: str) -> str:
    """'2026-12' -> 'tháng 12/2026'."""
    match = re.match(r"^(\d{4})-(\d{2})$", value or "")
    return f"tháng {int(match.group(2))}/{match.group(1)}" if match else value
