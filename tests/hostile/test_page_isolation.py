"""A page the store refuses for a reason no model foresaw still arrives, minus the guilty record.

The unforeseen reason is a real one on each database: a site's own trigger that refuses some
rows. The page is retried record by record (each trial rolled back), the refused record becomes
a dead letter naming the store's refusal, and the rest of the page and its cursor are written in
one transaction. Also: records no JSON parser could have produced (nesting beyond Python's
recursion limit) and one id sent twice with different white space.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text

from connectors.http import RawPage
from pipelines.ingest import ingest_pages, run_stream
from store import queries
from store.tables import dead_letters, documents, runs, source_records
from tests.hostile.test_property import MAPPING, UNITS, _nested, valid_record

NOW = datetime(2024, 2, 7, 3, 0, tzinfo=UTC)
MARKER = "2024-02-07T09:30:00+07:00"

SQLITE_RULE = """
CREATE TRIGGER site_rule BEFORE INSERT ON documents WHEN NEW.abstract LIKE '%độc hại%'
BEGIN SELECT RAISE(ABORT, 'refused by a site rule'); END
"""
POSTGRES_RULE = [
    """
    CREATE FUNCTION site_rule() RETURNS trigger AS $$
    BEGIN
        IF NEW.abstract LIKE '%độc hại%' THEN RAISE EXCEPTION 'refused by a site rule'; END IF;
        RETURN NEW;
    END $$ LANGUAGE plpgsql
    """,
    "CREATE TRIGGER site_rule BEFORE INSERT ON documents FOR EACH ROW EXECUTE FUNCTION site_rule()",
]


@pytest.fixture
def site_rule(engine):
    with engine.begin() as conn:
        for statement in POSTGRES_RULE if engine.dialect.name == "postgresql" else [SQLITE_RULE]:
            conn.execute(text(statement))
    return engine


def _page(*abstracts: str) -> RawPage:
    return RawPage(
        [valid_record(f"VBD-{n}", n + 1, abstract) for n, abstract in enumerate(abstracts)],
        MARKER,
    )


def _stored(engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(select(documents.c.source_id)).scalars())


def _letters(engine) -> dict[str, str]:
    with engine.connect() as conn:
        return dict(conn.execute(select(dead_letters.c.source_id, dead_letters.c.reason)).all())


def test_a_record_the_store_refuses_is_a_dead_letter_and_the_page_goes_on(site_rule):
    engine = site_rule
    page = _page("Về việc A", "Về việc B", "Về chất độc hại", "Về việc D", "Về việc E")
    counts = ingest_pages(engine, [page], MAPPING, UNITS, run_started_at=NOW, clock=lambda: NOW)

    assert _stored(engine) == {"VBD-0", "VBD-1", "VBD-3", "VBD-4"}
    letters = _letters(engine)
    assert list(letters) == ["VBD-2"]
    assert "the store refused it" in letters["VBD-2"] and "site rule" in letters["VBD-2"]
    assert (counts.new, counts.rejected) == (4, 1)
    with engine.connect() as conn:
        assert queries.get_cursor(conn, "ioffice", "incoming") == MARKER
        raw_ids = set(conn.execute(select(source_records.c.source_id)).scalars())
    assert raw_ids == {"VBD-0", "VBD-1", "VBD-3", "VBD-4"}  # the trials left nothing behind


def test_the_run_record_counts_what_the_fallback_decided(site_rule):
    engine = site_rule
    run_id = queries.start_run(engine, "sync", NOW, "ioffice", "incoming")
    ingest_pages(engine, [_page("Về việc A", "Về chất độc hại")], MAPPING, UNITS,
                 run_started_at=NOW, clock=lambda: NOW, run_id=run_id)  # fmt: skip
    with engine.connect() as conn:
        run = conn.execute(select(runs).where(runs.c.id == run_id)).one()
    assert (run.new, run.rejected, run.heartbeat_at) == (1, 1, NOW)


def test_nesting_no_parser_would_allow_is_a_dead_letter(engine):
    page = _page("Về việc A", "Về việc B", "Về việc C")
    page.records[1]["phuLuc"] = _nested(5000)
    page.records[2]["trichYeu"] = _nested(5000)
    counts = ingest_pages(engine, [page], MAPPING, UNITS, run_started_at=NOW, clock=lambda: NOW)
    assert _stored(engine) == {"VBD-0"}
    assert counts.rejected == 2
    letters = _letters(engine)
    assert "nested deeper than 64 levels" in letters["VBD-1"]
    assert "VBD-2" in letters
    with engine.connect() as conn:
        payload = conn.execute(
            select(dead_letters.c.payload).where(dead_letters.c.source_id == "VBD-1")
        ).scalar_one()
    assert payload["id"] == "VBD-1"  # kept, with the nesting cut off


def test_one_id_twice_with_different_white_space_is_one_record(engine):
    page = _page("Về việc A", "Về việc A, sửa")
    page.records[1]["id"] = " VBD-0 "
    counts = ingest_pages(engine, [page], MAPPING, UNITS, run_started_at=NOW, clock=lambda: NOW)
    assert _stored(engine) == {"VBD-0"}
    assert counts.rejected == 0


def test_a_stored_cursor_that_is_not_a_date_reads_the_stream_again(engine):
    queries.write_page(
        engine, queries.Page("ioffice", "incoming", cursor="không phải ngày"), NOW
    )  # fmt: skip
    asked: list[str | None] = []

    def fetch(marker: str | None) -> list[RawPage]:
        asked.append(marker)
        return [_page("Về việc A")]

    counts = run_stream(engine, fetch, MAPPING, UNITS)
    assert asked == [None] and counts.new == 1
    with engine.connect() as conn:
        assert queries.get_cursor(conn, "ioffice", "incoming") == MARKER


def test_any_dead_letter_fits_its_table(engine):
    letter = queries.DeadLetter(
        "X" * 300 + "\x00",
        "field 'trichYeu': bad \x00 and \ud800 " * 500,
        {"a\x00": "b\ud800", "deep": _nested(200), "n": float("nan"), "big": 10**40},
    )
    queries.write_page(engine, queries.Page("ioffice", "incoming", dead_letters=[letter]), NOW)
    with engine.connect() as conn:
        stored = conn.execute(select(dead_letters)).one()
    assert stored.source_id.startswith("sha256:") and len(stored.source_id) <= 128
    assert len(stored.reason) <= 2000 and "\x00" not in stored.reason
    assert "\\x00" in stored.reason and "\\ud800" in stored.reason
    assert stored.payload["a\\x00"] == "b\\ud800" and stored.payload["n"] == "nan"
    assert int(stored.payload["big"]) == 10**40
