"""Making a picture acceptable to Zalo: JPEG or PNG of at most 1 MB (uploads, CS images, articles)."""

from __future__ import annotations

import io
import warnings

from PIL import Image as PILImage
from PIL import UnidentifiedImageError

from channels.base import Image
from channels.errors import BadContent

MAX_BYTES = 1_000_000  # "1 MB" on every Zalo image endpoint (platform-apis §1.4); read as decimal, the stricter
MAX_PIXELS = 40_000_000  # far above any photo an officer uploads (a 48 MP phone shot is downscaled first)
QUALITIES = (85, 72, 60)
SHRINK = 0.75
MIN_SIDE = 320
ACCEPTED = {"JPEG": "image/jpeg", "PNG": "image/png"}


def for_zalo(image: Image) -> tuple[str, bytes, str]:
    """(file name, bytes, mime) ready for /v2.0/oa/upload/image; recompressed to JPEG when needed."""
    try:
        raw = image.path.read_bytes()
    except OSError as exc:
        raise BadContent(f"The image {image.path.name} cannot be read ({exc.strerror}).") from None
    picture = _open(raw, image.path.name)
    if picture.format in ACCEPTED and len(raw) <= MAX_BYTES:
        return image.path.name, raw, ACCEPTED[picture.format]
    return image.path.stem + ".jpg", _shrink(picture, image.path.name), "image/jpeg"


def _open(raw: bytes, name: str) -> PILImage.Image:
    """Open and fully decode, refusing files that are not images and decompression bombs."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", PILImage.DecompressionBombWarning)
            picture = PILImage.open(io.BytesIO(raw))
            if picture.width * picture.height > MAX_PIXELS:
                raise BadContent(f"The image {name} is too large ({picture.width}×{picture.height} pixels).")
            picture.load()
    except (PILImage.DecompressionBombError, PILImage.DecompressionBombWarning):
        raise BadContent(f"The image {name} is too large to open safely.") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise BadContent(f"The file {name} is not a picture Loa can read.") from None
    return picture


def _shrink(picture: PILImage.Image, name: str) -> bytes:
    """Lower the JPEG quality, then the size (guessed from the last result), until the file fits MAX_BYTES."""
    picture = _flatten(picture)
    for quality in QUALITIES:
        data = _jpeg(picture, quality)
        if len(data) <= MAX_BYTES:
            return data
    while True:
        scale = min(SHRINK, 0.95 * (MAX_BYTES / len(data)) ** 0.5)  # JPEG bytes grow with the pixel count
        if min(picture.size) * scale < MIN_SIDE:
            raise BadContent(f"The image {name} cannot be made smaller than 1 MB.")
        picture = picture.resize((round(picture.width * scale), round(picture.height * scale)),
                                 PILImage.Resampling.LANCZOS)
        data = _jpeg(picture, QUALITIES[-1])
        if len(data) <= MAX_BYTES:
            return data


def _flatten(picture: PILImage.Image) -> PILImage.Image:
    """JPEG has no transparency: put transparent pictures on white rather than on black."""
    if picture.mode in ("RGBA", "LA") or (picture.mode == "P" and "transparency" in picture.info):
        rgba = picture.convert("RGBA")
        flat = PILImage.new("RGB", rgba.size, "white")
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return picture.convert("RGB")


def _jpeg(picture: PILImage.Image, quality: int) -> bytes:
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=quality, optimize=True)
    return out.getvalue()
