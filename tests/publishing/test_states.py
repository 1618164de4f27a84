"""The transition table and the derived post status, without a database."""

import pytest

from bot.publishing import states as s
from bot.publishing.status import derive_post_status


def test_the_publishing_path_is_allowed_edge_by_edge():
    for a, b in [(s.SCHEDULED, s.QUEUED), (s.QUEUED, s.SENDING), (s.SENDING, s.SENT)]:
        s.check({a}, b)


def test_a_sent_delivery_can_never_leave_sent():
    for target in s.ALL:
        with pytest.raises(s.IllegalTransition):
            s.check({s.SENT}, target)


def test_unconfirmed_is_never_requeued_directly():
    with pytest.raises(s.IllegalTransition):
        s.check({s.UNCONFIRMED}, s.QUEUED)
    with pytest.raises(s.IllegalTransition):
        s.check({s.UNCONFIRMED}, s.SENDING)


def test_only_queued_deliveries_can_start_sending():
    assert s.sources_of(s.SENDING) == {s.QUEUED}


def test_unknown_target_state_is_refused():
    with pytest.raises(s.IllegalTransition):
        s.check({s.SCHEDULED}, "published")


def test_the_machine_reaches_scheduled_again_only_before_or_after_a_known_attempt():
    machine_sources = {src for src in s.sources_of(s.SCHEDULED) if (src, s.SCHEDULED) not in s.OFFICER_ONLY}
    assert machine_sources == {s.QUEUED, s.SENDING}


@pytest.mark.parametrize(
    "workflow, deliveries, expected",
    [
        ("draft", [], "draft"),
        ("submitted", [], "pending_approval"),
        ("returned", [], "returned"),
        ("approved", ["scheduled", "scheduled"], "scheduled"),
        ("approved", ["sent", "queued"], "publishing"),
        ("approved", ["sent", "sent"], "published"),
        ("approved", ["sent", "failed"], "partially_published"),
        ("approved", ["failed", "failed"], "failed"),
        ("approved", ["sent", "unconfirmed"], "needs_attention"),
        ("approved", ["failed", "unconfirmed"], "needs_attention"),
        ("approved", ["sent", "cancelled"], "published"),
        ("approved", ["cancelled"], "cancelled"),
        ("approved", ["sent", "scheduled"], "publishing"),
        ("cancelled", ["cancelled"], "cancelled"),
    ],
)
def test_post_status_is_derived_from_deliveries(workflow, deliveries, expected):
    assert derive_post_status(workflow, deliveries) == expected
