"""`make bench` (python -m bench): the bridge's speed and memory, each figure against its floor.

    python -m bench [--documents 5000] [--page-size 500] [--repeats 3] [--no-live] [--no-calendar]

1. The simulators' answers for ``--documents`` documents are recorded once (bench/replay.py),
   then served at once by a replay server in a process of its own: what is measured is the
   client, not the simulators, and no job shares an interpreter lock with its server.
2. Ingest jobs, each in a fresh process (bench/worker.py), repeated and interleaved
   (bench/suite.py): download only; the floors (download + decode + validate + upsert into
   the same SQLite schema, REST and SOAP, bench/floors.py); dlt on the same listing into DuckDB
   (bench/dlt_job.py); the bridge's own ingest (bench/bridge_jobs.py); and the bridge's REST
   ingest of a quarter of the listing, for peak memory against size.
3. Push rows/s and reconcile freshness against the real simulators (bench/live.py).
4. Working-day arithmetic: scalar calls/s and the batch API against numpy.busday_offset
   (bench/calendar_bench.py).

Figures are printed, never asserted (docs/design.md, "Quality bar").
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

from bench import report, suite
from bench.replay import listed, load_index
from bench.servers import ReplayServer


def _record(directory: Path, documents: int, page_size: int) -> dict:
    root = str(Path(__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": root + os.pathsep + os.environ.get("PYTHONPATH", "")}
    subprocess.run(
        [sys.executable, "-m", "bench.replay", "record", str(directory),
         "--documents", str(documents), "--page-size", str(page_size)],
        check=True, env=env, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    return load_index(directory)


def ingest_jobs(full: ReplayServer, quarter: ReplayServer, index: dict, quarter_pages: int,
                page_size: int) -> list[suite.Job]:  # fmt: skip
    rest, soap = listed(index, "rest"), listed(index, "soap")
    small = listed(index, "rest", quarter_pages)
    return [
        suite.Job("download", "download", full.url, page_size, rest),
        suite.Job("floor_rest", "floor_rest", full.url, page_size, rest),
        suite.Job("dlt_append", "dlt_append", full.url, page_size, rest),
        suite.Job("dlt_merge", "dlt_merge", full.url, page_size, rest),
        suite.Job("bridge_rest", "bridge_rest", full.url, page_size, rest),
        suite.Job("floor_soap", "floor_soap", full.soap_address, page_size, soap),
        # The bridge is given the service root, as in its settings; the floor posts to the
        # endpoint itself.
        suite.Job("bridge_soap", "bridge_soap", full.url, page_size, soap),
        suite.Job("bridge_rest_quarter", "bridge_rest", quarter.url, page_size, small),
    ]


def check_counts(figures: dict[str, suite.Figure]) -> list[str]:
    """Every job must have read the whole listing, or its figure means nothing."""
    problems = []
    for name, figure in figures.items():
        for run in figure.runs:
            if "fetched" in run and run["fetched"] != figure.job.documents:
                problems.append(f"{name} read {run['fetched']} of {figure.job.documents} records")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=5000, help="documents in the world")
    parser.add_argument("--page-size", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-live", action="store_true", help="skip push and reconcile")
    parser.add_argument("--no-calendar", action="store_true")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    args = parser.parse_args(argv)
    progress = (
        None if args.quiet else (lambda line: print(f"  … {line}", file=sys.stderr, flush=True))
    )

    print(f"python -m bench: {args.documents:,} documents, pages of {args.page_size}, "
          f"median of {args.repeats} interleaved runs, each job in a fresh process; "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}, "
          f"Python {platform.python_version()}", flush=True)  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="bench-replay-") as tmp:
        index = _record(Path(tmp), args.documents, args.page_size)
        quarter_pages = max(1, math.ceil(len(index["rest"]) / 4))
        with ReplayServer(Path(tmp)) as full, ReplayServer(Path(tmp), quarter_pages) as quarter:
            jobs = ingest_jobs(full, quarter, index, quarter_pages, args.page_size)
            if not args.no_live:
                jobs.append(suite.Job("live", "live", str(args.documents), 0, args.documents))
            figures = suite.run(jobs, args.repeats, progress=progress)

    from bench.dlt_job import file_format

    print()
    print("ingest from the replay server (the simulators' exact answers, served at once in a "
          "process of their own; so the client is what is measured):")  # fmt: skip
    for line in report.ingest_table(figures, file_format()):
        print("  " + line)
    print("  (× floor and × dlt are ratios of medians; the floors store one table and keep no raw "
          "payload, hash, cursor, run log or dead letter, which the bridge does)")  # fmt: skip
    for line in report.memory_lines(figures) + report.live_lines(figures.get("live")):
        print(line)
    problems = check_counts({n: f for n, f in figures.items() if n != "live"})
    for problem in problems:
        print(f"COUNT MISMATCH: {problem}")
    if not args.no_calendar:
        from bench import calendar_bench

        print()
        print("working-day arithmetic (bench/calendar_bench.py):", flush=True)
        calendar_bench.main()
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
