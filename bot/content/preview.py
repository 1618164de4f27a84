"""`loa post preview`: write exactly what each channel would receive, text and pictures."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from bot.channel_config import adapter_for
from bot.content.images import post_images
from bot.content.render import render_message
from channels.errors import BadContent


def write_preview(post, channels, out_dir: Path) -> dict[str, str]:
    """One folder per channel: message.json (the snapshot a delivery would keep), the text, the
    images. Returns {channel name: "ok" | the reason it cannot be published}."""
    results = {}
    for channel in channels:
        folder = out_dir / channel.name
        folder.mkdir(parents=True, exist_ok=True)
        adapter_cls = type(adapter_for(channel))
        try:
            message = render_message(post, channel, adapter_cls, marker=f"preview-{post.pk}",
                                     images=post_images(post, adapter_cls))
        except BadContent as exc:
            (folder / "ERROR.txt").write_text(exc.message + "\n", encoding="utf-8")
            results[channel.name] = exc.message
            continue
        suffix = "html" if message.text_format == "html" else "txt"
        (folder / f"text.{suffix}").write_text(message.text + "\n", encoding="utf-8")
        for n, image in enumerate(message.images, start=1):
            shutil.copyfile(image.path, folder / f"image-{n}{Path(image.path).suffix}")
        (folder / "message.json").write_text(json.dumps(message.snapshot(), ensure_ascii=False, indent=2), encoding="utf-8")
        results[channel.name] = "ok"
    return results
