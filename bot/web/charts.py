"""Bar charts as inline SVG: no JavaScript, no library, readable on a phone and by a screen reader.

Each category is a row: its label on one line, one bar per series below it, the value at the bar's
end, so long Vietnamese labels never collide. Every text is escaped here; the page shows the same
numbers in a table next to the chart (the fallback for anyone who cannot see it)."""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH = 480
LABEL_H, BAR_H, BAR_GAP, ROW_GAP = 18, 14, 3, 10
LEGEND_H = 24
VALUE_ROOM = 56  # space right of the longest bar for its number
PALETTE = ("#b3261e", "#1a5fb4", "#1e7d32", "#b26a00", "#6f42c1")
LABEL_CHARS = 60


def _number(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[:LABEL_CHARS - 1] + "…"


def _legend(series: list[tuple[str, list]]) -> list[str]:
    parts, x = [], 0
    for index, (name, _values) in enumerate(series):
        colour = PALETTE[index % len(PALETTE)]
        parts.append(f'<rect x="{x}" y="4" width="12" height="12" fill="{colour}"/>'
                     f'<text x="{x + 16}" y="15">{escape(name)}</text>')
        x += 24 + 8 * len(name)
    return parts


def _row(y: int, label: str, values: list[float], scale: float) -> tuple[list[str], int]:
    parts = [f'<text x="0" y="{y + 13}" class="label">{escape(_short(label))}</text>']
    y += LABEL_H
    for index, value in enumerate(values):
        value = max(value or 0, 0)
        width = round(value * scale, 1)
        colour = PALETTE[index % len(PALETTE)]
        parts.append(f'<rect x="0" y="{y}" width="{width}" height="{BAR_H}" fill="{colour}"/>'
                     f'<text x="{width + 4}" y="{y + 11}" class="value">{escape(_number(value))}</text>')
        y += BAR_H + BAR_GAP
    return parts, y + ROW_GAP


def description(labels: list[str], series: list[tuple[str, list]]) -> str:
    """The chart's numbers as one sentence, for screen readers (the <desc> element)."""
    rows = []
    for position, label in enumerate(labels):
        numbers = ", ".join(f"{name} {_number(values[position])}" for name, values in series)
        rows.append(f"{label}: {numbers}")
    return "; ".join(rows)


def bar_chart(chart_id: str, title: str, labels: list[str], series: list[tuple[str, list]]) -> SafeString:
    """An SVG of horizontal bars: `labels` are the categories, `series` (name, one value per label)."""
    top = LEGEND_H if len(series) > 1 else 0
    biggest = max([max(v or 0, 0) for _name, values in series for v in values] + [1])
    scale = (WIDTH - VALUE_ROOM) / biggest
    parts, y = (_legend(series) if top else []), top
    for position, label in enumerate(labels):
        row, y = _row(y, label, [values[position] for _name, values in series], scale)
        parts.extend(row)
    height = max(y, top + LABEL_H)
    ident = escape(chart_id)
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {WIDTH} {height}" '
           f'width="{WIDTH}" height="{height}" aria-labelledby="{ident}-title {ident}-desc" class="bars">'
           f'<title id="{ident}-title">{escape(title)}</title>'
           f'<desc id="{ident}-desc">{escape(description(labels, series))}</desc>'
           f'{"".join(parts)}</svg>')
    # Safe: every text above went through escape(); numbers and colours are ours.
    return mark_safe(svg)  # noqa: S308
