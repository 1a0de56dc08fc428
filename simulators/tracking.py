"""The simulated provincial task-tracking system (TDNV): SOAP 1.1 behind an LGSP token endpoint.

SOAP endpoint `/tdnv/services/NhiemVuService` (WSDL: `?wsdl`, the file
connectors/wsdl/tracking.wsdl); `POST /token` issues OAuth2 client-credentials tokens,
required as `Authorization: Bearer` on the SOAP endpoint unless the cluster disables it.
Ledger, idempotency and late-mark rules live in simulators.state.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs

from lxml import etree
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from simulators.auth import TokenStore
from simulators.cursor import BadListingRequest, page_size, start_position
from simulators.faults import FaultPlan
from simulators.listing import list_changes
from simulators.soap import Builder, SoapEndpoint, SoapFault
from simulators.state import SimState
from simulators.timeutil import iso_local, local_date, parse_instant

NAMESPACE = "urn:tdnv:nhiemvu:1.0"
SERVICE_PATH = "/tdnv/services/NhiemVuService"
B = Builder(NAMESPACE)


def task_element(name: str, task: dict) -> etree._Element:
    element = etree.Element(f"{{{NAMESPACE}}}{name}")
    B.sub(element, "TaskId", task["id"])
    B.sub(element, "Title", task["title"])
    doc = task["source"]
    source = B.sub(element, "SourceDocument")
    B.sub(source, "NumberNotation", doc["number_notation"])
    B.sub(source, "IssuerCode", doc["organ_id"])
    B.sub(source, "IssuerName", doc["issuer_name"])
    B.sub(source, "IssueDate", doc["promulgated_on"])
    B.sub(source, "DocumentType", doc["doc_type"])
    B.sub(source, "Abstract", doc["abstract"])
    B.sub(source, "Signer", doc["signer"])
    B.sub(source, "AssigningText", task["assigning_text"])
    _unit(B.sub(element, "LeadUnit"), task["lead_unit"].tracking_id, task["lead_unit"].name)
    coordinating = B.sub(element, "CoordinatingUnits")
    for unit in task["coordinating_units"]:
        _unit(B.sub(coordinating, "Unit"), unit.tracking_id, unit.name)
    _unit(B.sub(element, "MonitoringUnit"), *task["monitoring_unit"])
    if task["deadline"] is not None:
        B.sub(element, "Deadline", _deadline_text(task, task["deadline"]))
    if task.get("original_deadline") is not None:
        B.sub(element, "OriginalDeadline", _deadline_text(task, task["original_deadline"]))
    B.sub(element, "TaskClass", task["task_class"])
    B.sub(element, "Status", task["status"])
    B.sub(element, "Timeliness", task["timeliness"])
    B.sub(element, "Revision", task["revision"])
    B.sub(element, "CreatedAt", iso_local(task["created_at"]))
    B.sub(element, "ChangedAt", iso_local(task["changed_at"]))
    if task["progress"]:
        p = task["progress"]
        progress = B.sub(element, "Progress")
        B.sub(progress, "Percent", p["percent"])
        B.sub(progress, "Text", p["text"])
        B.sub(progress, "ReportedAt", iso_local(p["reported_at"]))
        B.sub(progress, "ReceivedAt", iso_local(p["received_at"]))
    if task["completion"]:
        c = task["completion"]
        completion = B.sub(element, "Completion")
        B.sub(completion, "CompletedAt", iso_local(c["completed_at"]))
        B.sub(completion, "ReceivedAt", iso_local(c["received_at"]))
        B.sub(completion, "Source", c["source"])
        evidence = B.sub(completion, "Evidence")
        e = c["evidence"]
        B.sub(evidence, "NumberNotation", e["number_notation"])
        B.sub(evidence, "IssuerCode", e["organ_id"])
        B.sub(evidence, "IssuedAt", iso_local(e["issued_at"]))
        B.opt(evidence, "Abstract", e.get("abstract"))
    if task["late_mark"]:
        mark = B.sub(element, "LateMark")
        B.sub(mark, "Deadline", _deadline_text(task, task["late_mark"]["deadline"]))
        B.sub(mark, "MarkedAt", iso_local(task["late_mark"]["marked_at"]))
    for request in task["extensions"]:
        ext = B.sub(element, "ExtensionRequest")
        B.sub(ext, "ProposedDeadline", iso_local(request["proposed_deadline"]))
        B.sub(ext, "Reason", request["reason"])
        B.sub(ext, "ReceivedAt", iso_local(request["received_at"]))
        B.sub(ext, "Status", request["status"])
        if request.get("decided_at") is not None:
            B.sub(ext, "DecidedAt", iso_local(request["decided_at"]))
            B.sub(ext, "GrantedDeadline", _deadline_text(task, request["granted_deadline"]))
    return element


def _deadline_text(task: dict, instant: int) -> str:
    """A deadline as this deployment holds it: a date (``2024-02-15``) or a full instant."""
    return local_date(instant).isoformat() if task.get("deadline_is_date") else iso_local(instant)


def _unit(parent: etree._Element, unit_id: str, name: str) -> None:
    B.sub(parent, "UnitId", unit_id)
    B.sub(parent, "UnitName", name)


def corrupt(task: etree._Element) -> None:
    """A malformed record: no source number, or a deadline nobody can read."""
    deadline = task.find(f"{{{NAMESPACE}}}Deadline")
    if deadline is not None:
        deadline.text = "31/02/2024 25:61"
    else:
        number = task.find(f"{{{NAMESPACE}}}SourceDocument/{{{NAMESPACE}}}NumberNotation")
        number.getparent().remove(number)


def make_hostile(task: etree._Element, fields: dict[str, str]) -> None:
    """Set the text of each element named by a path relative to the task ('Revision',
    'LeadUnit/UnitId') to what a broken upstream sends; XML cannot carry NUL or a lone
    surrogate, so those cases are the REST server's."""
    for path, text in fields.items():
        element = task
        for step in path.split("/"):
            found = element.find(f"{{{NAMESPACE}}}{step}")
            element = found if found is not None else B.sub(element, step, "")
        element.text = text


def write_result(name: str, outcome: dict) -> etree._Element:
    if outcome["code"] in ("UNKNOWN_TASK", "IDEMPOTENCY_KEY_REQUIRED"):
        raise SoapFault("Client", outcome["message"], outcome["code"])
    element = B.element(name)
    B.sub(element, "Applied", outcome["applied"])
    B.sub(element, "Replayed", outcome["replayed"])
    B.sub(element, "Code", outcome["code"])
    B.sub(element, "Message", outcome["message"])
    B.sub(element, "LedgerSeq", outcome["seq"])
    result = outcome["result"]
    B.opt(element, "OnTime", result.get("onTime"))
    B.opt(element, "LateMarkKept", result.get("lateMarkKept"))
    B.opt(element, "ExtensionStatus", result.get("status"))
    return element


def _instant(request: etree._Element, name: str, parent: etree._Element | None = None) -> int:
    text = B.text(parent if parent is not None else request, name)
    try:
        return parse_instant(text or "")
    except ValueError:
        raise SoapFault(
            "Client", f"{name} {text!r} is not an xsd:dateTime", "BAD_REQUEST"
        ) from None


def challenge(problem: str) -> str:
    """RFC 6750 WWW-Authenticate value for a missing, unknown or expired bearer token."""
    return f'Bearer error="invalid_token", error_description="{problem}"'


def build_app(
    state: SimState,
    plan: FaultPlan,
    tokens: TokenStore,
    client: tuple[str, str],
    require_bearer: bool,
    extra_routes: list,
) -> Starlette:
    def index_of(task_id: str) -> int | None:
        return state.world.task_index(task_id)

    def list_changed(request: etree._Element) -> etree._Element:
        try:
            after = start_position(
                B.text(request, "Marker", False), B.text(request, "Cursor", False)
            )
            limit = page_size(B.text(request, "PageSize", False))
        except BadListingRequest as exc:
            raise SoapFault("Client", str(exc), "BAD_REQUEST") from None
        page = list_changes(state, plan, "tasks", after, limit, state.task)
        injection = plan.take_injection("tasks")
        response = B.element("ListChangedTasksResponse")
        for position, task in enumerate(page.records):
            element = task_element("Task", task)
            if position == page.malformed:
                corrupt(element)
            if injection is not None and position == len(page.records) // 2:
                make_hostile(element, injection.fields)
                plan.injected.append(("tasks", str(task["id"])))
            response.append(element)
        B.opt(response, "NextCursor", page.next_cursor)
        marker = (
            iso_local(page.marker) if page.marker is not None else B.text(request, "Marker", False)
        )
        if injection is not None and injection.marker is not None:
            marker = injection.marker
        B.opt(response, "Marker", marker)
        return response

    def get_task(request: etree._Element) -> etree._Element:
        task_id = B.text(request, "TaskId") or ""
        index = index_of(task_id)
        task = state.task(index, state.clock.now()) if index is not None else None
        if task is None:
            raise SoapFault("Client", f"no task {task_id!r}", "UNKNOWN_TASK")
        response = B.element("GetTaskResponse")
        response.append(task_element("Task", task))
        return response

    def report_progress(request: etree._Element) -> etree._Element:
        task_id = B.text(request, "TaskId") or ""
        try:
            percent = int(B.text(request, "Percent") or "")
        except ValueError:
            raise SoapFault("Client", "Percent must be an integer", "BAD_REQUEST") from None
        outcome = state.report_progress(
            index_of(task_id), task_id, B.text(request, "IdempotencyKey") or "",
            B.text(request, "ProgressText") or "", percent, _instant(request, "ReportedAt"),
        )  # fmt: skip
        return write_result("ReportProgressResponse", outcome)

    def report_completion(request: etree._Element) -> etree._Element:
        task_id = B.text(request, "TaskId") or ""
        evidence_element = B.child(request, "Evidence")
        evidence = {
            "number_notation": B.text(evidence_element, "NumberNotation"),
            "organ_id": B.text(evidence_element, "IssuerCode"),
            "issued_at": _instant(request, "IssuedAt", evidence_element),
            "abstract": B.text(evidence_element, "Abstract", False),
        }
        outcome = state.report_completion(
            index_of(task_id), task_id, B.text(request, "IdempotencyKey") or "", evidence,
            _instant(request, "CompletedAt"),
        )  # fmt: skip
        return write_result("ReportCompletionResponse", outcome)

    def request_extension(request: etree._Element) -> etree._Element:
        task_id = B.text(request, "TaskId") or ""
        outcome = state.request_extension(
            index_of(task_id), task_id, B.text(request, "IdempotencyKey") or "",
            B.text(request, "Reason") or "", _instant(request, "ProposedDeadline"),
        )  # fmt: skip
        return write_result("RequestExtensionResponse", outcome)

    endpoint = SoapEndpoint(
        NAMESPACE,
        "tracking.wsdl",
        {
            "ListChangedTasksRequest": list_changed,
            "GetTaskRequest": get_task,
            "ReportProgressRequest": report_progress,
            "ReportCompletionRequest": report_completion,
            "RequestExtensionRequest": request_extension,
        },
        {"ReportProgressRequest", "ReportCompletionRequest", "RequestExtensionRequest"},
        plan,
    )

    async def token(request: Request) -> Response:
        form = {
            k: v[0] for k, v in parse_qs((await request.body()).decode("utf-8", "replace")).items()
        }
        if form.get("grant_type") != "client_credentials":
            return JSONResponse({"error": "unsupported_grant_type"}, 400)
        if (form.get("client_id"), form.get("client_secret")) != client:
            return JSONResponse({"error": "invalid_client"}, 401)
        return JSONResponse(
            {"access_token": tokens.issue(), "token_type": "Bearer", "expires_in": tokens.ttl}
        )

    async def service(request: Request) -> Response:
        if request.method == "GET":
            if request.url.query.lower() == "wsdl":
                return endpoint.wsdl(request)
            return Response("use ?wsdl or POST a SOAP request", 405)
        if require_bearer:
            header = request.headers.get("Authorization", "")
            scheme, _, value = header.partition(" ")
            problem = tokens.problem(value if scheme.lower() == "bearer" else None)
            if problem is not None:
                return Response(
                    json.dumps({"error": "invalid_token", "error_description": problem}),
                    401,
                    headers={"WWW-Authenticate": challenge(problem)},
                    media_type="application/json",
                )
        return await endpoint.handle(request)

    routes = [
        Route("/token", token, methods=["POST"]),
        Route(SERVICE_PATH, service, methods=["GET", "POST"]),
        *extra_routes,
    ]
    return Starlette(routes=routes)
