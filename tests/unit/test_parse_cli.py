"""`bridge parse` and the header-level readers behind it, on real-looking header lines."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date

import pytest

from bridge.cli import main
from bridge.pipelines.parsing import (
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
            [sys.executable, "-m", "bridge.cli", "parse", *args],
            input=stdin, capture_output=True, timeout=60, check=False,
        )  # fmt: skip

    ok = run("--json", stdin="Số : 1866/SXD-VP".encode())
    assert ok.returncode == 0
    assert json.loads(ok.stdout)["type_name"] == "Công văn"
    assert run(stdin=b"\xff\xfe\x00").returncode == 2
    missing = run("--file", str(tmp_path / "missing.txt"))
    assert missing.returncode == 2 and b"cannot read" in missing.stderr
