"""Reports against a simulated world: every figure of both kinds equals a count made from the
simulator's ground truth, for a week, a month with the data cut-off, a quarter and 2024-H1;
the workbook and the Word report are written side by side.

The world: sync and reconcile, a push the tracking system refuses (every completion dies),
three simulated days later another sync and reconcile without a push. So the store holds done,
late, overdue, in-progress and not-started tasks, dead and pending completions.
"""

from __future__ import annotations

import math
import shutil
import subprocess
import tomllib
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bridge.settings import load_settings
from cli import main
from connectors.http import RetryPolicy
from connectors.ioffice import IOfficeConnector
from connectors.tracking import LgspToken, TrackingConnector
from mappings.units import UNITS_FILE
from pipelines import mismatch, push, reconcile, report, report_store, sync
from pipelines.mismatch import Cause
from pipelines.periods import Period, parse_period
from reports import excel, summary_markdown, write_report
from simulators.harness import SimulatorCluster
from store import database
from tests.integration.secret_truth import secret_counts

FAST = RetryPolicy(max_attempts=2, backoff_initial_s=0.01, backoff_max_s=0.02)
STATUSES = ("done_on_time", "done_late", "in_progress", "overdue", "not_started")


@dataclass
class World:
    sim: SimulatorCluster
    url: str
    engine: object
    pushed_at: datetime  # when every completion queued so far was refused
    now: datetime  # the simulated time of the last sync and reconcile


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('report') / 'bridge.db'}"
    database.upgrade(url)
    engine = database.connect(url)
    with SimulatorCluster(size=400, seed=21) as sim:
        token = LgspToken(sim.token_url, **sim.tracking_credentials, policy=FAST)
        connectors = {
            "ioffice": IOfficeConnector(sim.ioffice_url, **sim.ioffice_credentials, policy=FAST),
            "tracking": TrackingConnector(sim.tracking_url, token=token, policy=FAST),
        }
        catalog = sync.Catalog.load()
        for connector in connectors.values():
            sync.sync_system(engine, connector, catalog)
        pushed_at = datetime.fromisoformat(sim.now())
        reconcile.reconcile(engine, pushed_at)
        sim.set_faults("tracking", http_5xx={"rate": 1.0})
        refused = push.push_due(engine, {"tracking": connectors["tracking"]}, max_attempts=1)
        assert refused.dead > 0 and refused.done == 0
        sim.clear_faults()
        sim.advance(minutes=3 * 24 * 60)
        for connector in connectors.values():
            sync.sync_system(engine, connector, catalog)
        now = datetime.fromisoformat(sim.now())
        reconcile.reconcile(engine, now)
        yield World(sim, url, engine, pushed_at, now)
    engine.dispose()


# --- the independent count ---------------------------------------------------------------


def canonical_units(sim) -> dict[str, tuple[str, str]]:
    """Simulator unit key → (canonical id, name), through units.toml read here, by hand."""
    by_alias = {}
    for unit in tomllib.loads(UNITS_FILE.read_text(encoding="utf-8"))["units"]:
        for alias in unit["aliases"]:
            by_alias[(alias["system"], alias["alias"])] = (unit["id"], unit["name"])
    return {u["key"]: by_alias[("tracking", u["tracking_id"])] for u in sim.ground_truth("units")}


def ts(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def expected_status(deadline, completed, started: bool, at: datetime) -> str:
    """docs/domain.md §5, written out again here rather than imported."""
    if completed is not None and completed <= at:
        return "done_on_time" if deadline is None or completed <= deadline else "done_late"
    if deadline is not None and at > deadline:
        return "overdue"
    return "in_progress" if started else "not_started"


def belongs(period: Period, at: datetime, received, deadline, completed) -> bool:
    """docs/domain.md §7, written out again: due in the period, or done in it; an item done
    before the period its deadline falls in belongs where it was done."""
    if received is not None and received > at:
        return False
    if completed is not None and completed <= at and period.start <= completed < period.end:
        return True
    if deadline is not None and period.start <= deadline < period.end:
        return completed is None or completed >= period.start
    return False


def count(rows: list[tuple[str, str]]) -> dict[str, dict[str, int]]:
    """(unit id, status) pairs → per unit counts."""
    figures: dict[str, dict[str, int]] = {}
    for unit_id, status in rows:
        row = figures.setdefault(unit_id, dict.fromkeys(("counted", *STATUSES), 0))
        row["counted"] += 1
        row[status] += 1
    return figures


def expected_tasks(sim, period: Period, at: datetime, unit: str | None = None) -> dict:
    units = canonical_units(sim)
    received = {d["id"]: ts(d["received_at"]) for d in sim.ground_truth("documents")}
    # A secret reply is never stored: the bridge knows no completion time for its task.
    answered = {
        o["task_id"]: ts(o["issued_at"]) for o in sim.ground_truth("outgoing") if not o["secrecy"]
    }
    directed: dict[int, datetime] = {}
    for d in sim.ground_truth("directives"):
        if d["secrecy"]:
            continue  # never stored, so it cannot show that work started
        created = ts(d["created_at"])
        directed[d["document_id"]] = min(created, directed.get(d["document_id"], created))
    rows, late = [], {}
    for t in sim.ground_truth("tasks"):
        unit_id = units[t["lead_unit"]][0]
        completed = answered.get(t["id"]) or ts(t["completed_at"])
        deadline = ts(t["deadline"])
        when = received[t["source_document_id"]]
        if (unit and unit_id != unit) or not belongs(period, at, when, deadline, completed):
            continue
        assigned = directed.get(t["source_document_id"])
        started = t["status"] != "NOT_STARTED" or (assigned is not None and assigned <= at)
        status = expected_status(deadline, completed, started, at)
        rows.append((unit_id, status))
        if status in ("done_late", "overdue"):
            late[t["id"]] = (status, deadline, completed if status == "done_late" else None)
    return {"units": count(rows), "late": late}


def expected_documents(sim, deadlines: dict, period: Period, at: datetime) -> dict:
    """The documents' figures from the ground truth: main handler, receipt, directive and the
    answer's issue time. The deadline is the store's (the deadline rules have their own
    tests, tests/unit/test_deadlines.py); a document with none is left out."""
    units = canonical_units(sim)
    # Secret replies and directives never reach the bridge (docs/secrecy.md): a document
    # answered only through the secret channel is not done as far as the figures can know.
    issued = {
        o["answers_document_id"]: ts(o["issued_at"])
        for o in sim.ground_truth("outgoing")
        if not o.get("secrecy")
    }
    directed: dict[int, datetime] = {}
    for d in sim.ground_truth("directives"):
        if d.get("secrecy"):
            continue
        created = ts(d["created_at"])
        directed[d["document_id"]] = min(created, directed.get(d["document_id"], created))
    rows = []
    for d in sim.ground_truth("documents"):
        deadline = deadlines.get(str(d["id"]))
        if d["secrecy"] or deadline is None:
            continue
        completed = issued.get(d["id"])
        if not belongs(period, at, ts(d["received_at"]), deadline, completed):
            continue
        assigned = directed.get(d["id"])
        started = assigned is not None and assigned <= at
        rows.append((units[d["main_unit"]][0], expected_status(deadline, completed, started, at)))
    return count(rows)


def store_deadlines(engine) -> dict[str, datetime]:
    return {
        d.source_id: d.explicit_deadline or d.computed_deadline
        for d in report.read_store(engine).documents
        if d.explicit_deadline or d.computed_deadline
    }


def report_figures(kind) -> dict[str, dict[str, int]]:
    return {
        row.unit_id: {name: getattr(row, name) for name in ("counted", *STATUSES)}
        for row in kind.units
        if row.counted
    }


# --- figures -----------------------------------------------------------------------------

# A week, a month with the data cut-off, a calendar quarter, the first half year with the
# cut-off (still running at the world's time: counted as it stands), and one unit's year.
PERIODS = [
    ("2024-W02", False, None),
    ("2024-01", True, None),
    ("2023-Q4", False, None),
    ("2024-H1", True, None),
    ("2024", True, "CNTT"),
]


@pytest.mark.parametrize(("text", "cutoff", "unit"), PERIODS)
def test_every_task_figure_equals_the_ground_truth(world, text, cutoff, unit):
    period = parse_period(text, cutoff=cutoff)
    built = report.build_report(world.engine, period, unit, now=world.now)
    at = min(period.last_instant, world.now)
    assert built.as_of == at
    truth = expected_tasks(world.sim, period, at, unit)
    assert sum(row["counted"] for row in truth["units"].values()) >= 5, "too small a sample"
    assert report_figures(built.tasks) == truth["units"]
    late = {
        line.item.item_id: (line.status.value, line.item.deadline, line.completed_at)
        for line in built.tasks.late
    }
    assert late == truth["late"]


@pytest.mark.parametrize(("text", "cutoff", "unit"), PERIODS[:4])
def test_every_document_figure_equals_the_ground_truth(world, text, cutoff, unit):
    period = parse_period(text, cutoff=cutoff)
    built = report.build_report(world.engine, period, unit, now=world.now)
    truth = expected_documents(world.sim, store_deadlines(world.engine), period, built.as_of)
    assert sum(row["counted"] for row in truth.values()) >= 5, "too small a sample"
    assert report_figures(built.documents) == truth
    assert len(built.documents.items) == built.documents.total.counted


def test_the_sample_holds_every_status_and_a_real_rate(world):
    period = parse_period("2023-10-01..2024-02-04")
    built = report.build_report(world.engine, period, now=world.now, basis="received")
    total = built.tasks.total
    assert all(getattr(total, name) > 0 for name in STATUSES), total
    assert 0 < total.on_time_rate < 1


def test_days_late_are_working_days(world):
    from pipelines.calendar import load_calendar

    calendar = load_calendar()
    built = report.build_report(world.engine, parse_period("2024-01"), now=world.now)
    lines = [*built.documents.late, *built.tasks.late]
    assert lines
    for line in lines:
        end = line.completed_at or built.as_of
        working = calendar.count_working_days(line.item.deadline, end)
        assert line.days_late == max(1, working)
        assert line.days_late <= math.ceil((end - line.item.deadline) / timedelta(days=1)) + 1


def test_secret_documents_appear_only_as_a_count_on_the_day_they_were_received(world):
    truth = secret_counts(world.sim)
    kinds = [
        [d for d in world.sim.ground_truth(kind) if d["secrecy"]]
        for kind in ("documents", "outgoing", "directives")
    ]
    assert all(kinds), "the world should hold secret documents, replies and directives"
    with world.engine.connect() as conn:
        stored = {(unit, day): n for unit, day, n in report_store.load_secret_skips(conn)}
    # Synced twice (the second sync re-reads the overlap): still once per document.
    assert stored == truth
    secret_ids = {str(d["id"]) for kind in kinds for d in kind}
    for text in ("2023-Q4", "2024-01"):
        period = parse_period(text)
        built = report.build_report(world.engine, period, now=world.now)
        in_period = {
            key: n for key, n in truth.items() if period.first_day <= key[1] <= period.last_day
        }
        assert built.secret_excluded == sum(in_period.values())
        by_unit: dict[str, int] = {}
        for (unit_id, _), n in in_period.items():
            by_unit[unit_id] = by_unit.get(unit_id, 0) + n
        rows = built.documents.units
        assert {r.unit_id: r.secret_excluded for r in rows if r.secret_excluded} == by_unit
        # Nothing else of them: their ids are nowhere in the figures.
        listed = {line.item.item_id for kind in built.kinds for line in kind.items}
        assert not secret_ids & listed


# --- mismatches --------------------------------------------------------------------------


def test_mismatches_and_their_causes_equal_the_ground_truth(world):
    found = mismatch.find_in_store(world.engine, now=world.now)
    answered = {
        o["task_id"]: ts(o["issued_at"])
        for o in world.sim.ground_truth("outgoing")
        if not o["secrecy"]  # never stored: the bridge cannot see that task answered
    }
    tasks = list(world.sim.ground_truth("tasks"))
    expected = {}
    for t in tasks:
        issued = answered.get(t["id"])
        if issued is not None and t["status"] != "DONE":
            # Answered before the refused push: its completion died; after it: still queued.
            expected[t["id"]] = Cause.PUSH_FAILED if issued <= world.pushed_at else Cause.NOT_PUSHED
        elif issued is None and t["status"] == "DONE":
            expected[t["id"]] = Cause.NO_LINK
    assert {m.task_id: m.cause for m in found} == expected
    assert {Cause.PUSH_FAILED, Cause.NOT_PUSHED} <= set(expected.values())
    failed = next(m for m in found if m.cause is Cause.PUSH_FAILED)
    assert "503" in failed.detail or "500" in failed.detail
    table = mismatch.mismatch_table(found)
    assert len(table) == len(found) and set(table[0]) == set(mismatch.COLUMNS)


def test_mismatches_of_one_unit(world):
    units = canonical_units(world.sim)
    lead = {t["id"]: units[t["lead_unit"]][0] for t in world.sim.ground_truth("tasks")}
    every = mismatch.find_in_store(world.engine, now=world.now)
    unit = lead[every[0].task_id]
    mine = mismatch.find_in_store(world.engine, unit, now=world.now)
    assert [m.task_id for m in mine] == [m.task_id for m in every if lead[m.task_id] == unit]


# --- the files ---------------------------------------------------------------------------


def test_both_files_hold_the_ground_truth_figures(world, tmp_path):
    settings = load_settings(var_dir=tmp_path)
    written = write_report(world.engine, "2024-01", now=world.now, settings=settings)
    assert written.path.parent == tmp_path / "reports" and written.path.suffix == ".xlsx"
    assert written.docx_path == written.path.with_suffix(".docx") and written.docx_path.is_file()
    period = parse_period("2024-01", cutoff=True)  # the settings' default: the cut-off
    assert written.report.period == period
    book = load_workbook(written.path)
    assert book.sheetnames == list(excel.SHEETS)

    cover = book[excel.SHEET_COVER]
    facts = {row[0].value: row[1].value for row in cover.iter_rows(min_row=7, max_row=19)}
    assert facts["Từ ngày"] == datetime(2023, 12, 15) and facts["Đến ngày"] == datetime(2024, 1, 14)
    assert facts["Số liệu tính đến"] == datetime(2024, 1, 14, 23, 59, 59)
    assert "Nghị định 09/2019" in facts["Cách xác định kỳ"]

    truth = expected_tasks(world.sim, period, written.report.as_of)["units"]
    sheet = book[excel.SHEET_TASKS]
    first = excel.HEADER_ROW + 1
    rows = list(sheet.iter_rows(min_row=first, max_row=first + len(written.report.tasks.units),
                                values_only=True))  # fmt: skip
    for values in rows[:-1]:
        expected = truth.get(values[1], dict.fromkeys(("counted", *STATUSES), 0))
        assert list(values[3:9]) == [expected[name] for name in ("counted", *STATUSES)]
    assert rows[-1][2] == "Tổng cộng"
    assert rows[-1][3] == sum(r["counted"] for r in truth.values())

    items = book[excel.SHEET_ITEMS]
    listed = [r for r in items.iter_rows(min_row=excel.HEADER_ROW + 1, values_only=True) if r[1]]
    kinds = [r[1] for r in listed if r[1] in ("Văn bản", "Nhiệm vụ")]
    assert kinds.count("Văn bản") == written.report.documents.total.counted
    assert kinds.count("Nhiệm vụ") == written.report.tasks.total.counted

    text = summary_markdown(written)
    assert "Tháng 01/2024" in text and written.docx_path.name in text
    assert text.count("file://") == 2


def test_out_may_name_a_directory(world, tmp_path):
    written = write_report(world.engine, "2024-Q1", unit="CNTT", out=tmp_path, now=world.now)
    assert written.path.parent == tmp_path
    assert written.path.name.startswith("bao-cao_2024-Q1_CNTT_")
    assert written.docx_path.parent == tmp_path


def test_a_document_converter_can_open_both(world, tmp_path):
    office = shutil.which("libreoffice") or shutil.which("soffice")
    if office is None:
        pytest.skip("LibreOffice is not installed here")
    written = write_report(world.engine, "2024-01", out=tmp_path / "r.xlsx", now=world.now)
    for path in (written.path, written.docx_path):
        subprocess.run(
            [office, "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), path],
            check=True, timeout=120, capture_output=True,
        )  # fmt: skip
    assert (tmp_path / "r.pdf").stat().st_size > 1000


def test_the_summary_picture_shows_the_workbook_figures(world, tmp_path):
    from lxml import etree

    from reports import preview

    written = write_report(world.engine, "2024-01", out=tmp_path / "r.xlsx", now=world.now)
    assert preview.main([str(written.path), str(tmp_path / "r.svg")]) == 0
    svg = etree.parse(str(tmp_path / "r.svg"), etree.XMLParser(resolve_entities=False))
    texts = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")]
    total = written.report.tasks.total
    assert "Đơn vị" in texts and str(total.counted) in texts
    bars = [r for r in svg.iter("{http://www.w3.org/2000/svg}rect") if r.get("fill") == "#2f6fb3"]
    assert len(bars) == len(written.report.tasks.units)


# --- the command -------------------------------------------------------------------------


def test_bridge_report_writes_both_files_and_prints_a_summary(world, tmp_path, monkeypatch,
                                                             capsys):  # fmt: skip
    monkeypatch.setenv("BRIDGE_DATABASE_URL", world.url)
    monkeypatch.setenv("BRIDGE_VAR_DIR", str(tmp_path))
    monkeypatch.delenv("BRIDGE_CONFIG", raising=False)
    assert main(["report", "--period", "2024-W02", "--unit", "CNTT"]) == 0
    captured = capsys.readouterr()
    xlsx, docx, title, *lines = captured.out.strip().splitlines()
    assert "agency_name is still the placeholder 'Sở ... tỉnh ...'" in captured.err
    assert Path(xlsx).is_file() and Path(xlsx).parent == tmp_path / "reports"
    assert Path(docx).is_file() and Path(docx).suffix == ".docx"
    assert "2024-W02_CNTT" in Path(xlsx).name
    assert title.startswith("Tuần 2 năm 2024")
    assert lines[0].strip().startswith("Văn bản đến có thời hạn xử lý:")
    assert lines[1].strip().startswith("Nhiệm vụ được giao:") and "tỷ lệ đúng hạn" in lines[1]

    out = tmp_path / "chosen.xlsx"
    assert main(["report", "--period", "2024-01", "--calendar", "--basis", "received",
                 "--out", str(out)]) == 0  # fmt: skip
    printed = capsys.readouterr().out
    assert printed.startswith(str(out)) and out.is_file() and out.with_suffix(".docx").is_file()
    assert "Tháng 01/2024:" in printed  # calendar days: no cut-off in the title
    assert load_workbook(out)[excel.SHEET_COVER]["B8"].value == datetime(2024, 1, 31)


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--period", "2024-W54"], "weeks 1 to 52"),
        (["--period", "last week"], "is not a period"),
        (["--period", "2024-H3"], "H1 or H2"),
        (["--period", "2024-01", "--unit", "NOPE"], "unknown unit 'NOPE'"),
        (["--period", "2024-01", "--out", "r.pdf"], ".xlsx"),
    ],
)
def test_bridge_report_refuses_bad_input_with_exit_2(world, monkeypatch, capsys, argv, says):
    monkeypatch.setenv("BRIDGE_DATABASE_URL", world.url)
    assert main(["report", *argv]) == 2
    assert says in capsys.readouterr().err


# --- the units' reasons --------------------------------------------------------------------


def test_a_units_progress_note_in_the_tracking_system_is_its_reason(tmp_path):
    """The tracking system's free text on a task (the latest progress report's text) is read
    into ``tasks.notes`` and shown as the reason of a late task."""
    url = f"sqlite:///{tmp_path / 'bridge.db'}"
    database.upgrade(url)
    engine = database.connect(url)
    try:
        with SimulatorCluster(size=60, seed=5) as sim:
            token = LgspToken(sim.token_url, **sim.tracking_credentials, policy=FAST)
            tracking = TrackingConnector(sim.tracking_url, token=token, policy=FAST)
            catalog = sync.Catalog.load()
            sync.sync_system(engine, tracking, catalog)
            open_task = next(t["id"] for t in sim.ground_truth("tasks") if t["status"] != "DONE")
            reason = "Chờ ý kiến thẩm định của Sở Tài chính"
            tracking.report_progress(
                open_task, "test-note-1", reason, 40, datetime.fromisoformat(sim.now())
            )
            sync.sync_system(engine, tracking, catalog)
        notes = {t.source_id: t.notes for t in report.read_store(engine).tasks}
        assert notes[open_task] == reason
        assert sum(1 for n in notes.values() if n) == 1  # nobody else wrote one
    finally:
        engine.dispose()
