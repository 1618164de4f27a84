"""The compose form and the posts list's filters: request data in, plain values out. No views here.

The form's values are kept as typed (for redisplay beside an error); `fields_for` turns them into
the structured fields the services validate (bot.content.kinds), so the rules live in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bot.access import APPROVER_ROLES, AUTHOR_ROLES
from bot.content import recurrence
from bot.content.render import cut, nfc
from bot.content.series import fill, holiday_calendar, placeholders
from bot.errors import Invalid
from bot.models import PostKind, Role, Unit, Workflow
from bot.publishing import states
from bot.publishing import status as st

PER_PAGE = 25
SIMPLE = ("kind", "title", "body", "text", "source", "tags", "issue", "month", "service", "portal_url", "level",
          "steps", "documents", "fees", "processing_time", "help", "publish_at", "unit", "slogan")
SECTION_PARTS = ("title", "body", "link")
SECTIONS_SHOWN_MAX = 12  # bot.content.limits.BULLETIN_SECTIONS_MAX: the form offers no more groups than that
YEARS = (2000, 2999)
SERIES_HORIZON = timedelta(days=400)  # a yearly series still shows its next occurrence
INPUT_MAX = 60_000  # longer than any field the services accept; cut so a pasted book cannot fill memory twice

STATUS_LABELS = {
    st.DRAFT: gettext_lazy("draft"),
    st.PENDING_APPROVAL: gettext_lazy("awaiting approval"),
    st.RETURNED: gettext_lazy("returned"),
    st.SCHEDULED: gettext_lazy("scheduled"),
    st.PUBLISHING: gettext_lazy("publishing"),
    st.PUBLISHED: gettext_lazy("published"),
    st.PARTIALLY_PUBLISHED: gettext_lazy("partially published"),
    st.FAILED: gettext_lazy("failed"),
    st.NEEDS_ATTENTION: gettext_lazy("needs attention"),
    st.CANCELLED: gettext_lazy("cancelled"),
}
GUIDE_LEVEL_CHOICES = (("", gettext_lazy("not stated")), ("toàn trình", gettext_lazy("full (online end to end)")),
                       ("một phần", gettext_lazy("partial (part online)")))


def _value(data, key: str) -> str:
    return nfc(str(data.get(key, "") or "")[:INPUT_MAX])


def whole_number(raw, digits: int = 18) -> int | None:
    """A query parameter as an id or page number; None for anything else ("²" passes isdigit but not int)."""
    raw = str(raw or "").strip()
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= digits else None


def page_of(items, raw: str | None, per_page: int = PER_PAGE):
    """The requested page; anything that is not a page number of this list shows page 1."""
    paginator = Paginator(items, per_page)
    number = whole_number(raw, 6) or 1
    return paginator.page(number if number <= paginator.num_pages else 1)


def read_compose(data) -> dict:
    """The compose form's values as typed (NFC), ready to fill the form again."""
    values = {key: _value(data, key) for key in SIMPLE}
    values["kind"] = values["kind"] or PostKind.SLOGAN
    values["channels"] = [nfc(name) for name in data.getlist("channels")][:50]
    # One more than allowed is kept, so the service can say "at most 12" instead of losing one silently.
    parts = {part: data.getlist(f"section_{part}")[:SECTIONS_SHOWN_MAX + 1] for part in SECTION_PARTS}
    count = max(len(items) for items in parts.values())
    values["sections"] = [{part: nfc(items[i])[:INPUT_MAX] if i < len(items) else "" for part, items in parts.items()}
                          for i in range(count)]
    return values


def section_groups(values: dict) -> list[dict]:
    """The sections typed so far, plus one empty group to write the next one in."""
    filled = [s for s in values.get("sections", []) if any(v.strip() for v in s.values())]
    if len(filled) < SECTIONS_SHOWN_MAX:
        filled.append(dict.fromkeys(SECTION_PARTS, ""))
    return filled


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def fields_for(kind: str, values: dict) -> dict:
    """The structured fields of `kind` from the form; {} when none was filled (the post is a title and a body)."""
    if kind == PostKind.SLOGAN:
        fields = {"text": values["text"], "source": values["source"],
                  "tags": [t.strip() for t in values["tags"].split(",") if t.strip()]}
        return fields if fields["text"].strip() else {}
    if kind == PostKind.BULLETIN:
        sections = [{k: v.strip() for k, v in s.items()} for s in values["sections"] if any(v.strip() for v in s.values())]
        fields = {"issue": values["issue"], "month": values["month"], "sections": sections}
    elif kind == PostKind.GUIDE:
        fields = {key: values[key] for key in ("service", "portal_url", "level", "fees", "processing_time", "help")}
        fields.update(steps=_lines(values["steps"]), documents=_lines(values["documents"]))
    else:
        return {}
    return fields if any(v.strip() if isinstance(v, str) else v for v in fields.values()) else {}


def check_kind(kind: str) -> str:
    if kind not in PostKind.values:
        raise Invalid(_("Choose a kind of post."))
    return kind


def parse_local_time(text: str) -> datetime | None:
    """A datetime-local value, read as Vietnam time; None when empty (publish on approval)."""
    text = text.strip()
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        value = None
    # Years far off are typing slips, and year 1 cannot even be converted to UTC.
    if value is None or not YEARS[0] <= value.year <= YEARS[1]:
        raise Invalid(_("The publishing time %(value)s is not a date and time.") % {"value": text[:40]})
    if timezone.is_naive(value):
        value = timezone.make_aware(value)  # the current time zone: Asia/Ho_Chi_Minh
    return value


def local_input(value: datetime | None) -> str:
    """A stored time as a datetime-local value in Vietnam time."""
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M") if value else ""


def unit_in_scope(scope: list[int], raw: str, default: Unit) -> Unit:
    if not raw:
        return default
    unit_id = whole_number(raw)
    unit = Unit.objects.filter(pk=unit_id, pk__in=scope).first() if unit_id is not None else None
    if unit is None:
        raise Invalid(_("Choose one of your units."))
    return unit


def blank_form(unit: Unit) -> dict:
    values = dict.fromkeys(SIMPLE, "")
    values.update(kind=PostKind.SLOGAN, unit=str(unit.pk), channels=[], sections=[])
    return values


def prefill_slogan(slogan) -> dict:
    values = blank_form(slogan.unit)
    values.update(kind=PostKind.SLOGAN, title=cut(slogan.text, 100), text=slogan.text, source=slogan.source,
                  tags=", ".join(slogan.tags or []), slogan=str(slogan.pk))
    return values


def prefill_post(post) -> dict:
    """A copy of an existing post's content (to rewrite a returned post, or reuse an old one)."""
    values = blank_form(post.unit)
    fields = post.fields or {}
    values.update(kind=post.kind, title=post.title, body=post.body,
                  channels=[c.name for c in post.channels.all() if c.enabled],
                  publish_at=local_input(post.publish_at) if post.publish_at and post.publish_at > timezone.now() else "")
    values.update(content_values(post.kind, fields))
    return values


def prefill_series(series, now: datetime | None = None) -> dict:
    """The series' template filled in for its next occurrence (a one-off post in the series' style)."""
    now = now or timezone.now()
    values, template = blank_form(series.unit), series.template or {}
    try:
        upcoming = recurrence.occurrence_items(series.rrule, series.dtstart, now, now + SERIES_HORIZON,
                                               series.repeats, holiday_calendar())
    except recurrence.RuleError:
        upcoming = []
    main = next((item for item in upcoming if not item.repeat), None)
    if main is not None:
        template = fill(template, placeholders(main))
        values["publish_at"] = local_input(main.at)
    values.update(kind=series.kind, title=str(template.get("title") or series.name), body=str(template.get("body") or ""),
                  channels=[c.name for c in series.channels.all() if c.enabled])
    values.update(content_values(series.kind, template.get("fields") or {}))
    return values


def content_values(kind: str, fields: dict) -> dict:
    """Form values from structured fields (the reverse of fields_for)."""
    if kind == PostKind.SLOGAN:
        return {"text": fields.get("text", ""), "source": fields.get("source", ""), "tags": ", ".join(fields.get("tags") or [])}
    if kind == PostKind.BULLETIN:
        sections = [{k: str(s.get(k, "")) for k in SECTION_PARTS} for s in fields.get("sections") or [] if isinstance(s, dict)]
        return {"issue": str(fields.get("issue", "")), "month": str(fields.get("month", "")), "sections": sections}
    if kind == PostKind.GUIDE:
        simple = {k: str(fields.get(k, "")) for k in ("service", "portal_url", "level", "fees", "processing_time", "help")}
        return {**simple, "steps": "\n".join(fields.get("steps") or []), "documents": "\n".join(fields.get("documents") or [])}
    return {}


@dataclass(frozen=True)
class ListFilters:
    status: str = ""
    kind: str = ""
    unit: int | None = None

    def query(self) -> str:
        """The filters as a query string, for the pagination links."""
        pairs = {"status": self.status, "kind": self.kind, "unit": self.unit or ""}
        return urlencode({k: v for k, v in pairs.items() if v})


def parse_filters(params, scope: list[int]) -> ListFilters:
    """The list's filters; a value that is not one of the choices (or a unit outside scope) is ignored."""
    status = params.get("status", "")
    kind = params.get("kind", "")
    unit = params.get("unit", "")
    unit_id = whole_number(unit)
    unit_id = unit_id if unit_id in scope else None
    return ListFilters(status if status in st.ALL else "", kind if kind in PostKind.values else "", unit_id)


def post_actions(user, profile, post) -> set[str]:
    """What this user may do with the post now: what the page offers (the services still decide)."""
    role, stage, own = profile.role, post.workflow, post.author_id == user.pk
    actions = set()
    if role in AUTHOR_ROLES and stage in (Workflow.DRAFT, Workflow.RETURNED):
        actions.add("submit")
    if role in APPROVER_ROLES and stage == Workflow.SUBMITTED:
        actions.add("return")
        if not own:
            actions.add("approve")
    if stage != Workflow.CANCELLED and may_cancel(user, profile, post):
        actions.add("cancel")
    return actions


def may_cancel(user, profile, post) -> bool:
    """Only the author or an approver withdraws a post: another editor's work is not theirs to stop."""
    return profile.role in APPROVER_ROLES or (profile.role == Role.EDITOR and post.author_id == user.pk)


def delivery_actions(profile, delivery) -> set[str]:
    if profile.role not in AUTHOR_ROLES | APPROVER_ROLES:
        return set()
    if delivery.state == states.UNCONFIRMED:
        return {"confirm", "resend", "close"}
    if delivery.state == states.FAILED:
        return {"resend"}
    return set()
