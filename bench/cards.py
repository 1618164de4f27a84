"""Card rendering speed: N 1080×1080 slogan cards from phrases of the seed articles; median and p95 ms.

Usage (from the repository root):

    .venv/bin/python bench/cards.py [--cards 200] [--seeds /work/shared/seeds]

Render is text fitting plus drawing; "render + PNG" adds encode(). Target: median render ≤ 30 ms.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.content import limits  # noqa: E402
from bot.content.cards import Brand, encode, slogan_card  # noqa: E402

DEFAULT_SEEDS = Path("/work/shared/seeds")
DOCUMENT = re.compile(r"(?:Kế hoạch|Quyết định|Chỉ thị|Nghị quyết|Công văn) số [0-9]+/[0-9A-ZĐ-]+")
FALLBACK_SOURCES = ["Kế hoạch số 1029/KH-UBND"]
BRANDS = [Brand("Ủy ban nhân dân phường Bình Hưng"), Brand("UBND thị xã Ayun Pa", "#0b5394", "#ffd966")]


def phrases(seeds: Path) -> tuple[list[str], list[str]]:
    """Clauses of slogan length and the documents the articles cite, in reading order."""
    text = unicodedata.normalize("NFC", " ".join(p.read_text() for p in sorted(seeds.glob("*.txt"))))
    clauses = (c.strip(" “”\"'()-–") for c in re.split(r"[.;:!?\n]", text))
    slogans = [c for c in clauses if 25 <= len(c) <= limits.SLOGAN_TEXT_MAX]
    sources = sorted(set(DOCUMENT.findall(text))) or FALLBACK_SOURCES
    return slogans, sources


def timed(action) -> tuple[float, float, object]:
    """Wall and CPU milliseconds: CPU time is steadier when other work shares the machine."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = action()
    return (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000, result


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def run(count: int, seeds: Path) -> dict[str, list[float]]:
    slogans, sources = phrases(seeds)
    names = ("render", "render + PNG", "render (CPU)", "render + PNG (CPU)")
    results: dict[str, list[float]] = {name: [] for name in names}
    for i in range(count):
        slogan, source, brand = slogans[i % len(slogans)], sources[i % len(sources)], BRANDS[i % len(BRANDS)]
        render_wall, render_cpu, card = timed(lambda: slogan_card(slogan, source, brand))
        encode_wall, encode_cpu, _ = timed(lambda: encode(card))
        for name, value in zip(names, (render_wall, render_wall + encode_wall, render_cpu, render_cpu + encode_cpu)):
            results[name].append(value)
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=200)
    parser.add_argument("--seeds", type=Path, default=DEFAULT_SEEDS)
    args = parser.parse_args(argv)
    slogan_card("Khởi động", "phông chữ", BRANDS[0])  # load the fonts outside the measurement
    results = run(args.cards, args.seeds)
    print(f"{args.cards} slogan cards, 1080×1080, {len(phrases(args.seeds)[0])} distinct phrases")
    print(f"{'':<20}{'median ms':>10}{'p95 ms':>10}")
    for name, values in results.items():
        print(f"{name:<20}{statistics.median(values):>10.1f}{percentile(values, 0.95):>10.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
