"""Admin endpoints mounted on every simulated server (they share one clock and one state).

GET  /admin/clock                       {"now", "speed"}
POST /admin/clock/advance               {"minutes": N} | {"seconds": N} | {"until": iso}
                                        | {"speed": simulated seconds per real second}
GET  /admin/ground-truth?kind=K         JSON lines, streamed (kinds: simulators.groundtruth)
GET  /admin/faults                      the fault plan of every server
POST /admin/faults                      {"server": name, "faults": {kind: {rate, next, ...}},
                                         "clear": false}
POST /admin/tracking/grant-extension    {"task_id", "deadline"?}: the monitoring unit grants the
                                        task's pending extension request (to its proposed
                                        deadline, or to "deadline"), or extends it directly
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from simulators import groundtruth
from simulators.deadline_rules import WriteRejected
from simulators.faults import FaultPlan, apply_settings
from simulators.state import SimState
from simulators.timeutil import iso_local, parse_instant


def routes(state: SimState, plans: dict[str, FaultPlan]) -> list[Route]:
    def clock_view() -> dict:
        return {"now": iso_local(state.clock.now()), "speed": state.clock.speed}

    def get_clock(request: Request) -> Response:
        return JSONResponse(clock_view())

    async def advance(request: Request) -> Response:
        try:
            body = await request.json()
            if "speed" in body:
                state.clock.set_speed(float(body["speed"]))
            if "until" in body:
                state.clock.advance_until(parse_instant(str(body["until"])))
            seconds = int(body.get("seconds", 0)) + int(float(body.get("minutes", 0)) * 60)
            if seconds:
                state.clock.advance(seconds)
        except (ValueError, TypeError, AttributeError) as exc:
            return JSONResponse({"error": f"cannot move the clock: {exc}"}, 400)
        return JSONResponse(clock_view())

    def ground_truth(request: Request) -> Response:
        kind = request.query_params.get("kind", "")
        if kind not in groundtruth.KINDS:
            return JSONResponse({"error": f"kind must be one of {groundtruth.KINDS}"}, 400)

        def lines() -> Iterator[bytes]:
            for record in groundtruth.iterate(state, kind):
                yield json.dumps(record, ensure_ascii=False).encode() + b"\n"

        return StreamingResponse(lines(), media_type="application/x-ndjson")

    def get_faults(request: Request) -> Response:
        return JSONResponse({name: plan.describe() for name, plan in plans.items()})

    async def set_faults(request: Request) -> Response:
        try:
            body = await request.json()
            plan = plans[body["server"]]
            if body.get("clear"):
                plan.clear()
            for kind, settings in (body.get("faults") or {}).items():
                apply_settings(plan, kind, settings)
        except KeyError as exc:
            return JSONResponse({"error": f"unknown or missing {exc}; servers: {list(plans)}"}, 400)
        except (ValueError, TypeError, AttributeError) as exc:
            return JSONResponse({"error": str(exc)}, 400)
        return JSONResponse({name: p.describe() for name, p in plans.items()})

    async def grant_extension(request: Request) -> Response:
        try:
            body = await request.json()
            deadline = parse_instant(str(body["deadline"])) if body.get("deadline") else None
            granted = state.grant_extension(str(body["task_id"]), deadline)
        except WriteRejected as exc:
            return JSONResponse({"error": exc.message, "code": exc.code}, exc.status)
        except (KeyError, ValueError, TypeError, AttributeError) as exc:
            return JSONResponse({"error": f"cannot grant: {exc}"}, 400)
        return JSONResponse(
            {**granted, "deadline": iso_local(granted["deadline"]),
             "decided_at": iso_local(granted["decided_at"])}
        )  # fmt: skip

    return [
        Route("/admin/tracking/grant-extension", grant_extension, methods=["POST"]),
        Route("/admin/clock", get_clock, methods=["GET"]),
        Route("/admin/clock/advance", advance, methods=["POST"]),
        Route("/admin/ground-truth", ground_truth, methods=["GET"]),
        Route("/admin/faults", get_faults, methods=["GET"]),
        Route("/admin/faults", set_faults, methods=["POST"]),
    ]
