"""The secrecy guard over a generated world: nothing of a secret document is stored or logged.

A world with secret incoming documents, secret replies answering tasks and secret directives
(marked by field or by stamps in every form the simulators write) is synced twice into a real
store through the real connectors, mappings and normalize step, then reconciled and pushed,
with every logger at DEBUG. Then every table, every captured log line, the run records, the
texts the flows would publish (failure table, state message, mismatch table, report summary),
`bridge failures` and the tracking system's ledger are searched for every field of every
secret document: id, number and notation, abstract, title, content. Only counts may exist, per
document and on the day each was received (docs/domain.md §3).

Which documents are secret comes from the simulators' ground truth, never from the bridge.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import datetime

import pytest
from sqlalchemy import inspect, select, text

import cli
from bridge.settings import load_settings
from connectors.http import RetryPolicy
from connectors.idesk import IDeskConnector
from connectors.ioffice import IOfficeConnector
from connectors.tracking import LgspToken, TrackingConnector
from mappings.loader import load_mappings
from mappings.units import load_unit_table
from pipelines import mismatch, orchestration, push, reconcile, report, sync
from pipelines.ingest import ingest_pages
from pipelines.legacy_text import to_unicode
from pipelines.periods import parse_period
from reports import failure_tables, summary_markdown
from schemas import to_nfc
from simulators.harness import SimulatorCluster
from store import queries
from store.tables import secret_skips
from tests.integration.secret_truth import secret_counts

FAST = RetryPolicy(max_attempts=4, backoff_initial_s=0.01, backoff_max_s=0.05)
STREAMS = ("incoming", "outgoing", "directives")
# The raw fields of each stream that hold a secret document's content, besides its id.
CONTENT_FIELDS = {
    "incoming": ("soKyHieu", "trichYeu"),
    "outgoing": ("soKyHieu", "trichYeu"),
    "directives": ("tieuDe", "noiDung"),
}


def _as_stored(value: str) -> str:
    """A text as the bridge would keep it: NFC, legacy TCVN3/VNI converted, spaces folded."""
    return to_nfc(to_unicode(value))


@pytest.fixture(scope="module")
def sim():
    with SimulatorCluster(size=600, seed=5) as cluster:
        yield cluster


def _secret_values(sim) -> tuple[list[str], list[str], dict[str, int]]:
    """(ids, texts, how many secret records per stream): every field of every secret record,
    read from the simulator's own listing and its ground truth."""
    secret_ids = {
        "incoming": {d["id"] for d in sim.ground_truth("documents") if d["secrecy"]},
        "outgoing": {o["id"] for o in sim.ground_truth("outgoing") if o["secrecy"]},
        "directives": {d["id"] for d in sim.ground_truth("directives") if d["secrecy"]},
    }
    connector = IOfficeConnector(sim.ioffice_url, **sim.ioffice_credentials, policy=FAST)
    ids, candidates, ordinary = [], [], set()
    for stream in STREAMS:
        for page in connector.list_changed(stream):
            for record in page.records:
                if not isinstance(record, dict):
                    continue
                values = [str(record[f]) for f in CONTENT_FIELDS[stream] if record.get(f)]
                if record["id"] in secret_ids[stream]:
                    ids.append(str(record["id"]))
                    if stream != "directives":
                        key = f"{record['maDinhDanh']},{record['ngayBanHanh'].replace('-', '/')},"
                        candidates.append(key + record["soKyHieu"])
                    candidates += values + [_as_stored(v) for v in values]
                else:
                    ordinary |= {_as_stored(v) for v in values}
    # Numbers restart every year and abstracts come from templates: a value an ordinary
    # record also has proves nothing. Every other value must be nowhere.
    texts = sorted({v for v in candidates if _as_stored(v) not in ordinary})
    return ids, texts, {stream: len(found) for stream, found in secret_ids.items()}


def _all_stored_text(engine) -> str:
    """Every row of every table, as one searchable text."""
    chunks = []
    with engine.connect() as conn:
        for table in inspect(engine).get_table_names():
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                chunks.append(json.dumps([str(v) for v in row], ensure_ascii=False))
    return "\n".join(chunks)


def _published_texts(engine, now: datetime, monkeypatch) -> str:
    """What the flows would publish: the failure tables and state message (built by the
    functions the flows call), the mismatch table and the report summary."""
    failures = queries.list_failures(engine)
    timezone = load_settings().timezone
    captured = [failure_tables.failure_table(failures, failures, timezone),
                failure_tables.open_failures_table(failures, timezone)]  # fmt: skip
    message = orchestration.failure_summary(failures)
    table = mismatch.mismatch_table(mismatch.find_in_store(engine, now=now))
    built = report.build_report(engine, parse_period("2023-10-01..2024-03-31"), now=now)
    summary = summary_markdown(built, mismatch.find_in_store(engine, now=now))
    return json.dumps([captured, message, table, summary], ensure_ascii=False, default=str)


@pytest.mark.slow
def test_no_field_of_a_secret_document_is_stored_logged_published_or_pushed(
    sim, engine, store_url, caplog, capsys, monkeypatch
):
    ids, texts, per_stream = _secret_values(sim)
    assert all(n >= 3 for n in per_stream.values()), per_stream
    caplog.set_level(logging.DEBUG)  # every logger, transport loggers included

    token = LgspToken(sim.token_url, **sim.tracking_credentials, policy=FAST)
    connectors = {
        "ioffice": IOfficeConnector(sim.ioffice_url, **sim.ioffice_credentials, policy=FAST),
        "tracking": TrackingConnector(sim.tracking_url, token=token, policy=FAST),
    }
    catalog = sync.Catalog.load()
    for _ in range(2):  # the second sync re-reads: counts stay per document
        for connector in connectors.values():
            sync.sync_system(engine, connector, catalog)
    now = datetime.fromisoformat(sim.now())
    reconciled = reconcile.reconcile(engine, now)
    push.push_due(engine, connectors, max_attempts=5)

    answered_secretly = {
        o["task_id"] for o in sim.ground_truth("outgoing") if o["secrecy"] and o["task_id"]
    }
    assert reconciled.secret_answers == len(answered_secretly) > 0

    monkeypatch.setenv("BRIDGE_DATABASE_URL", store_url)
    assert cli.main(["failures"]) == 1
    listed = capsys.readouterr().out
    for task_id in answered_secretly:
        assert f"tracking task {task_id}" in listed
    assert listed.count(queries.CLASSIFIED_REPLY) == len(answered_secretly)

    published = _published_texts(engine, now, monkeypatch)
    assert queries.CLASSIFIED_REPLY_VI in published
    ledger = json.dumps(
        [list(sim.ground_truth("writes")), list(sim.ground_truth("tasks"))],
        ensure_ascii=False,
        default=str,
    )
    places = {
        "store": _all_stored_text(engine),
        "logs": caplog.text,
        "published": published,
        "bridge failures": listed,
        "tracking ledger": ledger,
    }
    assert len(ids) == sum(per_stream.values()) and len(texts) > len(ids)
    for where, haystack in places.items():
        for value in ids:
            assert not re.search(rf"(?<!\d){value}(?!\d)", haystack), f"secret id in {where}"
        for value in texts:
            # Whole values: "63/STTTT-VP" is not found inside an ordinary "763/STTTT-VP".
            found = re.search(rf"(?<!\w){re.escape(value)}(?!\w)", haystack)
            assert not found, f"secret document field in {where}: {value!r}"

    # Counted once per document, on the day each was received (issued, for a reply; written,
    # for a directive), from the ground truth.
    with engine.connect() as conn:
        stored = {
            (r.unit_id, r.day): r.count
            for r in conn.execute(select(secret_skips).where(secret_skips.c.system == "ioffice"))
        }
    assert stored == secret_counts(sim)


def test_a_record_read_again_and_again_counts_once(engine, sim):
    """9 → 18 → 27 was the count for 9 documents read three times; it must stay 9."""
    connector = IOfficeConnector(sim.ioffice_url, **sim.ioffice_credentials, policy=FAST)
    pages = list(connector.list_changed("incoming"))
    secret = {d["id"] for d in sim.ground_truth("documents") if d["secrecy"]}
    mapping = load_mappings()[("ioffice", "incoming")]
    for read in range(3):
        counts = ingest_pages(
            engine, pages, mapping, load_unit_table(), run_started_at=datetime.fromisoformat(
                sim.now()), move_cursor=False,
        )  # fmt: skip
        assert counts.secret_skipped == len(secret)  # met on every read
        with engine.connect() as conn:
            total = sum(conn.execute(select(secret_skips.c.count)).scalars())
        assert total == len(secret), f"read {read + 1}"


def test_the_soap_system_guards_every_stream_too(engine, sim, caplog):
    """iDesk (SOAP through zeep, DEBUG on): secret documents, replies and directives are
    skipped by field or stamp, counted per stream, and no SOAP page reaches the logs."""
    caplog.set_level(logging.DEBUG)
    connector = IDeskConnector(sim.idesk_url, *sim.idesk_credentials, policy=FAST)
    results = sync.sync_system(engine, connector, sync.Catalog.load())
    truth = {
        "incoming": [d for d in sim.ground_truth("documents") if d["secrecy"]],
        "outgoing": [o for o in sim.ground_truth("outgoing") if o["secrecy"]],
        "directives": [d for d in sim.ground_truth("directives") if d["secrecy"]],
    }
    assert {s: results[s].secret_skipped for s in truth} == {s: len(t) for s, t in truth.items()}
    stored = _all_stored_text(engine)
    for found in truth.values():
        for record in found:
            assert not re.search(rf"(?<!\d){record['id']}(?!\d)", stored + caplog.text)
    assert "Envelope" not in caplog.text  # zeep.transports writes whole envelopes at DEBUG
