"""Peak memory and listing speed of the simulators: a 100,000-document world against 1,000.

    python -m bench.simulator_memory_bench [--sizes 1000 100000]

Each size runs in its own process (peak RSS only ever grows within a process): it builds the
world, starts the real servers on loopback and pages through the full iOffice listing of
incoming documents over HTTP, counting records without keeping them. Figures are printed,
never asserted.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import requests


def peak_rss_mb() -> float:
    """This process's peak resident memory.

    VmHWM belongs to the address space made at exec; ``ru_maxrss`` would not do, because on
    Linux it keeps the parent's high-water mark across fork and exec, and the parent here is
    the bench runner, which has loaded numpy for the calendar bench.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def measure(size: int) -> dict:
    from simulators.harness import SimulatorCluster

    started = time.perf_counter()
    with SimulatorCluster(size=size, seed=7) as sim:
        built = time.perf_counter() - started
        session = requests.Session()
        token = session.post(
            f"{sim.ioffice_url}/qlvb/api/login", json=sim.ioffice_credentials
        ).json()["data"]["token"]
        session.headers["X-Authentication-Token"] = token
        listed, cursor = 0, None
        started = time.perf_counter()
        while True:
            params = {"limit": 500, **({"cursor": cursor} if cursor else {})}
            data = session.get(f"{sim.ioffice_url}/qlvb/api/van-ban-den/thay-doi", params=params)
            page = data.json()["data"]
            listed += len(page["items"])
            cursor = page["nextCursor"]
            if cursor is None:
                break
        elapsed = time.perf_counter() - started
    return {
        "size": size,
        "listed": listed,
        "build_s": round(built, 2),
        "list_s": round(elapsed, 2),
        "docs_per_s": round(listed / elapsed),
        "peak_rss_mb": peak_rss_mb(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 100_000])
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(measure(args.one)))
        return 0
    rows = []
    for size in args.sizes:
        child = subprocess.run(
            [sys.executable, "-m", "bench.simulator_memory_bench", "--one", str(size)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        rows.append(json.loads(child.stdout.strip().splitlines()[-1]))
    header = ("documents", "listed", "build s", "list s", "docs/s", "peak RSS")
    print("{:>10} {:>8} {:>8} {:>7} {:>7} {:>9}".format(*header))
    for row in rows:
        print(
            f"{row['size']:>10} {row['listed']:>8} {row['build_s']:>8} {row['list_s']:>7} "
            f"{row['docs_per_s']:>7} {row['peak_rss_mb']:>7} MB"
        )
    floor = rows[0]["peak_rss_mb"]
    for row in rows[1:]:
        print(
            f"{row['size']} documents use {row['peak_rss_mb'] - floor:+.1f} MB over the "
            f"{rows[0]['size']}-document floor ({row['size'] // rows[0]['size']}x the world)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
