"""Citizens' personal data (Law 91/2025): retention with anonymisation, and erasure on request.

What identifies a citizen lives only in Feedback (name, answer address, text, attachments) and in
webhook bodies not yet processed (processed bodies are emptied at once). Anonymising keeps the
counts a unit reports on (category, status, dates) and removes everything else.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bot import audit
from bot.access import require
from bot.errors import Invalid
from bot.models import Feedback, InboundEvent, Role, Unit

ERASED = "[đã xoá]"
PRIVACY_ROLES = {Role.STAFF, Role.ADMIN, Role.APPROVER}


def _scrub(feedback):
    return feedback.update(author_name="", answer_to="", text=ERASED, attachments=[], answer="",
                           author_key="anonymised")


def erase_author(author_key: str, *, by) -> int:
    """Erase everything about one citizen (by the pseudonym shown in Loa); returns the records erased."""
    rows = Feedback.objects.filter(author_key=author_key).select_related("channel__unit")
    first = rows.first()
    if first is None:
        raise Invalid(_("No feedback from author %(author)s.") % {"author": author_key})
    require(by, first.channel.unit, PRIVACY_ROLES, _("erase citizens' data"))
    with transaction.atomic():
        count = _scrub(rows)
        # Unprocessed bodies may hold this citizen's words too; they are processed within a minute,
        # so the few still waiting are dropped rather than searched.
        InboundEvent.objects.filter(processed_at__isnull=True, channel__unit=first.channel.unit).delete()
        audit.record("feedback.erase", f"author:{author_key}", actor=by, unit=first.channel.unit, records=count)
    return count


def anonymise_expired(now=None) -> int:
    """Anonymise feedback older than its unit's retention period; returns how many records."""
    now = now or timezone.now()
    total = 0
    for unit in Unit.objects.all():
        cutoff = now - timedelta(days=unit.feedback_retention_days)
        expired = Feedback.objects.filter(channel__unit=unit, received_at__lt=cutoff).exclude(author_key="anonymised")
        total += _scrub(expired)
    InboundEvent.objects.filter(received_at__lt=now - timedelta(days=7)).delete()
    return total

