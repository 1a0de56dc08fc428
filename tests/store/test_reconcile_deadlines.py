"""Reconcile on a real store (SQLite and PostgreSQL): deadlines read from the documents' own
abstracts, unreadable ones shown and never pushed, and a deadline past the calendar data failing
alone (docs/domain.md §6, "Calendar data")."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from bridge.settings import load_settings
from pipelines import reconcile
from pipelines.sync import Catalog
from reports import artifacts, failure_tables
from schemas import DocumentKey
from store import operations, queries
from store.queries import Page
from store.tables import dead_letters, documents, outbox
from tests.store.factories import ICT, document, task

NOW = datetime(2024, 2, 20, 9, 0, tzinfo=ICT)
ORGAN = "000.00.31.H41"


def _key(n: int) -> DocumentKey:
    return DocumentKey(
        organ_id=ORGAN, promulgation_date=date(2024, 2, 1), number=f"{n:02d}", notation="QĐ-STTTT"
    )


def _world(engine, deadlines: dict[int, datetime]) -> None:
    """One incoming document per task, each answered by an outgoing reply issued before NOW."""
    incoming = [
        document(n, key=_key(n), stated_deadline=datetime(2024, 3, 1, 17, tzinfo=ICT))
        for n in deadlines
    ]
    replies = [
        document(
            100 + n, direction="outgoing", received_at=None, source_id=f"VBDI-{n}",
            key=DocumentKey(organ_id=ORGAN, promulgation_date=date(2024, 2, 15),
                            number=str(100 + n), notation="STTTT-VP"),
            issued_at=datetime(2024, 2, 15, 15, tzinfo=ICT), response_for_source_id=f"VBD-{n}",
        )
        for n in deadlines
    ]  # fmt: skip
    tasks = [task(n, source_document=_key(n), deadline=due) for n, due in deadlines.items()]
    queries.write_page(engine, Page("ioffice", "incoming", documents=incoming), NOW)
    queries.write_page(engine, Page("ioffice", "outgoing", documents=replies), NOW)
    queries.write_page(engine, Page("tracking", "tasks", tasks=tasks), NOW)


def _queued(engine, operation: str) -> list[str]:
    with engine.connect() as conn:
        return sorted(
            conn.execute(
                select(outbox.c.target_id).where(outbox.c.operation == operation)
            ).scalars()
        )


def _open_calendar_letters(engine) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(dead_letters.c.source_id, dead_letters.c.reason).where(
                dead_letters.c.stream == queries.CALENDAR_STREAM,
                dead_letters.c.resolved_at.is_(None),
            )
        ).all()
    return [(row.source_id, row.reason) for row in rows]


def test_a_deadline_past_the_calendar_data_fails_alone_and_heals_once_the_year_is_added(
    engine, tmp_path, monkeypatch
):
    monkeypatch.delenv("BRIDGE_CALENDAR__DIRECTORY", raising=False)
    _world(
        engine,
        {
            1: datetime(2024, 2, 21, 17, tzinfo=ICT),
            2: datetime(2028, 3, 10, 17, tzinfo=ICT),  # 2028 has no calendar file
            3: datetime(2024, 2, 28, 17, tzinfo=ICT),
        },
    )

    report = reconcile.reconcile(engine, NOW)

    # The other tasks go on: their completions are queued.
    assert _queued(engine, "report_completion") == ["NV-1", "NV-3"]
    assert report.calendar_failures == 1 and report.completions_queued == 2
    [(source_id, reason)] = _open_calendar_letters(engine)
    assert source_id == "NV-2"
    assert "calendar of 2028" in reason and "2028.toml" in reason
    assert "[calendar] directory" in reason and "BRIDGE_CALENDAR__DIRECTORY" in reason
    # `bridge failures` and the flows show it, with a retry that fits it.
    [failure] = [f for f in queries.list_failures(engine) if "calendar" in f.where]
    assert failure.where == "tracking/calendar NV-2"
    assert failure_tables.reason_vi(failure) == (
        "Chưa có lịch ngày làm việc năm 2028: thêm tệp lịch 2028.toml"
    )
    assert failure_tables.retry_command(failure) == f"bridge failures --retry {failure.tag}"

    # A second run counts the same failure again instead of opening another.
    reconcile.reconcile(engine, NOW + timedelta(hours=1))
    with engine.connect() as conn:
        counts = conn.execute(
            select(dead_letters.c.count).where(dead_letters.c.source_id == "NV-2")
        ).scalars()
        assert list(counts) == [2]

    # The year's file goes in the directory named by the setting; the failure closes itself.
    extra = tmp_path / "calendar"
    extra.mkdir()
    (extra / "2028.toml").write_text("year = 2028\nentries = []\n", encoding="utf-8")
    monkeypatch.setenv("BRIDGE_CALENDAR__DIRECTORY", str(extra))
    again = reconcile.reconcile(engine, NOW + timedelta(hours=2))
    assert again.calendar_failures == 0
    assert _queued(engine, "report_completion") == ["NV-1", "NV-2", "NV-3"]
    assert _open_calendar_letters(engine) == []


def _incoming_without_deadline(engine, abstract: str) -> None:
    doc = document(7, abstract=abstract, received_at=datetime(2024, 2, 5, 9, tzinfo=ICT))
    queries.write_page(engine, Page("ioffice", "incoming", documents=[doc]), NOW)


def _computed(engine):
    with engine.connect() as conn:
        return conn.execute(
            select(
                documents.c.computed_deadline,
                documents.c.deadline_rule,
                documents.c.deadline_explanation,
            ).where(documents.c.source_id == "VBD-7")
        ).one()


def test_the_documents_own_abstract_states_its_deadline(engine):
    _incoming_without_deadline(
        engine, "V/v báo cáo số liệu tính đến ngày 31/1/2024; gửi trước ngày 1/3/2024"
    )
    reconcile.reconcile(engine, NOW)
    row = _computed(engine)
    assert row.deadline_rule == "text"
    # The cut-off 31/1 is not the deadline; "trước ngày 1/3" is: Thursday 29 February.
    assert row.computed_deadline == datetime(2024, 2, 29, 10, tzinfo=UTC)
    assert _queued(engine, "set_processing_deadline") == ["VBD-7"]


@pytest.mark.parametrize(
    "abstract",
    ["V/v báo cáo, hạn chót ngày 31/02/2024", "V/v góp ý dự thảo trong thời hạn vài ngày"],
)
def test_an_unreadable_deadline_is_shown_in_the_watch_and_never_pushed(engine, abstract):
    _incoming_without_deadline(engine, abstract)
    reconcile.reconcile(engine, NOW)
    row = _computed(engine)
    assert row.deadline_rule == "not_understood"
    assert any("không đọc được: " in line for line in row.deadline_explanation)
    assert _queued(engine, "set_processing_deadline") == []
    found = operations.unreadable_deadlines(engine)
    units = Catalog.load().units.units
    [listed] = artifacts.unreadable_deadline_rows(found, units, load_settings().timezone)
    assert listed["Tình trạng"] == "Không đọc được hạn"
    assert "không đọc được: " in listed["Ghi chú"]
    assert listed["Mã nhiệm vụ"] == "ioffice/VBD-7"
