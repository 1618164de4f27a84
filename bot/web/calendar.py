"""Placeholder: being built (issue 6)."""

from django.http import Http404

from bot.web.guard import page


@page("calendar")
def month(request, *args, **kwargs):
    raise Http404
