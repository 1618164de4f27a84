"""Placeholder: being built (issue 6)."""

from django.http import Http404

from bot.web.guard import page


@page("compose")
def live_preview(request, *args, **kwargs):
    raise Http404


@page("compose")
def card_image(request, *args, **kwargs):
    raise Http404
