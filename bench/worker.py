"""One measured job in a fresh process: ``python -m bench.worker JOB ADDRESS PAGE_SIZE``.

A process per job, so each peak memory figure (``VmHWM``) is that job's alone and no job
inherits another's warm caches or garbage. Setup (imports, an empty store with the bridge's
schema) is done before the clock starts; only the job is timed. Prints one JSON line.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.simulator_memory_bench import peak_rss_mb


def _jobs() -> dict[str, Callable[..., dict[str, Any]]]:
    from bench import bridge_jobs, floors, live

    return {
        "live": lambda documents, _page_size, engine: live.run(int(documents), engine),
        "download": floors.download,
        "floor_rest": floors.floor_rest,
        "floor_soap": floors.floor_soap,
        "bridge_rest": bridge_jobs.bridge_rest,
        "bridge_soap": bridge_jobs.bridge_soap,
    }


def run(job: str, address: str, page_size: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        if job.startswith("dlt_"):
            from bench import dlt_job

            dlt_job.prepare()  # imports dlt before the clock starts, like the bridge's modules
            started = time.perf_counter()
            result = dlt_job.run(address, page_size, Path(tmp), job.removeprefix("dlt_"))
            seconds = time.perf_counter() - started
        else:
            from store import database

            url = f"sqlite:///{Path(tmp) / 'store.db'}"
            database.upgrade(url)
            engine = database.connect(url)
            function = _jobs()[job]
            if job.startswith("bridge_") or job == "live":
                from bench.bridge_jobs import prepare

                prepare()  # imports and the mapping files, before the clock starts
            started = time.perf_counter()
            result = function(address, page_size, engine)
            seconds = time.perf_counter() - started
            engine.dispose()
    return {"job": job, "seconds": seconds, "peak_rss_mb": peak_rss_mb(), **result}


def main(argv: list[str]) -> int:
    job, address, page_size = argv
    print(json.dumps(run(job, address, int(page_size))), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
