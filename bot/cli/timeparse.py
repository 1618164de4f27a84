"""Reading times given on the command line: ISO-8601, local (Asia/Ho_Chi_Minh) when no offset is given."""

from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from bot.errors import Invalid


def parse_local_time(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise Invalid(
            _("Cannot read %(text)s as a time; write it as ISO-8601, e.g. 2026-12-01T08:00 or 2026-12-01T08:00+07:00.")
            % {"text": text}
        ) from None
    if timezone.is_naive(value):
        value = timezone.make_aware(value, timezone.get_default_timezone())
    return value
