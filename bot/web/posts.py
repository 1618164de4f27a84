"""Posts: the list, compose, one post with its history and deliveries, and the actions on them.

Every change goes through a service (bot.posts, bot.publishing.officer), which decides and says why
not; the views pick the object inside the user's units, call it, and show the outcome
(POST-redirect-GET, the sentence in a message).
"""

from __future__ import annotations

from collections import defaultdict

from django.contrib import messages
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from bot.content.slogans import rotation_order
from bot.errors import Forbidden, Invalid
from bot.models import DELIVERY_STATE_LABELS, AuditEntry, Channel, Delivery, Post, PostKind, Series, Slogan, Unit, Workflow
from bot.posts import post_approve, post_cancel, post_create, post_return, post_submit
from bot.presenters import posts_queryset
from bot.publishing import status as st
from bot.publishing.officer import confirm_published, give_up, publish_again
from bot.publishing.status import derive_post_status
from bot.web import post_forms as pf
from bot.web.guard import in_scope, page, scoped
from bot.web.preview import channel_preview, draft_post

HISTORY_MAX = 500
BEFORE_APPROVAL = {st.DRAFT: Workflow.DRAFT, st.PENDING_APPROVAL: Workflow.SUBMITTED, st.RETURNED: Workflow.RETURNED}


def with_status(posts, wanted: str):
    """Posts whose derived status is `wanted`. After approval the status comes from the deliveries, so it
    is computed by the one pure function rather than re-stated as SQL that could drift from it."""
    if wanted in BEFORE_APPROVAL:
        return posts.filter(workflow=BEFORE_APPROVAL[wanted])
    approved = posts.filter(workflow=Workflow.APPROVED).order_by()
    states = defaultdict(list)
    for post_id, state in Delivery.objects.filter(post__in=approved.values("pk")).values_list("post_id", "state"):
        states[post_id].append(state)
    ids = [pk for pk in approved.values_list("pk", flat=True) if derive_post_status(Workflow.APPROVED, states[pk]) == wanted]
    if wanted == st.CANCELLED:
        return posts.filter(Q(workflow=Workflow.CANCELLED) | Q(pk__in=ids))
    return posts.filter(pk__in=ids)


@page("posts")
def post_list(request):
    filters = pf.parse_filters(request.GET, request.scope)
    posts = scoped(request, posts_queryset(), "unit").order_by("-created_at", "-pk")
    if filters.kind:
        posts = posts.filter(kind=filters.kind)
    if filters.unit:
        posts = posts.filter(unit_id=filters.unit)
    if filters.status:
        posts = with_status(posts, filters.status)
    listing = pf.page_of(posts, request.GET.get("page"))
    rows = [(post, status, pf.STATUS_LABELS[status]) for post in listing for status in [post.status]]
    return render(request, "web/posts/list.html", {
        "listing": listing, "rows": rows, "filters": filters, "query": filters.query(),
        "units": Unit.objects.filter(pk__in=request.scope).order_by("name"),
        "statuses": list(pf.STATUS_LABELS.items()), "kinds": PostKind.choices,
    })


def _object_id(raw: str) -> int:
    found = pf.whole_number(raw)
    if found is None:
        raise Http404
    return found


def prefill(request) -> dict:
    """The compose form to start from: a slogan of the library, a series, an earlier post, or blank."""
    params = request.GET
    if params.get("slogan"):
        return pf.prefill_slogan(in_scope(request, Slogan.objects.select_related("unit"), "unit",
                                          pk=_object_id(params["slogan"])))
    if params.get("series"):
        series = in_scope(request, Series.objects.select_related("unit").prefetch_related("channels"), "unit",
                          pk=_object_id(params["series"]))
        return pf.prefill_series(series)
    if params.get("from"):
        return pf.prefill_post(in_scope(request, posts_queryset(), "unit", pk=_object_id(params["from"])))
    try:
        unit = pf.unit_in_scope(request.scope, params.get("unit", ""), request.profile.unit)
    except Invalid:
        unit = request.profile.unit
    return pf.blank_form(unit)


def compose_page(request, values: dict, error: str = "", show_preview_error: bool = False):
    try:
        unit = pf.unit_in_scope(request.scope, values["unit"], request.profile.unit)
    except Invalid:
        unit = request.profile.unit
    previews, preview_error = [], ""
    try:
        post, channels = draft_post(request, values)
        previews = [channel_preview(post, c) for c in channels]
    except Invalid as exc:
        preview_error = exc.message if show_preview_error else ""
    channels = Channel.objects.filter(unit__in=request.scope, enabled=True).select_related("unit").order_by("unit__name", "name")
    groups = defaultdict(list)
    for channel in channels:
        groups[channel.unit].append(channel)
    return render(request, "web/posts/compose.html", {
        "values": values, "error": error, "unit": unit, "previews": previews, "preview_error": preview_error,
        "units": Unit.objects.filter(pk__in=request.scope).order_by("name"), "channel_groups": dict(groups),
        "kinds": PostKind.choices, "levels": pf.GUIDE_LEVEL_CHOICES, "sections": pf.section_groups(values),
        "slogans": rotation_order(unit)[:50], "series_list": Series.objects.filter(unit=unit, active=True),
    })


def save_post(request, values: dict, submit: bool) -> Post:
    """Create the post, and submit it when asked; a refused submission leaves no draft behind."""
    unit = pf.unit_in_scope(request.scope, values["unit"], request.profile.unit)
    kind = pf.check_kind(values["kind"])
    publish_at = pf.parse_local_time(values["publish_at"])
    slogan = None
    if values.get("slogan") and kind == "slogan":  # written from the library: approval moves its rotation on
        slogan = Slogan.objects.filter(pk=pf.whole_number(values["slogan"]) or 0,
                                       unit__in=[u.pk for u in unit.lineage()]).first()
    with transaction.atomic():
        post = post_create(author=request.user, unit=unit, kind=kind, title=values["title"], body=values["body"],
                           channel_names=values["channels"], publish_at=publish_at, fields=pf.fields_for(kind, values),
                           slogan=slogan)
        if submit:
            post_submit(post, by=request.user)
    return post


@page("compose")
def post_new(request):
    if request.method != "POST":
        return compose_page(request, prefill(request))
    values = pf.read_compose(request.POST)
    action = request.POST.get("action", "preview")
    if action not in ("draft", "submit"):
        return compose_page(request, values, show_preview_error=True)
    try:
        post = save_post(request, values, submit=action == "submit")
    except Invalid as exc:
        return compose_page(request, values, error=exc.message)
    messages.success(request, _("Post submitted for approval.") if action == "submit" else _("Draft saved."))
    return redirect("post", post_id=post.pk)


ACTION_LABELS = {
    "post.create": gettext_lazy("created the post"),
    "post.submit": gettext_lazy("submitted it for approval"),
    "post.approve": gettext_lazy("approved it"),
    "post.return": gettext_lazy("returned it to its author"),
    "post.cancel": gettext_lazy("cancelled it"),
    "series.occurrence": gettext_lazy("created it from a series"),
}


def describe(entry: AuditEntry, channel_of: dict[str, str]) -> str:
    action = entry.action
    if action.startswith("delivery."):
        state = action.removeprefix("delivery.")
        return _("%(channel)s: %(state)s") % {"channel": channel_of.get(entry.target, "?"),
                                               "state": DELIVERY_STATE_LABELS.get(state, state)}
    label = ACTION_LABELS.get(action)
    return str(label) if label else action


def history(post: Post, deliveries: list[Delivery]) -> list[dict]:
    """Who did what when, to the post and to each of its deliveries, oldest first."""
    channel_of = {f"delivery:{d.pk}": d.channel.name for d in deliveries}
    entries = AuditEntry.objects.filter(Q(target=f"post:{post.pk}") | Q(target__in=list(channel_of))).order_by("at", "id")
    return [{"at": e.at, "who": e.actor_name if e.actor_name != "system" else _("Loa (automatic)"),
             "what": describe(e, channel_of), "details": e.details.get("reason") or e.details.get("last_error") or ""}
            for e in entries[:HISTORY_MAX]]


def safe_link(url: str) -> str:
    """Only web addresses become links: a permalink typed by someone is never a javascript: URL."""
    return url if url.startswith(("https://", "http://")) else ""


@page("posts")
def post_detail(request, post_id):
    post = in_scope(request, posts_queryset(), "unit", pk=post_id)
    deliveries = sorted(post.deliveries.all(), key=lambda d: d.channel.name)
    status = post.status
    return render(request, "web/posts/detail.html", {
        "post": post, "status": status, "status_label": pf.STATUS_LABELS.get(status, status),
        "previews": [channel_preview(post, c) for c in post.channels.all()],
        "history": history(post, deliveries),
        "deliveries": [{"d": d, "permalink": safe_link(d.permalink), "actions": pf.delivery_actions(request.profile, d)}
                       for d in deliveries],
        "actions": pf.post_actions(request.user, request.profile, post),
        "own": post.author_id == request.user.pk,
    })


def _submit(request, post) -> str:
    post_submit(post, by=request.user)
    return _("Post submitted for approval.")


def _approve(request, post) -> str:
    count = len(post_approve(post, by=request.user))
    return ngettext("Post approved; %(count)d delivery scheduled.", "Post approved; %(count)d deliveries scheduled.",
                    count) % {"count": count}


def _return(request, post) -> str:
    post_return(post, by=request.user, reason=request.POST.get("reason", "")[:5000])
    return _("Post returned to its author.")


def _cancel(request, post) -> str:
    if not pf.may_cancel(request.user, request.profile, post):
        raise Forbidden(_("Only the post's author or an approver may cancel it."))
    post_cancel(post, by=request.user, reason=request.POST.get("reason", "").strip()[:5000])
    return _("Post cancelled.")


POST_ACTIONS = {"submit": _submit, "approve": _approve, "return": _return, "cancel": _cancel}


def _back(request, post_id: int):
    """Back to where the form was (the approvals queue offers quick actions), else to the post."""
    return redirect("approvals") if request.POST.get("next") == "/approvals/" else redirect("post", post_id=post_id)


@page("posts")
@require_POST
def post_action(request, post_id):
    post = in_scope(request, Post.objects.select_related("unit", "author"), "unit", pk=post_id)
    act = POST_ACTIONS.get(request.POST.get("action", ""))
    try:
        if act is None:
            raise Invalid(_("Unknown action."))
        messages.success(request, act(request, post))
    except Invalid as exc:
        messages.error(request, exc.message)
    return _back(request, post.pk)


def _confirm(request, delivery) -> str:
    permalink = request.POST.get("permalink", "").strip()
    if permalink and (not safe_link(permalink) or len(permalink) > 500):
        raise Invalid(_("The permalink must be a web address starting with https://."))
    confirm_published(delivery, by=request.user, permalink=permalink)
    return _("Marked as published on %(channel)s.") % {"channel": delivery.channel.name}


def _resend(request, delivery) -> str:
    if not request.POST.get("i_understand"):
        raise Invalid(_("Tick the box to confirm you checked %(channel)s: publishing again may publish the post twice.")
                      % {"channel": delivery.channel.name})
    publish_again(delivery, by=request.user)
    return _("The post will be published again on %(channel)s shortly.") % {"channel": delivery.channel.name}


def _close(request, delivery) -> str:
    give_up(delivery, by=request.user, reason=request.POST.get("reason", "")[:5000])
    return _("Delivery to %(channel)s closed; it will not be published.") % {"channel": delivery.channel.name}


DELIVERY_ACTIONS = {"confirm": _confirm, "resend": _resend, "close": _close}


@page("posts")
@require_POST
def delivery_action(request, delivery_id):
    delivery = in_scope(request, Delivery.objects.select_related("post__unit", "channel"), "post__unit", pk=delivery_id)
    act = DELIVERY_ACTIONS.get(request.POST.get("action", ""))
    try:
        if act is None:
            raise Invalid(_("Unknown action."))
        messages.success(request, act(request, delivery))
    except Invalid as exc:
        messages.error(request, exc.message)
    return redirect("post", post_id=delivery.post_id)
