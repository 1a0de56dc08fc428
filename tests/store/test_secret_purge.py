"""A record that becomes secret at its source is purged from every table at once, and counted
(docs/domain.md §3); a task whose reply is secret is a failure naming the task only.

Real mapping files, real normalize, real store on SQLite and PostgreSQL, real reconcile.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import func, select

from connectors.http import RawPage
from mappings.loader import load_mappings
from mappings.units import load_unit_table
from pipelines import reconcile
from pipelines.ingest import ingest_pages
from simulators.vietnamese import tcvn3_mojibake
from store import queries
from store.tables import (
    assignments,
    dead_letters,
    directives,
    documents,
    outbox,
    secret_answers,
    secret_seen,
    secret_skips,
    source_records,
    task_document_links,
    tasks,
)

MAPPINGS = load_mappings()
UNITS = load_unit_table()
NOW = datetime(2024, 2, 9, 3, 0, tzinfo=UTC)

INCOMING = {
    "id": 1000042, "soKyHieu": "07/QĐ-UBND", "loaiVanBan": "Quyết định",
    "trichYeu": "Về việc ban hành Kế hoạch chuyển đổi số năm 2024", "ngayBanHanh": "2024-02-05",
    "maDinhDanh": "000.00.00.H41", "nguoiKy": "Nguyễn Văn An", "ngayDen": "2024-02-07 09:15:00",
    "soDen": 84, "doKhan": "Khẩn", "doMat": None,
    "donViXuLyChinh": {"id": "DV004"}, "ngayCapNhat": "2024-02-07 09:15:00",
}  # fmt: skip
DIRECTIVE = {
    "id": 3000042, "vanBanDenId": 1000042, "tieuDe": "Ý kiến chỉ đạo về văn bản số 07/QĐ-UBND",
    "noiDung": "Giao Phòng CNTT chủ trì tham mưu.", "ngayTao": "2024-02-07 10:00:00",
    "nguoiTao": "Giám đốc", "xuLyChinh": {"id": "DV004"}, "ngayCapNhat": "2024-02-07 10:00:00",
}  # fmt: skip
REPLY = {
    "id": 5000042, "soKyHieu": "15/STTTT-CNTT", "loaiVanBan": "Công văn",
    "trichYeu": "V/v phúc đáp văn bản số 07/QĐ-UBND ngày 05/02/2024 của UBND tỉnh",
    "ngayBanHanh": "2024-02-08", "thoiGianBanHanh": "2024-02-08 15:00:00",
    "maDinhDanh": "000.00.31.H41", "donViSoanThao": {"id": "DV004"}, "vanBanDenId": 1000042,
    "ngayCapNhat": "2024-02-08 15:00:00",
}  # fmt: skip
TASK = {
    "TaskId": "NV2024-0000042", "Title": "Thực hiện văn bản số 07/QĐ-UBND", "TaskClass": "1",
    "SourceDocument": {"NumberNotation": "07/QĐ-UBND", "IssuerCode": "000.00.00.H41",
                       "IssueDate": "2024-02-05"},
    "LeadUnit": {"UnitId": "TD-1104"}, "Deadline": "2024-02-20T17:00:00+07:00",
    "Status": "IN_PROGRESS", "Revision": 1, "ChangedAt": "2024-02-07T11:00:00+07:00",
}  # fmt: skip


def ingest(engine, system: str, stream: str, *records: dict):
    return ingest_pages(
        engine, [RawPage(list(records))], MAPPINGS[(system, stream)], UNITS, run_started_at=NOW
    )


def count(engine, table, *where) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()


def test_a_reply_and_then_its_source_that_become_secret_leave_nothing_behind(engine):
    ingest(engine, "ioffice", "incoming", {**INCOMING, "ngayDen": "not a date"})  # dead letter
    ingest(engine, "ioffice", "incoming", INCOMING)
    ingest(engine, "ioffice", "directives", DIRECTIVE)
    ingest(engine, "ioffice", "outgoing", REPLY)
    ingest(engine, "tracking", "tasks", TASK)
    first = reconcile.reconcile(engine, NOW)
    assert (first.linked_response, first.completions_queued) == (1, 1)
    assert count(engine, dead_letters) == 1

    # The reply is marked secret at its source, by a TCVN3 stamp in its abstract only.
    stamped = {**REPLY, "trichYeu": tcvn3_mojibake("TỐI MẬT - " + REPLY["trichYeu"])}
    purged = ingest(engine, "ioffice", "outgoing", stamped)
    assert (purged.secret_skipped, purged.secret_purged) == (1, 1)
    assert count(engine, documents, documents.c.direction == "outgoing") == 0
    assert count(engine, source_records, source_records.c.stream == "outgoing") == 0
    assert count(engine, outbox, outbox.c.operation == "report_completion") == 0
    assert count(engine, task_document_links, task_document_links.c.role == "response") == 0

    # Its task now shows the secret answer as a failure naming the task only, nothing pushed.
    again = reconcile.reconcile(engine, NOW)
    assert again.full and again.scope_reason == "records deleted"  # no mark shows a deletion
    assert (again.secret_answers, again.completions_queued, again.warnings_queued) == (1, 0, 0)
    (failure,) = [f for f in queries.list_failures(engine) if f.kind == "secret_answer"]
    assert failure.where == "tracking task NV2024-0000042"
    assert failure.reason == queries.CLASSIFIED_REPLY
    assert count(engine, outbox, outbox.c.operation == "report_completion") == 0

    # Then the source document itself is marked secret (by its field).
    purged = ingest(engine, "ioffice", "incoming", {**INCOMING, "doMat": "Mật"})
    assert (purged.secret_skipped, purged.secret_purged) == (1, 1)
    for table in (documents, source_records, dead_letters, directives, assignments):
        assert count(engine, table, table.c.system == "ioffice") == 0, table.name
    assert count(engine, outbox, outbox.c.target_id == "1000042") == 0
    assert count(engine, task_document_links) == 0
    assert count(engine, tasks) == 1  # the tracking system's task stays; it names no secret

    # Re-read, nothing more is purged or counted; each document counted once, on its day.
    again = ingest(engine, "ioffice", "incoming", {**INCOMING, "doMat": "Mật"})
    assert (again.secret_skipped, again.secret_purged) == (1, 0)
    with engine.connect() as conn:
        skips = {(r.unit_id, r.day): r.count for r in conn.execute(select(secret_skips))}
        seen = conn.execute(select(secret_seen.c.digest)).scalars().all()
        noted = conn.execute(select(secret_answers.c.digest)).scalars().all()
    assert skips == {("CNTT", date(2024, 2, 7)): 1, ("CNTT", date(2024, 2, 8)): 1}
    # Digests only: 64 hex characters, none of them an id in clear.
    assert all(len(d) == 64 and "1000042" not in d and "5000042" not in d for d in seen + noted)


def test_a_directive_and_a_task_that_become_secret_are_purged(engine):
    ingest(engine, "ioffice", "incoming", INCOMING)
    ingest(engine, "ioffice", "directives", DIRECTIVE)
    ingest(engine, "tracking", "tasks", TASK)
    reconcile.reconcile(engine, NOW)
    assert count(engine, assignments) == 1 and count(engine, task_document_links) == 1

    secret_directive = {**DIRECTIVE, "tieuDe": "KHAN, MAT - " + DIRECTIVE["tieuDe"]}
    counts = ingest(engine, "ioffice", "directives", secret_directive)
    assert (counts.secret_skipped, counts.secret_purged) == (1, 1)
    assert count(engine, directives) == count(engine, assignments) == 0

    secret_task = {**TASK, "Title": "M Ậ T\n" + TASK["Title"], "Revision": 2}
    counts = ingest(engine, "tracking", "tasks", secret_task)
    assert (counts.secret_skipped, counts.secret_purged) == (1, 1)
    assert count(engine, tasks) == count(engine, task_document_links) == 0
    assert count(engine, source_records, source_records.c.system == "tracking") == 0


def test_the_secret_records_of_one_page_are_purged_together_and_each_counted_once(engine):
    """A page's secret records are purged in a few statements (store/secret_digests.py); the
    count is still per record: two stored then marked, one never stored, one left alone."""

    def incoming(number: int) -> dict:
        return {**INCOMING, "id": 1000040 + number, "soKyHieu": f"{number}/QĐ-UBND"}

    ingest(engine, "ioffice", "incoming", incoming(1), incoming(2), incoming(3))
    quoting = {**DIRECTIVE, "vanBanDenId": 1000042, "tieuDe": "Ý kiến chỉ đạo"}
    ingest(engine, "ioffice", "directives", quoting)
    assert count(engine, directives) == 1

    marked = [{**incoming(n), "doMat": "Mật"} for n in (1, 2, 4)]  # 4 was never stored
    counts = ingest(engine, "ioffice", "incoming", *marked, incoming(3))
    assert (counts.secret_skipped, counts.secret_purged) == (3, 2)
    with engine.connect() as conn:
        kept = conn.execute(select(documents.c.source_id)).scalars().all()
        raw = conn.execute(select(source_records.c.source_id)).scalars().all()
    assert kept == ["1000043"] and raw == ["1000043"]  # the directive's raw record went too
    assert count(engine, directives) == count(engine, assignments) == 0

    again = ingest(engine, "ioffice", "incoming", *marked)
    assert (again.secret_skipped, again.secret_purged) == (3, 0)
