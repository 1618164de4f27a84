"""Working the inbox: assign a feedback item to a colleague, change its category, close it.

Each change is one conditional UPDATE (a closed item stays closed whatever a second tab sends) and one
audit entry; answering lives in bot.feedback.answer."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Case, F, Value, When
from django.utils.translation import gettext as _

from bot import audit
from bot.access import require
from bot.errors import Invalid
from bot.feedback.ingest import ANSWERABLE_KINDS, DUE_DAYS
from bot.models import Feedback, FeedbackCategory, FeedbackStatus, Role

TRIAGE_ROLES = {Role.STAFF, Role.APPROVER, Role.EDITOR}
ASSIGNABLE_ROLES = TRIAGE_ROLES


def colleagues(feedback: Feedback):
    """Users who may work on this item: the triage roles, in its unit or a unit above it."""
    return (get_user_model().objects
            .filter(is_active=True, loa_profile__role__in=ASSIGNABLE_ROLES,
                    loa_profile__unit__in=[u.pk for u in feedback.channel.unit.lineage()])
            .select_related("loa_profile__unit").order_by("username"))


def _closed(feedback: Feedback) -> Invalid:
    return Invalid(_("Feedback %(id)s is closed.") % {"id": feedback.pk})


def assign(feedback: Feedback, *, to, by) -> Feedback:
    """Give the item to `to`; a new item becomes "in progress" (someone has it now)."""
    unit = feedback.channel.unit
    require(by, unit, TRIAGE_ROLES, _("assign feedback"))
    if to is None or not colleagues(feedback).filter(pk=to.pk).exists():
        raise Invalid(_("That person cannot work on feedback of %(unit)s.") % {"unit": unit.name})
    with transaction.atomic():
        moved = (Feedback.objects.filter(pk=feedback.pk).exclude(status=FeedbackStatus.CLOSED)
                 .update(assignee=to, status=Case(When(status=FeedbackStatus.NEW, then=Value(FeedbackStatus.IN_PROGRESS)),
                                                  default=F("status"))))
        if not moved:
            raise _closed(feedback)
        audit.record("feedback.assign", feedback, actor=by, unit=unit, assignee=to.get_username())
    feedback.refresh_from_db()
    return feedback


def due_for(feedback: Feedback, category: str):
    """The answer deadline a category gives (as at ingest): none for praise, spam and non-messages."""
    days = DUE_DAYS.get(category) if feedback.kind in ANSWERABLE_KINDS else None
    return feedback.received_at + timedelta(days=days) if days else None


def reclassify(feedback: Feedback, *, category: str, by) -> Feedback:
    """Change the category (what reports count) and the deadline that follows from it."""
    unit = feedback.channel.unit
    require(by, unit, TRIAGE_ROLES, _("classify feedback"))
    if category not in FeedbackCategory.values:
        raise Invalid(_("Unknown category %(category)s.") % {"category": category})
    with transaction.atomic():
        before = Feedback.objects.filter(pk=feedback.pk).values_list("category", flat=True).first()
        Feedback.objects.filter(pk=feedback.pk).update(category=category, due_at=due_for(feedback, category))
        audit.record("feedback.classify", feedback, actor=by, unit=unit, before=before, after=category)
    feedback.refresh_from_db()
    return feedback


def close(feedback: Feedback, *, by) -> Feedback:
    """Nothing more to do on this item (answered, or needs no answer: praise, spam)."""
    unit = feedback.channel.unit
    require(by, unit, TRIAGE_ROLES, _("close feedback"))
    with transaction.atomic():
        if not Feedback.objects.filter(pk=feedback.pk).exclude(status=FeedbackStatus.CLOSED).update(
                status=FeedbackStatus.CLOSED):
            raise _closed(feedback)
        audit.record("feedback.close", feedback, actor=by, unit=unit)
    feedback.refresh_from_db()
    return feedback
