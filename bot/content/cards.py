"""Image cards for slogans, bulletin covers and guide steps: pure Pillow, deterministic from their content."""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import re
import tempfile
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from PIL import Image, ImageDraw

from bot.content import limits
from bot.content.card_text import Block, Style, TextBox, cap, draw_block, fit

# Bump whenever a layout, font or colour rule changes: it is part of every cached card's name.
CARD_VERSION = "1"
INK = "#1d1b20"
MUTED = "#4a4550"
HEX = re.compile(r"#[0-9a-fA-F]{6}")
KICKER = "BẢN TIN CẢI CÁCH HÀNH CHÍNH"
UNIT_NAME_MAX = 200  # Unit.name's max_length
FORMATS = {"PNG": "png", "JPEG": "jpg", "JPG": "jpg"}
JPEG_QUALITIES = (90, 84, 76, 68, 60, 50)
MIN_SIDE = 64  # below this a card says nothing; give up rather than send a thumbnail


def hex_colour(value: object, name: str) -> str:
    """The colour as lower-case #rrggbb, or ValueError naming the field."""
    if not isinstance(value, str) or not HEX.fullmatch(value.strip()):
        raise ValueError(f"The {name} colour {value!r} is not a hex colour like #b3261e.")
    return value.strip().lower()


@dataclass(frozen=True)
class Brand:
    """The unit whose card this is: its name on the header band, its two colours."""

    unit_name: str
    primary: str = "#b3261e"
    accent: str = "#f9c74f"

    def __post_init__(self):
        object.__setattr__(self, "unit_name", unicodedata.normalize("NFC", self.unit_name or ""))
        object.__setattr__(self, "primary", hex_colour(self.primary, "primary"))
        object.__setattr__(self, "accent", hex_colour(self.accent, "accent"))


@dataclass(frozen=True)
class Card:
    """A rendered card: the image, the measured box of every text block drawn, and its margin."""

    image: Image.Image
    boxes: tuple[TextBox, ...]
    margin: int

    @property
    def safe_area(self) -> tuple[int, int, int, int]:
        width, height = self.image.size
        return (self.margin, self.margin, width - self.margin, height - self.margin)


def rgb(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))


def luminance(colour: str) -> float:  # WCAG 2 relative luminance
    channels = [c / 255 for c in rgb(colour)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def readable(background: str, preferred: str | None = None) -> str:
    # A unit may pick a pale primary colour; text in it would vanish, so fall back to ink or white.
    if preferred and contrast(background, preferred) >= 4.5:
        return preferred
    return INK if contrast(background, INK) >= contrast(background, "#ffffff") else "#ffffff"


def tint(colour: str, amount: float) -> str:
    """The colour mixed with white: amount 0 is white, 1 the colour itself."""
    return "#" + "".join(f"{round(255 - (255 - c) * amount):02x}" for c in rgb(colour))


def check_size(size) -> tuple[int, int]:
    width, height = (int(v) for v in size)
    if not (200 <= width <= 4096 and 200 <= height <= 4096):
        raise ValueError(f"A card must be between 200 and 4096 pixels on each side, not {width}×{height}.")
    return width, height


class Sheet:
    """A card being drawn: image, safe area, scale, the header, and the text boxes drawn so far."""

    def __init__(self, size, brand: Brand):
        self.width, self.height = check_size(size)
        self.margin = round(0.05 * min(self.width, self.height))
        self.scale = math.sqrt(self.width * self.height) / 1080  # sizes below are for 1080×1080
        self.background = tint(brand.accent, 0.1)
        self.emphasis = readable(self.background, brand.primary)
        self.image = Image.new("RGB", (self.width, self.height), self.background)
        self.draw = ImageDraw.Draw(self.image)
        self.boxes: list[TextBox] = []
        self.top = self.header(brand)

    def header(self, brand: Brand) -> int:
        """The unit's name on a band of its primary colour, an accent strip below; returns the y under it."""
        band, strip = 2 * self.margin + round(0.07 * self.height), max(4, round(0.012 * self.height))
        self.bar(0, 0, self.width, band, brand.primary)
        self.bar(0, band, self.width, strip, brand.accent)
        region = (self.margin, self.margin, self.width - self.margin, band - self.margin)
        self.text("unit", cap(brand.unit_name, UNIT_NAME_MAX), self.style("Bold", 44, 16, leading=1.2), region,
                  readable(brand.primary))
        return band + strip

    def style(self, weight: str, largest: int, smallest: int, **options) -> Style:
        return Style(weight, round(largest * self.scale), round(smallest * self.scale), **options)

    def row(self, top: int, bottom: int) -> tuple[int, int, int, int]:
        return (self.margin, top, self.width - self.margin, bottom)

    def put(self, block: Block | None, fill: str, role: str) -> TextBox | None:
        if block is None:
            return None
        self.boxes.append(draw_block(self.draw, block, fill, role))
        return self.boxes[-1]

    def text(self, role, text, style, region, fill) -> TextBox | None:
        return self.put(fit(text, style, region), fill, role)

    def bar(self, left: int, top: int, width: int, height: int, fill: str) -> None:
        self.draw.rectangle((left, top, left + width - 1, top + height - 1), fill=fill)

    def card(self) -> Card:
        return Card(self.image, tuple(self.boxes), self.margin)


def rule(sheet: Sheet, colour: str, bottom: int) -> int:
    """A short centred accent rule ending at `bottom`; returns its top."""
    width, height = round(0.14 * sheet.width), max(4, round(0.008 * sheet.height))
    sheet.bar((sheet.width - width) // 2, bottom - height, width, height, colour)
    return bottom - height


def footer_text(sheet: Sheet, role: str, text: str, style: Style, share: float) -> int:
    """Small text resting on the bottom margin; returns the top of what was drawn (or the margin)."""
    bottom = sheet.height - sheet.margin
    drawn = sheet.text(role, text, style, sheet.row(bottom - round(share * sheet.height), bottom), MUTED)
    return drawn.box[1] if drawn else bottom


def slogan_card(text: str, source: str, brand: Brand, size=(1080, 1080)) -> Card:
    """The slogan big and centred, its source document small below, the unit's name on the band."""
    sheet = Sheet(size, brand)
    gap = round(0.04 * sheet.height)
    source_style = sheet.style("Medium", 30, 15, leading=1.3, valign="bottom")
    floor = footer_text(sheet, "source", cap(source, limits.SLOGAN_SOURCE_MAX), source_style, 0.13)
    rule_top = rule(sheet, brand.accent, floor - gap)
    slogan_style = sheet.style("ExtraBold", 88, 26, leading=1.3)
    region = sheet.row(sheet.top + gap, rule_top - gap)
    sheet.text("slogan", cap(text, limits.SLOGAN_TEXT_MAX), slogan_style, region, sheet.emphasis)
    return sheet.card()


def issue_line(issue: str, month: str) -> str:
    """'Số 5 · Tháng 5/2025' from '5' and '5/2025'; words the officer typed are kept as they are."""
    issue, month = cap(issue, 60).strip(), cap(month, 60).strip()
    issue = f"Số {issue}" if issue[:1].isdigit() else issue
    month = f"Tháng {month}" if month[:1].isdigit() else month
    return " · ".join(part for part in (issue, month) if part)


def bulletin_cover(title: str, issue: str, month: str, brand: Brand, size=(1200, 630)) -> Card:
    """The monthly CCHC bulletin's cover: kicker, title, issue and month, the unit's name."""
    sheet = Sheet(size, brand)
    gap = round(0.04 * sheet.height)
    kicker_region = sheet.row(sheet.top + gap, sheet.top + gap + round(0.08 * sheet.height))
    kicker_style = sheet.style("Bold", 34, 14, leading=1.2, valign="top")
    kicker = sheet.text("kicker", KICKER, kicker_style, kicker_region, sheet.emphasis)
    issue_style = sheet.style("Medium", 30, 14, leading=1.25, valign="bottom")
    rule_top = rule(sheet, brand.accent, footer_text(sheet, "issue", issue_line(issue, month), issue_style, 0.1) - gap)
    region = sheet.row((kicker.box[3] if kicker else kicker_region[3]) + gap, rule_top - gap)
    sheet.text("title", cap(title, limits.TITLE_MAX), sheet.style("ExtraBold", 72, 22, leading=1.3), region, INK)
    return sheet.card()


def progress_dots(sheet: Sheet, current: int, total: int, colour: str) -> int:
    """One dot per step on the bottom margin, the current one filled; returns their top."""
    diameter = max(6, round(0.018 * sheet.height))
    top = sheet.height - sheet.margin - diameter
    for index in range(total):
        left = sheet.margin + round(index * 2.2 * diameter)
        sheet.draw.ellipse((left, top, left + diameter - 1, top + diameter - 1),
                           fill=colour if index == current else tint(colour, 0.3))
    return top


def step_label(sheet: Sheet, text: str, top: int, brand: Brand) -> int:
    """'Bước 2/5' on an accent pill; returns the y under the pill."""
    pad, m = round(0.012 * sheet.height), sheet.margin
    style = sheet.style("ExtraBold", 60, 24, leading=1.2, align="left", valign="top")
    region = (m + 2 * pad, top + pad, sheet.width - m - 2 * pad, top + pad + round(0.075 * sheet.height))
    block = fit(text, style, region)
    if block is None:
        return top
    left, upper, right, lower = block.box
    pill = (left - 2 * pad, upper - pad, right + 2 * pad, lower + pad)
    sheet.draw.rounded_rectangle(pill, radius=2 * pad, fill=brand.accent)
    sheet.put(block, readable(brand.accent, brand.primary), "step_label")
    return lower + pad


def guide_step_card(service: str, step: str, number: int, total: int, brand: Brand, size) -> Card:
    sheet = Sheet(size, brand)
    gap = round(0.035 * sheet.height)
    service_region = sheet.row(sheet.top + gap, sheet.top + gap + round(0.11 * sheet.height))
    service_style = sheet.style("Bold", 40, 18, leading=1.25, align="left", valign="top")
    drawn = sheet.text("service", cap(service, limits.GUIDE_SERVICE_MAX), service_style, service_region, sheet.emphasis)
    label_top = (drawn.box[3] if drawn else service_region[1]) + gap
    label_bottom = step_label(sheet, f"Bước {number}/{total}", label_top, brand)
    region = sheet.row(label_bottom + gap, progress_dots(sheet, number - 1, total, brand.primary) - gap)
    step_style = sheet.style("Medium", 50, 22, leading=1.4, align="left")
    sheet.text("step", cap(step, limits.GUIDE_STEP_MAX), step_style, region, INK)
    return sheet.card()


def guide_step_cards(service: str, steps: list[str], brand: Brand, size=(1080, 1080)) -> list[Card]:
    """One card per step of a guide to an online public service ('Bước 2/5')."""
    if len(steps) > limits.GUIDE_STEPS_MAX:
        raise ValueError(f"A guide has at most {limits.GUIDE_STEPS_MAX} steps; this one has {len(steps)}.")
    return [guide_step_card(service, step, i, len(steps), brand, size) for i, step in enumerate(steps, 1)]


def image_format(fmt: str) -> str:
    key = (fmt or "").upper()
    if key not in FORMATS:
        raise ValueError(f"Cards are encoded as PNG or JPEG, not {fmt!r}.")
    return "JPEG" if key == "JPG" else key


def save(image: Image.Image, fmt: str, quality: int | None) -> bytes:
    buffer, options = io.BytesIO(), {"quality": quality, "optimize": True} if fmt == "JPEG" else {}
    (image.convert("RGB") if fmt == "JPEG" else image).save(buffer, fmt, **options)
    return buffer.getvalue()


def encode(card: Card, fmt: str = "PNG", max_bytes: int | None = None) -> bytes:
    """The card as PNG or JPEG; to meet max_bytes, JPEG quality steps down, then the image shrinks."""
    fmt, image = image_format(fmt), card.image
    qualities = JPEG_QUALITIES if fmt == "JPEG" else (None,)
    while True:
        for quality in qualities:
            data = save(image, fmt, quality)
            if max_bytes is None or len(data) <= max_bytes:
                return data
        if min(image.size) * 0.85 < MIN_SIDE:
            raise ValueError(f"The card cannot be encoded as {fmt} in {max_bytes} bytes.")
        image = image.resize((round(image.width * 0.85), round(image.height * 0.85)), Image.Resampling.LANCZOS)


def cache_name(key_parts: dict, fmt: str, max_bytes: int | None) -> str:
    # NFC over the JSON normalises every string in it (the syntax is ASCII): NFD input, same card.
    key = unicodedata.normalize("NFC", json.dumps(key_parts, sort_keys=True, ensure_ascii=False, default=str))
    digest = hashlib.sha256("\n".join([key, fmt, str(max_bytes), CARD_VERSION]).encode()).hexdigest()
    return f"{digest}.{FORMATS[fmt]}"


def cached_file(cache_dir: Path, key_parts: dict, render: Callable[[], Card], fmt: str = "PNG",
                max_bytes: int | None = None) -> Path:
    """The card's file under cache_dir, named by a hash of its content; rendered only when absent."""
    fmt = image_format(fmt)
    path = Path(cache_dir) / cache_name(key_parts, fmt, max_bytes)
    if path.exists():
        os.utime(path)  # in use: `prune` keeps what was used lately
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    data = encode(render(), fmt, max_bytes)
    # Another worker may render the same card at the same moment: each writes its own temporary
    # file and renames it into place, so readers only ever see a whole file.
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".card-", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(temporary, 0o644)  # mkstemp makes it private; the web server may read it as another user
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def prune(cache_dir: Path, keep_seconds: float, now: float | None = None) -> int:
    """Delete cards not used for `keep_seconds` (live previews leave one per keystroke pause); returns how many.

    Safe because nothing depends on a cached file surviving: publishing renders the post's cards again
    when they are missing, and reconciliation compares texts, not pictures."""
    now = now or time.time()
    removed = 0
    for path in Path(cache_dir).glob("*"):
        try:
            if path.is_file() and now - path.stat().st_mtime > keep_seconds:
                path.unlink()
                removed += 1
        except FileNotFoundError:  # another worker pruned or replaced it first
            continue
    return removed
