"""/inbox/: citizens' feedback of the user's units — filter, read, assign, classify, answer, close.

Identifiers in citizens' texts (phone, ID number, e-mail) are shown only to feedback staff, who call
citizens back; everyone else reads them masked. Every list page and detail shown is logged (Law 91/2025)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _, gettext_lazy

from bot.errors import Invalid
from bot.feedback import triage
from bot.feedback.answer import ANSWER_ROLES, OPEN, answer_feedback
from bot.feedback.pii import mask_for
from bot.feedback.saved_replies import fill, replies_for, values_for
from bot.feedback.views_log import record_views, viewers_of
from bot.models import Channel, Feedback, FeedbackCategory, FeedbackStatus, Role, Unit
from bot.web.guard import in_scope, page, scoped

PAGE_SIZE = 25
UNMASKED_ROLES = {Role.STAFF}  # they call citizens back; the others need the substance, not the number
VIEWERS_ROLES = {Role.APPROVER, Role.ADMIN}
ANY = [("", gettext_lazy("any"))]


class Filters(forms.Form):
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False, choices=ANY + FeedbackStatus.choices)
    category = forms.ChoiceField(label=gettext_lazy("Category"), required=False,
                                 choices=ANY + FeedbackCategory.choices)
    channel = forms.ChoiceField(label=gettext_lazy("Channel"), required=False)
    unit = forms.ChoiceField(label=gettext_lazy("Unit"), required=False)
    overdue = forms.BooleanField(label=gettext_lazy("Overdue only"), required=False)

    def __init__(self, data, *, scope):
        super().__init__(data)
        self.fields["channel"].choices = ANY + [(c.name, c.name) for c in Channel.objects.filter(unit__in=scope)]
        self.fields["unit"].choices = ANY + [(u.slug, u.name) for u in Unit.objects.filter(pk__in=scope).order_by("name")]


def unmasked_for(request) -> bool:
    return request.profile.role in UNMASKED_ROLES


def is_overdue(feedback: Feedback, now) -> bool:
    return feedback.due_at is not None and feedback.due_at < now and feedback.status in OPEN


def filtered(rows, values: dict, now):
    """`values` are the valid filters only: a bad one is shown as an error and left out, never a 500."""
    for field, lookup in (("status", "status"), ("category", "category"), ("channel", "channel__name"),
                          ("unit", "channel__unit__slug")):
        if values.get(field):
            rows = rows.filter(**{lookup: values[field]})
    if values.get("overdue"):
        rows = rows.filter(due_at__lt=now, status__in=OPEN)
    return rows


@page("inbox")
def inbox_list(request):
    now = timezone.now()
    form = Filters(request.GET, scope=request.scope)
    form.is_valid()  # cleaned_data keeps the valid fields; the errors are shown with the form
    rows = scoped(request, Feedback.objects.select_related("channel__unit", "assignee"), "channel__unit")
    shown = Paginator(filtered(rows, form.cleaned_data, now), PAGE_SIZE).get_page(request.GET.get("page"))
    unmasked = unmasked_for(request)
    for feedback in shown:
        feedback.shown_text = mask_for(feedback.text, unmasked)
        feedback.overdue = is_overdue(feedback, now)
    record_views([f.pk for f in shown], viewer=request.user, via="web", unmasked=unmasked)
    return render(request, "web/inbox/list.html", {"form": form, "page_obj": shown, "unmasked": unmasked})


def _saved_replies(feedback: Feedback) -> list[dict]:
    """Each saved reply with its text filled in for this citizen, or why it cannot be used."""
    values, replies = values_for(feedback), []
    for reply in replies_for(feedback.channel.unit):
        try:
            replies.append({"id": reply.pk, "title": reply.title, "text": fill(reply.text, values), "error": ""})
        except Invalid as exc:
            replies.append({"id": reply.pk, "title": reply.title, "text": "", "error": exc.message})
    return replies


def _detail(request, feedback: Feedback, *, draft: str = "", saved: str = ""):
    unmasked = unmasked_for(request)
    role = request.profile.role
    record_views([feedback.pk], viewer=request.user, via="web", unmasked=unmasked)
    return render(request, "web/inbox/detail.html", {
        "feedback": feedback, "text": mask_for(feedback.text, unmasked), "answer": mask_for(feedback.answer, unmasked),
        "overdue": is_overdue(feedback, timezone.now()), "post": feedback.delivery.post if feedback.delivery else None,
        "can_triage": role in triage.TRIAGE_ROLES,
        "can_answer": role in ANSWER_ROLES and feedback.status in OPEN and not feedback.answer and feedback.answer_to,
        "colleagues": triage.colleagues(feedback).filter(loa_profile__unit__in=request.scope),
        "categories": FeedbackCategory.choices, "saved_replies": _saved_replies(feedback), "draft": draft,
        "saved": saved, "viewers": viewers_of(feedback) if role in VIEWERS_ROLES else None,
    })


def _clean(text: str) -> str:
    return text.replace("\x00", "")  # PostgreSQL cannot store NUL; a pasted one is noise, not content


def _assign(request, feedback):
    value = request.POST.get("assignee", "")
    person = (triage.colleagues(feedback).filter(loa_profile__unit__in=request.scope, pk=int(value)).first()
              if value.isdigit() and len(value) < 19 else None)
    triage.assign(feedback, to=person, by=request.user)
    return _("Assigned to %(user)s.") % {"user": person.get_username()}


def _classify(request, feedback):
    category = request.POST.get("category", "")
    triage.reclassify(feedback, category=_clean(category), by=request.user)
    return _("Category changed to %(category)s.") % {"category": feedback.get_category_display()}


def _answer(request, feedback):
    text = _clean(request.POST.get("answer", "")).strip()
    saved = request.POST.get("saved", "")
    if not text and not saved.isdigit():
        raise Invalid(_("Write an answer or choose a saved reply."))
    answer_feedback(feedback, by=request.user, text=text, saved="" if text else saved)
    return _("The answer was sent to the citizen.")


def _close(request, feedback):
    triage.close(feedback, by=request.user)
    return _("Feedback closed.")


ACTIONS = {"assign": _assign, "classify": _classify, "answer": _answer, "close": _close}


@page("inbox")
def inbox_detail(request, feedback_id: int):
    feedback = in_scope(request, Feedback.objects.select_related("channel__unit", "delivery__post", "assignee"),
                        "channel__unit", pk=feedback_id)
    if request.method != "POST":
        return _detail(request, feedback)
    action = request.POST.get("action", "")
    if action == "preview":
        # Shows the filled-in saved reply in the answer box; nothing is stored or sent.
        saved = request.POST.get("saved", "")
        filled = next((r["text"] for r in _saved_replies(feedback) if str(r["id"]) == saved), "")
        return _detail(request, feedback, draft=filled or _clean(request.POST.get("answer", "")), saved=saved)
    handler = ACTIONS.get(action)
    if handler is None:
        messages.error(request, _("Unknown action."))
        return redirect("inbox-item", feedback_id=feedback.pk)
    try:
        messages.success(request, handler(request, feedback))
    except Invalid as exc:
        messages.error(request, exc.message)
        if action == "answer":  # keep what was typed: the officer may fix it or copy it elsewhere
            feedback.refresh_from_db()
            return _detail(request, feedback, draft=_clean(request.POST.get("answer", "")),
                           saved=request.POST.get("saved", ""))
    return redirect("inbox-item", feedback_id=feedback.pk)
