"""Delivery states and the transition table. Pure Python; `transitions.move` is its one writer.

```mermaid
stateDiagram-v2
    [*] --> scheduled: post approved
    scheduled --> queued: tick claims it (due)
    queued --> queued: tick re-dispatches (broker lost the message)
    queued --> sending: publish task, committed before the platform call
    queued --> failed: cannot be rendered
    queued --> scheduled: our rate limiter reserved a later slot
    sending --> sent: platform answered with an id
    sending --> scheduled: rate limited / proven not created (backoff)
    sending --> failed: bad content, token expired, attempts exhausted
    sending --> unconfirmed: outcome unknown (timeout, 5xx, worker killed: reaper)
    unconfirmed --> sent: found on the platform, or confirmed by an officer
    unconfirmed --> scheduled: officer asks to publish again
    unconfirmed --> failed: officer confirms it is not there and gives up
    failed --> scheduled: officer retries
    scheduled --> cancelled
    queued --> cancelled
```
"""

SCHEDULED = "scheduled"
QUEUED = "queued"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"
UNCONFIRMED = "unconfirmed"
CANCELLED = "cancelled"

ALL = (SCHEDULED, QUEUED, SENDING, SENT, FAILED, UNCONFIRMED, CANCELLED)

TRANSITIONS: dict[str, frozenset[str]] = {
    SCHEDULED: frozenset({QUEUED, CANCELLED}),
    QUEUED: frozenset({QUEUED, SENDING, SCHEDULED, FAILED, CANCELLED}),
    SENDING: frozenset({SENT, SCHEDULED, FAILED, UNCONFIRMED}),
    UNCONFIRMED: frozenset({SENT, SCHEDULED, FAILED}),
    FAILED: frozenset({SCHEDULED}),
    SENT: frozenset(),
    CANCELLED: frozenset(),
}

# Only humans may take these edges: an unknown outcome is never resent by the machine.
# (queued -> scheduled is the machine's, but no platform call has happened on that path.)
OFFICER_ONLY = frozenset({(UNCONFIRMED, SCHEDULED), (UNCONFIRMED, FAILED), (FAILED, SCHEDULED)})

TERMINAL = frozenset(s for s, targets in TRANSITIONS.items() if not targets)


class IllegalTransition(ValueError):
    pass


def sources_of(target: str) -> frozenset[str]:
    """Every state from which `target` may be reached."""
    return frozenset(s for s, targets in TRANSITIONS.items() if target in targets)


def check(sources: frozenset[str] | set[str], target: str) -> None:
    if target not in TRANSITIONS:
        raise IllegalTransition(f"unknown delivery state {target!r}")
    illegal = set(sources) - sources_of(target)
    if illegal:
        raise IllegalTransition(f"no transition {sorted(illegal)} -> {target}")
