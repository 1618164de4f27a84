"""The user's home page: what needs them now."""

from django.shortcuts import render

from bot.web.guard import page


@page("dashboard")
def home(request):
    return render(request, "web/dashboard.html", {})
