"""The log of who saw which citizen's feedback (Law 91/2025: who processed personal data, when)."""

from __future__ import annotations

from bot.models import FeedbackView


def record_views(feedback_ids, *, viewer=None, via: str, unmasked: bool = False) -> int:
    """One row per feedback shown; `viewer` None is the shell operator (the CLI without --by)."""
    name = viewer.get_username() if viewer is not None else "cli"
    rows = [FeedbackView(feedback_id=pk, viewer=viewer, viewer_name=name, via=via, unmasked=unmasked)
            for pk in feedback_ids]
    FeedbackView.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def viewers_of(feedback) -> list[FeedbackView]:
    return list(feedback.views.order_by("-at")[:200])
