"""The channel setup guides (docs/channels/*.md), readable from the re-authorisation banner."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from channels import registry


@login_required
def guide(request, kind: str):
    if kind not in registry.kinds():
        raise Http404
    path = settings.BASE_DIR / "docs" / "channels" / f"{kind}.md"
    if not path.is_file():
        raise Http404
    return render(request, "web/guide.html", {"kind": kind, "text": path.read_text(encoding="utf-8")})
