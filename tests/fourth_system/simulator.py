"""A tiny REST system for the fourth-system test: a register of incoming documents.

It derives nothing from the bridge (it imports none of it): its records are its own, in its
own field names (``docId``, ``symbol``, ``issuer``...), listed oldest change first from a
change marker in pages with a continuation token, read one by one, and given a processing
deadline by a keyed write (a resend with the same key is answered "replayed" and applied once).
Every call needs the ``X-Api-Key`` header. One record has a promulgation date that is not a
date, as a real register sometimes has.
"""

from __future__ import annotations

import socket
import threading
import time
from datetime import datetime, timedelta, timezone

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

API_KEY = "fourth-test-key"  # guards nothing real
ICT = timezone(timedelta(hours=7))
START = datetime(2024, 3, 1, 8, 0, tzinfo=ICT)
BROKEN_ID = "D-0007"  # its promulgation date reads "31/02/2024"


def make_records(count: int) -> list[dict]:
    records = []
    for number in range(1, count + 1):
        record_id = f"D-{number:04d}"
        changed = START + timedelta(minutes=7 * number)
        issued = "31/02/2024" if record_id == BROKEN_ID else f"{number % 27 + 1:02d}/02/2024"
        records.append({
            "docId": record_id,
            "symbol": f"{100 + number}/UBND-VP",
            "issuer": "000.00.00.H41",
            "issuedOn": issued,
            "summary": f"Về việc triển khai nhiệm vụ số {number} của hệ thống thứ tư",
            "receivedAt": changed.isoformat(),
            "changedAt": changed.isoformat(),
            "deadline": None,
        })  # fmt: skip
    return records


def _changed(record: dict) -> datetime:
    return datetime.fromisoformat(record["changedAt"])


class FourthSystem:
    """The records and what was written to them, counted per idempotency key."""

    def __init__(self, count: int = 23) -> None:
        self.records = make_records(count)
        self.writes: dict[str, int] = {}

    def app(self) -> Starlette:
        return Starlette(routes=[
            Route("/api/documents", self.listing),
            Route("/api/documents/{doc_id}", self.one),
            Route("/api/documents/{doc_id}/deadline", self.set_deadline, methods=["PUT"]),
        ])  # fmt: skip

    @staticmethod
    def _refused(request: Request) -> JSONResponse | None:
        if request.headers.get("x-api-key") != API_KEY:
            return JSONResponse({"error": "UNAUTHORIZED"}, status_code=401)
        return None

    async def listing(self, request: Request) -> JSONResponse:
        if refused := self._refused(request):
            return refused
        since = request.query_params.get("since")
        limit = int(request.query_params.get("limit", "10"))
        position = int(request.query_params.get("page", "0"))
        start = datetime.fromisoformat(since) if since else None
        wanted = [r for r in self.records if start is None or _changed(r) >= start]
        page = wanted[position : position + limit]
        more = position + limit < len(wanted)
        return JSONResponse({
            "documents": page,
            "changedUpTo": page[-1]["changedAt"] if page else since,
            "nextPage": position + limit if more else None,
        })  # fmt: skip

    def _find(self, doc_id: str) -> dict | None:
        return next((r for r in self.records if r["docId"] == doc_id), None)

    async def one(self, request: Request) -> JSONResponse:
        if refused := self._refused(request):
            return refused
        record = self._find(request.path_params["doc_id"])
        if record is None:
            return JSONResponse({"error": "NOT_FOUND"}, status_code=404)
        return JSONResponse(record)

    async def set_deadline(self, request: Request) -> JSONResponse:
        if refused := self._refused(request):
            return refused
        record = self._find(request.path_params["doc_id"])
        key = request.headers.get("idempotency-key")
        if record is None or not key:
            return JSONResponse({"error": "BAD_REQUEST"}, status_code=400)
        self.writes[key] = self.writes.get(key, 0) + 1
        if self.writes[key] == 1:
            record["deadline"] = (await request.json())["deadline"]
        return JSONResponse({"applied": True, "replayed": self.writes[key] > 1})


class Served:
    """The system on a loopback port the OS picks, in a background thread (as
    simulators/harness.py serves the others)."""

    def __init__(self, system: FourthSystem) -> None:
        self.system = system
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self.socket.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.socket.getsockname()[1]}"
        config = uvicorn.Config(system.app(), log_level="critical", access_log=False,
                                lifespan="off", timeout_graceful_shutdown=1)  # fmt: skip
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.socket]},
                                       name="sim-fourth", daemon=True)  # fmt: skip

    def __enter__(self) -> Served:
        self.thread.start()
        while not self.server.started:
            time.sleep(0.01)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.socket.close()
