"""Personal identifiers in citizens' messages: phone numbers, citizen ID numbers and e-mail addresses are
found and masked with a hint; dates, sums of money, dossier and tax numbers are left alone; nothing else in
the text changes."""

from __future__ import annotations

import time
import unicodedata

import pytest
from hypothesis import given, strategies as st

from bot.feedback.pii import CITIZEN_ID, EMAIL, PHONE, find_identifiers, mask, mask_for

FOUND = [
    ("Gọi giúp tôi số 0912 345 678 nhé", PHONE, "0912 345 678", "Gọi giúp tôi số 091*****678 nhé"),
    ("sđt: 0912.345.678", PHONE, "0912.345.678", "sđt: 091*****678"),
    ("sdt0912345678", PHONE, "0912345678", "sdt091*****678"),
    ("Liên hệ +84 912 345 678.", PHONE, "+84 912 345 678", "Liên hệ 091*****678."),
    ("(+84) 386-123-456", PHONE, "(+84) 386-123-456", "038*****456"),
    ("zalo 84 912345678", PHONE, "84 912345678", "zalo 091*****678"),
    ("số 0705 123 456 hoặc 0868.123.456", PHONE, "0705 123 456", "số 070*****456 hoặc 086*****456"),
    ("Máy bàn (028) 3829 1234", PHONE, "(028) 3829 1234", "Máy bàn 028*****234"),
    ("nhà 0236 3822 123 ạ", PHONE, "0236 3822 123", "nhà 023*****123 ạ"),
    ("CCCD của tôi 079012345678", CITIZEN_ID, "079012345678", "CCCD của tôi 0790********"),
    ("số định danh 079 123 456 789", CITIZEN_ID, "079 123 456 789", "số định danh 0791********"),
    ("mã 0011.2345.6789 của mẹ", CITIZEN_ID, "0011.2345.6789", "mã 0011******** của mẹ"),
    ("CMND số: 023456789", CITIZEN_ID, "023456789", "CMND số: 023******"),
    ("chứng minh nhân dân 123 456 789", CITIZEN_ID, "123 456 789", "chứng minh nhân dân 123******"),
    ("Số định danh cá nhân là 201234567", CITIZEN_ID, "201234567", "Số định danh cá nhân là 201******"),
    ("gửi vào nguyenvana@gmail.com.", EMAIL, "nguyenvana@gmail.com", "gửi vào n***@gmail.com."),
    ("mail: tran.thi-b+cv@ubnd.hcm.gov.vn", EMAIL, "tran.thi-b+cv@ubnd.hcm.gov.vn", "mail: t***@ubnd.hcm.gov.vn"),
    ("0912345678@gmail.com", EMAIL, "0912345678@gmail.com", "0***@gmail.com"),
]


@pytest.mark.parametrize("text, kind, value, expected", FOUND)
def test_each_identifier_is_found_and_masked_with_a_hint(text, kind, value, expected):
    first = find_identifiers(text)[0]
    assert (first.kind, first.value, text[first.start:first.end]) == (kind, value, value)
    assert mask(text) == expected


@pytest.mark.parametrize("text", [
    "Lệ phí 1.500.000 đồng, nộp trước 15/03/2025",
    "Hỗ trợ 150.000.000 đồng cho 120 hộ, tổng 1.200.000.000.000đ",
    "Hồ sơ số 000.00.31.H29-240315-0001 đã có kết quả",
    "mã hồ sơ: 079123456789", "Số biên nhận 0912345678", "Mã số thuế 0312345678", "MST: 0312345678-001",
    "ngày 03.05.2024 12 giờ", "từ 01/01/2024 đến 31/12/2024", "lúc 08:30 ngày 09-10-2024",
    "Quyết định 1234/QĐ-UBND ngày 12.3.2025", "Tổng đài 1900 1234 hoặc 1800.1234",
    "đợt 1 có 123456789 lượt truy cập", "tài khoản 0071000123456", "số cũ 0123456789",
    "mã bưu chính 700000", "0912 345 6789", "Không có email@ ở đây, chỉ có @ten_zalo",
])
def test_dates_money_dossier_and_other_numbers_are_left_alone(text):
    assert find_identifiers(text) == []
    assert mask(text) == text


def test_a_phone_followed_by_a_time_is_not_read_as_a_citizen_id():
    assert [(m.kind, m.value) for m in find_identifiers("0912 345 678 12h trưa")] == [(PHONE, "0912 345 678")]


def test_masking_changes_nothing_but_the_identifiers():
    head = unicodedata.normalize("NFD", "Tôi tên Lan, ở Phường Bến Thành 🙏\n  SĐT ")
    middle = " — e-mail "
    tail = " (gọi sau 17h; CCCD 079123456789).  "
    text = head + "0912 345 678" + middle + "lan.nguyen@yahoo.com.vn" + tail
    out = mask(text)
    assert out == head + "091*****678" + middle + "l***@yahoo.com.vn" + tail.replace("079123456789", "0791********")
    assert out.encode() == (head + "091*****678" + middle + "l***@yahoo.com.vn"
                            + " (gọi sau 17h; CCCD 0791********).  ").encode()


def test_the_same_number_is_hidden_even_where_it_is_glued_to_other_digits():
    text = "Số tôi 0912345678, ghi nhầm thành 10912345678"
    out = mask(text)
    assert "0912345678" not in out and out.startswith("Số tôi 091*****678, ghi nhầm thành 1")


def test_staff_allowed_to_see_identifiers_get_the_text_as_written():
    text = "Gọi 0912 345 678"
    assert mask_for(text, can_see=True) == text
    assert mask_for(text, can_see=False) == "Gọi 091*****678"
    assert mask("") == "" and mask(None) == "" and find_identifiers(None) == []


def _phone():
    prefix = st.sampled_from(["0", "+84", "84", "+84 ", "(+84) "])
    body = st.tuples(st.sampled_from("35789"), st.text("0123456789", min_size=8, max_size=8))
    sep = st.sampled_from(["", " ", ".", "-"])
    return st.builds(lambda p, b, s: p + b[0] + b[1][:2] + s + b[1][2:5] + s + b[1][5:], prefix, body, sep)


def _citizen_id():
    return st.builds(lambda province, rest: f"0{province:02d}{rest}", st.integers(1, 96),
                     st.text("0123456789", min_size=9, max_size=9))


def _email():
    local = st.from_regex(r"[a-z][a-z0-9._+\-]{0,12}", fullmatch=True)
    return st.builds(lambda lo, d: f"{lo}@{d}", local, st.sampled_from(["gmail.com", "yahoo.com.vn", "ubnd.gov.vn"]))


WORDS = st.sampled_from(["Tôi", "gọi", "số", "ạ", "CCCD", "email", "lúc 8h", "ngày 12/3", "1.500.000đ", "\n", "🙏"])
FRAGMENTS = st.lists(st.one_of(_phone(), _citizen_id(), _email(), WORDS, st.text(max_size=12)), max_size=12)


@given(FRAGMENTS, st.sampled_from([" ", ", ", "\n", " - "]))
def test_no_identifier_found_survives_masking(fragments, joiner):
    text = joiner.join(fragments)
    found = find_identifiers(text)
    out = mask(text)
    for match in found:
        assert text[match.start:match.end] == match.value
        assert match.value not in out


@given(st.lists(WORDS, max_size=5), _phone(), st.lists(WORDS, max_size=5))
def test_a_phone_number_between_words_is_always_found(before, phone, after):
    text = " ".join(before + [phone] + after)
    assert phone in [m.value for m in find_identifiers(text) if m.kind == PHONE]


@given(st.text())
def test_masking_never_fails_on_any_text(text):
    found = find_identifiers(text)
    assert all(0 <= a.start < a.end <= b.start for a, b in zip(found, found[1:]))
    assert isinstance(mask(text), str)


@pytest.mark.parametrize("text", ["0" * 100_000, "a" * 100_000 + "@", "a@" + "b." * 50_000, "09 1.2-3 " * 10_000])
def test_a_huge_message_is_masked_in_linear_time(text):
    started = time.perf_counter()
    mask(text)
    assert time.perf_counter() - started < 5
