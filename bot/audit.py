"""The audit trail: one row per action, by a person or by the system."""

from bot.models import AuditEntry

SYSTEM = "system"


def record(action: str, target, *, actor=None, unit=None, unit_id=None, **details) -> AuditEntry:
    return AuditEntry.objects.create(**entry(action, target, actor=actor, unit=unit, unit_id=unit_id, **details))


def entry(action: str, target, *, actor=None, unit=None, unit_id=None, **details) -> dict:
    """Field values for one entry, for bulk writers. `target` is a model instance or a 'kind:id' string."""
    if not isinstance(target, str):
        target = f"{target._meta.model_name}:{target.pk}"
    return {
        "action": action,
        "target": target,
        "actor": actor,
        "actor_name": actor.get_username() if actor is not None else SYSTEM,
        "unit_id": unit.pk if unit is not None else unit_id,
        "details": details,
    }
