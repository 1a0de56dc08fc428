"""Deadlines given as a date are the end of that working day, in every system's records.

Written from docs/domain.md §6: rule 1 ("a date without an hour reads like 'hạn D'"), "hạn D"
(the end of D at the end of office hours, default 17:00 local; if D is not a working day, the
end of the next working day, Civil Code art. 148), and "a stated hour is kept". The cases go
through the real mapping files and normalize, one per system and format.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path

import pytest

from bridge.settings import load_settings
from mappings.loader import load_mapping_file, load_mappings
from mappings.units import load_unit_table
from pipelines import due
from pipelines.deadlines import DeadlinePolicy
from pipelines.normalize import Normalized, Rejected, normalize

MAPPINGS = load_mappings()
UNITS = load_unit_table()
SEEN = datetime(2024, 2, 7, 3, 0, tzinfo=UTC)
VN = timezone(timedelta(hours=7))

IOFFICE = {
    "id": 1000042, "soKyHieu": "07/QĐ-UBND", "loaiVanBan": "Quyết định",
    "trichYeu": "Về việc triển khai", "ngayBanHanh": "2023-10-05", "maDinhDanh": "000.00.00.H41",
    "ngayDen": "2023-10-06 09:15:00", "doKhan": "Thường", "doMat": None, "hanXuLy": None,
    "donViXuLyChinh": {"id": "DV004"}, "ngayCapNhat": "2023-10-06 09:15:00",
}  # fmt: skip
IDESK = {
    "Id": "D-77", "NumberNotation": "1866/SXD-VP", "Abstract": "V/v báo cáo",
    "IssueDate": "2023-10-05", "IssuerCode": "000.00.31.H41", "Urgency": "Thường",
    "ReceivedAt": "2023-10-06T09:15:00+07:00", "ProcessingDeadline": None,
    "MainHandler": {"UnitId": "P-CNTT"}, "ModifiedAt": "2023-10-06T09:15:00+07:00",
}  # fmt: skip
TASK = {
    "TaskId": "NV2023-0000001", "Title": "Thực hiện văn bản số 07/QĐ-UBND",
    "SourceDocument": {"NumberNotation": "07/QĐ-UBND", "IssuerCode": "000.00.00.H41",
                       "IssueDate": "2023-10-05"},
    "LeadUnit": {"UnitId": "TD-1104"}, "MonitoringUnit": {"UnitId": "TD-0001"},
    "Deadline": None, "TaskClass": "1", "Status": "IN_PROGRESS", "Revision": "1",
    "ChangedAt": "2023-10-06T10:00:00+07:00",
}  # fmt: skip


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=VN)


def read(system: str, stream: str, record: dict, policy: DeadlinePolicy | None = None):
    outcome = normalize(
        record, MAPPINGS[(system, stream)], UNITS, seen_at=SEEN, policy=policy or DeadlinePolicy()
    )
    assert isinstance(outcome, Normalized), outcome
    model = outcome.record
    return model.deadline if stream == "tasks" else model.stated_deadline


CASES = [
    # (what, system, stream, field, raw, expected local deadline)
    ("iOffice date, a Friday", "ioffice", "incoming", "hanXuLy", "2023-10-13",
     at(date(2023, 10, 13), 17)),
    ("iOffice date, a Saturday: next working day", "ioffice", "incoming", "hanXuLy",
     "2023-10-14", at(date(2023, 10, 16), 17)),
    ("iOffice date, a Sunday", "ioffice", "incoming", "hanXuLy", "2023-10-15",
     at(date(2023, 10, 16), 17)),
    ("iOffice date, National Day 2/9/2023 (Sat) and its days off", "ioffice", "incoming",
     "hanXuLy", "2023-09-02", at(date(2023, 9, 5), 17)),
    ("iOffice with an hour: kept", "ioffice", "incoming", "hanXuLy", "2023-10-13 10:30:00",
     at(date(2023, 10, 13), 10, 30)),
    ("iOffice with an explicit 00:00 time: a stated time, kept", "ioffice", "incoming",
     "hanXuLy", "2023-10-13T00:00:00", at(date(2023, 10, 13), 0)),
    ("iDesk date", "idesk", "incoming", "ProcessingDeadline", "2024-03-20",
     at(date(2024, 3, 20), 17)),
    ("iDesk xsd:date with a zone", "idesk", "incoming", "ProcessingDeadline", "2024-03-20+07:00",
     at(date(2024, 3, 20), 17)),
    ("iDesk date 30/4/2024, holidays to 1/5: the 2nd", "idesk", "incoming",
     "ProcessingDeadline", "2024-04-30", at(date(2024, 5, 2), 17)),
    ("iDesk date 29/4/2024, a swapped day off", "idesk", "incoming", "ProcessingDeadline",
     "2024-04-29", at(date(2024, 5, 2), 17)),
    ("tracking date", "tracking", "tasks", "Deadline", "2024-02-21", at(date(2024, 2, 21), 17)),
    ("tracking date in Tết 2024", "tracking", "tasks", "Deadline", "2024-02-10",
     at(date(2024, 2, 15), 17)),
    ("tracking instant with offset: kept", "tracking", "tasks", "Deadline",
     "2024-02-21T16:30:00+07:00", at(date(2024, 2, 21), 16, 30)),
    ("tracking instant in UTC: kept", "tracking", "tasks", "Deadline", "2024-02-21T03:00:00Z",
     at(date(2024, 2, 21), 10)),
    ("tracking xsd:date in UTC ('Z'): the day as written", "tracking", "tasks", "Deadline",
     "2024-02-21Z", at(date(2024, 2, 21), 17)),
    ("tracking working Saturday 4/5/2024 (làm bù): that Saturday", "tracking", "tasks",
     "Deadline", "2024-05-04", at(date(2024, 5, 4), 17)),
]  # fmt: skip


@pytest.mark.parametrize(
    ("system", "stream", "field", "raw", "expected"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_a_deadline_field_read_from_each_system(system, stream, field, raw, expected):
    record = {"ioffice": IOFFICE, "idesk": IDESK}.get(system, TASK)
    assert read(system, stream, {**record, field: raw}) == expected


FORMATS = [
    # (format, raw, expected): mapping formats an integrator may declare
    ("%d/%m/%Y", "13/10/2023", at(date(2023, 10, 13), 17)),
    ("%d/%m/%Y", "14/10/2023", at(date(2023, 10, 16), 17)),
    ("%d/%m/%Y %H:%M", "13/10/2023 09:00", at(date(2023, 10, 13), 9)),
    ("%d/%m/%Y %H:%M", "13/10/2023", at(date(2023, 10, 13), 17)),  # the time left out
    ("edxml_date", "2023/10/13", at(date(2023, 10, 13), 17)),
    ("edxml_timestamp", "2023/10/13 08:00:00", at(date(2023, 10, 13), 8)),
    ("edxml_timestamp", "2023/10/13", at(date(2023, 10, 13), 17)),
    ("local", "2023-10-13", at(date(2023, 10, 13), 17)),
]


def _mapping_with_format(tmp_path: Path, fmt: str):
    source = MAPPINGS[("ioffice", "incoming")].file.read_text(encoding="utf-8")
    declared = f'stated_deadline = {{ path = "hanXuLy", format = "{fmt}" }}'
    text = source.replace('stated_deadline = "hanXuLy"', declared)
    path = tmp_path / "incoming.toml"
    path.write_text(text, encoding="utf-8")
    return load_mapping_file(path)


@pytest.mark.parametrize(("fmt", "raw", "expected"), FORMATS)
def test_a_deadline_under_each_mapping_format(tmp_path, fmt, raw, expected):
    mapping = _mapping_with_format(tmp_path, fmt)
    outcome = normalize({**IOFFICE, "hanXuLy": raw}, mapping, UNITS, seen_at=SEEN,
                        policy=DeadlinePolicy())  # fmt: skip
    assert outcome.record.stated_deadline == expected


def test_the_end_of_office_hours_is_the_agencys_setting():
    policy = DeadlinePolicy(end_of_day=time(16, 30))
    got = read("ioffice", "incoming", {**IOFFICE, "hanXuLy": "2023-10-13"}, policy)
    assert got == at(date(2023, 10, 13), 16, 30)
    settings = load_settings(deadline_policy={"end_of_day": "16:30"})
    assert due.policy_from_settings(settings).end_of_day == time(16, 30)


def test_the_settings_policy_is_used_when_none_is_given():
    due.use_policy(DeadlinePolicy(end_of_day=time(11, 0)))
    try:
        outcome = normalize({**TASK, "Deadline": "2024-02-21"}, MAPPINGS[("tracking", "tasks")],
                            UNITS, seen_at=SEEN)  # fmt: skip
        assert outcome.record.deadline == at(date(2024, 2, 21), 11)
    finally:
        due.use_policy(None)


def test_only_deadline_fields_move_to_the_end_of_the_day():
    # ngayDen (received_at) given as a date is that day's start: it is a moment, not a period.
    outcome = normalize({**IOFFICE, "ngayDen": "2023-10-06", "hanXuLy": "2023-10-13"},
                        MAPPINGS[("ioffice", "incoming")], UNITS, seen_at=SEEN)  # fmt: skip
    assert outcome.record.received_at == at(date(2023, 10, 6), 0)


def test_a_completion_at_15h_on_the_deadline_day_is_before_the_deadline():
    deadline = read("tracking", "tasks", {**TASK, "Deadline": "2024-02-21"})
    assert at(date(2024, 2, 21), 15) <= deadline < at(date(2024, 2, 22), 0)


@pytest.mark.parametrize(
    ("raw", "problem"),
    [("31/02/2024", "not a valid date"), ("2024-02-30", "not a valid date"),
     ("2031-01-02", "the end of the working day is unknown")],
)  # fmt: skip
def test_an_unreadable_deadline_is_rejected_naming_field_and_value(raw, problem):
    outcome = normalize({**TASK, "Deadline": raw}, MAPPINGS[("tracking", "tasks")], UNITS,
                        seen_at=SEEN)  # fmt: skip
    assert isinstance(outcome, Rejected)
    assert "field 'deadline' (Deadline)" in outcome.reason and problem in outcome.reason
    assert repr(raw) in outcome.reason


def test_an_extended_task_carries_its_original_deadline_and_grant_time():
    raw = {
        **TASK, "Deadline": "2024-02-28", "OriginalDeadline": "2024-02-21",
        "ExtensionRequest": [
            {"Status": "APPROVED", "DecidedAt": "2024-02-19T10:00:00+07:00"},
            {"Status": "PENDING"},
        ],
    }  # fmt: skip
    task = normalize(raw, MAPPINGS[("tracking", "tasks")], UNITS, seen_at=SEEN,
                     policy=DeadlinePolicy()).record  # fmt: skip
    assert task.deadline == at(date(2024, 2, 28), 17)
    assert task.original_deadline == at(date(2024, 2, 21), 17)
    assert task.extended_at == at(date(2024, 2, 19), 10)


def test_milestone_is_one_working_day_before_at_the_same_time():
    policy = replace(DeadlinePolicy(), milestone_working_days=1)
    # Monday 16/10/2023 17:00 → Friday 13/10 17:00; Thursday 15/2/2024 (after Tết) → 7/2.
    assert due.milestone_of(at(date(2023, 10, 16), 17), policy) == at(date(2023, 10, 13), 17)
    assert due.milestone_of(at(date(2024, 2, 15), 17), policy) == at(date(2024, 2, 7), 17)
    assert due.milestone_of(None, policy) is None


@pytest.mark.parametrize(
    ("raw", "whole_day"),
    [("2024-02-21", True), ("2024-02-21+07:00", True), ("2024-02-21T17:00:00+07:00", False),
     ("2024-02-21T00:00:00", False)],
)  # fmt: skip
def test_a_task_remembers_whether_its_deadline_was_a_date(raw, whole_day):
    task = normalize({**TASK, "Deadline": raw}, MAPPINGS[("tracking", "tasks")], UNITS,
                     seen_at=SEEN, policy=DeadlinePolicy()).record  # fmt: skip
    assert task.deadline_whole_day is whole_day


def test_a_documents_deadline_in_force():
    day = date(2024, 3, 8)
    computed = at(day, 16, 30)  # "trước 16h30 ngày 8/3/2024", written back as the date 8/3
    written_back = at(day, 17)
    assert due.document_deadline(written_back, computed) == computed
    assert due.document_deadline(at(date(2024, 3, 11), 17), computed) == at(date(2024, 3, 11), 17)
    assert due.document_deadline(None, computed) == computed
    assert due.document_deadline(written_back, None) == written_back
    assert due.document_deadline(None, None) is None
