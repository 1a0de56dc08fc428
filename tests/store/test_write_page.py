"""One transaction per page: records, rejects, secret counts and cursor together or not at all."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import event, func, select

from schemas import Secrecy
from store import queries
from store.queries import DeadLetter, Page, SourceRecord
from store.rows import SecretDocumentRefused
from store.tables import dead_letters, documents, secret_skips, source_records, tasks
from tests.store.factories import NOW, document, task


def _page(cursor: str | None = "2024-02-07T09:30:00+07:00", n: int = 3) -> Page:
    return Page(
        system="ioffice",
        stream="incoming",
        source_records=[
            SourceRecord(f"VBD-{i}", f"hash-{i}", {"id": f"VBD-{i}", "trichYeu": f"x{i}"})
            for i in range(n)
        ],
        documents=[document(i) for i in range(n)],
        tasks=[task(1)],
        dead_letters=[DeadLetter("VBD-bad", "field 'ngayBanHanh': not a date (value: '31/02')")],
        secret_skips=Counter({("SO-TTTT", date(2024, 2, 7)): 2}),
        cursor=cursor,
    )


def _count(engine, table) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def test_a_page_and_its_cursor_are_written_together(engine):
    queries.write_page(engine, _page(), NOW)
    with engine.connect() as conn:
        assert queries.get_cursor(conn, "ioffice", "incoming") == "2024-02-07T09:30:00+07:00"
        assert queries.known_hashes(conn, "ioffice", "incoming", ["VBD-0", "VBD-9"]) == {
            "VBD-0": "hash-0"
        }
        received = conn.execute(
            select(documents.c.received_at).where(documents.c.source_id == "VBD-1")
        ).scalar_one()
    assert _count(engine, documents) == 3
    assert _count(engine, tasks) == 1
    assert _count(engine, dead_letters) == 1
    # 09:15 in Hà Nội is 02:15 UTC, and it comes back aware.
    assert received == datetime(2024, 2, 7, 2, 15, tzinfo=UTC)


def test_rewriting_a_page_updates_rows_and_counts_repeated_rejects(engine):
    queries.write_page(engine, _page(), NOW)
    page = _page(cursor="2024-02-07T10:00:00+07:00")
    page.documents = [document(0, abstract="Về việc sửa đổi")]
    queries.write_page(engine, page, NOW)
    with engine.connect() as conn:
        abstract = conn.execute(
            select(documents.c.abstract).where(documents.c.source_id == "VBD-0")
        ).scalar_one()
        letter = conn.execute(select(dead_letters.c.count, dead_letters.c.reason)).one()
        skipped = conn.execute(select(secret_skips.c.count)).scalar_one()
        cursor = queries.get_cursor(conn, "ioffice", "incoming")
    assert abstract == "Về việc sửa đổi"
    assert _count(engine, documents) == 3
    assert letter.count == 2 and "ngayBanHanh" in letter.reason
    assert skipped == 4
    assert cursor == "2024-02-07T10:00:00+07:00"


def test_a_resync_page_leaves_the_live_cursor_alone(engine):
    queries.write_page(engine, _page(), NOW)
    queries.write_page(engine, _page(cursor=None), NOW)
    with engine.connect() as conn:
        assert queries.get_cursor(conn, "ioffice", "incoming") == "2024-02-07T09:30:00+07:00"


def test_a_failure_in_the_middle_of_a_page_changes_nothing(engine):
    queries.write_page(engine, _page(n=2), NOW)
    before = {t.name: _count(engine, t) for t in (documents, source_records, dead_letters)}

    # Fail at the last statement of the page, after records and rejects were sent.
    def fail_on_cursor(conn, cursor, statement, parameters, context, executemany):
        if "sync_cursors" in statement:
            raise RuntimeError("simulated crash while writing the cursor")

    event.listen(engine, "before_cursor_execute", fail_on_cursor)
    try:
        with pytest.raises(RuntimeError, match="simulated crash"):
            queries.write_page(engine, _page(cursor="2099-01-01T00:00:00+07:00", n=5), NOW)
    finally:
        event.remove(engine, "before_cursor_execute", fail_on_cursor)

    after = {t.name: _count(engine, t) for t in (documents, source_records, dead_letters)}
    assert after == before
    with engine.connect() as conn:
        assert queries.get_cursor(conn, "ioffice", "incoming") == "2024-02-07T09:30:00+07:00"
        assert conn.execute(select(dead_letters.c.count)).scalar_one() == 1


def test_a_secret_document_is_refused_and_nothing_of_the_page_is_written(engine):
    page = _page()
    page.documents.append(document(99, secrecy=Secrecy.SECRET, abstract="Nội dung mật"))
    with pytest.raises(SecretDocumentRefused) as refused:
        queries.write_page(engine, page, NOW)
    assert "Nội dung mật" not in str(refused.value)
    assert _count(engine, documents) == 0
    with engine.connect() as conn:
        assert queries.get_cursor(conn, "ioffice", "incoming") is None


def test_naive_datetimes_are_refused_by_the_store(engine):
    with pytest.raises(Exception, match="naive"):
        queries.start_run(engine, "sync", datetime(2024, 2, 7, 9, 15))
