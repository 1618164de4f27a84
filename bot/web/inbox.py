"""Placeholder: being built (issue 6)."""

from django.http import Http404

from bot.web.guard import page


@page("inbox")
def inbox_list(request, *args, **kwargs):
    raise Http404


@page("inbox")
def inbox_detail(request, *args, **kwargs):
    raise Http404
