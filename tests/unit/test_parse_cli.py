"""`bridge parse` and the header-level readers behind it, on real-looking header lines."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date

import pytest

from cli import main
from pipelines.parsing import (
    find_urgency,
    parse_competence,
    parse_date,
    parse_place_and_date,
    parse_text,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ngày 22 tháng 9 năm 2017", date(2017, 9, 22)),
        ("22/9/2017", date(2017, 9, 22)),
        ("04/10/2023", date(2023, 10, 4)),
        ("22-9-2017", date(2017, 9, 22)),
        ("2019/01/16", date(2019, 1, 16)),
        ("2024-02-05", date(2024, 2, 5)),
        ("31/02/2024", None),
        ("không có ngày", None),
    ],
)
def test_dates(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    ("text", "place", "day"),
    [
        ("Bình Định, ngày 22 tháng 9 năm 2017", "Bình Định", date(2017, 9, 22)),
        ("Hà Nội, ngày 04 tháng 10 năm 2023", "Hà Nội", date(2023, 10, 4)),
        ("Quy Nhơn , ngày 5 tháng 1 năm 2024", "Quy Nhơn", date(2024, 1, 5)),
        ("Đề nghị gửi trước ngày 10/3/2023", None, None),
    ],
)
def test_place_and_date_come_from_the_header_form(text, place, day):
    assert parse_place_and_date(text) == (place, day)


@pytest.mark.parametrize(
    ("text", "line", "position"),
    [
        ("KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC", "KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"),
        ("TL. CHỦ TỊCH\nCHÁNH VĂN PHÒNG", "TL. CHỦ TỊCH", "CHÁNH VĂN PHÒNG"),
        ("TM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH", "TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"),
        ("Q. GIÁM ĐỐC", "Q. GIÁM ĐỐC", None),
        ("TUQ. GIÁM ĐỐC\nTRƯỞNG PHÒNG", "TUQ. GIÁM ĐỐC", "TRƯỞNG PHÒNG"),
    ],
)
def test_signer_competence_lines(text, line, position):
    competence = parse_competence(text)
    assert (competence.line, competence.position) == (line, position)


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("HỎA TỐC", "flash"),
        ("HOẢ TỐC", "flash"),
        ("Hỏa tốc hẹn giờ", "flash_timed"),
        ("THƯỢNG KHẨN", "very_urgent"),
        ("KHẨN", "urgent"),
        ("Đề nghị khẩn trương thực hiện", None),
    ],
)
def test_urgency_marks(text, level):
    assert find_urgency(text) == level


def test_a_whole_header_and_a_directive():
    header = (
        "ỦY BAN NHÂN DÂN TỈNH BÌNH ĐỊNH\nSố: 54/2023/QĐ-UBND\n"
        "Bình Định, ngày 22 tháng 9 năm 2023\nQUYẾT ĐỊNH\nKT. CHỦ TỊCH\nPHÓ CHỦ TỊCH"
    )
    assert parse_text(header) == {
        "number": "54", "notation": "2023/QĐ-UBND", "issuer": "UBND", "year": 2023,
        "type_code": "QĐ", "type_name": "Quyết định", "date": "2023-09-22",
        "place": "Bình Định", "signer_competence": "KT. CHỦ TỊCH",
        "signer_position": "PHÓ CHỦ TỊCH",
    }  # fmt: skip
    directive = "Giao Phòng CNTT chủ trì, báo cáo trước ngày 15/12"
    found = parse_text(directive, doc_date=date(2023, 12, 1))
    assert found["deadline_phrase"] == "trước ngày 15/12"
    assert found["deadline"] == "2023-12-14T17:00:00+07:00"  # before D: the working day before


def test_cli_prints_json_or_nothing_found(capsys):
    assert main(["parse", "--json", "số:07/QĐ-STTTT"]) == 0
    assert json.loads(capsys.readouterr().out)["notation"] == "QĐ-STTTT"
    assert main(["parse", "--json", "xin chào"]) == 0
    assert capsys.readouterr().out.strip() == "{}"


def test_cli_reads_stdin_and_refuses_unreadable_input(tmp_path):
    def run(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [sys.executable, "-m", "cli", "parse", *args],
            input=stdin, capture_output=True, timeout=60, check=False,
        )  # fmt: skip

    ok = run("--json", stdin="Số : 1866/SXD-VP".encode())
    assert ok.returncode == 0
    assert json.loads(ok.stdout)["type_name"] == "Công văn"
    assert run(stdin=b"\xff\xfe\x00").returncode == 2
    missing = run("--file", str(tmp_path / "missing.txt"))
    assert missing.returncode == 2 and b"cannot read" in missing.stderr


# --- citations in `bridge parse --json` (docs/domain.md §3) --------------------------------

CLI_CITATIONS = [
    # text, the citations as `bridge parse --json` prints them
    (
        "Quyết định số 54/2023/QĐ-UBND ngày 04/10/2023",
        [{"code": "54/2023/QĐ-UBND", "number": "54", "notation": "2023/QĐ-UBND",
          "type_code": "QĐ", "type_name": "Quyết định", "issuer": "UBND", "year": 2023,
          "date": "2023-10-04"}],
    ),
    (
        "Căn cứ Nghị định số 45/2024/NĐ-CP ngày 4/10/2024; Thông tư 01/2019/TT-BNV",
        [{"code": "45/2024/NĐ-CP", "number": "45", "notation": "2024/NĐ-CP", "type_code": "NĐ",
          "type_name": "Nghị định", "issuer": "CP", "year": 2024, "date": "2024-10-04"},
         {"code": "01/2019/TT-BNV", "number": "01", "notation": "2019/TT-BNV", "type_code": "TT",
          "type_name": "Thông tư", "issuer": "BNV", "year": 2019}],
    ),
    (
        "Thực hiện Kết luận số 25-KL/TW ngày 04 tháng 10 năm 2023 và Công văn số 12-CV/TU",
        [{"code": "25-KL/TW", "number": "25", "notation": "KL/TW", "type_code": "KL",
          "type_name": "Kết luận", "issuer": "TW", "date": "2023-10-04"},
         {"code": "12-CV/TU", "number": "12", "notation": "CV/TU", "type_code": "",
          "type_name": "Công văn", "issuer": "TU"}],
    ),
    (
        "theo Quyết định số 123/QĐ-TTg ngày 2023/10/04",
        [{"code": "123/QĐ-TTg", "number": "123", "notation": "QĐ-TTg", "type_code": "QĐ",
          "type_name": "Quyết định", "issuer": "TTg", "date": "2023-10-04"}],
    ),
]  # fmt: skip


@pytest.mark.parametrize(("text", "citations"), CLI_CITATIONS)
def test_cli_json_lists_each_cited_document(text, citations, capsys):
    assert main(["parse", "--json", text]) == 0
    assert json.loads(capsys.readouterr().out)["citations"] == citations


def test_cli_json_keeps_the_document_own_keys_and_adds_citations():
    header = (
        "ỦY BAN NHÂN DÂN TỈNH BÌNH ĐỊNH\nSố: 07 / QĐ - UBND\n"
        "Bình Định, ngày 22 tháng 9 năm 2023\nQUYẾT ĐỊNH\n"
        "Căn cứ Luật Tổ chức chính quyền địa phương số 77/2015/QH13 ngày 19 tháng 6 năm 2015;\n"
        "Căn cứ Quyết định số 20/2020/QĐ-TTg ngày 22/7/2020 của Thủ tướng Chính phủ;"
    )
    found = parse_text(header)
    # The document's own number, date and place are where they always were; the dates of
    # the documents it cites are not taken for its own.
    own = ("number", "notation", "issuer", "type_code", "date", "place")
    assert {key: found[key] for key in own} == {
        "number": "07", "notation": "QĐ-UBND", "issuer": "UBND", "type_code": "QĐ",
        "date": "2023-09-22", "place": "Bình Định",
    }  # fmt: skip
    assert [(c["code"], c["type_name"], c["date"]) for c in found["citations"]] == [
        ("77/2015/QH13", "Luật", "2015-06-19"),
        ("20/2020/QĐ-TTg", "Quyết định", "2020-07-22"),
    ]
    # A citation's date in the words form is not the document's date.
    assert "date" not in parse_text("Kết luận số 25-KL/TW ngày 04 tháng 10 năm 2023")


def test_cli_json_reads_legacy_header_lines_from_stdin():
    header = "Sè: 07/Q§-UBND\nQUYÕT §ÞNH\nC¨n cø QuyÕt ®Þnh sè 54/2023/Q§-UBND ngµy 04/10/2023"
    done = subprocess.run(
        [sys.executable, "-m", "cli", "parse", "--json"],
        input=header.encode(), capture_output=True, timeout=60, check=True,
    )  # fmt: skip
    found = json.loads(done.stdout)
    assert (found["notation"], found["type_name"]) == ("QĐ-UBND", "Quyết định")
    assert found["citations"][0]["code"] == "54/2023/QĐ-UBND"
    assert found["citations"][0]["date"] == "2023-10-04"


def test_cli_text_output_names_each_cited_document(capsys):
    assert main(["parse", "Số: 07/QĐ-UBND\nCăn cứ Kết luận số 25-KL/TW ngày 4/10/2023"]) == 0
    assert "Văn bản được dẫn: Kết luận 25-KL/TW ngày 2023-10-04" in capsys.readouterr().out
