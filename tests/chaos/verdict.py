"""What became of each delivery, judged from its row and from what the fake platforms show. Pure.

Acceptable ends: sent and on the platform once; unconfirmed, then found on the platform by
reconciliation (once); surfaced to an officer (unconfirmed or failed) with nothing on the platform;
or surfaced as unconfirmed with the post on the platform once where the platform cannot be searched
(Telegram, Zalo broadcasts: the officer looks and confirms, as DESIGN.md says). Everything else is a
duplicate, a silent loss, or a delivery the machine forgot.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from bot.publishing import states

SENT_ONCE = "sent, on the platform once"
RECONCILED = "unconfirmed, found by reconciliation, once"
SURFACED_ABSENT = "surfaced to the officer, nothing on the platform"
SURFACED_PRESENT = "surfaced to the officer, on the platform once (not searchable)"
DUPLICATE = "FAIL duplicate: on the platform twice or more"
SENT_ABSENT = "FAIL sent, but not on the platform"
FAILED_PRESENT = "FAIL failed, but on the platform"
MISSED = "FAIL unconfirmed, findable, not reconciled"
STUCK = "FAIL still scheduled, queued or sending"
MISROUTED = "FAIL on another channel"

ACCEPTABLE = (SENT_ONCE, RECONCILED, SURFACED_ABSENT, SURFACED_PRESENT)
FAILURES = (DUPLICATE, SENT_ABSENT, FAILED_PRESENT, MISSED, STUCK, MISROUTED)
LOSSES = frozenset({SENT_ABSENT, FAILED_PRESENT, MISSED, STUCK, MISROUTED})


@dataclass(frozen=True)
class Observed:
    delivery_id: int
    kind: str
    state: str
    reconciled: bool  # moved unconfirmed -> sent because the platform showed it
    on_channel: int  # publications of its text on its own channel
    elsewhere: int  # publications of its text on any other channel
    findable: bool = False  # unconfirmed and present: the adapter's `find` sees it now


def classify(o: Observed) -> str:
    if o.on_channel + o.elsewhere > 1:
        return DUPLICATE
    if o.elsewhere:
        return MISROUTED
    if o.state == states.SENT:
        if o.on_channel == 0:
            return SENT_ABSENT
        return RECONCILED if o.reconciled else SENT_ONCE
    if o.state == states.FAILED:
        return FAILED_PRESENT if o.on_channel else SURFACED_ABSENT
    if o.state == states.UNCONFIRMED:
        if not o.on_channel:
            return SURFACED_ABSENT
        return MISSED if o.findable else SURFACED_PRESENT
    return STUCK  # scheduled, queued, sending (or cancelled, which nothing here asks for)


@dataclass
class Verdict:
    kinds: list[str]
    counts: Counter  # (class, kind) -> deliveries
    failures: list[tuple[Observed, str]]

    @classmethod
    def of(cls, observed: list[Observed]) -> "Verdict":
        counts, failures = Counter(), []
        for o in observed:
            verdict = classify(o)
            counts[verdict, o.kind] += 1
            if verdict in FAILURES:
                failures.append((o, verdict))
        return cls(sorted({o.kind for o in observed}), counts, failures)

    def total(self, verdict: str) -> int:
        return sum(n for (v, _), n in self.counts.items() if v == verdict)

    @property
    def duplicates(self) -> int:
        return self.total(DUPLICATE)

    @property
    def losses(self) -> int:
        return sum(self.total(v) for v in LOSSES)

    def table(self) -> str:
        width = max(len(v) for v in ACCEPTABLE + FAILURES) + 2
        head = f"{'outcome':<{width}}" + "".join(f"{k:>10}" for k in self.kinds) + f"{'total':>10}"
        lines = [head, "-" * len(head)]
        for verdict in ACCEPTABLE + FAILURES:
            cells = [self.counts[verdict, k] for k in self.kinds]
            lines.append(f"{verdict:<{width}}" + "".join(f"{n:>10}" for n in cells) + f"{sum(cells):>10}")
        return "\n".join(lines)
