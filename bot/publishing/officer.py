"""What officers decide about deliveries the machine will not decide alone.

An unconfirmed delivery may already be on the platform: only a person who has looked may say
"it is there" (confirm) or "publish it again" (resend). A failed delivery may be retried once its
cause is fixed. Each decision is audited with its author.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from bot.access import AUTHOR_ROLES, APPROVER_ROLES, require
from bot.errors import Invalid, NotFound
from bot.models import Delivery
from bot.publishing import states
from bot.publishing.transitions import move

OFFICER_ROLES = AUTHOR_ROLES | APPROVER_ROLES


def get_delivery(delivery_id) -> Delivery:
    try:
        return Delivery.objects.select_related("post__unit", "channel").get(pk=int(delivery_id))
    except (Delivery.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("Unknown delivery %(id)s.") % {"id": delivery_id}) from None


def _refused(delivery: Delivery, action: str) -> Invalid:
    return Invalid(
        _("Delivery %(id)s is %(state)s; it cannot be %(action)s.")
        % {"id": delivery.pk, "state": delivery.get_state_display(), "action": action}
    )


def confirm_published(delivery: Delivery, *, by, permalink: str = "") -> None:
    """The officer found the post on the platform."""
    require(by, delivery.post.unit, OFFICER_ROLES, _("confirm deliveries"))
    fields = {"sent_at": timezone.now(), "last_error": ""}
    if permalink:
        fields["permalink"] = permalink
    if not move(delivery.pk, states.SENT, sources={states.UNCONFIRMED}, actor=by, reason="confirmed by officer", **fields):
        raise _refused(delivery, _("confirmed"))


def publish_again(delivery: Delivery, *, by) -> None:
    """The officer checked that the post is not on the platform (unconfirmed), or fixed a failure."""
    require(by, delivery.post.unit, OFFICER_ROLES, _("publish deliveries again"))
    moved = move(
        delivery.pk, states.SCHEDULED, sources={states.UNCONFIRMED, states.FAILED}, actor=by,
        reason="publish again, by officer", due_at=timezone.now(),
    )
    if not moved:
        raise _refused(delivery, _("published again"))


def give_up(delivery: Delivery, *, by, reason: str) -> None:
    """The officer checked that an unconfirmed post is not on the platform and will not resend it."""
    require(by, delivery.post.unit, OFFICER_ROLES, _("close deliveries"))
    text = reason.strip() or _("Closed by an officer.")
    if not move(delivery.pk, states.FAILED, sources={states.UNCONFIRMED}, actor=by, reason=text, last_error=text):
        raise _refused(delivery, _("closed"))
