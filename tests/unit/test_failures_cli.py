"""`bridge failures` lists dead letters and dead outbox rows and retries one; `bridge push
--dry-run` describes pending rows in Vietnamese without sending."""

from __future__ import annotations

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


def test_failures_are_listed_with_their_reason_and_retried(store, capsys):
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

    assert cli.main(["failures"]) == 1
    out = capsys.readouterr().out
    assert "L1      ioffice/incoming 1000042" in out and "soKyHieu" in out
    assert "O1      tracking report_completion NV-1" in out and "HTTP 503" in out

    assert cli.main(["failures", "--retry", "O1"]) == 0
    assert "pending again" in capsys.readouterr().out
    assert cli.main(["failures", "--retry", "l1"]) == 0
    assert "--ids 1000042" in capsys.readouterr().out
    assert cli.main(["failures"]) == 0

    assert cli.main(["failures", "--retry", "X9"]) == 2
    assert "L<id> (dead letter) or O<id>" in capsys.readouterr().err


def test_push_dry_run_describes_without_sending(store, capsys):
    item = OutboxItem(
        "deadline:1000007", "ioffice", "set_processing_deadline", "1000007",
        {"document_id": 1000007, "deadline": "2024-02-21"},
    )  # fmt: skip
    queries.enqueue_outbox(store, [item], NOW)
    assert cli.main(["push", "--dry-run"]) == 0
    assert "Đặt hạn xử lý 2024-02-21 cho văn bản đến 1000007" in capsys.readouterr().out
