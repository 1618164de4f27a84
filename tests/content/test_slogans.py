"""The slogan library: officers' CSV and XLSX files import whole or not at all, duplicates are skipped
and counted, and rotation hands out the least recently used slogan, never the same one twice at once."""

from __future__ import annotations

import csv
import io
import json
import threading
import unicodedata
import zipfile
from datetime import datetime, timedelta, timezone as dt_timezone

import openpyxl
import pytest
from django.db import connection, transaction
from django.utils import translation
from hypothesis import given, strategies as st
from PIL import Image

from bot.cli import slogan_cmds
from bot.cli.commands import Parser
from bot.content.slogans import add_slogan, import_slogans, pick_slogan, read_rows, text_key
from bot.errors import Invalid
from bot.models import AuditEntry, Slogan

HEADER = ("Khẩu hiệu", "Nguồn", "Thẻ")
ROWS = [
    ("Cải cách hành chính vì nhân dân phục vụ", "Kế hoạch 1029/KH-UBND", "cải cách hành chính, dịch vụ công"),
    ("Nộp hồ sơ trực tuyến, nhận kết quả tại nhà", "Công văn 45/UBND-VP", "dịch vụ công; bưu chính công ích"),
    ("Người dân, doanh nghiệp là trung tâm phục vụ", "", ""),
]
T0 = datetime(2026, 11, 26, 7, 0, tzinfo=dt_timezone.utc)


def write_csv(path, rows, header=HEADER, delimiter=",", encoding="utf-8"):
    with open(path, "w", newline="", encoding=encoding) as f:
        writer = csv.writer(f, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_xlsx(path, rows, header=HEADER):
    workbook = openpyxl.Workbook()
    workbook.active.append(list(header))
    for row in rows:
        workbook.active.append(list(row))
    workbook.create_sheet("Ghi chú").append(["Khẩu hiệu", "Không được nhập từ trang này"])
    workbook.save(path)
    return path


@pytest.fixture(autouse=True)
def english():
    # The messages are asserted in English; Vietnamese is the default language once translated.
    with translation.override("en"):
        yield


def windows_1258(text: str) -> str:
    """Excel's "CSV" on a Vietnamese Windows: tone marks as separate characters after the letter."""
    tones = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
    out = []
    for char in text:
        parts = unicodedata.normalize("NFD", char)
        tone = "".join(c for c in parts if c in tones)
        out.append(unicodedata.normalize("NFC", "".join(c for c in parts if c not in tones)) + tone)
    return "".join(out)


def library(unit):
    return [(s.text, s.source, s.tags) for s in Slogan.objects.filter(unit=unit).order_by("pk")]


def imports_recorded():
    return AuditEntry.objects.filter(action="slogan.import").count()


def refused(unit, path, match):
    before = library(unit)
    with pytest.raises(Invalid, match=match) as caught:
        import_slogans(unit, path)
    assert library(unit) == before and imports_recorded() == 0
    return caught.value.message


# Importing


def test_a_csv_of_vietnamese_slogans_with_sources_and_tags_is_imported(units, people, tmp_path):
    ward = units["ward"]
    result = import_slogans(ward, write_csv(tmp_path / "khau-hieu.csv", ROWS), actor=people["lan"])
    assert (result.created, result.duplicates_in_file, result.already_in_library, result.rows) == (3, 0, 0, 3)
    assert library(ward) == [
        (ROWS[0][0], ROWS[0][1], ["cải cách hành chính", "dịch vụ công"]),
        (ROWS[1][0], ROWS[1][1], ["dịch vụ công", "bưu chính công ích"]),
        (ROWS[2][0], "", []),
    ]
    entry = AuditEntry.objects.get(action="slogan.import")
    assert entry.actor == people["lan"] and entry.unit_id == ward.pk
    assert entry.details == {"file": "khau-hieu.csv", "created": 3, "duplicates_in_file": 0,
                             "already_in_library": 0, "rows": 3}


def test_an_xlsx_workbook_is_imported_from_its_first_sheet_with_any_known_header_spelling(units, tmp_path):
    rows = [(1, ROWS[0][0], ROWS[0][1], "CCHC"), (2, None, None, None), (3, ROWS[1][0], 2026, "a; b")]
    path = write_xlsx(tmp_path / "thang-11.xlsx", rows, header=("STT", "NỘI DUNG", "Căn cứ", "nhan"))
    assert import_slogans(units["ward"], path).created == 2
    assert library(units["ward"]) == [(ROWS[0][0], ROWS[0][1], ["CCHC"]), (ROWS[1][0], "2026", ["a", "b"])]


def test_decomposed_text_is_stored_composed(units, tmp_path):
    nfd = [tuple(unicodedata.normalize("NFD", cell) for cell in row) for row in ROWS]
    assert nfd[0][0] != ROWS[0][0]
    import_slogans(units["ward"], write_csv(tmp_path / "nfd.csv", nfd))
    assert [text for text, _, _ in library(units["ward"])] == [row[0] for row in ROWS]
    assert Slogan.objects.get(text=ROWS[0][0]).tags == ["cải cách hành chính", "dịch vụ công"]


def test_duplicates_in_the_file_and_in_the_library_are_skipped_and_counted(units, tmp_path):
    ward = units["ward"]
    add_slogan(ward, "Cải cách hành chính!")
    add_slogan(units["other"], "Vì nhân dân phục vụ")  # another unit's library does not count
    rows = [(" cải  cách hành chính", "", ""), ("Vì nhân dân phục vụ", "", ""), ("“VÌ NHÂN DÂN PHỤC VỤ.”", "", ""),
            ("Cãi cách hành chính", "", "")]  # a different tone mark is a different word
    result = import_slogans(ward, write_csv(tmp_path / "dup.csv", rows))
    assert (result.created, result.duplicates_in_file, result.already_in_library, result.rows) == (2, 1, 1, 4)
    assert [t for t, _, _ in library(ward)] == ["Cải cách hành chính!", "Vì nhân dân phục vụ", "Cãi cách hành chính"]


def test_a_semicolon_separated_csv_with_a_bom_is_read(units, tmp_path):
    path = write_csv(tmp_path / "excel.csv", ROWS, delimiter=";", encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    assert import_slogans(units["ward"], path).created == 3
    assert library(units["ward"])[1][0] == "Nộp hồ sơ trực tuyến, nhận kết quả tại nhà"


def test_a_single_column_csv_keeps_commas_inside_slogans(units, tmp_path):
    path = tmp_path / "mot-cot.csv"
    path.write_text("khau hieu\nNộp hồ sơ trực tuyến, nhận kết quả tại nhà\n", encoding="utf-8")
    import_slogans(units["ward"], path)
    assert library(units["ward"]) == [("Nộp hồ sơ trực tuyến, nhận kết quả tại nhà", "", [])]


def test_progress_is_reported_up_to_the_total(units, tmp_path):
    rows = [(f"Khẩu hiệu số {i}", "", "") for i in range(500)] + [("Khẩu hiệu số 7", "", "")]
    calls = []
    import_slogans(units["ward"], write_csv(tmp_path / "lon.csv", rows), progress=lambda d, t: calls.append((d, t)))
    assert calls[0] == (0, 1002) and calls[-1] == (1002, 1002)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls) and {t for _, t in calls} == {1002}
    assert 10 < len(calls) <= 110


# All or nothing


def test_one_bad_row_among_500_good_ones_changes_nothing_and_is_named(units, tmp_path):
    ward = units["ward"]
    add_slogan(ward, "Khẩu hiệu có sẵn")
    rows = [(f"Khẩu hiệu số {i}", "", "") for i in range(500)]
    rows.insert(300, ("x" * 412, "", ""))
    message = refused(ward, write_csv(tmp_path / "mot-dong-sai.csv", rows), "Row 302")
    assert message == "Nothing was imported from mot-dong-sai.csv. Row 302: the slogan is 412 characters; the limit is 300."
    assert Slogan.objects.count() == 1


def test_every_kind_of_bad_row_is_named_with_its_spreadsheet_row(units, tmp_path):
    rows = [
        ("Tốt", "", ""), ("", "Kế hoạch 1", ""), ("Tốt 2", "n" * 201, ""),
        ("Tốt 3", "", ",".join(f"t{i}" for i in range(11))), ("Tốt 4", "", "t" * 41),
        ("Chuông\x07 reo", "", ""), ("<script>alert(1)</script> Cải cách", "", ""), ("!!!", "", ""),
    ]
    message = refused(units["ward"], write_csv(tmp_path / "sai.csv", rows), "Row 3")
    for expected in ("Row 3: the slogan is empty.", "Row 4: the source is 201 characters; the limit is 200.",
                     "Row 5: there are 11 tags; the limit is 10.", "Row 6: the tag “tttttttttttttttttttt…” is 41",
                     "Row 7: there is an invisible control character (U+0007) in the slogan.",
                     "Row 8: there is HTML markup (<script>) in the slogan; write plain text.",
                     "Row 9: the slogan has no letters or digits."):
        assert expected in message


def test_xlsx_row_numbers_count_blank_rows_as_the_officer_sees_them(units, tmp_path):
    rows = [("Một", "", ""), ("Hai", "", ""), (None, None, None), ("y" * 301, "", "")]
    refused(units["ward"], write_xlsx(tmp_path / "sai.xlsx", rows), r"Row 5: the slogan is 301 characters")


def test_many_bad_rows_are_summarised_after_ten(units, tmp_path):
    rows = [("", f"Nguồn {i}", "") for i in range(15)]
    message = refused(units["ward"], write_csv(tmp_path / "rong.csv", rows), "5 more problems")
    assert message.count("Row ") == 10 and "Row 2: the slogan is empty." in message


def test_an_unquoted_separator_is_refused_rather_than_splitting_the_slogan(units, tmp_path):
    path = tmp_path / "thieu-ngoac.csv"
    path.write_text("text,source\nNộp hồ sơ trực tuyến, nhận kết quả tại nhà, Kế hoạch 1\n", encoding="utf-8")
    refused(units["ward"], path, "Row 2: the row has more cells than the header")


# Files that are refused


def png_named_csv(path):
    Image.new("RGB", (8, 8), "red").save(path, format="PNG")
    return path


def oversized_xlsx_part(path):
    write_xlsx(path, ROWS)
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/media/bom.bin", bytes(60 * 1024 * 1024))  # 60 MB of zeros: ~60 KB packed
    return path


def rewritten_sheet(path, change):
    """A workbook whose first sheet's XML was changed by hand, as a damaged or hostile file would be."""
    write_xlsx(path.with_suffix(".orig"), [("x", "", "")])
    with zipfile.ZipFile(path.with_suffix(".orig")) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            dst.writestr(info, change(data.decode()).encode() if info.filename == "xl/worksheets/sheet1.xml" else data)
    return path


def entity_bomb(path):
    entities = '<!ENTITY l0 "lollollollollollollollollollol">' + "".join(
        f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))  # 30 bytes become 30 GB
    return rewritten_sheet(path, lambda xml: f"<!DOCTYPE worksheet [{entities}]>" + xml.replace("<t>x</t>", "<t>&l9;</t>"))


def big_sparse_csv(path):
    with open(path, "wb") as f:
        f.truncate(21 * 1024 * 1024)
    return path


REFUSALS = [
    ("header.csv", lambda p: write_csv(p, ROWS, header=("STT", "Câu", "Nguồn")), "has no slogan column.*“khẩu hiệu”"),
    ("anh.csv", png_named_csv, "is not UTF-8 text"),
    ("nul.csv", lambda p: p.write_bytes(b"text\n\x00\x01\x02\n"), "is not a text file"),
    ("windows.csv", lambda p: p.write_bytes(windows_1258("Khẩu hiệu\nCải cách\n").encode("cp1258")), r"is not UTF-8 text \(first unreadable byte on line 1\)"),
    ("so-tay.csv", lambda p: write_xlsx(p, ROWS), "is an Excel workbook, not a CSV file"),
    ("cu.xls", lambda p: p.write_bytes(b"\xd0\xcf\x11\xe0"), r"Only \.csv \(UTF-8\) and \.xlsx"),
    ("ghi-chu.txt", lambda p: write_csv(p, ROWS), r"Only \.csv \(UTF-8\) and \.xlsx"),
    ("bom.xlsx", oversized_xlsx_part, r"refused as unsafe: its part xl/media/bom.bin unpacks to 60 MB; the limit is 50 MB"),
    ("hong.xlsx", lambda p: p.write_bytes(b"not a zip at all"), "is not an Excel workbook"),
    ("cut.xlsx", lambda p: rewritten_sheet(p, lambda xml: xml[:300]), "could not be read as an Excel workbook"),
    ("laughs.xlsx", entity_bomb, "could not be read as an Excel workbook"),
    ("lon.csv", big_sparse_csv, "is 21 MB; files up to 20 MB"),
]


@pytest.mark.parametrize("name, make, match", REFUSALS, ids=[r[0] for r in REFUSALS])
def test_a_file_that_cannot_be_read_is_refused_with_a_sentence_and_nothing_is_written(units, tmp_path, name, make, match):
    path = tmp_path / name
    make(path)
    refused(units["ward"], path, match)


def test_a_missing_file_is_named(units, tmp_path):
    refused(units["ward"], tmp_path / "khong-co.csv", "There is no file")


# Keys and single additions


VIETNAMESE = "".join(
    unicodedata.normalize("NFC", base + tone)
    for base in "aăâeêioôơuưyAĂÂEÊIOÔƠUƯY" for tone in ("", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323")
) + "bcdđghklmnpqrstvxĐ  ,.!?“”"


@given(st.text(alphabet=VIETNAMESE, max_size=40))
def test_a_key_ignores_composition_case_spacing_and_surrounding_punctuation(text):
    key = text_key(text)
    assert text_key(unicodedata.normalize("NFD", text)) == key
    assert text_key(text.upper()) == key
    assert text_key(f"  “{text.replace(' ', '   ')}!”") == key


def test_tone_marks_make_different_keys():
    assert text_key("Cải cách hành chính!") == text_key(" cải  cách hành chính")
    assert text_key("Cải cách") != text_key("Cãi cách") != text_key("Cai cach")


def test_adding_a_duplicate_or_invalid_slogan_is_refused(units):
    ward = units["ward"]
    slogan = add_slogan(ward, "  Vì nhân dân\u00a0phục vụ ", source="Kế hoạch 1", tags=["cchc, dvc", "CCHC"])
    assert (slogan.text, slogan.tags) == ("Vì nhân dân phục vụ", ["cchc", "dvc"])
    with pytest.raises(Invalid, match="already in the library of Phường Bến Thành"):
        add_slogan(ward, "vì nhân dân phục vụ.")
    with pytest.raises(Invalid, match="^The slogan is 301 characters; the limit is 300.$"):
        add_slogan(ward, "z" * 301)
    assert Slogan.objects.count() == 1 and add_slogan(units["other"], "Vì nhân dân phục vụ").pk


# Rotation


def test_rotation_hands_out_the_least_recently_used_slogan_and_marks_it(units):
    ward = units["ward"]
    first, second, third = (add_slogan(ward, text) for text in ("Một", "Hai", "Ba"))
    Slogan.objects.filter(pk=first.pk).update(times_used=4, last_used_at=T0 - timedelta(days=60))
    add_slogan(units["other"], "Của phường khác")
    picks = [pick_slogan(ward, now=T0 + timedelta(days=i)) for i in range(4)]
    assert [p.pk for p in picks] == [second.pk, third.pk, first.pk, second.pk]
    second.refresh_from_db()
    assert (second.times_used, second.last_used_at) == (2, T0 + timedelta(days=3))
    assert Slogan.objects.get(pk=first.pk).times_used == 5


def test_an_empty_library_gives_no_slogan(units):
    assert pick_slogan(units["ward"]) is None


def test_concurrent_pickers_never_get_the_same_slogan(transactional_db, units):
    ward, pickers = units["ward"], 6
    slogans = [add_slogan(ward, f"Khẩu hiệu số {i}") for i in range(10)]
    barrier, picked, errors = threading.Barrier(pickers, timeout=15), [], []

    def picker():
        try:
            with transaction.atomic():
                picked.append(pick_slogan(ward).pk)
                barrier.wait()  # nobody commits before everyone has picked: every pick meets the others' locks
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=picker) for _ in range(pickers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(picked) == [s.pk for s in slogans[:pickers]]
    assert Slogan.objects.filter(times_used=1).count() == pickers


# The command line


def loa_slogan(*argv):
    parser = Parser(prog="loa")
    slogan_cmds.register(parser.add_subparsers(dest="command", required=True, parser_class=Parser))
    args = parser.parse_args(["slogan", *argv])
    return args.handler(args)


def test_loa_slogan_import_prints_a_summary_and_reports_progress_on_stderr(units, tmp_path, capsys):
    add_slogan(units["ward"], "Khẩu hiệu số 3")
    rows = [(f"Khẩu hiệu số {i}", "", "") for i in range(300)] + [("Khẩu hiệu số 1", "", "")]
    assert loa_slogan("import", "--unit", "ben-thanh", str(write_csv(tmp_path / "k.csv", rows))) == 0
    out, err = capsys.readouterr()
    assert out == "Imported 299 slogans; 1 duplicates in the file and 1 already in the library were skipped.\n"
    shown = [int(line.removeprefix("Importing slogans: ").removesuffix("%")) for line in err.splitlines()]
    assert shown[0] == 0 and shown[-1] == 100 and shown == sorted(set(shown)) and len(shown) >= 8

    assert loa_slogan("add", "--unit", "ben-thanh", "--text", "Dân biết, dân bàn", "--tag", "dân chủ") == 0
    new_id = int(capsys.readouterr().out)
    assert loa_slogan("list", "--unit", "ben-thanh", "--json") == 0
    listed = json.loads(capsys.readouterr().out)
    assert len(listed) == 301 and {"id": new_id, "text": "Dân biết, dân bàn", "source": "", "tags": ["dân chủ"],
                                   "times_used": 0, "last_used_at": None} in listed
    with pytest.raises(Invalid, match="has no slogan column"):
        loa_slogan("import", "--unit", "ben-thanh", str(write_csv(tmp_path / "x.csv", ROWS, header=("a", "b"))))


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_on_a_terminal_the_bar_redraws_in_place_and_ends_its_line_when_refused():
    terminal = Terminal()
    bar = slogan_cmds.ProgressBar(terminal)
    for done in (0, 500, 1000):
        bar(done, 1000)
    assert terminal.getvalue().count("\r") == 3 and terminal.getvalue().endswith("] 100%\n")
    half = Terminal()
    bar = slogan_cmds.ProgressBar(half)
    bar(200, 1000)
    bar.close()
    assert half.getvalue() == "\rImporting slogans [######........................]  20%\n"
