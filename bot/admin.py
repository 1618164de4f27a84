"""The Django admin for administrators. Delivery states are read-only here: they change only
through the publishing code (bot.publishing.transitions), never by editing a row."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from bot.channel_config import secret_keys
from bot.crypto import SecretsUnreadable
from bot.models import (AuditEntry, Channel, ClassifierPhrase, Delivery, Feedback, FeedbackView, InboundEvent, Post,
                        Profile, RateSlot, SavedReply, Series, Slogan, ThreadMap, Unit, Workflow)


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ("slug", "name", "parent")
    search_fields = ("slug", "name")
    list_select_related = ("parent",)


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "role", "unit")
    list_filter = ("role", "unit")
    list_select_related = ("user", "unit")


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "unit", "enabled", "needs_reauth")
    list_filter = ("kind", "enabled", "needs_reauth")
    exclude = ("secrets_encrypted",)
    readonly_fields = ("kind", "stored_secrets", "created_at")

    @admin.display(description=_("stored secrets"))
    def stored_secrets(self, obj):
        try:
            return ", ".join(secret_keys(obj)) or "-"
        except SecretsUnreadable as exc:
            return str(exc)


class DeliveryInline(admin.TabularInline):
    model = Delivery
    extra = 0
    can_delete = False
    fields = ("channel", "state", "due_at", "attempts", "remote_id", "permalink", "last_error")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ("id", "title", "kind", "unit", "workflow", "author", "approver", "publish_at")
    list_filter = ("kind", "workflow", "unit")
    search_fields = ("title", "body")
    readonly_fields = ("workflow", "author", "approver", "submitted_at", "approved_at", "created_at", "updated_at")
    inlines = [DeliveryInline]

    def get_readonly_fields(self, request, obj=None):
        # What a leader approved is what goes out: an approved post is not edited behind their back.
        if obj is not None and obj.workflow in (Workflow.APPROVED, Workflow.CANCELLED):
            return [f.name for f in Post._meta.fields] + ["channels"]
        return self.readonly_fields


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ("id", "post", "channel", "state", "due_at", "attempts", "remote_id")
    list_filter = ("state", "channel__kind")
    list_select_related = ("post", "channel")

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Delivery._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(Slogan)
class SloganAdmin(admin.ModelAdmin):
    list_display = ("text", "unit", "source", "times_used", "last_used_at")
    list_filter = ("unit",)
    search_fields = ("text", "source")
    readonly_fields = ("times_used", "last_used_at", "created_at")


@admin.register(Series)
class SeriesAdmin(admin.ModelAdmin):
    list_display = ("name", "unit", "kind", "preset", "active", "approver")
    list_filter = ("kind", "active", "unit")
    readonly_fields = ("author", "approver", "created_at")


@admin.register(Feedback)
class FeedbackAdmin(admin.ModelAdmin):
    list_display = ("id", "channel", "category", "status", "received_at", "due_at")
    list_filter = ("category", "status", "channel__kind")
    readonly_fields = ("channel", "delivery", "remote_id", "kind", "author_key", "author_name", "answer_to", "text",
                       "attachments", "received_at", "answer", "answered_at", "answer_remote_id", "created_at")

    def has_add_permission(self, request):
        return False


@admin.register(SavedReply)
class SavedReplyAdmin(admin.ModelAdmin):
    list_display = ("title", "unit", "created_by", "created_at")
    list_filter = ("unit",)
    search_fields = ("title", "text")
    readonly_fields = ("created_by", "created_at")


@admin.register(ClassifierPhrase)
class ClassifierPhraseAdmin(admin.ModelAdmin):
    list_display = ("category", "phrase", "updated_at")
    list_filter = ("category",)
    search_fields = ("phrase",)


@admin.register(FeedbackView)
class FeedbackViewAdmin(admin.ModelAdmin):
    list_display = ("at", "viewer_name", "feedback", "via", "unmasked")
    list_filter = ("via", "unmasked")
    search_fields = ("viewer_name",)

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in FeedbackView._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(InboundEvent)
class InboundEventAdmin(admin.ModelAdmin):
    list_display = ("id", "channel", "received_at", "processed_at", "error")
    exclude = ("body",)  # raw citizen data: never shown

    def get_readonly_fields(self, request, obj=None):
        return ["channel", "headers", "received_at", "processed_at", "error"]

    def has_add_permission(self, request):
        return False


@admin.register(ThreadMap)
class ThreadMapAdmin(admin.ModelAdmin):
    list_display = ("channel", "thread_id", "post_remote_id")


@admin.register(RateSlot)
class RateSlotAdmin(admin.ModelAdmin):
    list_display = ("key", "tat")

    def has_add_permission(self, request):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("at", "actor_name", "action", "target", "unit")
    list_filter = ("action",)
    search_fields = ("target", "actor_name")

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in AuditEntry._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


admin.site.site_header = _("Loa administration")
admin.site.site_title = _("Loa")
admin.site.index_title = _("Administration")
