"""Answering a citizen on the platform they wrote on: intent recorded before the platform call,
outcome right after, and never two answers sent for one message by two staff at once."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from bot import audit
from bot.access import require
from bot.channel_config import adapter_for
from bot.content.render import nfc
from bot.errors import Invalid
from bot.feedback.saved_replies import fill, get_reply, nearest, values_for
from bot.models import Feedback, FeedbackStatus, Role
from channels.errors import ChannelError, OutcomeUnknown

ANSWER_ROLES = {Role.STAFF, Role.APPROVER, Role.EDITOR}
OPEN = (FeedbackStatus.NEW, FeedbackStatus.IN_PROGRESS)
# Platforms that only let a page answer for a while after the citizen last wrote (platform-apis §1.3.1).
REPLY_WINDOWS = {"zalo": timedelta(days=7)}


def window_closed(feedback: Feedback, now=None) -> bool:
    """True when the platform no longer lets us answer this citizen (checked before any call)."""
    window = REPLY_WINDOWS.get(feedback.channel.kind)
    if window is None or feedback.kind != "message":
        return False
    latest = (Feedback.objects.filter(channel=feedback.channel, author_key=feedback.author_key)
              .order_by("-received_at").values_list("received_at", flat=True).first()) or feedback.received_at
    return (now or timezone.now()) - latest > window


def _window_refusal(feedback: Feedback) -> Invalid:
    hotline = nearest(feedback.channel.unit, "hotline")
    text = _("Zalo lets the OA answer a citizen only within 7 days of their last message, and that time has "
             "passed. Ask the citizen to write again, or reach them through the hotline")
    return Invalid(f"{text} {hotline}." if hotline else text + ".")


def answer_feedback(feedback: Feedback, *, by, text: str = "", saved: str = "") -> Feedback:
    """Staff answer one message: typed text, or a saved reply (by id or title) with its variables filled."""
    require(by, feedback.channel.unit, ANSWER_ROLES, _("answer feedback"))
    if saved:
        text = fill(get_reply(feedback.channel.unit, saved).text, values_for(feedback))
    return send_answer(feedback, text, actor=by)


def send_answer(feedback: Feedback, text: str, *, actor=None) -> Feedback:
    """The one path an answer takes to the platform (staff, or Loa itself for complaints)."""
    text = nfc(text).strip()
    if not text:
        raise Invalid(_("The answer is empty."))
    if not feedback.answer_to:
        raise Invalid(_("Feedback %(id)s cannot be answered on the platform.") % {"id": feedback.pk})
    if window_closed(feedback):
        raise _window_refusal(feedback)
    # The intent: whoever writes the answer first owns it; a second click finds it taken.
    claimed = Feedback.objects.filter(pk=feedback.pk, status__in=OPEN, answer="").update(
        answer=text, status=FeedbackStatus.IN_PROGRESS)
    if not claimed:
        raise Invalid(_("Feedback %(id)s is already answered or being answered.") % {"id": feedback.pk})
    unit = feedback.channel.unit
    try:
        published = adapter_for(feedback.channel).reply(feedback.answer_to, text)
    except OutcomeUnknown as exc:
        audit.record("feedback.answer_unknown", feedback, actor=actor, unit=unit)
        raise Invalid(_("The answer may or may not have reached the citizen (%(why)s); check the platform.")
                      % {"why": exc.message}) from None
    except ChannelError as exc:
        # Proven not sent: free to try again, and back in the state it was in, not "in progress" with nobody.
        Feedback.objects.filter(pk=feedback.pk).update(answer="", status=feedback.status)
        raise Invalid(_("The answer was not sent: %(why)s") % {"why": exc.message}) from None
    Feedback.objects.filter(pk=feedback.pk).update(
        status=FeedbackStatus.ANSWERED, answered_at=timezone.now(), answer_remote_id=published.remote_id,
        assignee=actor)
    audit.record("feedback.answer", feedback, actor=actor, unit=unit, remote_id=published.remote_id)
    feedback.refresh_from_db()
    return feedback
