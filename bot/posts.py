"""The approval workflow: draft -> submitted -> approved (deliveries created) or returned.

Post.workflow changes only here, each time by a conditional UPDATE from the expected stage, so
two approvers pressing the button at once create one set of deliveries.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from bot import audit
from bot.access import APPROVER_ROLES, AUTHOR_ROLES, require
from bot.channel_config import adapter_for
from bot.content.kinds import clean_fields
from bot.content.images import post_images
from bot.content.render import nfc, render_message
from bot.crypto import SecretsUnreadable
from bot.errors import Forbidden, Invalid, NotFound
from bot.models import Channel, Delivery, Post, PostKind, Slogan, Unit, Workflow
from bot.publishing import states
from bot.publishing.transitions import move
from channels.errors import BadContent

TITLE_MAX = 300
BODY_MAX = 50_000


def get_post(post_id) -> Post:
    try:
        return Post.objects.select_related("unit", "author").get(pk=int(post_id))
    except (Post.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("Unknown post %(id)s.") % {"id": post_id}) from None


def resolve_channels(unit: Unit, names: list[str]) -> list[Channel]:
    if not names:
        raise Invalid(_("Choose at least one channel."))
    found = {c.name: c for c in Channel.objects.filter(name__in=names)}
    for name in names:
        channel = found.get(name)
        if channel is None:
            raise NotFound(_("Unknown channel %(name)s.") % {"name": name})
        if channel.unit_id != unit.pk:
            raise Invalid(
                _("Channel %(name)s belongs to another unit, not to %(unit)s.") % {"name": name, "unit": unit.slug}
            )
        if not channel.enabled:
            raise Invalid(_("Channel %(name)s is disabled.") % {"name": name})
    return [found[n] for n in dict.fromkeys(names)]


def _clean_text(title: str, body: str, has_fields: bool) -> tuple[str, str]:
    title, body = nfc(title).strip(), nfc(body).strip()
    if not title:
        raise Invalid(_("The post needs a title."))
    if len(title) > TITLE_MAX:
        raise Invalid(_("The title is %(n)d characters; the limit is %(max)d.") % {"n": len(title), "max": TITLE_MAX})
    if not body and not has_fields:
        raise Invalid(_("The post needs a body."))
    if len(body) > BODY_MAX:
        raise Invalid(_("The body is %(n)d characters; the limit is %(max)d.") % {"n": len(body), "max": BODY_MAX})
    return title, body


def post_create(
    *, author, unit: Unit, kind: str, title: str, body: str, channel_names: list[str],
    publish_at: datetime | None = None, fields: dict | None = None, now: datetime | None = None, slogan=None,
) -> Post:
    """A draft. `slogan`: the library slogan it was written from (its unit's or a parent's); approving the post
    counts it as used, so the rotation moves on."""
    require(author, unit, AUTHOR_ROLES, _("write posts"))
    if slogan is not None and slogan.unit_id not in {u.pk for u in unit.lineage()}:
        raise Invalid(_("Slogan %(id)s is not in the library of %(unit)s.") % {"id": slogan.pk, "unit": unit.slug})
    if kind not in PostKind.values:
        raise Invalid(_("Unknown post kind %(kind)s; kinds: %(kinds)s.") % {"kind": kind, "kinds": ", ".join(PostKind.values)})
    fields = clean_fields(kind, fields)
    title, body = _clean_text(title, body, bool(fields))
    channels = resolve_channels(unit, channel_names)
    if publish_at is not None and publish_at <= (now or timezone.now()):
        raise Invalid(_("The publishing time %(at)s is in the past.") % {"at": timezone.localtime(publish_at).isoformat()})
    with transaction.atomic():
        post = Post.objects.create(
            unit=unit, kind=kind, title=title, body=body, fields=fields, author=author, publish_at=publish_at,
            slogan=slogan,
        )
        post.channels.set(channels)
        audit.record("post.create", post, actor=author, unit=unit, kind=kind, channels=[c.name for c in channels])
    return post


def check_renderable(post: Post) -> None:
    """Refuse now, not at 3 a.m.: every selected channel must accept the rendered text."""
    for channel in post.channels.all():
        try:
            adapter_cls = type(adapter_for(channel))
            render_message(post, channel, adapter_cls, marker="loa-check", images=post_images(post, adapter_cls))
        except BadContent as exc:
            raise Invalid(exc.message) from None
        except SecretsUnreadable as exc:
            raise Invalid(str(exc)) from None


def _advance(post: Post, sources: set[str], to: str, **fields) -> bool:
    return bool(Post.objects.filter(pk=post.pk, workflow__in=sources).update(workflow=to, **fields))


def post_submit(post: Post, *, by, now: datetime | None = None) -> Post:
    require(by, post.unit, AUTHOR_ROLES, _("submit posts"))
    check_renderable(post)
    with transaction.atomic():
        if not _advance(post, {Workflow.DRAFT, Workflow.RETURNED}, Workflow.SUBMITTED, submitted_at=now or timezone.now()):
            raise Invalid(_("Post %(id)s cannot be submitted: it is %(stage)s.") % {"id": post.pk, "stage": post.get_workflow_display()})
        audit.record("post.submit", post, actor=by, unit=post.unit)
    post.refresh_from_db()
    return post


def post_approve(post: Post, *, by, now: datetime | None = None) -> list[Delivery]:
    """Approve a submitted post and create one scheduled delivery per channel."""
    require(by, post.unit, APPROVER_ROLES, _("approve posts"))
    if by.pk == post.author_id:
        raise Forbidden(_("Nobody may approve their own post; ask another leader to approve post %(id)s.") % {"id": post.pk})
    check_renderable(post)
    now = now or timezone.now()
    due = max(post.publish_at, now) if post.publish_at else now
    with transaction.atomic():
        if not _advance(post, {Workflow.SUBMITTED}, Workflow.APPROVED, approver=by, approved_at=now):
            post.refresh_from_db()
            raise Invalid(_("Post %(id)s cannot be approved: it is %(stage)s.") % {"id": post.pk, "stage": post.get_workflow_display()})
        deliveries = Delivery.objects.bulk_create(
            Delivery(post=post, channel=channel, due_at=due) for channel in post.channels.all()
        )
        if post.slogan_id and not post.series_id:  # a series counted its slogan when it picked it
            Slogan.objects.filter(pk=post.slogan_id).update(times_used=F("times_used") + 1, last_used_at=now)
        audit.record("post.approve", post, actor=by, unit=post.unit, due_at=due.isoformat())
    post.refresh_from_db()
    return deliveries


def post_return(post: Post, *, by, reason: str) -> Post:
    require(by, post.unit, APPROVER_ROLES, _("return posts"))
    reason = nfc(reason).strip()
    if not reason:
        raise Invalid(_("Say why the post is returned, so its author can fix it."))
    with transaction.atomic():
        if not _advance(post, {Workflow.SUBMITTED}, Workflow.RETURNED, return_reason=reason):
            raise Invalid(_("Post %(id)s cannot be returned: it is %(stage)s.") % {"id": post.pk, "stage": post.get_workflow_display()})
        audit.record("post.return", post, actor=by, unit=post.unit, reason=reason)
    post.refresh_from_db()
    return post


def post_cancel(post: Post, *, by, reason: str = "") -> list[int]:
    """Withdraw a post: deliveries not yet being sent are cancelled; those already out stay as they are."""
    require(by, post.unit, AUTHOR_ROLES | APPROVER_ROLES, _("cancel posts"))
    with transaction.atomic():
        if not _advance(post, {Workflow.DRAFT, Workflow.SUBMITTED, Workflow.RETURNED, Workflow.APPROVED}, Workflow.CANCELLED):
            raise Invalid(_("Post %(id)s is already cancelled.") % {"id": post.pk})
        ids = list(post.deliveries.values_list("pk", flat=True))
        cancelled = move(ids, states.CANCELLED, actor=by, reason=reason)
        audit.record("post.cancel", post, actor=by, unit=post.unit, reason=reason, cancelled=len(cancelled))
    return cancelled
