"""Answering a citizen on the platform they wrote on: intent recorded before the platform call,
outcome right after, and never two answers sent for one message by two staff at once."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from bot import audit
from bot.access import require
from bot.channel_config import adapter_for
from bot.content.render import nfc
from bot.errors import Invalid
from bot.models import Feedback, FeedbackStatus, Role
from channels.errors import ChannelError, OutcomeUnknown

ANSWER_ROLES = {Role.STAFF, Role.APPROVER, Role.EDITOR}
OPEN = (FeedbackStatus.NEW, FeedbackStatus.IN_PROGRESS)


def answer_feedback(feedback: Feedback, *, by, text: str) -> Feedback:
    require(by, feedback.channel.unit, ANSWER_ROLES, _("answer feedback"))
    text = nfc(text).strip()
    if not text:
        raise Invalid(_("The answer is empty."))
    if not feedback.answer_to:
        raise Invalid(_("Feedback %(id)s cannot be answered on the platform.") % {"id": feedback.pk})
    # The intent: whoever writes the answer first owns it; a second click finds it taken.
    claimed = Feedback.objects.filter(pk=feedback.pk, status__in=OPEN, answer="").update(
        answer=text, status=FeedbackStatus.IN_PROGRESS)
    if not claimed:
        raise Invalid(_("Feedback %(id)s is already answered or being answered.") % {"id": feedback.pk})
    try:
        published = adapter_for(feedback.channel).reply(feedback.answer_to, text)
    except OutcomeUnknown as exc:
        audit.record("feedback.answer_unknown", feedback, actor=by, unit=feedback.channel.unit)
        raise Invalid(_("The answer may or may not have reached the citizen (%(why)s); check the platform.")
                      % {"why": exc.message}) from None
    except ChannelError as exc:
        Feedback.objects.filter(pk=feedback.pk).update(answer="")  # proven not sent: free to try again
        raise Invalid(_("The answer was not sent: %(why)s") % {"why": exc.message}) from None
    Feedback.objects.filter(pk=feedback.pk).update(
        status=FeedbackStatus.ANSWERED, answered_at=timezone.now(), answer_remote_id=published.remote_id,
        assignee=by)
    audit.record("feedback.answer", feedback, actor=by, unit=feedback.channel.unit, remote_id=published.remote_id)
    feedback.refresh_from_db()
    return feedback
