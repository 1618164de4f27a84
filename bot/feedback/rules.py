"""The classifier's rules as this deployment configured them: the built-in phrases changed by the
ClassifierPhrase rows administrators edit, compiled once and recompiled when the rows change."""

from __future__ import annotations

import threading

from django.db.models import Count, Max

from bot.feedback.classify import DEFAULT, Rules, rules_with
from bot.models import ClassifierPhrase

_lock = threading.Lock()
_cache: dict = {"key": None, "rules": DEFAULT}


def current_rules() -> Rules:
    # One cheap aggregate per batch of replies; the ~500 phrases compile only when an admin changed them.
    state = ClassifierPhrase.objects.aggregate(n=Count("id"), last=Max("id"), at=Max("updated_at"))
    key = (state["n"], state["last"], state["at"])
    with _lock:
        if _cache["key"] != key:
            overrides: dict[str, list[str]] = {}
            for category, phrase in ClassifierPhrase.objects.values_list("category", "phrase"):
                overrides.setdefault(category, []).append(phrase)
            _cache["rules"] = rules_with(overrides) if overrides else DEFAULT
            _cache["key"] = key
        return _cache["rules"]
