"""The pictures that go with a post on a channel: image cards rendered from the post's content.

Cards are deterministic from their content and cached by content hash in the data dir, so any
worker re-renders a card it lacks and no shared disk is needed. What a channel gets follows its
adapter's Limits: no cards where it takes no images, its card shape, its byte limit (JPEG then).
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from bot.content import cards
from channels.base import Adapter, Image

WIDE = (1200, 630)


def _brand(unit) -> cards.Brand:
    return cards.Brand(unit.name, unit.primary_color, unit.accent_color)


def _specs(post, size: tuple[int, int]) -> list[tuple[dict, callable]]:
    """(cache key, renderer) for each card of the post, in order."""
    fields, brand = post.fields or {}, _brand(post.unit)
    common = {"kind": post.kind, "unit": brand.unit_name, "colours": [brand.primary, brand.accent]}
    if post.kind == "slogan":
        text, source = fields.get("text") or post.body, fields.get("source", "")
        key = {**common, "text": text, "source": source, "size": list(size)}
        return [(key, lambda: cards.slogan_card(text, source, brand, size=size))]
    if post.kind == "bulletin" and fields:
        key = {**common, "title": post.title, "issue": fields.get("issue", ""), "month": fields["month"]}
        return [(key, lambda: cards.bulletin_cover(post.title, fields.get("issue", ""), fields["month"], brand, size=WIDE))]
    if post.kind == "guide" and fields:
        steps = fields["steps"]
        key = {**common, "service": fields["service"], "steps": steps, "size": list(size)}
        rendered = {}

        def step(n):
            if not rendered:
                rendered.update(enumerate(cards.guide_step_cards(fields["service"], steps, brand, size=size)))
            return rendered[n]

        return [({**key, "step": n}, lambda n=n: step(n)) for n in range(len(steps))]
    return []


def post_images(post, adapter_cls: type[Adapter]) -> tuple[Image, ...]:
    """Cards for this post, sized and encoded for the channel; () when the channel takes no images."""
    limits = adapter_cls.limits
    if limits.max_images <= 0:
        return ()
    fmt = "JPEG" if limits.image_bytes else "PNG"
    cache = Path(settings.LOA.data_dir) / "cards"
    images = []
    for key, render in _specs(post, limits.card_size)[: limits.max_images]:
        path = cards.cached_file(cache, key, render, fmt=fmt, max_bytes=limits.image_bytes)
        images.append(Image(path=path, mime="image/jpeg" if fmt == "JPEG" else "image/png"))
    return tuple(images)


CARD_KEEP_DAYS = 30


def prune_cards(now: float | None = None) -> int:
    """The daily clean-up of the card cache (bot.tasks.apply_retention)."""
    return cards.prune(Path(settings.LOA.data_dir) / "cards", CARD_KEEP_DAYS * 86400, now)
