"""Fit, draw and measure text blocks on image cards (Be Vietnam Pro through raqm; never overflows)."""

from __future__ import annotations

import functools
import io
import math
import struct
import unicodedata
from dataclasses import dataclass

import fontpkg_be_vietnam_pro
from PIL import ImageDraw, ImageFont

FONT_DIR = fontpkg_be_vietnam_pro.ROOT / "files"
LANGUAGE = "vi"
ANCHOR = "ls"  # lines are placed by their left baseline; drawn and measured with this same anchor
REF_SIZE = 1000  # words are measured once at this size and scaled; drawn lines are measured exactly
ELLIPSIS = "…"
# Estimates from scaled advances can be a pixel or two off (kerning next to spaces, ink beyond the
# advance): plan with a little slack so the exact measurement afterwards rarely sends us round again.
SLACK = 0.985
# Symbols officers type that the font lacks, mapped to ones it has, so their meaning survives.
SUBSTITUTES = str.maketrans("→⇒➡➜►▶✓✔✅●■▪◦‣★‐‑\t\r", "»»»»»»•••••••••-- \n")


@dataclass(frozen=True)
class TextBox:
    """One drawn block: its role on the card, the lines drawn (joined by newlines), and its measured box."""

    role: str
    text: str
    box: tuple[int, int, int, int]


@dataclass(frozen=True)
class Style:
    """How a block is set: weight, the size range to fit in, line spacing, alignment in its region."""

    weight: str = "Bold"
    max_size: int = 64
    min_size: int = 16
    leading: float = 1.35  # baseline to baseline, in ems; stacked diacritics need more than Latin
    align: str = "center"  # "center" or "left"
    valign: str = "center"  # "top", "center" or "bottom"


@dataclass(frozen=True)
class Block:
    """Lines placed in a region, ready to draw: each line's baseline origin, and the measured box."""

    size: int
    weight: str
    lines: tuple[str, ...]
    origins: tuple[tuple[int, int], ...]
    box: tuple[int, int, int, int]  # the union of the lines' measured boxes


@functools.lru_cache(maxsize=16)
def unhinted(weight: str) -> bytes:
    """The font file without its TrueType hinting programs (fpgm, prep, cvt).

    Hinting grid-fits small screen text; at card sizes it changes nothing visible (advances are
    identical) yet took half the rendering time, and it varies between FreeType versions while
    cards must come out the same on every worker. Kept table entries keep their file offsets."""
    data = (FONT_DIR / f"BeVietnamPro-{weight}.ttf").read_bytes()
    count = struct.unpack_from(">H", data, 4)[0]
    entries = [data[12 + 16 * i : 28 + 16 * i] for i in range(count)]
    kept = [entry for entry in entries if entry[:4] not in (b"fpgm", b"prep", b"cvt ")]
    power = 2 ** int(math.log2(len(kept)))
    search = struct.pack(">HHHH", len(kept), 16 * power, int(math.log2(power)), 16 * (len(kept) - power))
    return data[:4] + search + b"".join(kept).ljust(16 * count, b"\0") + data[12 + 16 * count :]


@functools.lru_cache(maxsize=128)
def font(weight: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(io.BytesIO(unhinted(weight)), size, layout_engine=ImageFont.Layout.RAQM)


@functools.lru_cache(maxsize=32768)
def ref_length(weight: str, text: str) -> float:
    return font(weight, REF_SIZE).getlength(text, language=LANGUAGE)


@functools.lru_cache(maxsize=16)
def extent(weight: str) -> tuple[float, float]:
    """How far (in ems) the tallest stacked diacritics rise and the deepest descenders fall."""
    top = font(weight, REF_SIZE).getbbox("ỖẪỄỸỶỮỞÕẴẲ", anchor=ANCHOR, language=LANGUAGE)[1]
    bottom = font(weight, REF_SIZE).getbbox("ỰỵgjpqyẬỹỢ", anchor=ANCHOR, language=LANGUAGE)[3]
    return -top / REF_SIZE, bottom / REF_SIZE


@functools.lru_cache(maxsize=4096)
def has_glyph(char: str) -> bool:
    # Missing characters (emoji, CJK, arrows) shape to the font's notdef, which here is an
    # invisible half-em space; we drop them rather than leave unexplained gaps in a slogan.
    probe = font("Regular", 64)
    _, top, _, bottom = probe.getbbox(char, language=LANGUAGE)
    return bottom != top or probe.getlength(char, language=LANGUAGE) != probe.getlength("\uffff")


def drawable(char: str) -> bool:
    if char.isspace():
        return True
    # Format characters and variation selectors (emoji joiners, U+FE0F) draw nothing on their own.
    category, name = unicodedata.category(char), unicodedata.name(char, "")
    if category in ("Cc", "Cf", "Cs", "Co", "Cn") or name.startswith("VARIATION SELECTOR"):
        return False
    return has_glyph(char)


def clean(text: str) -> str:
    """NFC; missing glyphs dropped; spaces collapsed; newlines kept as paragraph breaks."""
    text = unicodedata.normalize("NFC", text or "").translate(SUBSTITUTES)
    text = unicodedata.normalize("NFC", "".join(ch for ch in text if drawable(ch)))
    paragraphs = (" ".join(part.split()) for part in text.split("\n"))
    return "\n".join(p for p in paragraphs if p)


def cap(text: str, limit: int) -> str:
    text = unicodedata.normalize("NFC", text or "")
    return text if len(text) <= limit else text[: limit - 1].rstrip() + ELLIPSIS


def clusters(word: str) -> list[str]:
    """Split a word into characters, keeping combining marks with their base."""
    parts: list[str] = []
    for char in word:
        if parts and unicodedata.combining(char):
            parts[-1] += char
        else:
            parts.append(char)
    return parts


def break_word(word: str, weight: str, scale: float, width: float) -> list[str]:
    """Cut a word too long for any line (a URL) into pieces measured whole: kerning adds width (ỰỰ)."""
    parts, pieces = clusters(word), []
    while parts:
        low, high = 1, len(parts)  # the first cluster always goes, even if it alone is too wide
        while low < high:
            middle = (low + high + 1) // 2
            if ref_length(weight, "".join(parts[:middle])) * scale <= width:
                low = middle
            else:
                high = middle - 1
        pieces.append("".join(parts[:low]))
        parts = parts[low:]
    return pieces


def wrap(text: str, weight: str, size: int, width: float, breaking: bool) -> list[str] | None:
    """Greedy word wrap by scaled advances; None when a word is too wide and we may not break it."""
    scale, width = size / REF_SIZE, width * SLACK - 1
    space = ref_length(weight, " ") * scale
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line, used = "", 0.0
        for word in paragraph.split(" "):
            pieces = [word]
            if ref_length(weight, word) * scale > width:
                if not breaking:
                    return None
                pieces = break_word(word, weight, scale, width)
            for piece in pieces:
                step = ref_length(weight, piece) * scale
                if line and used + space + step <= width:
                    line, used = f"{line} {piece}", used + space + step
                else:
                    lines += [line] if line else []
                    line, used = piece, step
        lines += [line] if line else []
    return lines


def estimated_height(style: Style, size: int, count: int) -> float:
    rise, fall = extent(style.weight)
    return (count - 1) * round(size * style.leading) + (rise + fall) * size + 2


def max_lines(style: Style, size: int, height: int) -> int:
    spare = height - estimated_height(style, size, 1)
    return 0 if spare < 0 else 1 + int(spare // round(size * style.leading))


def ellipsize(line: str, weight: str, size: int, width: float) -> str:
    """The line with an ellipsis, shortened by words (or characters) until it fits the width."""
    scale, limit = size / REF_SIZE, width * SLACK - 1
    while line:
        candidate = line.rstrip(" .,;:-" + ELLIPSIS) + ELLIPSIS
        if ref_length(weight, candidate) * scale <= limit:
            return candidate
        cut = line.rfind(" ")
        line = line[:cut] if cut > 0 else "".join(clusters(line)[:-1])
    return ""


def truncate(lines: list[str], style: Style, size: int, box: tuple[int, int]) -> list[str]:
    """The first lines that fit the height, the last one ending in an ellipsis."""
    keep = max_lines(style, size, box[1])
    if len(lines) <= keep:
        return lines
    last = ellipsize(lines[keep - 1], style.weight, size, box[0]) if keep else ""
    return lines[: keep - 1] + ([last] if last else [])


def largest_size(text: str, style: Style, box: tuple[int, int]) -> int | None:
    """Binary search for the largest size whose unbroken wrap fits the box by estimate."""
    low, high, best = style.min_size, style.max_size, None
    while low <= high:
        size = (low + high) // 2
        lines = wrap(text, style.weight, size, box[0], breaking=False)
        if lines is not None and estimated_height(style, size, len(lines)) <= box[1]:
            best, low = size, size + 1
        else:
            high = size - 1
    return best


def shorten(lines: list[str], weight: str, size: int, width: float) -> list[str]:
    """One step shorter: drop the last line, or the last word (or character) of a single line."""
    if len(lines) > 1:
        last = ellipsize(lines[-2], weight, size, width)
        return lines[:-2] + ([last] if last else [])
    line = lines[0].removesuffix(ELLIPSIS)
    cut = line.rfind(" ")
    line = line[:cut] if cut > 0 else "".join(clusters(line)[:-1])
    return [ellipsize(line, weight, size, width)] if line else []


def balanced(text: str, style: Style, size: int, width: float, lines: list[str]) -> list[str]:
    """For centred text, the narrowest wrap with no more lines, so no word is left alone below."""
    low, high, best = width / 2, width, lines
    while style.align == "center" and len(lines) > 1 and high - low > 2:
        middle = (low + high) / 2
        trial = wrap(text, style.weight, size, middle, breaking=size == style.min_size)
        if trial is not None and len(trial) <= len(lines):
            best, high = trial, middle
        else:
            low = middle
    return best


def candidates(text: str, style: Style, box: tuple[int, int]):
    """(size, lines) to try, best first; ends with ever shorter truncations at the minimum size."""
    start = largest_size(text, style, box) or style.min_size
    for size in range(start, style.min_size - 1, -1):
        lines = wrap(text, style.weight, size, box[0], breaking=size == style.min_size)
        if lines is not None and estimated_height(style, size, len(lines)) <= box[1]:
            yield size, balanced(text, style, size, box[0], lines)
    lines = truncate(lines, style, style.min_size, box)
    while lines:
        yield style.min_size, lines
        lines = shorten(lines, style.weight, style.min_size, box[0])


def offset(align: str, low: int, high: int, start: int, end: int) -> int:
    """How far to move [start, end] so that it sits at the aligned place in [low, high]."""
    if align in ("left", "top"):
        return low - start
    if align in ("right", "bottom"):
        return high - end
    return low + ((high - low) - (end - start)) // 2 - start


def place(lines: list[str], style: Style, size: int, region: tuple[int, int, int, int]) -> Block | None:
    """Measure each line exactly as it will be drawn; None unless the block lies inside the region."""
    left, top, right, bottom = region
    face, step = font(style.weight, size), round(size * style.leading)
    measured = [face.getbbox(line, anchor=ANCHOR, language=LANGUAGE) for line in lines]
    ys = [i * step for i in range(len(lines))]
    block_top = min(box[1] + y for box, y in zip(measured, ys))
    block_bottom = max(box[3] + y for box, y in zip(measured, ys))
    if max(box[2] - box[0] for box in measured) > right - left or block_bottom - block_top > bottom - top:
        return None
    dy = offset(style.valign, top, bottom, block_top, block_bottom)
    origins = [(offset(style.align, left, right, box[0], box[2]), y + dy) for box, y in zip(measured, ys)]
    boxes = [(x + b[0], y + b[1], x + b[2], y + b[3]) for (x, y), b in zip(origins, measured)]
    lefts, tops, rights, bottoms = zip(*boxes)
    return Block(size, style.weight, tuple(lines), tuple(origins), (min(lefts), min(tops), max(rights), max(bottoms)))


def fit(text: str, style: Style, region: tuple[int, int, int, int]) -> Block | None:
    """The largest block of this (cleaned) text that lies inside the region, or None if empty."""
    text, box = clean(text), (region[2] - region[0], region[3] - region[1])
    for size, lines in candidates(text, style, box) if text else ():
        block = place(lines, style, size, region)
        if block is not None:
            return block
    return None


def draw_block(draw: ImageDraw.ImageDraw, block: Block, fill, role: str) -> TextBox:
    face = font(block.weight, block.size)
    for line, origin in zip(block.lines, block.origins):
        draw.text(origin, line, fill=fill, font=face, anchor=ANCHOR, language=LANGUAGE)
    return TextBox(role, "\n".join(block.lines), block.box)
