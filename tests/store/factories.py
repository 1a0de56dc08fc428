"""Small valid canonical records for store tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from schemas import Document, DocumentKey, Task

ICT = timezone(timedelta(hours=7))
NOW = datetime(2024, 2, 7, 2, 15, tzinfo=UTC)


def document(n: int, **changes) -> Document:
    fields = {
        "system": "ioffice",
        "source_id": f"VBD-{n}",
        "direction": "incoming",
        "key": DocumentKey(
            organ_id="000.00.31.H41",
            promulgation_date=date(2024, 2, 1),
            number=f"{n:02d}",
            notation="QĐ-STTTT",
        ),
        "doc_type": "QĐ",
        "abstract": f"Về việc triển khai nhiệm vụ số {n}",
        "received_at": datetime(2024, 2, 7, 9, 15, tzinfo=ICT),
        "changed_at": datetime(2024, 2, 7, 9, 15, tzinfo=ICT) + timedelta(minutes=n),
    }
    fields.update(changes)
    return Document(**fields)


def task(n: int, **changes) -> Task:
    fields = {
        "source_id": f"NV-{n}",
        "title": f"Nhiệm vụ {n}",
        "task_class": "deadline_with_output",
        "lead_unit_id": "SO-TTTT",
        "coordinating_unit_ids": ("SO-TC",),
        "deadline": datetime(2024, 2, 21, 17, 0, tzinfo=ICT),
    }
    fields.update(changes)
    return Task(**fields)
