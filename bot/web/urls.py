"""The back-office's stable URLs (issue 6 §9): officers bookmark and share them, so they never move."""

from django.contrib.auth import views as auth_views
from django.urls import path

from bot.web import approvals, calendar, dashboard, guides, inbox, posts, preview, reports, sandbox_view

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("", dashboard.home, name="dashboard"),
    path("posts/", posts.post_list, name="posts"),
    path("posts/new/", posts.post_new, name="post-new"),
    path("posts/<int:post_id>/", posts.post_detail, name="post"),
    path("posts/<int:post_id>/action/", posts.post_action, name="post-action"),
    path("deliveries/<int:delivery_id>/action/", posts.delivery_action, name="delivery-action"),
    path("preview/", preview.live_preview, name="preview"),
    path("preview/card.png", preview.card_image, name="preview-card"),
    path("approvals/", approvals.queue, name="approvals"),
    path("calendar/", calendar.month, name="calendar"),
    path("inbox/", inbox.inbox_list, name="inbox"),
    path("inbox/<int:feedback_id>/", inbox.inbox_detail, name="inbox-item"),
    path("reports/", reports.monthly, name="reports"),
    path("reports/export.xlsx", reports.export_xlsx, name="reports-xlsx"),
    path("sandbox/", sandbox_view.overview, name="sandbox"),
    path("guides/<slug:kind>/", guides.guide, name="guide"),
]
