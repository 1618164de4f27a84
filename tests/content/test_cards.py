"""Image cards: every text block drawn inside the margins, nothing overlapping, NFC = NFD, files cached by content."""

from __future__ import annotations

import io
import random
import unicodedata
from itertools import combinations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageChops, ImageDraw

from bot.content import limits
from bot.content.card_text import ELLIPSIS, Style, draw_block, fit
from bot.content.cards import (
    Brand, Card, bulletin_cover, cached_file, encode, guide_step_cards, slogan_card,
)

TONES = ["", "\u0300", "\u0309", "\u0303", "\u0301", "\u0323"]
VOWELS = "aăâeêioôơuưy"
LETTERS = sorted(
    {unicodedata.normalize("NFC", v + t) for v in VOWELS + VOWELS.upper() for t in TONES}
    | set("bcdđghklmnpqrstvxBCDĐGHKLMNPQRSTVX")
)
PUNCTUATION = list(",.;:!?-–“”()/%…") + ["\n"]
EMOJI = ["😀", "👍🏽", "🇻🇳", "❤️", "1️⃣", "👨‍👩‍👧", "🏛️", "✅", "→"]
URL = "https://dichvucong.gov.vn/p/home/dvc-chi-tiet-thu-tuc-hanh-chinh.html?ma_thu_tuc=1.001193"
BRAND = Brand("Ủy ban nhân dân phường Bình Hưng")
SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)

word = st.text(alphabet=st.sampled_from(LETTERS), min_size=1, max_size=9)
long_word = st.one_of(st.text(alphabet=st.sampled_from(LETTERS), min_size=40, max_size=80), st.just(URL))
token = st.one_of(word, word, word, word, word, st.sampled_from(PUNCTUATION), st.sampled_from(EMOJI), long_word)


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def vietnamese(limit: int):
    """Vietnamese text of at most `limit` characters (counted in NFC), sent in NFC or NFD."""
    text = st.lists(token, max_size=limit // 3).map(lambda tokens: nfc(" ".join(tokens))[:limit])
    return st.tuples(text, st.sampled_from(["NFC", "NFD"])).map(lambda pair: unicodedata.normalize(pair[1], pair[0]))


def assert_well_laid_out(card: Card) -> None:
    left, top, right, bottom = card.safe_area
    for text_box in card.boxes:
        l, t, r, b = text_box.box
        assert left <= l < r <= right and top <= t < b <= bottom, f"{text_box.role} {text_box.box} outside {card.safe_area}"
        # The drawn text is really there: the box holds more than its background colour.
        assert len(card.image.crop(text_box.box).getcolors(maxcolors=1 << 20)) > 1, f"{text_box.role} box is blank"
    for one, other in combinations(card.boxes, 2):
        a, b = one.box, other.box
        assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], f"{one.role} {a} overlaps {other.role} {b}"


def flat(text: str) -> str:
    return "".join(text.split())


@SETTINGS
@given(text=vietnamese(limits.SLOGAN_TEXT_MAX), source=vietnamese(limits.SLOGAN_SOURCE_MAX),
       size=st.sampled_from([(1080, 1080), (1200, 630)]))
def test_slogan_cards_keep_every_text_block_inside_the_margins_without_overlap(text, source, size):
    card = slogan_card(text, source, BRAND, size=size)
    assert card.image.size == size
    assert_well_laid_out(card)


@SETTINGS
@given(title=vietnamese(limits.TITLE_MAX), issue=vietnamese(12), month=vietnamese(20))
def test_bulletin_covers_keep_every_text_block_inside_the_margins_without_overlap(title, issue, month):
    card = bulletin_cover(title, issue, month, BRAND)
    assert card.image.size == (1200, 630)
    assert_well_laid_out(card)


@settings(SETTINGS, max_examples=15)
@given(service=vietnamese(limits.GUIDE_SERVICE_MAX),
       steps=st.lists(vietnamese(limits.GUIDE_STEP_MAX), min_size=1, max_size=limits.GUIDE_STEPS_MAX))
def test_guide_step_cards_keep_every_text_block_inside_the_margins_without_overlap(service, steps):
    cards = guide_step_cards(service, steps, BRAND)
    assert len(cards) == len(steps)
    for number, card in enumerate(cards, 1):
        assert_well_laid_out(card)
        assert {box.text for box in card.boxes if box.role == "step_label"} == {f"Bước {number}/{len(steps)}"}


@SETTINGS
@given(text=vietnamese(limits.SLOGAN_TEXT_MAX), weight=st.sampled_from(["Medium", "Bold", "ExtraBold"]),
       region=st.tuples(st.integers(0, 200), st.integers(0, 200), st.integers(300, 900), st.integers(260, 600)),
       align=st.sampled_from(["left", "center"]))
def test_the_measured_box_holds_every_drawn_pixel(text, weight, region, align):
    image = Image.new("RGB", (1000, 700), "white")
    style = Style(weight, max_size=90, min_size=12, align=align)
    block = fit(text, style, region)
    if block is None:
        return
    drawn = draw_block(ImageDraw.Draw(image), block, "black", "text")
    ink = ImageChops.difference(image, Image.new("RGB", image.size, "white")).getbbox()
    l, t, r, b = drawn.box
    assert ink is not None and l <= ink[0] and t <= ink[1] and ink[2] <= r and ink[3] <= b
    assert region[0] <= l and region[1] <= t and r <= region[2] and b <= region[3]


def test_nfc_and_nfd_input_give_identical_images():
    text = "Đẩy mạnh cải cách hành chính, xây dựng chính quyền số phục vụ Nhân dân — Ưu tiên ỨNG DỤNG"
    source = "Kế hoạch số 1029/KH-UBND ngày 11/3/2022 của Ủy ban nhân dân thành phố"
    nfd = Brand(unicodedata.normalize("NFD", BRAND.unit_name))
    assert encode(slogan_card(text, source, BRAND)) == encode(
        slogan_card(unicodedata.normalize("NFD", text), unicodedata.normalize("NFD", source), nfd))
    assert encode(bulletin_cover(text, "3", "tháng 5/2025", BRAND)) == encode(
        bulletin_cover(unicodedata.normalize("NFD", text), "3", unicodedata.normalize("NFD", "tháng 5/2025"), nfd))


@settings(SETTINGS, max_examples=10)
@given(text=vietnamese(limits.GUIDE_STEP_MAX))
def test_nfd_steps_draw_the_same_card_as_nfc(text):
    [nfc_card] = guide_step_cards("Đăng ký khai sinh", [nfc(text)], BRAND)
    [nfd_card] = guide_step_cards("Đăng ký khai sinh", [unicodedata.normalize("NFD", text)], BRAND)
    assert encode(nfc_card) == encode(nfd_card)


@pytest.mark.parametrize("kind, limit", [("slogan", limits.SLOGAN_TEXT_MAX), ("step", limits.GUIDE_STEP_MAX),
                                         ("title", limits.TITLE_MAX)])
@pytest.mark.parametrize("letter, spaced", [("W", True), ("Ẫ", True), ("m", True), ("W", False), ("Ự", False)])
def test_the_longest_text_of_the_widest_letters_fits_whole(kind, limit, letter, spaced):
    text = " ".join([letter * 9] * (limit // 10)) if spaced else letter * limit
    source = " ".join(["Ễ" * 9] * (limits.SLOGAN_SOURCE_MAX // 10))
    cards = {
        "slogan": lambda: [slogan_card(text, source, BRAND), slogan_card(text, source, BRAND, size=(1200, 630))],
        "step": lambda: guide_step_cards("Ẫ" * limits.GUIDE_SERVICE_MAX, [text], BRAND),
        "title": lambda: [bulletin_cover(text, "12", "12/2025", BRAND)],
    }[kind]()
    for card in cards:
        assert_well_laid_out(card)
        drawn = {box.role: box.text for box in card.boxes}
        assert flat(drawn[kind]) == flat(text) and ELLIPSIS not in drawn[kind]
        assert ELLIPSIS not in drawn.get("source", "")


def test_a_word_longer_than_any_line_is_broken_by_characters_not_cut():
    card = slogan_card(URL * 3, "", BRAND, size=(1200, 630))
    [slogan] = [box for box in card.boxes if box.role == "slogan"]
    assert flat(slogan.text) == URL * 3 and slogan.text.count("\n") >= 1
    assert_well_laid_out(card)


def test_emoji_are_left_out_and_the_words_around_them_kept():
    card = slogan_card("Cải cách 😀 hành chính 🇻🇳 vì dân ❤️", "", BRAND)
    assert [box.text.replace("\n", " ") for box in card.boxes if box.role == "slogan"] == ["Cải cách hành chính vì dân"]
    only_emoji = slogan_card("😀🇻🇳👍🏽", "📄", BRAND)
    assert [box.role for box in only_emoji.boxes] == ["unit"]


def test_a_pale_primary_colour_still_gives_readable_text():
    card = slogan_card("Cải cách hành chính", "", Brand("UBND phường Bến Thành", primary="#fff6d5"))
    [unit] = [box for box in card.boxes if box.role == "unit"]
    colours = {colour for _, colour in card.image.crop(unit.box).getcolors(maxcolors=1 << 20)}
    assert (0x1D, 0x1B, 0x20) in colours  # dark ink on the pale band, not white


def test_rendering_is_deterministic():
    first = slogan_card("Một cửa, một cửa liên thông", "Quyết định số 602/QĐ-UBND", BRAND)
    second = slogan_card("Một cửa, một cửa liên thông", "Quyết định số 602/QĐ-UBND", BRAND)
    assert encode(first) == encode(second) and first.boxes == second.boxes


def noisy_card() -> Card:
    noise = random.Random(7).randbytes(1080 * 1080 * 3)
    return Card(Image.frombytes("RGB", (1080, 1080), noise), (), 54)


def test_jpeg_of_noisy_content_is_squeezed_under_zalos_limit():
    data = encode(noisy_card(), "JPEG", max_bytes=1_000_000)
    assert len(data) <= 1_000_000
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG" and image.width <= 1080


def test_png_round_trips_pixel_for_pixel():
    card = slogan_card("Dịch vụ công trực tuyến toàn trình", "Kế hoạch số 6636/KH-UBND", BRAND)
    image = Image.open(io.BytesIO(encode(card)))
    assert image.format == "PNG" and image.size == card.image.size
    assert ImageChops.difference(image.convert("RGB"), card.image).getbbox() is None


def test_an_impossible_byte_limit_is_refused():
    with pytest.raises(ValueError, match="cannot be encoded"):
        encode(noisy_card(), "JPEG", max_bytes=100)


def test_cached_file_renders_once_and_names_the_file_by_content(tmp_path):
    calls = []

    def render(text):
        calls.append(text)
        return slogan_card(text, "", BRAND)

    key = {"kind": "slogan", "text": "Cải cách hành chính", "unit": "ben-thanh"}
    first = cached_file(tmp_path, key, lambda: render(key["text"]))
    again = cached_file(tmp_path, {**key, "text": unicodedata.normalize("NFD", key["text"])}, lambda: render("x"))
    assert first == again and calls == ["Cải cách hành chính"]
    assert Image.open(first).size == (1080, 1080) and first.suffix == ".png"
    other = cached_file(tmp_path, {**key, "text": "Chính quyền số"}, lambda: render("Chính quyền số"))
    jpeg = cached_file(tmp_path, key, lambda: render(key["text"]), fmt="jpeg", max_bytes=1_000_000)
    assert len({first, other, jpeg}) == 3 and jpeg.suffix == ".jpg" and len(calls) == 3
    # Written through a temporary file and a rename: only the finished cards are left.
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in (first, other, jpeg))


def test_prune_drops_cards_unused_for_the_keep_period_and_keeps_those_used_lately(tmp_path):
    import os
    import time

    from bot.content.cards import prune

    key = {"kind": "slogan", "text": "Cải cách hành chính", "unit": "ben-thanh"}
    used = cached_file(tmp_path, key, lambda: slogan_card(key["text"], "", BRAND))
    idle = cached_file(tmp_path, {**key, "text": "Chính quyền số"}, lambda: slogan_card("Chính quyền số", "", BRAND))
    month_ago = time.time() - 31 * 86400
    for path in (used, idle):
        os.utime(path, (month_ago, month_ago))
    assert cached_file(tmp_path, key, lambda: pytest.fail("a cached card is not drawn again")) == used
    assert prune(tmp_path, keep_seconds=30 * 86400) == 1
    assert used.exists() and not idle.exists()


@pytest.mark.parametrize("field, value", [("primary", "red"), ("primary", "#12345"), ("accent", "b3261e"),
                                          ("accent", "#gggggg"), ("accent", "#fff"), ("primary", None)])
def test_bad_colours_are_refused_with_a_clear_message(field, value):
    with pytest.raises(ValueError, match=rf"The {field} colour .* is not a hex colour like #b3261e"):
        Brand("UBND phường Bến Thành", **{field: value})


def test_colours_are_kept_as_lower_case_hex():
    assert Brand("UBND", primary="#B3261E", accent=" #F9C74F ") == Brand("UBND", "#b3261e", "#f9c74f")


def test_a_guide_of_too_many_steps_is_refused():
    with pytest.raises(ValueError, match="at most 10 steps"):
        guide_step_cards("Cấp lại căn cước", ["Bước"] * (limits.GUIDE_STEPS_MAX + 1), BRAND)


def test_the_bulletin_cover_names_the_bulletin_the_issue_and_the_month():
    card = bulletin_cover("Chuyển đổi số trong giải quyết thủ tục hành chính", "7", "7/2025", BRAND)
    drawn = {box.role: box.text.replace("\n", " ") for box in card.boxes}
    assert drawn["kicker"] == "BẢN TIN CẢI CÁCH HÀNH CHÍNH"
    assert drawn["issue"] == "Số 7 · Tháng 7/2025"
    assert drawn["title"] == "Chuyển đổi số trong giải quyết thủ tục hành chính"
    assert drawn["unit"] == BRAND.unit_name
