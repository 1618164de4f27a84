"""Placeholder: being built (issue 6)."""

from django.http import Http404

from bot.web.guard import page


@page("posts")
def post_list(request, *args, **kwargs):
    raise Http404


@page("posts")
def post_new(request, *args, **kwargs):
    raise Http404


@page("posts")
def post_detail(request, *args, **kwargs):
    raise Http404


@page("posts")
def post_action(request, *args, **kwargs):
    raise Http404


@page("posts")
def delivery_action(request, *args, **kwargs):
    raise Http404
