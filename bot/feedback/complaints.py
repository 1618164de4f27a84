"""Complaints and denunciations (khiếu nại, tố cáo) are not settled on social media: Loa answers them at
once with the unit's formal channel (reception address, hotline), and staff still see them in the inbox."""

from __future__ import annotations

import logging

from bot.errors import Invalid
from bot.feedback.answer import send_answer
from bot.feedback.classify import COMPLAINT_TEMPLATE, complaint_answer
from bot.feedback.saved_replies import nearest
from bot.models import Feedback, FeedbackCategory, FeedbackStatus

log = logging.getLogger("loa.feedback")


def answer_text(unit) -> str | None:
    """The formal-channel answer for a unit, or None while the unit has not said where to go."""
    address, hotline = nearest(unit, "reception_address"), nearest(unit, "hotline")
    if not address or not hotline:
        return None
    template = nearest(unit, "complaint_template") or COMPLAINT_TEMPLATE
    return complaint_answer(unit.name, address, hotline, template)


def auto_answer(channel, created: list[Feedback]) -> int:
    """Answer the new complaints among the records just stored; returns how many answers were sent."""
    remote_ids = [f.remote_id for f in created if f.category == FeedbackCategory.COMPLAINT and f.answer_to]
    if not remote_ids:
        return 0
    sent = 0
    rows = Feedback.objects.filter(channel=channel, remote_id__in=remote_ids, category=FeedbackCategory.COMPLAINT,
                                   status=FeedbackStatus.NEW).exclude(answer_to="").select_related("channel__unit")
    for feedback in rows:
        text = answer_text(feedback.channel.unit)
        if text is None:
            log.warning("complaint %s left for staff: unit %s has no reception address or hotline",
                        feedback.pk, feedback.channel.unit.slug)
            continue
        try:
            send_answer(feedback, text)
            sent += 1
        except Invalid as exc:  # the platform refused or the window closed: staff take it from the inbox
            log.warning("complaint %s was not answered automatically: %s", feedback.pk, exc)
    return sent
