"""What a resync is asked, before anything is read: local days, stream choices, run names, and
the engine's traceback line dropped only for a Failed state a flow returned on purpose."""

from __future__ import annotations

import logging
import sys
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from connectors import registry
from pipelines import orchestration_resync

HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def test_days_are_whole_local_days_until_included():
    start, stop = orchestration_resync.local_days(
        date(2026, 12, 1), date(2026, 12, 2), "Asia/Ho_Chi_Minh"
    )
    assert start == datetime(2026, 12, 1, tzinfo=HCM)
    assert stop == datetime(2026, 12, 3, tzinfo=HCM)
    assert start.utcoffset().total_seconds() == 7 * 3600
    assert orchestration_resync.local_days(None, None, "Asia/Ho_Chi_Minh") == (None, None)
    with pytest.raises(ValueError, match=r"until \(2026-11-30\) is before since \(2026-12-01\)"):
        orchestration_resync.local_days(date(2026, 12, 1), date(2026, 11, 30), "Asia/Ho_Chi_Minh")


def test_streams_come_from_the_registry_and_a_wrong_one_is_named():
    system = registry.tracking_system()
    assert orchestration_resync.check_streams(system, None) == list(registry.streams(system))
    other = next(s for s in registry.stream_names() if s not in registry.streams(system))
    with pytest.raises(ValueError, match=f"{system} has no stream '{other}'; its streams: "):
        orchestration_resync.check_streams(system, [other])


def test_a_run_is_named_after_what_was_asked():
    name = orchestration_resync.resync_name
    assert name("idesk", ["incoming"], "2026-12-01", "2026-12-02") == (
        "resync-idesk-incoming-2026-12-01..2026-12-02"
    )
    assert name("idesk", [], date(2026, 12, 1), None) == "resync-idesk-all-2026-12-01..now"
    assert name("ioffice", ["incoming", "outgoing"], ids=["7", "8"], dry_run=True) == (
        "resync-ioffice-incoming+outgoing-ids-7,8-dry-run"
    )
    assert name("ioffice", None, ids=list("12345")) == "resync-ioffice-all-ids-1,2,3+2"


def _passes(error: Exception) -> bool:
    """Whether the engine's line about ``error`` gets past the filters of prefect.flow_runs,
    the record made as the engine's would be (the redaction factory included)."""
    import flows  # noqa: F401  (installs the filter)

    logger = logging.getLogger("prefect.flow_runs")
    try:
        raise error
    except Exception:
        record = logger.makeRecord(
            logger.name, logging.ERROR, __file__, 0,
            "Engine execution exited with unexpected exception", None, sys.exc_info(),
        )  # fmt: skip
    return bool(logger.filter(record))


def test_the_engine_traceback_is_dropped_only_for_a_failed_state_returned_on_purpose():
    from prefect.exceptions import FailedRun

    assert not _passes(FailedRun("1 new failure(s): L1 ioffice/incoming 7"))
    assert _passes(KeyError("a bug"))
