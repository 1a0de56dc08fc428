"""Reports against a simulated world: every figure equals a count made from the simulator's
ground truth, never from the store; the workbook holds real numbers, dates and a chart.

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
from openpyxl.chart import BarChart

from bridge.cli import main
from bridge.connectors.http import RetryPolicy
from bridge.connectors.ioffice import IOfficeConnector
from bridge.connectors.tracking import LgspToken, TrackingConnector
from bridge.mappings.units import UNITS_FILE
from bridge.pipelines import mismatch, push, reconcile, report, sync
from bridge.pipelines.calendar import LOCAL_TZ
from bridge.pipelines.mismatch import Cause
from bridge.pipelines.periods import Period, parse_period
from bridge.reports import excel, summary_markdown, write_report
from bridge.settings import load_settings
from bridge.store import database
from simulators.harness import SimulatorCluster
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
    """DOMAIN.md section 5, written out again here rather than imported."""
    if completed is not None and completed <= at:
        return "done_on_time" if deadline is None or completed <= deadline else "done_late"
    if deadline is not None and at > deadline:
        return "overdue"
    return "in_progress" if started else "not_started"


def expected_figures(sim, period: Period, at: datetime, unit: str | None = None) -> dict:
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
    figures: dict[str, dict[str, int]] = {}
    late: dict[str, tuple] = {}
    for t in sim.ground_truth("tasks"):
        unit_id = units[t["lead_unit"]][0]
        when = received[t["source_document_id"]]
        if (unit and unit_id != unit) or not (period.start <= when < period.end) or when > at:
            continue
        completed = answered.get(t["id"]) or ts(t["completed_at"])
        assigned = directed.get(t["source_document_id"])
        started = t["status"] != "NOT_STARTED" or (assigned is not None and assigned <= at)
        status = expected_status(ts(t["deadline"]), completed, started, at)
        row = figures.setdefault(unit_id, dict.fromkeys(("received", *STATUSES), 0))
        row["received"] += 1
        row[status] += 1
        if status in ("done_late", "overdue"):
            late[t["id"]] = (
                status,
                ts(t["deadline"]),
                completed if status == "done_late" else None,
            )
    return {"units": figures, "late": late}


def report_figures(built: report.PeriodReport) -> dict[str, dict[str, int]]:
    return {
        row.unit_id: {name: getattr(row, name) for name in ("received", *STATUSES)}
        for row in built.units
        if row.received
    }


# --- figures -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "unit"), [("2024-01", None), ("2023-Q4", None), ("2024-W02", None), ("2024", "CNTT")]
)
def test_every_figure_equals_the_ground_truth(world, text, unit):
    period = parse_period(text)
    built = report.build_report(world.engine, period, unit, now=world.now)
    at = min(period.last_instant, world.now)
    assert built.as_of == at
    truth = expected_figures(world.sim, period, at, unit)
    assert sum(row["received"] for row in truth["units"].values()) >= 5, "too small a sample"
    assert report_figures(built) == truth["units"]
    assert built.total.received == sum(row["received"] for row in truth["units"].values())
    late = {t.source_id: (t.status.value, t.deadline, t.completed_at) for t in built.late}
    assert late == truth["late"]
    assert built.undated == 0  # every task of the simulated world links to its source


def test_the_sample_holds_every_status_and_a_real_rate(world):
    period = parse_period("2023-10-01..2024-02-04")
    built = report.build_report(world.engine, period, now=world.now)
    total = built.total
    assert all(getattr(total, name) > 0 for name in STATUSES), total
    truth = expected_figures(world.sim, period, built.as_of)["units"].values()
    settled = sum(r["done_on_time"] + r["done_late"] + r["overdue"] for r in truth)
    assert total.on_time_rate == pytest.approx(sum(r["done_on_time"] for r in truth) / settled)


def test_secret_documents_appear_only_as_a_count_on_the_day_they_were_received(world):
    truth = secret_counts(world.sim)
    kinds = [
        [d for d in world.sim.ground_truth(kind) if d["secrecy"]]
        for kind in ("documents", "outgoing", "directives")
    ]
    assert all(kinds), "the world should hold secret documents, replies and directives"
    with world.engine.connect() as conn:
        stored = {(r.unit_id, r.day): r.count for r in report.load_secret_skips(conn)}
    # Synced twice (the second sync re-reads the overlap): still once per document.
    assert stored == truth
    for text in ("2023-Q4", "2024-01"):
        period = parse_period(text)
        built = report.build_report(world.engine, period, now=world.now)
        in_period = {
            key: n for key, n in truth.items() if period.first_day <= key[1] <= period.last_day
        }
        assert built.total.secret_excluded == sum(in_period.values())
        by_unit: dict[str, int] = {}
        for (unit_id, _), n in in_period.items():
            by_unit[unit_id] = by_unit.get(unit_id, 0) + n
        assert {r.unit_id: r.secret_excluded for r in built.units if r.secret_excluded} == by_unit
        # Nothing else of them: their ids are nowhere in the figures.
        secret_ids = {str(d["id"]) for kind in kinds for d in kind}
        assert not secret_ids & {t.source_id for t in built.late}


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


# --- the workbook ------------------------------------------------------------------------


def test_the_workbook_has_real_numbers_dates_percentages_and_a_chart(world, tmp_path):
    settings = load_settings(var_dir=tmp_path)
    written = write_report(world.engine, "2024-01", now=world.now, settings=settings)
    assert written.path.parent == tmp_path / "reports" and written.path.suffix == ".xlsx"
    book = load_workbook(written.path)
    assert book.sheetnames == [
        excel.SHEET_COVER, excel.SHEET_SUMMARY, excel.SHEET_LATE, excel.SHEET_MISMATCH
    ]  # fmt: skip

    cover = book[excel.SHEET_COVER]
    cover_text = {str(c.value) for row in cover.iter_rows() for c in row if c.value is not None}
    assert settings.agency_name.upper() in cover_text
    assert "Kỳ báo cáo: Tháng 01/2024" in cover_text
    dates = {row[0].value: row[1] for row in cover.iter_rows(min_row=6, max_row=15)}
    assert dates["Từ ngày"].value == datetime(2024, 1, 1)
    assert dates["Số liệu tính đến"].value == datetime(2024, 1, 31, 23, 59, 59)
    assert dates["Thời điểm lập báo cáo"].is_date

    summary = book[excel.SHEET_SUMMARY]
    headers = [c.value for c in summary[1]]
    assert headers == [title for title, _ in excel.SUMMARY_COLUMNS]
    assert summary.freeze_panes == "A2"
    assert all(summary.column_dimensions[col].width > 5 for col in "ABCDEFGHIJK")
    rows = list(summary.iter_rows(min_row=2, max_row=len(written.report.units) + 2, values_only=1))
    truth = expected_figures(world.sim, parse_period("2024-01"), written.report.as_of)["units"]
    for values in rows[:-1]:
        counts = values[3:9]
        assert all(isinstance(v, int) for v in counts)
        expected = truth.get(values[1], dict.fromkeys(("received", *STATUSES), 0))
        assert list(counts) == [expected[name] for name in ("received", *STATUSES)]
    total = rows[-1]
    assert total[2] == "Tổng cộng"
    assert total[3] == sum(r["received"] for r in truth.values())
    rate_cells = [summary.cell(row, excel.RATE_COLUMN) for row in range(2, len(rows) + 2)]
    assert all(c.number_format == excel.PERCENT_FORMAT for c in rate_cells)
    assert any(isinstance(c.value, float) and 0 <= c.value <= 1 for c in rate_cells)
    charts = summary._charts
    assert len(charts) == 1 and isinstance(charts[0], BarChart)

    late = book[excel.SHEET_LATE]
    assert [c.value for c in late[1]] == [title for title, _ in excel.LATE_COLUMNS]
    assert late.max_row == len(written.report.late) + 1 > 1
    first = [c for c in late[2]]
    assert isinstance(first[5].value, datetime) and first[5].number_format == excel.DATETIME_FORMAT
    assert isinstance(first[7].value, int)
    deadline = written.report.late[0].deadline.astimezone(LOCAL_TZ).replace(tzinfo=None)
    assert first[5].value == deadline  # local wall-clock time, naive

    sheet = book[excel.SHEET_MISMATCH]
    assert [c.value for c in sheet[1]] == ["STT", *mismatch.COLUMNS]
    assert sheet.max_row == len(written.mismatches) + 1 > 1
    assert sheet.freeze_panes == "A2"

    text = summary_markdown(written)
    assert "Tháng 01/2024" in text and "Sai lệch với hệ thống theo dõi" in text
    assert text == summary_markdown(written.report, written.mismatches)


def test_out_may_name_a_directory(world, tmp_path):
    written = write_report(world.engine, "2024-Q1", unit="CNTT", out=tmp_path, now=world.now)
    assert written.path.parent == tmp_path
    assert written.path.name.startswith("bao-cao_2024-Q1_CNTT_")


def test_a_document_converter_can_open_it(world, tmp_path):
    office = shutil.which("libreoffice") or shutil.which("soffice")
    if office is None:
        pytest.skip("LibreOffice is not installed here")
    written = write_report(world.engine, "2024-01", out=tmp_path / "r.xlsx", now=world.now)
    subprocess.run(
        [office, "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), written.path],
        check=True, timeout=120, capture_output=True,
    )  # fmt: skip
    assert (tmp_path / "r.pdf").stat().st_size > 1000


def test_the_summary_picture_shows_the_workbook_figures(world, tmp_path):
    from lxml import etree

    from bridge.reports import preview

    written = write_report(world.engine, "2024-01", out=tmp_path / "r.xlsx", now=world.now)
    assert preview.main([str(written.path), str(tmp_path / "r.svg")]) == 0
    svg = etree.parse(str(tmp_path / "r.svg"), etree.XMLParser(resolve_entities=False))
    texts = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")]
    total = written.report.total
    assert "Đơn vị" in texts and str(total.received) in texts
    bars = [r for r in svg.iter("{http://www.w3.org/2000/svg}rect") if r.get("fill") == "#2f6fb3"]
    assert len(bars) == len(written.report.units)


# --- the command -------------------------------------------------------------------------


def test_bridge_report_writes_the_file_and_prints_a_summary(world, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("BRIDGE_DATABASE_URL", world.url)
    monkeypatch.setenv("BRIDGE_VAR_DIR", str(tmp_path))
    monkeypatch.delenv("BRIDGE_CONFIG", raising=False)
    assert main(["report", "--period", "2024-W02", "--unit", "CNTT"]) == 0
    path, line = capsys.readouterr().out.strip().splitlines()
    assert Path(path).is_file() and Path(path).parent == tmp_path / "reports"
    assert "2024-W02_CNTT" in Path(path).name
    assert line.startswith("Tuần 2 năm 2024") and "tỷ lệ đúng hạn" in line

    out = tmp_path / "chosen.xlsx"
    assert main(["report", "--period", "2024-01-08..2024-01-14", "--out", str(out)]) == 0
    assert capsys.readouterr().out.startswith(str(out)) and out.is_file()


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--period", "2024-W54"], "weeks 1 to 52"),
        (["--period", "last week"], "is not a period"),
        (["--period", "2024-01", "--unit", "NOPE"], "unknown unit 'NOPE'"),
        (["--period", "2024-01", "--out", "r.pdf"], ".xlsx"),
    ],
)
def test_bridge_report_refuses_bad_input_with_exit_2(world, monkeypatch, capsys, argv, says):
    monkeypatch.setenv("BRIDGE_DATABASE_URL", world.url)
    assert main(["report", *argv]) == 2
    assert says in capsys.readouterr().err


def test_days_late_are_started_days(world):
    built = report.build_report(world.engine, parse_period("2024-01"), now=world.now)
    for task in built.late:
        end = task.completed_at or built.as_of
        assert task.days_late == math.ceil((end - task.deadline) / timedelta(days=1))
        assert task.days_late >= 1
