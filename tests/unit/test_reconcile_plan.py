"""reconcile.plan: the pure decisions, on hand-made rows (the simulated world is in
tests/integration/test_reconcile.py)."""

from __future__ import annotations

from datetime import date, datetime

from pipelines.calendar import LOCAL_TZ
from pipelines.reconcile import AtRiskActions, Doc, TaskRow, plan

ORGAN = "000.00.01.H41"


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=LOCAL_TZ)


def incoming(row_id: int, number: str, notation: str, day: date) -> Doc:
    return Doc(
        id=row_id, system="ioffice", source_id=f"in-{row_id}", direction="incoming",
        document_id=f"{ORGAN},{day:%Y/%m/%d},{number}/{notation}", organ_id=ORGAN, day=day,
        number=number, notation=notation, abstract="V/v báo cáo",
        received_at=local(day.year, day.month, day.day, 9), stated_deadline=local(2024, 3, 1, 17),
    )  # fmt: skip


def outgoing(row_id: int, answers: Doc, issued: datetime) -> Doc:
    return Doc(
        id=row_id, system="ioffice", source_id=f"out-{row_id}", direction="outgoing",
        document_id=f"000.00.31.H41,{issued:%Y/%m/%d},{row_id}/STTTT-VP", organ_id="000.00.31.H41",
        day=issued.date(), number=str(row_id), notation="STTTT-VP", abstract="V/v phúc đáp",
        issued_at=issued, response_for_source_id=answers.source_id,
    )  # fmt: skip


def task(row_id: int, source: Doc, deadline: datetime, status: str = "not_started") -> TaskRow:
    return TaskRow(row_id, f"T-{row_id}", source.document_id, deadline, status, None)


# Tuesday 27 Feb 2024, 09:00: a deadline at 17:00 on Wednesday is one working day away.
NOW = local(2024, 2, 27, 9)
SOURCE = incoming(1, "07", "QĐ-UBND", date(2024, 2, 20))


def operations(result) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return [(item.operation, item.idempotency_key) for item in result.outbox]


def test_an_unanswered_task_in_the_at_risk_window_gets_one_warning_keyed_by_its_deadline() -> None:
    result = plan([task(1, SOURCE, local(2024, 2, 28, 17))], [SOURCE], [], NOW)

    assert result.statuses[1] == ("not_started", True)
    assert operations(result) == [("report_progress", "warning:T-1:20240228T1700")]
    warning = result.outbox[0].payload
    assert warning["task_id"] == "T-1"
    assert "17:00 ngày 28/02/2024" in warning["text"]
    assert "chưa có văn bản hoàn thành" in warning["text"]


def test_no_warning_outside_the_window_nor_for_an_answered_or_done_task() -> None:
    far = task(1, SOURCE, local(2024, 3, 8, 17))
    answered_source = incoming(2, "08", "QĐ-UBND", date(2024, 2, 20))
    answered = task(2, answered_source, local(2024, 2, 28, 17))
    response = outgoing(50, answered_source, local(2024, 2, 26, 15))
    done_source = incoming(3, "09", "QĐ-UBND", date(2024, 2, 20))
    done = task(3, done_source, local(2024, 2, 28, 17), status="done")

    result = plan([far, answered, done], [SOURCE, answered_source, done_source], [response], NOW)

    assert [op for op, _ in operations(result)] == ["report_completion"]
    assert result.outbox[0].target_id == "T-2"


def test_the_extension_request_is_filed_only_when_the_agency_enables_it() -> None:
    at_risk = [task(1, SOURCE, local(2024, 2, 28, 17))]

    quiet = plan(at_risk, [SOURCE], [], NOW, actions=AtRiskActions(warn=False))
    both = plan(
        at_risk, [SOURCE], [], NOW,
        actions=AtRiskActions(request_extension=True, extension_working_days=5),
    )  # fmt: skip

    assert quiet.outbox == []
    assert [op for op, _ in operations(both)] == ["report_progress", "request_extension"]
    extension = both.outbox[1].payload
    # Five working days after Wednesday 28 Feb: Wednesday 6 March, same hour.
    assert datetime.fromisoformat(extension["proposed_deadline"]) == local(2024, 3, 6, 17)
    assert "06/03/2024" in extension["reason"]


def test_a_moved_deadline_warns_again_under_a_new_key() -> None:
    first = plan([task(1, SOURCE, local(2024, 2, 28, 17))], [SOURCE], [], NOW)
    moved = plan([task(1, SOURCE, local(2024, 2, 27, 17))], [SOURCE], [], NOW)

    assert operations(first)[0][1] != operations(moved)[0][1]


def test_two_sources_with_the_same_key_are_reported_not_guessed() -> None:
    twin = Doc(**{**SOURCE.__dict__, "id": 9, "system": "idesk", "source_id": "twin"})

    result = plan([task(1, SOURCE, local(2024, 2, 28, 17))], [SOURCE, twin], [], NOW)

    assert result.links == []
    assert result.outbox == []
    assert "2 source documents" in result.ambiguous[0]


# --- what an incremental run reads (reconcile_scope.py) -------------------------------------


def test_items_that_match_share_a_token_whatever_the_typing():
    from dataclasses import replace

    from pipelines.reconcile_scope import doc_tokens, task_tokens

    source = incoming(1, "07", "QĐ-UBND", date(2024, 2, 5))
    typed = TaskRow(9, "T-9", f"{ORGAN},2024/02/05,7/qd-ubnd", None, "not_started", None)
    assert doc_tokens(source) & task_tokens(typed)  # leading zero, case, D for Đ
    quoting = replace(
        outgoing(2, source, local(2024, 2, 8, 15)), response_for_source_id=None,
        abstract="V/v phúc đáp văn bản số 7/QD-UBND ngày 05/02/2024",
    )  # fmt: skip
    assert doc_tokens(source) & doc_tokens(quoting)
    other = incoming(3, "08", "QĐ-UBND", date(2024, 2, 5))
    assert not doc_tokens(other) & doc_tokens(quoting)
    assert not doc_tokens(other) & task_tokens(typed)


def test_time_alone_reads_the_deadlines_it_crossed():
    from pipelines.reconcile_scope import deadline_spans

    # Within a day: only the deadlines passed since the last run, from its time inclusive.
    last, now = local(2024, 2, 27, 9), local(2024, 2, 27, 13)
    assert deadline_spans(last, now) == [(last, now, False)]
    # Tuesday → Wednesday: whole-day deadlines of Tuesday ended; the at-risk window (one
    # working day) opened on Thursday's deadlines, which Tuesday's did not reach.
    spans = deadline_spans(last, local(2024, 2, 28, 8))
    whole_days = [(start, end) for start, end, whole in spans if whole]
    assert len(whole_days) == 1
    start, end = whole_days[0]
    assert start < local(2024, 2, 27, 0, 0) and local(2024, 2, 27, 23, 59) < end
    assert end < local(2024, 2, 28, 0, 0)
    window = [(s, e) for s, e, whole in spans[1:] if not whole]
    assert len(window) == 1
    start, end = window[0]
    assert start < local(2024, 2, 29, 17) <= end  # Thursday's: at risk on Wednesday
    assert not start <= local(2024, 2, 28, 17) <= end  # at risk already on Tuesday
    assert not start <= local(2024, 3, 1, 17) <= end  # Friday's: not yet
