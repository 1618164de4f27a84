"""The post's status, derived from its workflow stage and its deliveries' states. Pure function."""

from bot.publishing import states as s

DRAFT = "draft"
PENDING_APPROVAL = "pending_approval"
RETURNED = "returned"
SCHEDULED = "scheduled"
PUBLISHING = "publishing"
PUBLISHED = "published"
PARTIALLY_PUBLISHED = "partially_published"
FAILED = "failed"
NEEDS_ATTENTION = "needs_attention"
CANCELLED = "cancelled"

ALL = (
    DRAFT, PENDING_APPROVAL, RETURNED, SCHEDULED, PUBLISHING, PUBLISHED,
    PARTIALLY_PUBLISHED, FAILED, NEEDS_ATTENTION, CANCELLED,
)

_BEFORE_APPROVAL = {"draft": DRAFT, "submitted": PENDING_APPROVAL, "returned": RETURNED}


def derive_post_status(workflow: str, delivery_states: list[str]) -> str:
    """One word for the officer: what the post as a whole is doing.

    An unconfirmed delivery outranks everything else because it needs a human decision.
    """
    if workflow in _BEFORE_APPROVAL:
        return _BEFORE_APPROVAL[workflow]
    if workflow == "cancelled":
        return CANCELLED
    live = [x for x in delivery_states if x != s.CANCELLED]
    if not live:
        return CANCELLED if delivery_states else SCHEDULED
    if s.UNCONFIRMED in live:
        return NEEDS_ATTENTION
    if any(x in (s.QUEUED, s.SENDING) for x in live):
        return PUBLISHING
    sent, failed = live.count(s.SENT), live.count(s.FAILED)
    if sent == len(live):
        return PUBLISHED
    if failed == len(live):
        return FAILED
    if sent and failed and sent + failed == len(live):
        return PARTIALLY_PUBLISHED
    if sent or failed:
        return PUBLISHING
    return SCHEDULED
