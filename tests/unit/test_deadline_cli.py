"""`bridge deadline`: the deadline engine from the command line (issue #3, point 4)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cli import main

ROOT = Path(__file__).resolve().parents[2]


def run_json(capsys, *argv: str) -> dict:
    assert main(["deadline", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_default_over_tet_2024(capsys):
    data = run_json(capsys, "--received", "2024-02-07T09:15")
    assert data["due"] == "2024-02-21T17:00:00+07:00"
    assert data["rule"] == "default"
    assert data["milestone"] == "2024-02-20T17:00:00+07:00"
    assert any(line.startswith("Bỏ qua thứ Năm 08/02/2024: 29 Tết") for line in data["explanation"])


def test_days_explicit_text_and_doc_date(capsys):
    assert run_json(capsys, "--received", "2024-04-26T10:00", "--days", "3")["due"] == (
        "2024-05-04T17:00:00+07:00"  # the make-up Saturday is the third working day
    )
    explicit = run_json(capsys, "--received", "2024-02-07T09:15", "--explicit", "2024-02-10")
    assert (explicit["rule"], explicit["due"]) == ("explicit", "2024-02-15T17:00:00+07:00")
    text = run_json(
        capsys,
        "--received",
        "2023-12-01T08:00",
        "--text",
        "Báo cáo trước ngày 15/12",
        "--doc-date",
        "2023-11-28",
    )
    assert (text["rule"], text["due"]) == ("text", "2023-12-14T17:00:00+07:00")
    assert text["phrase"] == "trước ngày 15/12"


def test_text_output_is_vietnamese(capsys):
    assert main(["deadline", "--received", "2024-02-07T09:15"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Hạn xử lý: 17:00 thứ Tư 21/02/2024")
    assert "Mốc trình lãnh đạo duyệt: 17:00 thứ Ba 20/02/2024" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--received", "2024-02-30T09:00"], "'2024-02-30T09:00' is not a date and time"),
        (["--received", "2024-02-07", "--doc-date", "07/02/2024"], "is not a date"),
        (["--received", "2024-02-07", "--explicit", "mai"], "'mai' is not a date"),
        (["--received", "2028-03-01T09:00"], "calendar of 2028"),
        (["--received", "2024-02-07", "--days", "0"], "at least 1"),
    ],
)
def test_bad_input_is_a_clear_error_with_status_2(capsys, argv, message):
    assert main(["deadline", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("bridge deadline: ")
    assert message in err


def _subprocess(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli", "deadline", *argv],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )


def test_through_a_real_process():
    ok = _subprocess("--received", "2025-04-24T08:00", "--json")
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["due"] == "2025-05-05T17:00:00+07:00"
    bad_date = _subprocess("--received", "2025-13-01")
    assert bad_date.returncode == 2 and "is not a date" in bad_date.stderr
    unknown_year = _subprocess("--received", "2030-01-02T09:00")
    assert unknown_year.returncode == 2 and "calendar of 2030" in unknown_year.stderr
    assert "Traceback" not in unknown_year.stderr


# --- phrases, several texts, not understood, provisional years (issue 14) --------------------


@pytest.mark.parametrize(
    ("texts", "due", "phrase"),
    [
        (["Báo cáo kết quả từ ngày 01/01 đến ngày 30/6, gửi trước ngày 10/7"],
         "2024-07-09T17:00:00+07:00", "trước ngày 10/7"),
        (["Số liệu tính đến ngày 14/12; gửi trước ngày 20/12"],
         "2024-12-19T17:00:00+07:00", "trước ngày 20/12"),
        (["Giao Văn phòng tham mưu, báo cáo trước ngày 25/6/2024",
          "V/v báo cáo 6 tháng, gửi trước ngày 20/6/2024"],
         "2024-06-19T17:00:00+07:00", "trước ngày 20/6/2024"),
        (["trước 16h30 ngày 16/6/2024"], "2024-06-14T16:30:00+07:00", "trước 16h30 ngày 16/6/2024"),
        (["hoàn thành trong tháng 12/2024"], "2024-12-31T17:00:00+07:00", "trong tháng 12/2024"),
        (["báo cáo trong mười lăm ngày"], "2024-06-18T17:00:00+07:00", "trong mười lăm ngày"),
    ],
)  # fmt: skip
def test_text_phrases_through_the_command(capsys, texts, due, phrase):
    argv = ["--received", "2024-06-03T09:00", "--doc-date", "2024-06-01"]
    for text in texts:
        argv += ["--text", text]
    data = run_json(capsys, *argv)
    assert (data["rule"], data["due"], data["phrase"]) == ("text", due, phrase)
    assert data["not_understood"] == []


def test_an_unreadable_deadline_through_the_command(capsys):
    argv = ["--received", "2024-06-03T09:00", "--text", "hạn chót ngày 31/02"]
    data = run_json(capsys, *argv)
    assert (data["rule"], data["not_understood"]) == ("not_understood", ["hạn chót ngày 31/02"])
    assert data["rule_detail"] == "not understood: hạn chót ngày 31/02"
    assert any("không đọc được: hạn chót ngày 31/02" in line for line in data["explanation"])
    assert main(["deadline", *argv]) == 0
    out = capsys.readouterr().out
    assert "Quy tắc: không đọc được: hạn chót ngày 31/02" in out


def test_a_provisional_year_through_the_command(capsys):
    data = run_json(capsys, "--received", "2026-12-29T10:00")
    assert data["provisional_years"] == [2027]
    assert any("năm 2027 là TẠM THỜI" in line for line in data["explanation"])
    assert main(["deadline", "--received", "2026-12-29T10:00"]) == 0
    assert "năm 2027 là TẠM THỜI" in capsys.readouterr().out


def test_a_year_past_the_data_names_the_file_and_the_setting(capsys):
    assert main(["deadline", "--received", "2027-12-28T09:00"]) == 2
    err = capsys.readouterr().err
    assert "calendar of 2028" in err and "2028.toml" in err and "[calendar] directory" in err
