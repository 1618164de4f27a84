"""URL map: the back-office (bot.web.urls), the admin for administrators, webhooks and the health check."""

from django.contrib import admin
from django.db import DatabaseError, connection
from django.http import HttpResponse
from django.urls import include, path

from bot.web import hooks


def healthz(request):
    """Liveness for a load balancer: the database answers. (Broker and channel checks come later.)"""
    try:
        connection.ensure_connection()
    except DatabaseError:
        return HttpResponse("database unavailable", status=503, content_type="text/plain")
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", healthz),
    path("hooks/<slug:kind>/<slug:name>/", hooks.named, name="hook-named"),
    path("hooks/<slug:kind>/", hooks.routed, name="hook-routed"),
    path("", include("bot.web.urls")),
]
