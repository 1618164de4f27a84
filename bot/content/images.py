"""The pictures that go with a post on a channel: image cards rendered from the post's content.

Cards are deterministic from their content and cached by content hash in the data dir, so any
worker re-renders a card it lacks and no shared disk is needed.
"""

from __future__ import annotations

from django.conf import settings

from channels.base import Adapter, Image


def post_images(post, adapter_cls: type[Adapter]) -> tuple[Image, ...]:
    """Cards for this post, sized and encoded for the channel; () when the channel takes no images."""
    return ()
