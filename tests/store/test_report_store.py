"""The report's loaders on both databases: links, directives, secret counts and the mismatch
causes that a simulated world never produces (an ambiguous response, a task with no source)."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta

from bridge.pipelines import mismatch, reconcile, report
from bridge.pipelines.mismatch import Cause
from bridge.pipelines.periods import parse_period
from bridge.schemas import Directive, DocumentKey
from bridge.store import queries
from bridge.store.queries import Page
from tests.store.factories import ICT, document, task

NOW = datetime(2024, 2, 20, 9, 0, tzinfo=ICT)


def _outgoing(n: int, answers: str, issued: datetime):
    return document(
        100 + n,
        source_id=f"VBDI-{n}",
        direction="outgoing",
        key=DocumentKey(organ_id="000.00.31.H41", promulgation_date=issued.date(),
                        number=f"{n}", notation="STTTT-VP"),
        received_at=None,
        issued_at=issued,
        response_for_source_id=answers,
    )  # fmt: skip


def _world(engine) -> None:
    ioffice = Page(
        "ioffice",
        "incoming",
        documents=[
            document(1),
            document(3, received_at=datetime(2024, 2, 8, 10, 0, tzinfo=ICT)),
            _outgoing(1, "VBD-1", datetime(2024, 2, 10, 9, 0, tzinfo=ICT)),
            _outgoing(2, "VBD-1", datetime(2024, 2, 11, 9, 0, tzinfo=ICT)),
            _outgoing(3, "VBD-3", datetime(2024, 2, 12, 9, 0, tzinfo=ICT)),
        ],
        directives=[
            Directive(
                system="ioffice",
                source_id="CD-3",
                document_source_id="VBD-3",
                content="Giao Phòng CNTT chủ trì.",
                created_at=datetime(2024, 2, 8, 15, 0, tzinfo=ICT),
            )
        ],
        secret_skips=Counter({("SO-TTTT", date(2024, 2, 9)): 2, ("", date(2024, 3, 1)): 1}),
    )
    done = {"status": "done", "completed_at": datetime(2024, 2, 12, 8, 0, tzinfo=ICT)}
    tracking = Page(
        "tracking",
        "tasks",
        tasks=[
            task(1, source_document=document(1).key, **done),  # two responses: ambiguous
            task(2, source_document=document(2).key, notes="Chờ số liệu", **done),  # no source
            task(3, source_document=document(3).key, status="not_started"),  # answered 12/2
            task(4, source_document=document(3).key, lead_unit_id="SO-TC", status="not_started",
                 deadline=datetime(2024, 2, 9, 17, 0, tzinfo=ICT)),
        ],
    )  # fmt: skip
    queries.write_page(engine, ioffice, NOW)
    queries.write_page(engine, tracking, NOW)


def test_mismatch_causes_from_the_store(engine):
    _world(engine)
    outcome = reconcile.reconcile(engine, NOW)
    assert any(problem.startswith("task NV-1: ") for problem in outcome.ambiguous)

    found = {m.task_id: m for m in mismatch.find_in_store(engine, now=NOW)}
    assert {task_id: m.cause for task_id, m in found.items()} == {
        "NV-1": Cause.AMBIGUOUS_LINK,
        "NV-2": Cause.NO_LINK,
        "NV-3": Cause.NOT_PUSHED,
        "NV-4": Cause.NOT_PUSHED,
    }
    assert "VBDI-1" in found["NV-1"].detail and "VBDI-2" in found["NV-1"].detail
    assert found["NV-3"].response_code == "3/STTTT-VP"
    assert found["NV-3"].response_issued_at == datetime(2024, 2, 12, 9, 0, tzinfo=ICT)
    assert [m.task_id for m in mismatch.find_in_store(engine, "SO-TC", now=NOW)] == ["NV-4"]


def test_the_report_reads_links_directives_and_secret_counts(engine):
    _world(engine)
    reconcile.reconcile(engine, NOW)
    february = parse_period("2024-02")
    as_of = datetime(2024, 2, 10, 12, 0, tzinfo=ICT)
    built = report.build_report(engine, february, now=as_of)
    rows = {r.unit_id: r for r in built.units}
    # NV-1: received 7/2, no response chosen (ambiguous), tracking done 12/2: not yet done on
    # 10/2, deadline 21/2, tracking shows done today so work had started: in progress.
    # NV-3: received 8/2, directed 8/2 15:00, answered 12/2: in progress on 10/2.
    # NV-4: same source, due 9/2 17:00: overdue on 10/2.
    # NV-2: no source document: undated.
    assert (rows["SO-TTTT"].received, rows["SO-TTTT"].in_progress) == (2, 2)
    assert (rows["SO-TC"].received, rows["SO-TC"].overdue) == (1, 1)
    assert built.undated == 1
    assert rows["SO-TTTT"].secret_excluded == 2 and built.total.secret_excluded == 2
    (late,) = built.late
    assert late.source_id == "NV-4" and late.days_late == 1

    after = report.build_report(engine, february, now=NOW + timedelta(days=30))
    rows = {r.unit_id: r for r in after.units}
    # At February's end: NV-3 done on time by its response (12/2 ≤ 21/2); NV-1 done on time
    # by the tracking system's own completion time, no response being linked.
    assert rows["SO-TTTT"].done_on_time == 2
    assert after.as_of == february.last_instant
