"""Ingest's page logic on both databases: unreadable records and the secrecy guard."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from connectors.http import BadRecord, RawPage
from mappings.loader import load_mappings
from mappings.units import load_unit_table
from pipelines.ingest import ingest_pages
from store.tables import dead_letters, secret_skips

MAPPING = load_mappings()[("ioffice", "incoming")]
NOW = datetime(2024, 2, 7, 3, 0, tzinfo=UTC)


def test_an_unreadable_secret_record_is_counted_never_kept(engine):
    pages = [
        RawPage([
            BadRecord("record has no 'id'", {"doMat": "Tối mật", "trichYeu": "Nội dung mật X"}),
            BadRecord("list item is not a JSON object", "'TUYỆT MẬT 12/QĐ-BCA ...'"),
            BadRecord("list item is not a JSON object", "'garbage 17'"),
        ])
    ]  # fmt: skip
    counts = ingest_pages(engine, pages, MAPPING, load_unit_table(), run_started_at=NOW)
    assert (counts.secret_skipped, counts.rejected) == (1, 2)
    with engine.connect() as conn:
        letters = conn.execute(select(dead_letters.c.reason, dead_letters.c.payload)).all()
        skipped = conn.execute(select(secret_skips.c.count)).scalar_one()
    assert skipped == 1
    # Unreadable text keeps nothing but where and how long: a stamp in it may be cut, encoded
    # or spaced beyond recognition, so no text of it is ever stored.
    assert [p for _, p in letters] == [None, None]
    assert sorted(r for r, _ in letters) == sorted(
        f"list item is not a JSON object ({len(text)} characters; content withheld: it may"
        " belong to a secret document)"
        for text in ("'TUYỆT MẬT 12/QĐ-BCA ...'", "'garbage 17'")
    )
    assert "Nội dung mật X" not in str(letters) and "garbage" not in str(letters)
