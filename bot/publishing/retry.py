"""When to try again after a failure that proves nothing was created. Pure."""

from datetime import timedelta

MAX_BACKOFF = timedelta(hours=1)


def backoff(attempt: int, base_seconds: float) -> timedelta:
    """Exponential: base, 2·base, 4·base, … capped at an hour."""
    return min(timedelta(seconds=base_seconds * 2 ** max(0, attempt - 1)), MAX_BACKOFF)
