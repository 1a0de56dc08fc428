"""Run the measured jobs repeated and interleaved, each in a fresh process; medians and spread.

Each repeat runs every job once, in an order rotated by one each time, so no job always goes
first (cold disk cache, a quiet moment) and a burst of load from elsewhere on the machine lands
on different jobs in different repeats. A figure is the median of its repeats; the spread is
the lowest and highest.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Job:
    name: str  # the label the report shows
    kind: str  # a bench.worker job
    address: str
    page_size: int
    documents: int  # what the listing holds: the docs/s numerator when the job cannot count


@dataclass
class Figure:
    job: Job
    runs: list[dict[str, Any]] = field(default_factory=list)

    def rates(self, key: str = "seconds") -> list[float]:
        return [run.get("fetched", self.job.documents) / run[key] for run in self.runs]

    @property
    def median(self) -> float:
        return statistics.median(self.rates())

    @property
    def spread(self) -> tuple[float, float]:
        rates = self.rates()
        return min(rates), max(rates)

    def median_of(self, key: str) -> float:
        return statistics.median(run[key] for run in self.runs)

    @property
    def peak_rss_mb(self) -> float:
        return max(run["peak_rss_mb"] for run in self.runs)


def run_worker(job: Job) -> dict[str, Any]:
    """One job in a fresh interpreter; its JSON line."""
    root = str(Path(__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": root + os.pathsep + os.environ.get("PYTHONPATH", "")}
    argv = [sys.executable, "-m", "bench.worker", job.kind, job.address, str(job.page_size)]
    done = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-1:] or ["no output"]
        raise RuntimeError(f"bench job {job.name} failed: {tail[0]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def order(jobs: list[Job], repeat: int) -> list[Job]:
    shift = repeat % len(jobs) if jobs else 0
    return jobs[shift:] + jobs[:shift]


def run(
    jobs: list[Job],
    repeats: int,
    runner: Callable[[Job], dict[str, Any]] = run_worker,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Figure]:
    figures = {job.name: Figure(job) for job in jobs}
    for repeat in range(repeats):
        for job in order(jobs, repeat):
            result = runner(job)
            figures[job.name].runs.append(result)
            if progress:
                progress(f"repeat {repeat + 1}/{repeats} {job.name}: {result['seconds']:.2f} s")
    return figures
