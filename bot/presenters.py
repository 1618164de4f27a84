"""Posts and deliveries as plain dicts, for `--json` output and, later, the web's API."""

from django.utils import timezone

from bot.models import Post


def local_iso(value):
    return timezone.localtime(value).isoformat() if value else None


def delivery_dict(d) -> dict:
    return {
        "id": d.pk,
        "channel": d.channel.name,
        "channel_kind": d.channel.kind,
        "state": d.state,
        "due_at": local_iso(d.due_at),
        "attempts": d.attempts,
        "remote_id": d.remote_id or None,
        "permalink": d.permalink or None,
        "last_error": d.last_error or None,
        "sent_at": local_iso(d.sent_at),
    }


def post_dict(post: Post) -> dict:
    deliveries = sorted(post.deliveries.all(), key=lambda d: d.channel.name)
    return {
        "id": post.pk,
        "unit": post.unit.slug,
        "kind": post.kind,
        "title": post.title,
        "status": post.status,
        "workflow": post.workflow,
        "author": post.author.get_username(),
        "approver": post.approver.get_username() if post.approver else None,
        "publish_at": local_iso(post.publish_at),
        "created_at": local_iso(post.created_at),
        "approved_at": local_iso(post.approved_at),
        "return_reason": post.return_reason or None,
        "channels": sorted(c.name for c in post.channels.all()),
        "deliveries": [delivery_dict(d) for d in deliveries],
    }


def posts_queryset():
    return Post.objects.select_related("unit", "author", "approver").prefetch_related(
        "channels", "deliveries__channel"
    )
