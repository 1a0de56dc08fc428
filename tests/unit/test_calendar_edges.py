"""The calendar's edges (docs/domain.md §6, "Calendar data"): a provisional year says so in
every answer that uses it, and past the last year with data one item fails, naming the year and
how to add it, while the rest goes on."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bridge.settings import load_settings
from pipelines import systems
from pipelines.calendar import (
    CalendarDataError,
    CalendarRangeError,
    configured_directory,
    load_calendar,
    read_year_file,
)
from pipelines.deadlines import compute_deadline
from pipelines.reconcile import AtRiskActions, Doc, TaskRow, plan

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def vn(*args: int) -> datetime:
    return datetime(*args, tzinfo=VN)


def _write(directory: Path, year: int, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{year}.toml"
    path.write_text(text, encoding="utf-8")
    return path


# --- provisional years -----------------------------------------------------------------------

PROVISIONAL = [
    # (received, keyword arguments, whether the computation touches 2027)
    (vn(2026, 12, 29, 10), {}, True),  # 5 working days run into January 2027
    (vn(2026, 12, 15, 10), {}, False),  # due 22/12/2026
    (vn(2027, 3, 1, 9), {}, True),
    (vn(2026, 12, 20, 9), {"text": "chậm nhất ngày 5/1/2027"}, True),
    (vn(2026, 12, 20, 9), {"text": "gửi trước ngày 1/1/2027"}, True),  # whether 1/1 is off
    (vn(2026, 12, 1, 9), {"text": "gửi trước ngày 25/12/2026"}, False),
    (vn(2026, 12, 1, 9), {"explicit": date(2027, 2, 10)}, True),
    (vn(2026, 12, 1, 9), {"explicit": date(2026, 12, 31)}, False),
    (vn(2026, 12, 1, 9), {"text": "hoàn thành trong năm 2027"}, True),
    (vn(2026, 10, 1, 9), {"text": "hoàn thành trong quý IV/2026"}, False),
    (vn(2024, 2, 7, 9), {}, False),
    (vn(2026, 12, 30, 9), {"text": "trong 3 ngày làm việc"}, True),
    (vn(2026, 12, 28, 9), {"text": "trước 16h ngày 3/1/2027"}, True),  # Sunday → moves earlier
    (vn(2027, 6, 1, 9), {"explicit": vn(2027, 6, 10, 10)}, True),
    (vn(2026, 11, 2, 9), {"text": "trong thời hạn ba mươi ngày"}, False),  # 2/12/2026
    (vn(2026, 12, 10, 9), {"text": "trong thời hạn ba mươi ngày"}, True),  # 9/1/2027
]


@pytest.mark.parametrize(("received", "kwargs", "touches"), PROVISIONAL)
def test_every_answer_that_uses_a_provisional_year_says_so(received, kwargs, touches):
    result = compute_deadline(received, **kwargs)
    warned = [line for line in result.explanation if "năm 2027 là TẠM THỜI" in line]
    assert bool(warned) is touches
    assert result.provisional_years == ((2027,) if touches else ())
    assert result.to_json_dict()["provisional_years"] == ([2027] if touches else [])
    if touches:
        assert "chưa có thông báo" in warned[0]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("year = 2030\nprovisional = true\nentries = []\n", "needs a 'note'"),
        ('year = 2030\nprovisional = "yes"\nnote = "x"\nentries = []\n', "true/false"),
        ("year = 2030\nprovisional = true\nnote = 3\nentries = []\n", "true/false"),
        ("year = 2030\nprovisonal = true\nentries = []\n", "unknown keys"),
    ],
)
def test_a_malformed_provisional_flag_is_refused(tmp_path, text, message):
    with pytest.raises(CalendarDataError, match=message):
        read_year_file(_write(tmp_path, 2030, text))


def test_the_flag_and_its_note_are_read_and_a_confirmed_file_replaces_a_provisional_one(tmp_path):
    read = read_year_file(_write(tmp_path, 2030, 'year = 2030\nprovisional = true\nnote = "chờ"\n'))
    assert (read.provisional, read.note) == (True, "chờ")
    assert load_calendar().provisional.keys() == {2027}
    confirmed = tmp_path / "etc"
    _write(confirmed, 2027, "year = 2027\nentries = []\n")
    calendar = load_calendar(extra_dir=confirmed)
    assert calendar.provisional == {}
    assert compute_deadline(vn(2026, 12, 29, 10), calendar=calendar).provisional_years == ()


def test_the_health_check_warns_until_the_year_is_confirmed(tmp_path):
    warned = systems.check_calendar(load_settings())
    assert warned.ok and warned.warning and "2027 is provisional" in warned.detail
    assert warned.line().split()[:2] == ["calendar", "WARN"]
    confirmed = tmp_path / "etc"
    _write(confirmed, 2027, "year = 2027\nentries = []\n")
    quiet = systems.check_calendar(load_settings(calendar={"directory": confirmed}))
    assert quiet.ok and not quiet.warning
    broken = systems.check_calendar(load_settings(calendar={"directory": tmp_path / "none"}))
    assert not broken.ok and "does not exist" in broken.detail


# --- past the last year with data ------------------------------------------------------------

CAL = load_calendar()

PAST_THE_DATA = [
    (lambda: CAL.is_working_day(date(2028, 1, 4)), 2028),
    (lambda: CAL.add_working_days(date(2027, 12, 28), 5), 2028),
    (lambda: CAL.add_working_days(date(2023, 1, 3), -5), 2022),
    (lambda: CAL.is_working_day(date(2022, 12, 30)), 2022),
    (lambda: compute_deadline(vn(2027, 12, 28, 9)), 2028),
    (lambda: compute_deadline(vn(2027, 12, 1, 9), text="chậm nhất ngày 10/1/2028"), 2028),
    (lambda: compute_deadline(vn(2027, 12, 1, 9), text="gửi trước ngày 3/1/2028"), 2028),
    (lambda: compute_deadline(vn(2027, 12, 1, 9), explicit=date(2028, 1, 5)), 2028),
    (lambda: compute_deadline(vn(2027, 12, 1, 9), text="hoàn thành trong quý I/2028"), 2028),
    (lambda: compute_deadline(vn(2027, 12, 20, 9), text="trong thời hạn mười lăm ngày"), 2028),
    (lambda: compute_deadline(vn(2028, 2, 1, 9)), 2028),
    (lambda: compute_deadline(vn(2022, 12, 30, 9)), 2022),
    (lambda: compute_deadline(vn(2027, 12, 1, 9), text="trước 16h ngày 2/1/2028"), 2028),
    (lambda: CAL.count_working_days(date(2027, 12, 1), date(2028, 1, 10)), 2028),
    (lambda: load_calendar(years=[2027, 2028]), 2028),
]


@pytest.mark.parametrize(("call", "year"), PAST_THE_DATA)
def test_past_the_data_the_error_names_the_year_and_how_to_add_it(call, year):
    with pytest.raises(CalendarRangeError) as caught:
        call()
    assert caught.value.year == year
    message = str(caught.value)
    assert f"{year}" in message and ".toml" in message
    if year == 2028 and "no calendar override file" not in message:
        assert f"{year}.toml" in message and "[calendar] directory" in message


def test_an_extra_directory_adds_years_past_the_packaged_ones(tmp_path):
    extra = tmp_path / "etc"
    _write(extra, 2028, "year = 2028\nentries = []\n")
    calendar = load_calendar(extra_dir=extra)
    assert (calendar.first_year, calendar.last_year) == (2023, 2028)
    result = compute_deadline(vn(2027, 12, 28, 9), calendar=calendar)
    # 29, 30, 31 Dec; New Year falls on Saturday 1/1, so Monday 3/1 is off (nghỉ bù); 4, 5 Jan.
    assert result.due == vn(2028, 1, 5, 17)


def test_a_gap_or_a_missing_extra_directory_is_refused(tmp_path):
    extra = tmp_path / "etc"
    _write(extra, 2029, "year = 2029\nentries = []\n")
    with pytest.raises(CalendarRangeError, match=r"\[2028\]"):
        load_calendar(extra_dir=extra)
    with pytest.raises(CalendarDataError, match="does not exist"):
        load_calendar(extra_dir=tmp_path / "missing")


def test_the_setting_names_the_extra_directory(tmp_path, monkeypatch):
    extra = tmp_path / "etc"
    _write(extra, 2028, "year = 2028\nentries = []\n")
    monkeypatch.setenv("BRIDGE_CALENDAR__DIRECTORY", str(extra))
    assert configured_directory() == extra
    assert load_calendar().last_year == 2028
    monkeypatch.delenv("BRIDGE_CALENDAR__DIRECTORY")
    assert configured_directory() is None
    assert load_calendar().last_year == 2027


# --- reconcile: one item fails, the others go on ---------------------------------------------

ORGAN = "000.00.01.H41"
NOW = vn(2027, 12, 1, 9)


def _doc(n: int, received: datetime | None, deadline: datetime | None = None) -> Doc:
    day = date(2027, 11, 20)
    return Doc(
        id=n, system="ioffice", source_id=f"in-{n}", direction="incoming",
        document_id=f"{ORGAN},{day:%Y/%m/%d},{n}/QĐ-UBND", organ_id=ORGAN, day=day,
        number=str(n), notation="QĐ-UBND", abstract="V/v báo cáo", received_at=received,
        stated_deadline=deadline,
    )  # fmt: skip


def _task(n: int, deadline: datetime) -> TaskRow:
    return TaskRow(n, f"T-{n}", _doc(n, None).document_id, deadline, "not_started", None)


def test_a_task_past_the_data_fails_and_the_others_get_their_status_and_warning():
    tasks = [
        _task(1, vn(2027, 12, 2, 17)),
        _task(2, vn(2028, 1, 10, 17)),
        _task(3, vn(2027, 12, 20, 17)),
    ]
    sources = [_doc(n, vn(2027, 11, 20, 9), vn(2027, 12, 20, 17)) for n in (1, 2, 3)]
    result = plan(tasks, sources, [], NOW)
    assert set(result.statuses) == {1, 3}
    assert result.statuses[1] == ("not_started", True)
    assert [item.target_id for item in result.outbox] == ["T-1"]  # the early warning
    [(system, source_id, reason)] = result.failures
    assert (system, source_id) == ("tracking", "T-2")
    assert "deadline of task T-2 needs the calendar of 2028" in reason
    assert "2028.toml" in reason and "BRIDGE_CALENDAR__DIRECTORY" in reason


def test_an_extension_that_would_run_past_the_data_fails_only_that_task():
    tasks = [_task(1, vn(2027, 12, 2, 17)), _task(2, vn(2027, 12, 28, 17))]
    sources = [_doc(n, vn(2027, 11, 20, 9), vn(2027, 12, 20, 17)) for n in (1, 2)]
    actions = AtRiskActions(request_extension=True, extension_working_days=5)
    result = plan(tasks, sources, [], NOW, actions=actions)
    assert [source_id for _, source_id, _ in result.failures] == ["T-2"]
    assert [item.operation for item in result.outbox] == ["report_progress", "request_extension"]


def test_a_document_whose_deadline_runs_past_the_data_fails_alone():
    docs = [_doc(1, vn(2027, 12, 28, 9)), _doc(2, vn(2027, 11, 29, 9))]
    result = plan([], docs, [], NOW)
    assert list(result.deadlines) == [2]
    assert result.deadlines[2].due == vn(2027, 12, 6, 17)
    [(system, source_id, reason)] = result.failures
    assert (system, source_id) == ("ioffice", "in-1")
    assert "processing deadline of document ioffice/in-1 needs the calendar of 2028" in reason


def test_now_past_the_data_with_a_deadline_inside_it_is_simply_overdue():
    result = plan([_task(1, vn(2027, 12, 2, 17))], [_doc(1, None, vn(2027, 12, 2, 17))], [],
                  vn(2028, 2, 1, 9))  # fmt: skip
    assert result.failures == [] and result.statuses[1] == ("overdue", False)


def test_the_deadline_watch_runs_on_a_day_past_the_data():
    from pipelines.orchestration import working_or_unknown

    assert working_or_unknown(date(2030, 1, 5)) is True  # a Saturday, but unknown
    assert working_or_unknown(date(2024, 2, 4)) is False  # a known Sunday
