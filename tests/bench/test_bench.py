"""The bench's machinery on a tiny world: every job reads the whole listing and stores what it
should, the replay server answers what the simulators said, the report prints every figure.

Times are printed by the bench, never asserted here: these tests check counts only.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from bench import report, suite
from bench.__main__ import check_counts, ingest_jobs
from bench.replay import REST_LISTING, listed, record
from bench.servers import ReplayServer

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS, PAGE_SIZE = 200, 50


@pytest.fixture(scope="module")
def recording(tmp_path_factory) -> tuple[Path, dict]:
    directory = tmp_path_factory.mktemp("replay")
    return directory, record(directory, DOCUMENTS, PAGE_SIZE)


def test_recording_holds_every_page_of_both_listings(recording) -> None:
    directory, index = recording
    assert listed(index, "rest") >= DOCUMENTS
    assert listed(index, "rest") == listed(index, "soap")  # one world, two systems
    assert [page["cursor"] is None for page in index["rest"]].count(True) == 1
    assert all(page["records"] == PAGE_SIZE for page in index["rest"][:-1])
    assert len(list(directory.glob("rest-0*.json"))) == len(index["rest"])


def test_replay_answers_the_recorded_bytes_and_cuts_the_listing_short(recording) -> None:
    directory, index = recording
    with ReplayServer(directory) as full, ReplayServer(directory, pages=2) as cut:
        first = requests.get(full.url + REST_LISTING, params={"limit": PAGE_SIZE}, timeout=10)
        assert first.content == (directory / "rest-00001.json").read_bytes()
        cursor = index["rest"][1]["cursor"]
        second = requests.get(cut.url + REST_LISTING, params={"cursor": cursor}, timeout=10)
        assert second.json()["data"]["nextCursor"] is None
        assert len(second.json()["data"]["items"]) == index["rest"][1]["records"]
        missing = requests.get(full.url + REST_LISTING, params={"cursor": "nope"}, timeout=10)
        assert missing.status_code == 404


def test_every_ingest_job_reads_the_whole_listing_and_stores_it(recording) -> None:
    directory, index = recording
    with ReplayServer(directory) as full, ReplayServer(directory, pages=1) as quarter:
        jobs = ingest_jobs(full, quarter, index, 1, PAGE_SIZE)
        figures = suite.run(jobs, repeats=1)
    assert check_counts(figures) == []
    runs = {name: figure.runs[0] for name, figure in figures.items()}
    whole = listed(index, "rest")
    assert runs["download"]["pages"] == len(index["rest"])
    for name in ("floor_rest", "floor_soap", "dlt_append", "dlt_merge"):
        assert runs[name]["fetched"] == whole, name
        assert runs[name]["stored"] == whole - runs[name].get("refused", 0), name
    for name in ("bridge_rest", "bridge_soap"):
        bridge = runs[name]
        assert bridge["fetched"] == whole
        # Secret documents are read and never stored; nothing else is left out.
        assert bridge["stored"] == whole - bridge["secret"] - bridge["refused"] > 0
    assert runs["bridge_rest_quarter"]["fetched"] == index["rest"][0]["records"]
    assert all(run["peak_rss_mb"] > 0 for run in runs.values())

    table = report.ingest_table(figures, "jsonl")
    assert len(table) == 1 + len(report.INGEST_ROWS)
    assert "bridge iOffice REST ingest" in table[5] and table[5].split()[-3] != "—"
    assert report.memory_lines(figures)


def test_interleaving_puts_every_job_in_every_position() -> None:
    jobs = [suite.Job(name, "download", "", 1, 1) for name in "abc"]
    orders = [[job.name for job in suite.order(jobs, repeat)] for repeat in range(3)]
    assert orders == [["a", "b", "c"], ["b", "c", "a"], ["c", "a", "b"]]
    assert [position for order in orders for position, name in enumerate(order) if name == "a"]


@pytest.mark.slow
def test_live_job_pushes_every_queued_row_and_reconciles_again(tmp_path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "bench.worker", "live", str(DOCUMENTS), "0"],
        capture_output=True, text=True, env=env, check=True, timeout=600,
    )  # fmt: skip
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["synced"] >= DOCUMENTS and result["tasks"] > 0
    assert result["queued"] > 0
    assert result["pushed"] == result["queued"] and result["push_dead"] == 0
    assert result["push_floor_rows"] == result["pushed"]  # the floor calls on the same rows
    assert result["push_cpu_s"] > 0  # the client's CPU for the push, printed per row
    assert 0 < result["fresh_records"] <= result["fresh_read"]


@pytest.mark.slow
def test_python_m_bench_prints_every_figure_from_one_run() -> None:
    # One repeat: each is nine fresh processes (imports, dlt's included), most of this test's
    # time; that repeats interleave is test_interleaving_puts_every_job_in_every_position's.
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--documents", str(DOCUMENTS), "--page-size",
         str(PAGE_SIZE), "--repeats", "1", "--quiet"],
        capture_output=True, text=True, env=env, check=False, timeout=900,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    for _, label, _, _ in report.INGEST_ROWS:
        assert label.split(",")[0] in done.stdout
    for words in ("peak memory", "push:", "reconcile of the whole store", "freshness",
                  "calls/s", "busday_offset"):  # fmt: skip
        assert words in done.stdout
    assert "COUNT MISMATCH" not in done.stdout
