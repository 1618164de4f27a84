"""Placeholder: being built (issue 6)."""

from django.http import Http404

from bot.web.guard import page


@page("sandbox")
def overview(request, *args, **kwargs):
    raise Http404
