"""Placeholder: being built (issue 6)."""

from django.http import Http404

from bot.web.guard import page


@page("approvals")
def queue(request, *args, **kwargs):
    raise Http404
