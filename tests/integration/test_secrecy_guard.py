"""The secrecy guard over a generated world: nothing of a secret document is stored or logged.

A world with about 2% secret documents is synced into a real store through the real connector,
mapping and normalize step; then every text and JSON column of every table and every captured
log line is searched for the secret documents' numbers and abstracts. Only the count may exist.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, inspect, select, text

from bridge.connectors.ioffice import IOfficeConnector
from bridge.mappings.loader import load_mappings
from bridge.mappings.units import load_unit_table
from bridge.pipelines.ingest import ingest_pages
from bridge.pipelines.legacy_text import to_unicode
from bridge.schemas import to_nfc
from bridge.store.tables import secret_skips
from simulators.harness import SimulatorCluster


@pytest.fixture(scope="module")
def world():
    with SimulatorCluster(size=600, seed=5) as sim:
        connector = IOfficeConnector(sim.ioffice_url, **sim.ioffice_credentials, page_size=100)
        pages = list(connector.list_changed("incoming"))
        records = [r for p in pages for r in p.records if isinstance(r, dict)]
        secret = [r for r in records if r.get("doMat")]
        # Abstracts and numbers come from templates and restart each year, so an ordinary
        # document may share one with a secret one; only values no ordinary document has are
        # proof of a leak.
        # Compared as stored: NFC, legacy TCVN3 converted, white space folded.
        ordinary = {
            to_nfc(to_unicode(r[f]))
            for r in records
            if not r.get("doMat")
            for f in ("soKyHieu", "trichYeu")
        }
        yield pages, secret, ordinary


def _all_stored_text(engine) -> str:
    """Every row of every table, as one searchable text."""
    chunks = []
    with engine.connect() as conn:
        for table in inspect(engine).get_table_names():
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                chunks.append(json.dumps([str(v) for v in row], ensure_ascii=False))
    return "\n".join(chunks)


@pytest.mark.slow
def test_no_field_of_a_secret_document_is_stored_or_logged_and_the_count_matches(
    world, engine, caplog
):
    pages, secret, ordinary = world
    assert len(secret) >= 5, "the generated world should hold secret documents"
    caplog.set_level(logging.DEBUG)
    mapping = load_mappings()[("ioffice", "incoming")]
    counts = ingest_pages(
        engine, pages, mapping, load_unit_table(), run_started_at=datetime.now(UTC)
    )
    assert counts.secret_skipped == len(secret)
    assert counts.new + counts.rejected + counts.secret_skipped == counts.fetched

    stored = _all_stored_text(engine)
    logged = caplog.text
    checked = 0
    for document in secret:
        key = f"{document['maDinhDanh']},{document['ngayBanHanh'].replace('-', '/')},"
        key += document["soKyHieu"]
        values = [str(document["id"]), key]
        for field in ("soKyHieu", "trichYeu"):
            as_stored = to_nfc(to_unicode(document[field]))
            if as_stored not in ordinary:
                values += [document[field], as_stored]
        for value in values:
            checked += 1
            assert value not in stored, f"secret document field stored: {value!r}"
            assert value not in logged, f"secret document field logged: {value!r}"
    assert checked > 2 * len(secret)

    with engine.connect() as conn:
        assert conn.execute(select(func.sum(secret_skips.c.count))).scalar_one() == len(secret)
