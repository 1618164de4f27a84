"""Placeholder: being built (issue 6)."""

from django.http import Http404

from bot.web.guard import page


@page("reports")
def monthly(request, *args, **kwargs):
    raise Http404


@page("reports")
def export_xlsx(request, *args, **kwargs):
    raise Http404
