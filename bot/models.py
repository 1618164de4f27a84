"""Loa's tables: units, user profiles, channels, posts, deliveries and the audit trail."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from bot.publishing import states as ds
from bot.publishing.status import derive_post_status

MAX_UNIT_DEPTH = 3  # province -> district (abolished in most provinces since 2025) -> ward/commune


def default_plan() -> dict:
    """A ward's usual CCHC plan: one bulletin and two slogans a month."""
    return {"bulletin": 1, "slogan": 2}


class Unit(models.Model):
    name = models.CharField(_("unit name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=64, unique=True)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent unit"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="children",
    )
    # The unit's colours on its image cards (hex, #rrggbb).
    primary_color = models.CharField(_("primary colour"), max_length=7, default="#b3261e")
    accent_color = models.CharField(_("accent colour"), max_length=7, default="#f9c74f")
    # Law 91/2025: citizens' personal data is kept no longer than review needs.
    feedback_retention_days = models.PositiveIntegerField(_("feedback retention (days)"), default=365)
    # What answers to citizens name: saved replies' variables and the formal channel for complaints.
    hotline = models.CharField(_("hotline"), max_length=40, blank=True, default="")
    portal_url = models.URLField(_("public service portal"), blank=True, default="https://dichvucong.gov.vn")
    reception_address = models.CharField(_("citizen reception address"), max_length=300, blank=True, default="",
                                         help_text=_("Where complaints and denunciations are received in person."))
    # The unit's communication plan per month, by post kind: what the monthly report measures against.
    monthly_plan = models.JSONField(_("monthly plan"), default=default_plan, blank=True,
                                    help_text=_('Posts per month by kind, e.g. {"bulletin": 1, "slogan": 2}.'))
    complaint_template = models.TextField(
        _("complaint answer template"), blank=True, default="",
        help_text=_("Empty: Loa's standard answer. Placeholders: {unit}, {address}, {hotline}."))

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["slug"]

    def __str__(self):
        return self.name

    def lineage(self) -> list["Unit"]:
        """This unit and its ancestors, nearest first."""
        chain, unit = [], self
        while unit is not None:
            chain.append(unit)
            unit = unit.parent
        return chain

    def is_within(self, other: "Unit") -> bool:
        """True when this unit is `other` or lies below it."""
        return any(u.pk == other.pk for u in self.lineage())


class Role(models.TextChoices):
    EDITOR = "editor", _("editor")
    APPROVER = "approver", _("approver")
    STAFF = "staff", _("feedback staff")
    ADMIN = "admin", _("administrator")


class Profile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="loa_profile")
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="members")
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)

    class Meta:
        verbose_name = _("user profile")
        verbose_name_plural = _("user profiles")

    def __str__(self):
        return f"{self.user.username} ({self.get_role_display()}, {self.unit.slug})"

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        from bot.roles import sync_groups  # noqa: PLC0415 - roles needs the auth models loaded

        sync_groups(self)


class Channel(models.Model):
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="channels")
    kind = models.CharField(_("channel kind"), max_length=32)
    name = models.SlugField(_("channel name"), max_length=64, unique=True)
    settings = models.JSONField(_("settings"), default=dict, blank=True)
    secrets_encrypted = models.TextField(_("secrets (encrypted)"), blank=True, default="")
    enabled = models.BooleanField(_("enabled"), default=True)
    needs_reauth = models.BooleanField(_("needs re-authorisation"), default=False)
    reauth_reason = models.TextField(_("re-authorisation reason"), blank=True, default="")
    reply_cursor = models.TextField(_("reply polling cursor"), blank=True, default="")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("channel")
        verbose_name_plural = _("channels")
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} ({self.kind})"


class Workflow(models.TextChoices):
    DRAFT = "draft", _("draft")
    SUBMITTED = "submitted", _("awaiting approval")
    RETURNED = "returned", _("returned")
    APPROVED = "approved", _("approved")
    CANCELLED = "cancelled", _("cancelled")


class PostKind(models.TextChoices):
    SLOGAN = "slogan", _("slogan")
    BULLETIN = "bulletin", _("reform bulletin")
    GUIDE = "guide", _("online service guide")


class Post(models.Model):
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="posts")
    kind = models.CharField(_("post kind"), max_length=16, choices=PostKind.choices)
    title = models.CharField(_("title"), max_length=300)
    body = models.TextField(_("body"), blank=True, default="")
    fields = models.JSONField(_("structured fields"), default=dict, blank=True)
    channels = models.ManyToManyField(Channel, verbose_name=_("channels"), related_name="posts")
    publish_at = models.DateTimeField(_("publish at"), null=True, blank=True)
    workflow = models.CharField(_("approval stage"), max_length=16, choices=Workflow.choices, default=Workflow.DRAFT)
    return_reason = models.TextField(_("return reason"), blank=True, default="")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.PROTECT, related_name="authored_posts"
    )
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("approved by"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="approved_posts",
    )
    series = models.ForeignKey(
        "Series", verbose_name=_("series"), null=True, blank=True, on_delete=models.SET_NULL, related_name="posts"
    )
    occurrence_at = models.DateTimeField(_("occurrence"), null=True, blank=True)
    slogan = models.ForeignKey(
        "Slogan", verbose_name=_("slogan"), null=True, blank=True, on_delete=models.SET_NULL, related_name="posts"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)

    class Meta:
        verbose_name = _("post")
        verbose_name_plural = _("posts")
        ordering = ["-created_at"]
        constraints = [
            # Materialising a series twice (two beats, a retry) must not create a second post.
            models.UniqueConstraint(fields=["series", "occurrence_at"], name="one_post_per_series_occurrence"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.title}"

    @property
    def status(self) -> str:
        return derive_post_status(self.workflow, [d.state for d in self.deliveries.all()])


DELIVERY_STATE_LABELS = {
    ds.SCHEDULED: _("scheduled"),
    ds.QUEUED: _("queued"),
    ds.SENDING: _("sending"),
    ds.SENT: _("sent"),
    ds.FAILED: _("failed"),
    ds.UNCONFIRMED: _("unconfirmed"),
    ds.CANCELLED: _("cancelled"),
}


def new_marker() -> str:
    return "loa-" + uuid.uuid4().hex[:16]


class Delivery(models.Model):
    """One post on one channel. Its `state` changes only through bot.publishing.transitions.move."""

    post = models.ForeignKey(Post, verbose_name=_("post"), on_delete=models.CASCADE, related_name="deliveries")
    channel = models.ForeignKey(Channel, verbose_name=_("channel"), on_delete=models.PROTECT, related_name="deliveries")
    state = models.CharField(
        _("state"), max_length=16, choices=list(DELIVERY_STATE_LABELS.items()), default=ds.SCHEDULED
    )
    due_at = models.DateTimeField(_("due at"))
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True, default="")
    marker = models.CharField(_("marker"), max_length=40, unique=True, default=new_marker)
    remote_id = models.CharField(_("remote id"), max_length=200, blank=True, default="")
    permalink = models.URLField(_("permalink"), max_length=500, blank=True, default="")
    snapshot = models.JSONField(_("snapshot of what was sent"), null=True, blank=True)
    queued_at = models.DateTimeField(_("queued at"), null=True, blank=True)
    sending_at = models.DateTimeField(_("sending since"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    # A rate-limit slot reserved for this delivery: when it comes due at that time it goes
    # without asking the limiter again (see bot.publishing.ratelimit).
    rate_slot_at = models.DateTimeField(_("rate-limit slot"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [models.UniqueConstraint(fields=["post", "channel"], name="one_delivery_per_post_channel")]
        indexes = [models.Index(fields=["state", "due_at"], name="delivery_state_due")]

    def __str__(self):
        return f"#{self.pk} {self.post_id}→{self.channel_id} {self.state}"


class Slogan(models.Model):
    """One slogan in a unit's library; rotation picks the least recently used."""

    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.CASCADE, related_name="slogans")
    text = models.TextField(_("slogan"))
    text_key = models.CharField(max_length=600, editable=False)  # normalised text, for duplicates
    source = models.CharField(_("source document"), max_length=300, blank=True, default="")
    tags = models.JSONField(_("tags"), default=list, blank=True)
    times_used = models.PositiveIntegerField(_("times used"), default=0)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("slogan")
        verbose_name_plural = _("slogan library")
        ordering = ["unit", "last_used_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["unit", "text_key"], name="one_slogan_text_per_unit")]

    def __str__(self):
        return self.text[:80]


class Series(models.Model):
    """Recurring content: an RFC 5545 RRULE (plus repeats, e.g. the next morning) that materialises
    posts a number of days ahead, as drafts or pre-approved."""

    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="series")
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("post kind"), max_length=16, choices=PostKind.choices)
    preset = models.CharField(_("preset"), max_length=40, blank=True, default="")
    rrule = models.TextField(_("recurrence rule (RRULE)"))
    dtstart = models.DateTimeField(_("starts at"))
    repeats = models.JSONField(_("repeats (minutes after each occurrence)"), default=list, blank=True)
    template = models.JSONField(_("post template"), default=dict, blank=True)
    channels = models.ManyToManyField(Channel, verbose_name=_("channels"), related_name="series")
    lookahead_days = models.PositiveIntegerField(_("days ahead"), default=14)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.PROTECT, related_name="authored_series"
    )
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("approved by"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="approved_series",
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("series")
        verbose_name_plural = _("series")
        ordering = ["unit", "name"]

    def __str__(self):
        return self.name


class FeedbackCategory(models.TextChoices):
    QUESTION = "hoi_dap", _("question")
    REPORT = "phan_anh", _("report of a problem")
    PROPOSAL = "kien_nghi", _("proposal")
    PRAISE = "khen_ngoi", _("praise")
    COMPLAINT = "khieu_nai_to_cao", _("complaint or denunciation")
    SPAM = "spam", _("spam or abuse")
    OTHER = "khac", _("other")


class FeedbackStatus(models.TextChoices):
    NEW = "new", _("new")
    IN_PROGRESS = "in_progress", _("in progress")
    ANSWERED = "answered", _("answered")
    CLOSED = "closed", _("closed")


class Feedback(models.Model):
    """What a citizen wrote back on a channel. Personal data: keep what review needs (Law 91/2025)."""

    channel = models.ForeignKey(Channel, verbose_name=_("channel"), on_delete=models.PROTECT, related_name="feedback")
    delivery = models.ForeignKey(
        Delivery, verbose_name=_("delivery"), null=True, blank=True, on_delete=models.SET_NULL, related_name="feedback"
    )
    remote_id = models.CharField(_("remote id"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, default="comment")
    author_key = models.CharField(_("author (pseudonym)"), max_length=64, db_index=True)
    author_name = models.CharField(_("author name"), max_length=200, blank=True, default="")
    answer_to = models.CharField(_("answer address"), max_length=200, blank=True, default="")
    text = models.TextField(_("text"), blank=True, default="")
    attachments = models.JSONField(_("attachments"), default=list, blank=True)
    received_at = models.DateTimeField(_("received at"))
    category = models.CharField(_("category"), max_length=20, choices=FeedbackCategory.choices,
                                default=FeedbackCategory.OTHER)
    status = models.CharField(_("status"), max_length=16, choices=FeedbackStatus.choices, default=FeedbackStatus.NEW)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("assignee"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="assigned_feedback",
    )
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    answer = models.TextField(_("answer"), blank=True, default="")
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    answer_remote_id = models.CharField(_("answer remote id"), max_length=200, blank=True, default="")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")
        ordering = ["-received_at", "-pk"]
        constraints = [
            # Seen by the webhook and by polling, a citizen's message is still one record.
            models.UniqueConstraint(fields=["channel", "remote_id"], name="one_feedback_per_remote_id"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.text[:60]}"


class SavedReply(models.Model):
    """An answer staff reuse, with variables filled in per citizen (bot.feedback.saved_replies)."""

    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.CASCADE, related_name="saved_replies")
    title = models.CharField(_("title"), max_length=120)
    text = models.TextField(_("text"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("saved reply")
        verbose_name_plural = _("saved replies")
        ordering = ["title"]
        constraints = [models.UniqueConstraint(fields=["unit", "title"], name="one_saved_reply_title_per_unit")]

    def __str__(self):
        return self.title


class ClassifierPhrase(models.Model):
    """A deployment's change to the feedback classifier's keyword lists (bot.feedback.classify)."""

    category = models.CharField(_("category"), max_length=20, choices=FeedbackCategory.choices)
    phrase = models.CharField(
        _("phrase"), max_length=200,
        help_text=_('Matched without accents. "-phrase" removes a built-in phrase; " *0.5" sets a weaker weight.'))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("classifier phrase")
        verbose_name_plural = _("classifier phrases")
        ordering = ["category", "phrase"]
        constraints = [models.UniqueConstraint(fields=["category", "phrase"], name="one_phrase_per_category")]

    def __str__(self):
        return f"{self.category}: {self.phrase}"

    def clean(self):
        from bot.feedback.classify import OTHER, compile_rule  # noqa: PLC0415 - models load before the classifier

        if self.category == OTHER:
            raise ValidationError({"category": _('"Other" is what no phrase matched; it takes no phrases.')})
        try:
            compile_rule(self.category, self.phrase.removeprefix("-"))
        except ValueError as exc:
            raise ValidationError({"phrase": str(exc)}) from None


class FeedbackView(models.Model):
    """Who looked at which citizen's feedback, and how (Law 91/2025 asks who processed personal data)."""

    feedback = models.ForeignKey(Feedback, verbose_name=_("feedback"), on_delete=models.CASCADE, related_name="views")
    viewer = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("viewer"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")
    viewer_name = models.CharField(_("viewer name"), max_length=150)
    via = models.CharField(_("via"), max_length=16)  # web, list, export, cli
    unmasked = models.BooleanField(_("identifiers shown"), default=False)
    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("feedback view")
        verbose_name_plural = _("feedback views")
        ordering = ["-at", "-id"]


class ThreadMap(models.Model):
    """Telegram: our channel post copied into the discussion group as message `thread_id`."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="threads")
    thread_id = models.CharField(max_length=64)
    post_remote_id = models.CharField(max_length=64)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["channel", "thread_id"], name="one_thread_per_message")]


class InboundEvent(models.Model):
    """A verified webhook body, stored before anything else happens and processed by the worker."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="inbound_events")
    body = models.BinaryField()
    headers = models.JSONField(default=dict)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True, default="")


class RateSlot(models.Model):
    """Rate-limit state on the embedded defaults (Redis holds it in production): GCRA's theoretical
    arrival time per key, in epoch seconds."""

    key = models.CharField(max_length=200, primary_key=True)
    tat = models.FloatField(default=0.0)

    class Meta:
        verbose_name = _("rate-limit slot")
        verbose_name_plural = _("rate-limit slots")


class AuditEntry(models.Model):
    """Who did what, when. Written by bot.audit; never edited."""

    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("actor"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    actor_name = models.CharField(_("actor name"), max_length=150)
    action = models.CharField(_("action"), max_length=64)
    target = models.CharField(_("target"), max_length=64, db_index=True)
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), null=True, blank=True, on_delete=models.SET_NULL)
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit trail")
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.target}"
