"""`bridge failures` lists dead letters and dead outbox rows (local time, offset said), narrowed
by system or day, and says truthfully what a retry did (the re-reads over the simulators are
in tests/integration/test_failure_retry.py); `bridge push --dry-run` describes pending rows in
Vietnamese without sending."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

import cli
from store import database, queries
from store.queries import DeadLetter, OutboxItem, Page
from tests.store.factories import NOW


@pytest.fixture
def store(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'bridge.db'}"
    monkeypatch.setenv("BRIDGE_DATABASE_URL", url)
    database.upgrade(url)
    engine = database.connect(url)
    yield engine
    engine.dispose()


def test_no_failures_exits_0(store, capsys):
    assert cli.main(["failures"]) == 0
    assert "No failures." in capsys.readouterr().out


def _two_failures(store) -> None:
    page = Page("ioffice", "incoming", dead_letters=[
        DeadLetter("1000042", "field 'number_notation' (soKyHieu): missing (value: None)", {})
    ])  # fmt: skip
    queries.write_page(store, page, NOW)
    item = OutboxItem("completion:NV-1:r1", "tracking", "report_completion", "NV-1", {})
    queries.enqueue_outbox(store, [item], NOW)
    (row,) = queries.claim_outbox(store, "w", NOW)
    queries.mark_outbox_failed(
        store, row.id, "w", "tracking ReportCompletion (record NV-1): HTTP 503", NOW,
        max_attempts=1, retry_in=timedelta(minutes=1),
    )  # fmt: skip


def test_failures_are_listed_in_local_time_with_their_offset(store, capsys):
    _two_failures(store)
    assert cli.main(["failures"]) == 1
    out = capsys.readouterr().out
    # NOW is 02:15 UTC: the agency reads 09:15 and is told which clock that is.
    assert "L1      ioffice/incoming 1000042  (1x, since 2024-02-07 09:15 +07:00" in out
    assert "soKyHieu" in out
    assert "O1      tracking report_completion NV-1" in out and "HTTP 503" in out
    assert "bridge failures --retry all" in out

    assert cli.main(["failures", "--system", "tracking"]) == 1
    listed = capsys.readouterr().out
    assert "O1 " in listed and "L1 " not in listed
    assert cli.main(["failures", "--since", "2024-02-08"]) == 0
    assert "No failures." in capsys.readouterr().out

    assert cli.main(["failures", "--json"]) == 1
    rows = json.loads(capsys.readouterr().out)
    assert [(r["tag"], r["since"]) for r in rows] == [
        ("L1", "2024-02-07T09:15:00+07:00"), ("O1", "2024-02-07T09:15:00+07:00"),
    ]  # fmt: skip


def test_a_retry_says_what_it_did_and_refuses_what_is_not_a_choice(store, capsys):
    _two_failures(store)
    assert cli.main(["failures", "--retry", "O1"]) == 0
    assert capsys.readouterr().out.startswith("O1: queued again")
    # No system is configured here: the record cannot be read again, so nothing is resolved.
    assert cli.main(["failures", "--retry", "l1"]) == 1
    out = capsys.readouterr().out
    assert "L1: not retried: ioffice is not configured" in out
    assert "0 read again and resolved" in out and "L1: read again" not in out
    assert cli.main(["failures", "--json"]) == 1
    assert [r["tag"] for r in json.loads(capsys.readouterr().out)] == ["L1"]

    for wrong, said in (
        (["--retry", "X9"], "L<id> (dead letter), O<id> (outbox)"),
        (["--retry", "L1,O77"], "no open failure O77"),
        (["--retry", "all", "--since", "07/02/2024"], "is not a date"),
        (["--retry", "all", "--since", "2024-02-09", "--until", "2024-02-01"], "is after"),
    ):
        assert cli.main(["failures", *wrong]) == 2, wrong
        assert said in capsys.readouterr().err
    assert cli.main(["failures", "--retry", "all", "--system", "idesk"]) == 0
    assert "No open failure matches" in capsys.readouterr().out


def test_push_dry_run_describes_without_sending(store, capsys):
    item = OutboxItem(
        "deadline:1000007", "ioffice", "set_processing_deadline", "1000007",
        {"document_id": 1000007, "deadline": "2024-02-21"},
    )  # fmt: skip
    queries.enqueue_outbox(store, [item], NOW)
    assert cli.main(["push", "--dry-run"]) == 0
    assert "Đặt hạn xử lý 2024-02-21 cho văn bản đến 1000007" in capsys.readouterr().out
