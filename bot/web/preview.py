"""Live previews: the exact text each channel would receive, its length against the channel's limit, its card.

The compose page posts its fields to /preview/ as the officer types and gets JSON back;
/preview/card.png draws the card for the content in its query (or form). Nothing is saved: the
post previewed is an unsaved Post, rendered by the same functions that publishing uses.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlencode

from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseNotModified, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from bot.content import limits as L
from bot.content.card_text import cap
from bot.content.images import post_images
from bot.content.kinds import MONTH_RE, clean_fields
from bot.content.render import render_message, render_text
from bot.errors import Invalid
from bot.models import Channel, Post, PostKind
from bot.posts import TITLE_MAX
from bot.web.guard import page
from bot.web.post_forms import check_kind, fields_for, read_compose, unit_in_scope
from channels import registry
from channels.base import Limits
from channels.errors import BadContent

NEAR = 0.9  # the counter warns from 90 % of the limit, before the channel refuses


def counter_state(length: int, limit: int | None) -> str:
    if limit is None or length < NEAR * limit:
        return "ok"
    return "over" if length > limit else "near"


def counter_text(length: int, limit: int | None) -> str:
    if limit is None:
        return _("%(length)s characters") % {"length": length}
    return _("%(length)s / %(limit)s characters") % {"length": length, "limit": limit}


def draft_post(request, values: dict) -> tuple[Post, list[Channel]]:
    """The unsaved post the form describes, and the selected channels of its unit."""
    unit = unit_in_scope(request.scope, values["unit"], request.profile.unit)
    kind = check_kind(values["kind"])
    fields = clean_fields(kind, fields_for(kind, values))
    post = Post(unit=unit, kind=kind, title=values["title"].strip(), body=values["body"].strip(), fields=fields)
    channels = Channel.objects.filter(unit=unit, enabled=True, name__in=values["channels"]).order_by("name")
    return post, list(channels)


def card_params(post: Post) -> dict | None:
    """What the card of this post is drawn from, as query parameters; None when the post has no card."""
    fields = post.fields or {}
    if post.kind == PostKind.SLOGAN:
        # A slogan written in the body may be longer than a slogan; the card shows it cut the same way.
        text = cap(fields.get("text") or post.body, L.SLOGAN_TEXT_MAX)
        return {"kind": post.kind, "text": text, "source": fields.get("source", "")} if text else None
    if post.kind == PostKind.BULLETIN and fields:
        return {"kind": post.kind, "title": post.title, "issue": fields.get("issue", ""), "month": fields["month"]}
    if post.kind == PostKind.GUIDE and fields:
        return {"kind": post.kind, "service": fields["service"], "steps": "\n".join(fields["steps"])}
    return None


def card_url(post: Post, channel: Channel, adapter_cls) -> str | None:
    params = card_params(post) if adapter_cls.limits.max_images > 0 else None
    if params is None:
        return None
    query = {"unit": post.unit_id, "channel": channel.name, **{k: v for k, v in params.items() if v}}
    return reverse("preview-card") + "?" + urlencode(query)


def refusal(post: Post, channel: Channel, adapter_cls) -> str:
    """The sentence a channel would refuse this post with, or ""."""
    limit = adapter_cls.limits.title_chars
    if limit and len(post.title) > limit:
        return _("The title has %(n)d characters; channel %(channel)s allows %(max)d.") % {
            "n": len(post.title), "channel": channel.name, "max": limit}
    try:
        render_message(post, channel, adapter_cls, marker="loa-preview", images=post_images(post, adapter_cls))
    except BadContent as exc:
        return exc.message
    except ValueError as exc:  # a card that cannot be drawn or encoded within the channel's limits
        return _("The card for channel %(channel)s cannot be drawn: %(why)s") % {"channel": channel.name, "why": exc}
    return ""


def channel_preview(post: Post, channel: Channel) -> dict:
    """One channel's pane: text, counters, refusal, card."""
    base = {"channel": channel.name, "kind": channel.kind, "label": channel.kind, "text": "", "text_format": "plain",
            "length": 0, "limit": None, "state": "ok", "counter": "", "card_url": None,
            "card_alt": _("Card for channel %(channel)s") % {"channel": channel.name}}
    try:
        adapter_cls = registry.adapter_class(channel.kind)
    except registry.UnknownKind:
        return {**base, "error": _("Channel %(channel)s is of a kind this installation cannot publish to.")
                % {"channel": channel.name}}
    text, text_format = render_text(post, channel.kind)
    limit = adapter_cls.limits.text_chars
    return {**base, "label": adapter_cls.label, "text": text, "text_format": text_format, "length": len(text),
            "limit": limit, "state": counter_state(len(text), limit), "counter": counter_text(len(text), limit),
            "error": refusal(post, channel, adapter_cls), "card_url": card_url(post, channel, adapter_cls)}


@page("compose")
@require_POST
def live_preview(request):
    values = read_compose(request.POST)
    try:
        post, channels = draft_post(request, values)
    except Invalid as exc:
        return JsonResponse({"error": exc.message, "channels": []})
    return JsonResponse({"error": "", "channels": [channel_preview(post, c) for c in channels]})


def _too_long(label: str, value: str, limit: int) -> None:
    if len(value) > limit:
        raise Invalid(_("%(field)s is %(n)d characters; the limit is %(max)d.") % {"field": label, "n": len(value), "max": limit})


def card_fields(kind: str, values: dict) -> dict:
    """The fields a card is drawn from, held to the kind's limits: a card request cannot ask for more work
    than a post the services would accept."""
    if kind == PostKind.SLOGAN:
        fields = clean_fields(kind, {"text": values["text"], "source": values["source"]})
        if not fields["text"]:
            raise Invalid(_("%(field)s is required.") % {"field": _("The slogan")})
        return fields
    if kind == PostKind.GUIDE:
        return clean_fields(kind, {"service": values["service"], "steps": values["steps"]})
    month, issue = values["month"].strip(), values["issue"].strip()
    if not MONTH_RE.match(month):
        raise Invalid(_("The month must be written YYYY-MM, e.g. 2026-12."))
    _too_long(_("The issue number"), issue, 20)
    return {"issue": issue, "month": month, "sections": []}


@lru_cache(maxsize=None)
def png_cards(size: tuple[int, int]) -> type:
    """post_images reads nothing of an adapter but its Limits: this stand-in asks for the first card,
    as PNG, in a channel's shape."""
    return type("CardPreview", (), {"limits": Limits(max_images=1, card_size=size)})


def card_shape(request, name: str) -> tuple[int, int]:
    if not name:
        return Limits().card_size
    channel = Channel.objects.filter(name=name[:64], unit__in=request.scope).first()
    if channel is None:
        raise Invalid(_("Unknown channel %(name)s.") % {"name": name[:64]})
    try:
        return registry.adapter_class(channel.kind).limits.card_size
    except registry.UnknownKind:
        return Limits().card_size


def card_post(request, data) -> tuple[Post, tuple[int, int]]:
    values = read_compose(data)
    unit = unit_in_scope(request.scope, values["unit"], request.profile.unit)
    kind = check_kind(values["kind"])
    title = values["title"].strip()
    if len(title) > TITLE_MAX:
        raise Invalid(_("The title is %(n)d characters; the limit is %(max)d.") % {"n": len(title), "max": TITLE_MAX})
    post = Post(unit=unit, kind=kind, title=title, fields=card_fields(kind, values))
    return post, card_shape(request, str(data.get("channel", "")))


@page("posts")  # shown on post pages too, which administrators open
@require_http_methods(["GET", "HEAD", "POST"])
def card_image(request):
    """The card as PNG. Its name is a hash of its content, so it doubles as the ETag: browsers keep it
    and revalidate (private: it may show a draft), and nothing stale is ever shown."""
    try:
        post, size = card_post(request, request.POST if request.method == "POST" else request.GET)
        images = post_images(post, png_cards(size))
    except Invalid as exc:
        return HttpResponseBadRequest(exc.message, content_type="text/plain; charset=utf-8")
    except ValueError as exc:  # e.g. a unit colour the cards cannot use
        return HttpResponseBadRequest(_("The card cannot be drawn: %(why)s") % {"why": exc},
                                      content_type="text/plain; charset=utf-8")
    if not images:
        return HttpResponseBadRequest(_("This post has no card."), content_type="text/plain; charset=utf-8")
    etag = f'"{images[0].path.stem}"'
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(images[0].path.read_bytes(), content_type="image/png")
    response["ETag"] = etag
    response["Cache-Control"] = "private, no-cache"
    return response
