"""Celery queue names: one queue per channel kind, so a slow platform never starves the others."""

from channels import registry

CONTROL_QUEUE = "loa"


def publish_queue(kind: str) -> str:
    return f"publish.{kind}"


def all_queues() -> list[str]:
    return [CONTROL_QUEUE, *(publish_queue(k) for k in registry.kinds())]
