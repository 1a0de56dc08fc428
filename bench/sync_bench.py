"""The sync engine's speed and memory: ingest against the floor of merely downloading and parsing,
push throughput, and peak memory as the world grows.

    python -m bench.sync_bench [--size 20000] [--memory-sizes 100000 300000]

* **ingest** (REST = iOffice incoming, SOAP = iDesk incoming): documents per second into a
  fresh SQLite store, against the floor measured in the same run on the same world: the
  connector paging through the same listing, downloading and parsing every page, storing
  nothing. The ratio says what normalising and writing cost on top of the network.
* **push**: outbox rows sent and read back per second (completions and deadlines), after a
  sync and reconcile of the same world.
* **memory**: each world size ingested in its own process (peak RSS only ever grows within a
  process), simulators included; the figure must not grow with the world, since ingest holds
  one page at a time.

Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from bench.simulator_memory_bench import peak_rss_mb


def _connectors(sim) -> dict:  # type: ignore[no-untyped-def]
    from connectors.http import RetryPolicy
    from connectors.idesk import IDeskConnector
    from connectors.ioffice import IOfficeConnector
    from connectors.tracking import LgspToken, TrackingConnector

    policy = RetryPolicy(max_attempts=3, backoff_initial_s=0.01, backoff_max_s=0.1)
    token = LgspToken(sim.token_url, **sim.tracking_credentials, policy=policy)
    return {
        "ioffice": IOfficeConnector(
            sim.ioffice_url, **sim.ioffice_credentials, policy=policy, page_size=500
        ),
        "idesk": IDeskConnector(sim.idesk_url, *sim.idesk_credentials, policy=policy),
        "tracking": TrackingConnector(sim.tracking_url, token=token, policy=policy),
    }


def _store(directory: str, name: str):  # type: ignore[no-untyped-def]
    from store import database

    url = f"sqlite:///{Path(directory) / name}"
    database.upgrade(url)
    return database.connect(url)


def _floor(connector, stream: str) -> tuple[int, float]:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    records = sum(len(page.records) for page in connector.list_changed(stream, None))
    return records, time.perf_counter() - started


def _ingest(engine, connector, catalog, stream: str) -> tuple[int, float]:  # type: ignore[no-untyped-def]
    from pipelines import sync

    started = time.perf_counter()
    counts = sync.sync_system(engine, connector, catalog, streams=[stream])[stream]
    return counts.fetched, time.perf_counter() - started


def speed(size: int) -> None:
    from pipelines import push, reconcile, sync
    from simulators.harness import SimulatorCluster

    print(f"world of {size:,} documents (seed 7), SQLite store, simulators in-process")
    with SimulatorCluster(size=size, seed=7) as sim, tempfile.TemporaryDirectory() as tmp:
        connectors, catalog = _connectors(sim), sync.Catalog.load()
        for label, system in (("REST (iOffice)", "ioffice"), ("SOAP (iDesk)", "idesk")):
            floor_n, floor_s = _floor(connectors[system], "incoming")
            engine = _store(tmp, f"{system}.db")
            done_n, done_s = _ingest(engine, connectors[system], catalog, "incoming")
            started = time.perf_counter()
            again = sync.resync(engine, connectors[system], catalog, stream="incoming")
            again_n, again_s = again.fetched, time.perf_counter() - started
            engine.dispose()
            print(
                f"  ingest {label:<15} floor (download + parse) {floor_n / floor_s:>8,.0f} docs/s"
                f" | first sync {done_n / done_s:>7,.0f} docs/s ({floor_s / done_s:.2f}× floor)"
                f" | full resync, all unchanged {again_n / again_s:>7,.0f} docs/s"
            )

        engine = _store(tmp, "push.db")
        for name in ("ioffice", "tracking"):
            sync.sync_system(engine, connectors[name], catalog)
        reconcile.reconcile(engine, datetime.fromisoformat(sim.now()))
        # As push_step sends: 4 senders per system (push_workers), a connector each.
        sim.reset_load()
        started = time.perf_counter()
        pushed = push.push_due(
            engine, connectors, max_attempts=3, workers={"ioffice": 4, "tracking": 4},
            connect=lambda name: _connectors(sim)[name],
        )  # fmt: skip
        elapsed = time.perf_counter() - started
        engine.dispose()
        peaks = ", ".join(f"{name} {sim.peak_in_flight(name)}" for name in ("ioffice", "tracking"))
        print(
            f"  push: {pushed.done:,} rows sent and read back in {elapsed:.1f} s = "
            f"{pushed.done / elapsed:,.0f} rows/s ({pushed.dead} dead; 4 senders per system, "
            f"peak requests in flight: {peaks})"
        )


def memory_of(size: int) -> dict:
    """One world size, in this process: ingest iOffice incoming into a fresh store."""
    from pipelines import sync
    from simulators.harness import SimulatorCluster

    with SimulatorCluster(size=size, seed=7) as sim, tempfile.TemporaryDirectory() as tmp:
        baseline = peak_rss_mb()
        connectors, catalog = _connectors(sim), sync.Catalog.load()
        engine = _store(tmp, "memory.db")
        fetched, elapsed = _ingest(engine, connectors["ioffice"], catalog, "incoming")
        engine.dispose()
    return {
        "size": size,
        "fetched": fetched,
        "seconds": round(elapsed, 1),
        "peak_before_ingest_mb": baseline,
        "peak_rss_mb": peak_rss_mb(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=20_000)
    parser.add_argument("--memory-sizes", type=int, nargs="*", default=[100_000, 300_000])
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv if argv is not None else [])
    if args.one:
        print(json.dumps(memory_of(args.one)))
        return 0
    speed(args.size)
    for size in args.memory_sizes:
        result = subprocess.run(
            [sys.executable, "-m", "bench.sync_bench", "--one", str(size)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        row = json.loads(result.stdout.strip().splitlines()[-1])
        print(
            f"  memory: {row['size']:>7,} documents ingested ({row['fetched']:,} records, "
            f"{row['seconds']} s): peak RSS {row['peak_rss_mb']} MB "
            f"(simulators built, before ingest: {row['peak_before_ingest_mb']} MB)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
