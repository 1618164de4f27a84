"""Platform webhooks: verify, store the raw body, answer at once; the worker does the rest.

Nothing of a body is stored before its signature (or secret token) is verified: a forged or
unsigned request gets 403 and leaves no row. Platforms want an answer within 2 seconds (Zalo),
so parsing and classification happen in the worker, which takes the stored bodies every second
in batches (bot.feedback.collect.process_pending). No message is sent to the broker per request:
that publish was a third of a webhook's cost in the web server (docs/performance.md).
"""

from __future__ import annotations

from django.http import HttpResponse, HttpResponseForbidden, HttpResponseNotFound
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from bot.channel_config import adapter_for, config_for
from bot.models import Channel, InboundEvent
from channels import registry

KEPT_HEADERS = ("x-hub-signature-256", "x-zevent-signature",  # never the Telegram secret itself
                "x-zevent-timestamp", "num_retry", "num-retry", "content-type")


def _headers(request) -> dict[str, str]:
    return {k.lower(): v for k, v in request.headers.items()}


def _store(channel: Channel, request) -> HttpResponse:
    headers, body = _headers(request), request.body
    if not adapter_for(channel).verify_webhook(headers, body):
        return HttpResponseForbidden("signature refused")
    kept = {k: v for k, v in headers.items() if k in KEPT_HEADERS}
    InboundEvent.objects.create(channel=channel, body=body, headers=kept)
    return HttpResponse("ok", content_type="text/plain")


def _kind_or_none(kind: str):
    try:
        return registry.adapter_class(kind)
    except registry.UnknownKind:
        return None


@csrf_exempt
@require_http_methods(["POST"])
def named(request, kind: str, name: str):
    """POST /hooks/<kind>/<channel name>/ (Telegram: the channel's webhook_secret is the token)."""
    channel = Channel.objects.filter(kind=kind, name=name, enabled=True).first()
    if channel is None:
        return HttpResponseNotFound("no such channel")
    return _store(channel, request)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def routed(request, kind: str):
    """/hooks/<kind>/ shared by all channels of a kind, routed by the ids in the body (Facebook's Page
    id, Zalo's OA id); GET answers Facebook's subscription handshake."""
    adapter_cls = _kind_or_none(kind)
    if adapter_cls is None:
        return HttpResponseNotFound("no such platform")
    channels = Channel.objects.filter(kind=kind, enabled=True)
    if request.method == "GET":
        answer = adapter_cls.webhook_handshake(request.GET.dict(), [config_for(c) for c in channels])
        return HttpResponse(answer, content_type="text/plain") if answer is not None else HttpResponseForbidden()
    routes = adapter_cls.webhook_routes(request.body)
    if not routes:
        # Zalo checks a new webhook URL with an unsigned POST of {}: answer it, store nothing.
        return HttpResponse("ok", content_type="text/plain")
    matching = [c for c in channels if any(str(c.settings.get(key)) == value for key, value in routes)]
    if not matching:
        return HttpResponseForbidden("no channel for this body")
    responses = [_store(channel, request) for channel in matching]
    return responses[0] if all(r.status_code == 200 for r in responses) else HttpResponseForbidden()
