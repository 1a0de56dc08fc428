"""The report's loaders on both databases: links, directives, secret counts and the mismatch
causes that a simulated world never produces (an ambiguous response, a task with no source)."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta

from pipelines import mismatch, reconcile, report
from pipelines.mismatch import Cause
from pipelines.periods import parse_period
from schemas import Assignment, Directive, DocumentKey
from store import queries
from store.queries import Page
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
        assignments=[
            Assignment(
                system="ioffice",
                document_source_id="VBD-3",
                directive_source_id="CD-3",
                unit_id="SO-TC",
                role="main",
                assigned_at=datetime(2024, 2, 8, 15, 0, tzinfo=ICT),
            ),
            Assignment(
                system="ioffice",
                document_source_id="VBD-3",
                directive_source_id="CD-3",
                unit_id="SO-TTTT",
                role="coordinating",
                assigned_at=datetime(2024, 2, 8, 15, 0, tzinfo=ICT),
            ),
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
    february = parse_period("2024-02")  # calendar days
    as_of = datetime(2024, 2, 10, 12, 0, tzinfo=ICT)
    built = report.build_report(engine, february, now=as_of, basis="received")
    rows = {r.unit_id: r for r in built.tasks.units}
    # NV-1: received 7/2, no response chosen (ambiguous), tracking done 12/2: not yet done on
    # 10/2, deadline 21/2, tracking shows done today so work had started: in progress.
    # NV-3: received 8/2, directed 8/2 15:00, answered 12/2: in progress on 10/2.
    # NV-4: same source, due 9/2 17:00: overdue on 10/2.
    # NV-2: no source document: undated.
    assert (rows["SO-TTTT"].counted, rows["SO-TTTT"].in_progress) == (2, 2)
    assert (rows["SO-TC"].counted, rows["SO-TC"].overdue) == (1, 1)
    assert built.tasks.undated == 1
    docs = {r.unit_id: r for r in built.documents.units}
    assert docs["SO-TTTT"].secret_excluded == 2 and built.secret_excluded == 2
    (late,) = built.tasks.late
    # Due Friday 9/2 17:00, the figures stand on Saturday 10/2 (Tết): one day, the minimum.
    assert late.item.item_id == "NV-4" and late.days_late == 1
    # NV-2's notes are the unit's reason, read back from the store.
    notes = {t.source_id: t.notes for t in report.read_store(engine).tasks}
    assert notes["NV-2"] == "Chờ số liệu"

    after = report.build_report(engine, february, now=NOW + timedelta(days=30), basis="received")
    rows = {r.unit_id: r for r in after.tasks.units}
    # At February's end: NV-3 done on time by its response (12/2 ≤ 21/2); NV-1 done on time
    # by the tracking system's own completion time, no response being linked.
    assert rows["SO-TTTT"].done_on_time == 2
    assert after.as_of == february.last_instant


def test_documents_count_for_their_main_handler_with_the_computed_deadline(engine):
    _world(engine)
    reconcile.reconcile(engine, NOW)
    facts = {d.source_id: d for d in report.read_store(engine).documents}
    # Received during Tết 2024 (8–14/2 off): 5 working days are 15, 16, 19, 20 and 21/2.
    for source_id in ("VBD-1", "VBD-3"):
        due = facts[source_id].computed_deadline.astimezone(ICT)
        assert (due.date(), due.hour) == (date(2024, 2, 21), 17)
    built = report.build_report(engine, parse_period("2024-02"), now=NOW + timedelta(days=30))
    docs = {r.unit_id: r for r in built.documents.units}
    # VBD-3: main handler SO-TC (the directive), answered 12/2: on time; SO-TTTT coordinates.
    assert (docs["SO-TC"].counted, docs["SO-TC"].done_on_time) == (1, 1)
    assert (docs["SO-TTTT"].counted, docs["SO-TTTT"].coordinating) == (0, 1)
    # VBD-1: two answers match, so none is chosen; no directive: its receiving unit, unknown
    # here. Due 21/2 and open at February's end: overdue, 6 working days (22–23, 26–29/2).
    assert (docs[""].counted, docs[""].overdue) == (1, 1)
    overdue = {line.item.item_id: line.days_late for line in built.documents.late}
    assert overdue == {"VBD-1": 6}
    (line,) = [x for x in built.documents.items if x.item.item_id == "VBD-3"]
    assert line.item.response_code == "3/STTTT-VP" and line.coordinating_names == ("SO-TTTT",)
