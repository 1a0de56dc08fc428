"""dlt on the same REST endpoint: the yardstick for ingest (the only module importing dlt).

dlt is a bench-only extra (``pip install .[bench]``), never a runtime dependency. The resource
pages through the same replayed listing with the same page size; dlt normalises the records
(nested objects flattened, lists into child tables) and loads them into DuckDB, appending or
merging on ``id``. Its file format is parquet when pyarrow is installed, else jsonl (the
report says which).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import requests

from bench import replay

# No telemetry or network from dlt itself: the bench talks to loopback only.
os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")


def file_format() -> str:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return "jsonl"
    return "parquet"


def _items(base_url: str, page_size: int, seen: list[int]):  # type: ignore[no-untyped-def]
    session = requests.Session()
    login = session.post(base_url + replay.REST_LOGIN, json={}, timeout=60).json()
    session.headers["X-Authentication-Token"] = login["data"]["token"]
    params: dict[str, Any] = {"limit": page_size}
    while True:
        data = session.get(base_url + replay.REST_LISTING, params=params, timeout=120).json()
        seen.append(len(data["data"]["items"]))
        yield data["data"]["items"]
        cursor = data["data"].get("nextCursor")
        if not cursor:
            return
        params = {"limit": page_size, "cursor": cursor}


def prepare() -> None:
    import dlt  # noqa: F401


def run(base_url: str, page_size: int, directory: Path, disposition: str) -> dict[str, int]:
    """Load the listing into a fresh DuckDB file under ``directory``; rows in the table."""
    import dlt

    seen: list[int] = []
    resource = dlt.resource(
        _items(base_url, page_size, seen), name="documents", primary_key="id",
        write_disposition=disposition,
    )  # fmt: skip
    pipeline = dlt.pipeline(
        pipeline_name=f"bench_{disposition}",
        pipelines_dir=str(directory / "dlt"),
        destination=dlt.destinations.duckdb(str(directory / "dlt.duckdb")),
        dataset_name="bench",
    )
    pipeline.run(resource, loader_file_format=file_format())
    with pipeline.sql_client() as client:
        stored = client.execute_sql("SELECT count(*) FROM documents")[0][0]
    return {"fetched": sum(seen), "stored": int(stored)}
