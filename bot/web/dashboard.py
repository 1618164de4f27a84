"""The user's home page: what needs them now, by role, inside their units only."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Min
from django.shortcuts import render
from django.utils import timezone

from bot.access import AUTHOR_ROLES
from bot.feedback.pii import mask_for
from bot.feedback.views_log import record_views
from bot.models import Channel, Delivery, Feedback, FeedbackStatus, Post, Role, Workflow
from bot.publishing import states
from bot.web.guard import allowed, page

SHOWN = 10  # items per list: the page points at the full list for more
OPEN_FEEDBACK = (FeedbackStatus.NEW, FeedbackStatus.IN_PROGRESS)
UPCOMING = (states.SCHEDULED, states.QUEUED, states.SENDING)
NEEDS_OFFICER = (states.UNCONFIRMED, states.FAILED)
EXCERPT = 160


@page("dashboard")
def home(request):
    role, scope = request.profile.role, request.scope
    context = {"can": {name: allowed(request.profile, name)
                       for name in ("posts", "compose", "approvals", "calendar", "inbox", "reports")},
               "attention": _needing_officer(scope)}
    if role in AUTHOR_ROLES:
        context.update(_authoring(request.user))
    if role in (Role.EDITOR, Role.APPROVER, Role.ADMIN):
        context["upcoming"] = _upcoming(scope)
    if role == Role.APPROVER:
        context["awaiting"] = _awaiting_approval(scope)
    if role == Role.STAFF:
        context["feedback"] = _feedback(request, scope)
    if role == Role.ADMIN:
        context["admin"] = _administration(scope)
    return render(request, "web/dashboard.html", context)


def _authoring(user) -> dict:
    mine = Post.objects.filter(author=user).select_related("unit").order_by("-updated_at")
    return {"drafts": list(mine.filter(workflow=Workflow.DRAFT)[:SHOWN]),
            "returned": list(mine.filter(workflow=Workflow.RETURNED)[:SHOWN])}


def _upcoming(scope) -> list[Post]:
    """The next posts to go out, each with the time of its first pending delivery."""
    return list(Post.objects.filter(unit_id__in=scope, deliveries__state__in=UPCOMING)
                .annotate(next_at=Min("deliveries__due_at")).select_related("unit")
                .prefetch_related("channels").order_by("next_at", "pk")[:SHOWN])


def _awaiting_approval(scope) -> dict:
    waiting = Post.objects.filter(unit_id__in=scope, workflow=Workflow.SUBMITTED)
    return {"count": waiting.count(),
            "posts": list(waiting.select_related("unit", "author").order_by("submitted_at", "pk")[:SHOWN])}


def _needing_officer(scope) -> dict:
    found = Delivery.objects.filter(post__unit_id__in=scope, state__in=NEEDS_OFFICER)
    return {"count": found.count(),
            "deliveries": list(found.select_related("post", "channel").order_by("due_at", "pk")[:SHOWN])}


def _feedback(request, scope) -> dict:
    """Counts and the oldest open items; texts masked (identifiers are the inbox's to show, per role)."""
    now = timezone.now()
    mine = Feedback.objects.filter(channel__unit_id__in=scope)
    open_items = mine.filter(status__in=OPEN_FEEDBACK)
    oldest = list(open_items.select_related("channel").order_by("received_at", "pk")[:SHOWN // 2])
    record_views([f.pk for f in oldest], viewer=request.user, via="list")
    return {
        "new": mine.filter(status=FeedbackStatus.NEW).count(),
        "overdue": open_items.filter(due_at__lt=now).count(),
        "oldest": [{"item": f, "text": _excerpt(mask_for(f.text, False)),
                    "overdue": f.due_at is not None and f.due_at < now} for f in oldest],
    }


def _excerpt(text: str) -> str:
    return text if len(text) <= EXCERPT else text[:EXCERPT - 1].rstrip() + "…"


def _administration(scope) -> dict:
    return {"channels": list(Channel.objects.filter(unit_id__in=scope).select_related("unit").order_by("name")),
            "users": get_user_model().objects.filter(loa_profile__unit_id__in=scope, is_active=True).count()}
