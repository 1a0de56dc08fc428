"""Reconcile freshness: how long a run takes to carry one new response to the outbox, full
(reads every document and task) against incremental (reads what changed), by store size.

The store is built directly (canonical records written page by page, as ingest writes them):
three in five documents incoming, each with its task; two in five outgoing, answering one.
Then one new response is written and reconcile runs. Figures are printed, never asserted.

    python -m bench.reconcile_bench [--sizes 5000 50000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import Engine

ICT = timezone(timedelta(hours=7))
NOW = datetime(2024, 3, 4, 9, 0, tzinfo=ICT)
ORGAN = "000.00.31.H41"
PAGE = 500


def _key(n: int):  # type: ignore[no-untyped-def]
    from schemas import DocumentKey

    return DocumentKey(organ_id=ORGAN, promulgation_date=date(2024, 1, 1) + timedelta(n % 60),
                       number=str(n), notation="QĐ-STTTT")  # fmt: skip


def _incoming(n: int):  # type: ignore[no-untyped-def]
    from schemas import Document

    return Document(system="ioffice", source_id=f"VBD-{n}", direction="incoming", key=_key(n),
                    doc_type="QĐ", abstract=f"Về việc triển khai nhiệm vụ {n}",
                    received_at=NOW - timedelta(days=20),
                    stated_deadline=NOW + timedelta(days=30))  # fmt: skip


def response(n: int, issued_at: datetime):  # type: ignore[no-untyped-def]
    """The reply to incoming document ``n``, found by its quoted number and date."""
    from schemas import Document, DocumentKey

    key = _key(n)
    return Document(
        system="ioffice", source_id=f"VBDI-{n}", direction="outgoing",
        key=DocumentKey(organ_id=ORGAN, promulgation_date=issued_at.date(),
                        number=str(n), notation="BC-STTTT"),
        doc_type="BC", issued_at=issued_at,
        abstract=f"V/v phúc đáp văn bản số {key.number}/{key.notation} "
        f"ngày {key.promulgation_date:%d/%m/%Y}",
    )  # fmt: skip


def _task(n: int):  # type: ignore[no-untyped-def]
    from schemas import Task

    return Task(source_id=f"NV-{n}", title=f"Nhiệm vụ {n}", task_class="deadline_with_output",
                source_document=_key(n), lead_unit_id="SO-TTTT", status="in_progress",
                deadline=NOW + timedelta(days=10 + n % 40))  # fmt: skip


def build(engine: Engine, documents: int) -> int:
    """A store of ``documents`` documents (and their tasks); returns the first incoming
    document number left unanswered, for :func:`answer` to answer."""
    from store import queries
    from store.queries import Page

    incoming = documents * 3 // 5
    answered = documents - incoming  # the first ones are answered
    written = NOW - timedelta(days=1)
    for start in range(0, incoming, PAGE):
        numbers = range(start + 1, min(start + PAGE, incoming) + 1)
        queries.write_page(
            engine, Page("ioffice", "incoming", documents=[_incoming(n) for n in numbers]), written
        )
        queries.write_page(engine, Page("tracking", "tasks", tasks=[_task(n) for n in numbers]),
                           written)  # fmt: skip
    for start in range(0, answered, PAGE):
        numbers = range(start + 1, min(start + PAGE, answered) + 1)
        replies = [response(n, NOW - timedelta(days=2)) for n in numbers]
        queries.write_page(engine, Page("ioffice", "outgoing", documents=replies), written)
    return answered + 1


def answer(engine: Engine, n: int, now: datetime) -> None:
    from store import queries
    from store.queries import Page

    queries.write_page(engine, Page("ioffice", "outgoing", documents=[response(n, now)]), now)


def measure(engine: Engine, documents: int) -> dict[str, float | int | bool]:
    """Build, reconcile in full, write one new response, reconcile again (incremental, then
    from the same point in full on demand): times and what each run decided."""
    from pipelines import reconcile

    unanswered = build(engine, documents)
    started = time.perf_counter()
    first = reconcile.reconcile(engine, NOW)
    full_s = time.perf_counter() - started
    moment = NOW + timedelta(minutes=5)
    answer(engine, unanswered, moment - timedelta(minutes=1))
    started = time.perf_counter()
    after = reconcile.reconcile(engine, moment)
    incremental_s = time.perf_counter() - started
    started = time.perf_counter()
    again = reconcile.reconcile(engine, moment + timedelta(minutes=1), full=True)
    full_again_s = time.perf_counter() - started
    return {
        "documents": documents, "tasks": first.tasks, "first_full_s": full_s,
        "incremental_s": incremental_s, "incremental_tasks": after.tasks,
        "incremental_full": after.full, "completions_queued": after.completions_queued,
        "full_s": full_again_s, "full_completions_queued": again.completions_queued,
    }  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    from store import database

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[5_000, 50_000])
    args = parser.parse_args(argv)
    print("reconcile after one new response, SQLite store (built directly, not synced)")
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{tmp}/reconcile.db"
            database.upgrade(url)
            engine = database.connect(url)
            built = time.perf_counter()
            figures = measure(engine, size)
            engine.dispose()
        print(
            f"  {size:>7,} documents, {figures['tasks']:,} tasks: full run "
            f"{figures['full_s']:.2f} s | incremental run {figures['incremental_s']:.3f} s "
            f"({figures['incremental_tasks']} task(s) decided, "
            f"{figures['completions_queued']} completion queued) | store built and first "
            f"reconciled in {time.perf_counter() - built:.0f} s",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
