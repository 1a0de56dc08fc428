"""Building an outbox row's call: every problem names the field, never its text; nothing is
sanitised. The connectors are the real ones (building them reads the WSDL from disk only)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from connectors.ioffice import IOfficeConnector
from connectors.tracking import TrackingConnector
from pipelines.push_calls import PayloadError, build_call
from store.queries import ClaimedRow

TRACKING = TrackingConnector("http://127.0.0.1:9")
IOFFICE = IOfficeConnector("http://127.0.0.1:9", "bridge", "not-a-real-password")


def _row(operation: str, payload: dict, target: str = "tracking") -> ClaimedRow:
    return ClaimedRow(1, f"{operation}:k1", target, operation, "NV-1", payload, 1)


def _progress(**changes: object) -> dict:
    return {"task_id": "NV-1", "text": "Đang thực hiện", "percent": 40,
            "reported_at": "2024-02-05T09:00:00+07:00", **changes}  # fmt: skip


def _reason(row: ClaimedRow, connector: object) -> str:
    with pytest.raises(PayloadError) as caught:
        build_call(row, connector)
    return str(caught.value)


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("Đang\x01 làm", "U+0001 at offset 4"),
        ("Bước\x1b2", "U+001B at offset 4"),
        ("nửa\ud800", "U+D800 at offset 3"),
        ("khác\ufffe", "U+FFFE at offset 4"),
    ],
)
def test_a_character_xml_cannot_carry_names_the_field_and_where_not_the_text(text, where):
    reason = _reason(_row("report_progress", _progress(text=text)), TRACKING)
    assert reason.startswith("tracking report_progress (record NV-1): payload field 'text' holds")
    assert where in reason
    assert text not in reason and "làm" not in reason and "Bước" not in reason


def test_tabs_newlines_and_vietnamese_pass_unchanged():
    text = "Dòng 1\n\tDòng 2\r\n— 😀 đã xử lý"
    row = _row("report_progress", _progress(text=text))
    assert callable(build_call(row, TRACKING))  # built; nothing sent


def test_a_json_target_is_not_held_to_xml_rules():
    row = _row("set_processing_deadline", {"document_id": "10\x0142", "deadline": "2024-03-15"},
               target="ioffice")  # fmt: skip
    assert callable(build_call(row, IOFFICE))


@pytest.mark.parametrize(
    ("operation", "payload", "expected"),
    [
        ("report_progress", _progress(percent=None), "payload field 'percent' is missing"),
        ("report_progress", _progress(percent="bốn mươi"), "'percent' is not a whole number"),
        ("report_progress", _progress(percent=[40]), "'percent' is of type list"),
        ("report_progress", _progress(text=17), "'text' is of type int, not text"),
        ("report_progress", _progress(reported_at="hôm qua"), "'reported_at' is not an ISO"),
        ("report_completion", {"task_id": "NV-1", "completed_at": "2024-02-05T09:00:00+07:00",
                               "evidence": {"NumberNotation": "15/STTTT-VP"}},
         "'evidence.IssuerCode' is missing"),
        ("report_completion", {"task_id": "NV-1", "completed_at": "2024-02-05T09:00:00+07:00",
                               "evidence": "15/STTTT-VP"}, "'evidence.NumberNotation' is missing"),
        ("request_extension", {"task_id": "NV-1", "reason": "Chờ ý kiến",
                               "proposed_deadline": "2024-02-30T17:00:00+07:00"},
         "'proposed_deadline' is not an ISO 8601 instant"),
        ("archive_task", {"task_id": "NV-1"}, "unknown outbox operation"),
    ],
)  # fmt: skip
def test_a_payload_that_cannot_be_built_names_the_field(operation, payload, expected):
    assert expected in _reason(_row(operation, payload), TRACKING)


def test_a_deadline_that_is_not_a_date_names_the_field():
    row = _row("set_processing_deadline", {"document_id": 1000042, "deadline": "15/03/2024"},
               target="ioffice")  # fmt: skip
    assert "'deadline' is not an ISO 8601 date" in _reason(row, IOFFICE)


def test_a_good_payload_builds_the_call_with_typed_values():
    sent: dict = {}

    class Recorder:
        """Stands in for the target only to see the typed arguments; wire format is XML."""

        wire_format = "xml"

        def report_completion(self, task_id, key, evidence, completed_at):
            sent.update(task_id=task_id, key=key, evidence=evidence, completed_at=completed_at)
            return {"Applied": True}

    payload = {"task_id": "NV-1", "completed_at": "2024-02-05T09:00:00+07:00",
               "evidence": {"NumberNotation": "15/STTTT-VP", "IssuerCode": "000.00.30.H41",
                            "IssuedAt": "2024-02-05T08:00:00+07:00"}}  # fmt: skip
    assert build_call(_row("report_completion", payload), Recorder())() == {"Applied": True}
    assert sent["key"] == "report_completion:k1"
    assert sent["completed_at"] == datetime(2024, 2, 5, 2, 0, tzinfo=UTC)
    assert sent["evidence"]["IssuedAt"] == datetime(2024, 2, 5, 1, 0, tzinfo=UTC)
    assert "Abstract" not in sent["evidence"]
