"""The approvals queue: posts submitted for approval in the user's units, oldest first, with quick decisions.

The decisions post to /posts/<id>/action/ (bot.web.posts.post_action), which asks bot.posts to decide."""

from django.shortcuts import render

from bot.access import APPROVER_ROLES
from bot.models import Workflow
from bot.presenters import posts_queryset
from bot.web.guard import page, scoped
from bot.web.post_forms import page_of


@page("approvals")
def queue(request):
    waiting = scoped(request, posts_queryset(), "unit").filter(workflow=Workflow.SUBMITTED).order_by("submitted_at", "pk")
    listing = page_of(waiting, request.GET.get("page"))
    rows = [{"post": post, "own": post.author_id == request.user.pk} for post in listing]
    return render(request, "web/approvals.html", {
        "listing": listing, "rows": rows, "can_approve": request.profile.role in APPROVER_ROLES,
    })
