"""URL map: the back-office (bot.web.urls), the admin for administrators, webhooks and the health check."""

from django.contrib import admin
from django.urls import include, path

from bot.web import health, hooks

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", health.healthz),
    path("hooks/<slug:kind>/<slug:name>/", hooks.named, name="hook-named"),
    path("hooks/<slug:kind>/", hooks.routed, name="hook-routed"),
    path("", include("bot.web.urls")),
]
