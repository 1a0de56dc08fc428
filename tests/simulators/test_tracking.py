"""Tracking SOAP: WSDL in zeep, LGSP tokens, listing, ledger, idempotency and the late-mark rule."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import requests
import zeep
from lxml import etree
from zeep.transports import Transport

from simulators.timeutil import iso_local, parse_instant
from tests.simulators.conftest import SOAP_ENV, TDNV, Tracking, fault_of

WSDL_DIR = Path(__file__).resolve().parents[2] / "connectors" / "wsdl"
STRICT = zeep.Settings(strict=True, forbid_dtd=True, forbid_entities=True, forbid_external=True)


def schema_of(wsdl: str) -> etree.XMLSchema:
    tree = etree.parse(str(WSDL_DIR / wsdl))
    schema = tree.find(".//{http://www.w3.org/2001/XMLSchema}schema")
    return etree.XMLSchema(schema)


def open_task(sim, skip: int = 0) -> dict:
    """A task whose deadline is still ahead and that nobody has completed."""
    now = sim.now()
    candidates = [
        t for t in sim.ground_truth("tasks")
        if t["deadline"] and t["deadline"] > now and t["status"] != "DONE"
        and not t["extension_requests"]
    ]  # fmt: skip
    return candidates[skip]


def evidence(issued_at: str) -> dict:
    return {"NumberNotation": "15/STTTT-CNTT", "IssuerCode": "000.00.30.H41",
            "IssuedAt": issued_at, "Abstract": "V/v báo cáo kết quả"}  # fmt: skip


def text(element: etree._Element, path: str) -> str | None:
    return element.findtext("/".join(f"{{{TDNV}}}{part}" for part in path.split("/")))


@pytest.mark.parametrize("wsdl", ["tracking.wsdl", "idesk.wsdl"])
def test_the_wsdls_load_in_zeep_with_strict_settings(wsdl: str) -> None:
    client = zeep.Client(str(WSDL_DIR / wsdl), settings=STRICT)
    assert next(iter(client.wsdl.services.values())).ports


def test_a_zeep_client_built_from_the_file_calls_the_simulator(sim) -> None:
    token = Tracking(sim).token
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    client = zeep.Client(
        str(WSDL_DIR / "tracking.wsdl"), settings=STRICT, transport=Transport(session=session)
    )
    service = client.create_service("{urn:tdnv:nhiemvu:1.0}NhiemVuBinding", sim.tracking_endpoint)
    page = service.ListChangedTasks(PageSize=5)
    assert len(page.Task) == 5 and page.NextCursor
    task = service.GetTask(TaskId=page.Task[0].TaskId)
    assert task.TaskId == page.Task[0].TaskId
    assert task.SourceDocument.NumberNotation == page.Task[0].SourceDocument.NumberNotation


def test_the_soap_endpoint_wants_an_lgsp_bearer_token(sim) -> None:
    bad = requests.post(
        sim.token_url, data={"grant_type": "client_credentials", "client_id": "x",
                             "client_secret": "y"},
    )  # fmt: skip
    assert bad.status_code == 401 and bad.json()["error"] == "invalid_client"
    tracking = Tracking(sim)
    tracking.token = "forged"
    answer = tracking.post("GetTaskRequest", TaskId="NV2024-0000001")
    assert answer.status_code == 401 and "invalid_token" in answer.headers["WWW-Authenticate"]


def test_the_wsdl_is_served_with_this_servers_address(sim) -> None:
    answer = requests.get(f"{sim.tracking_endpoint}?wsdl")
    assert answer.status_code == 200
    assert f'location="{sim.tracking_endpoint}"' in answer.text


def test_a_full_listing_matches_the_ground_truth_and_validates_against_the_wsdl(sim) -> None:
    tracking = Tracking(sim)
    schema = schema_of("tracking.wsdl")
    page = tracking.post("ListChangedTasksRequest", PageSize=40)
    schema.assertValid(etree.fromstring(page.content)[0][0])
    tasks = tracking.list_all(page_size=40)
    ids = [text(t, "TaskId") for t in tasks]
    assert len(ids) == len(set(ids))
    assert set(ids) == {t["id"] for t in sim.ground_truth("tasks")}
    changed = [parse_instant(text(t, "ChangedAt")) for t in tasks]
    assert changed == sorted(changed)
    # Tracking unit ids are the tracking system's own, not iOffice's.
    assert all(text(t, "LeadUnit/UnitId").startswith("TD-") for t in tasks)


def test_completion_reported_before_the_deadline_means_no_late_mark(sim) -> None:
    tracking = Tracking(sim)
    task = open_task(sim)
    result = tracking.call(
        "ReportCompletionRequest", TaskId=task["id"], IdempotencyKey=str(uuid.uuid4()),
        Evidence=evidence(sim.now()), CompletedAt=sim.now(),
    )  # fmt: skip
    assert text(result, "Applied") == "true" and text(result, "OnTime") == "true"
    sim.advance(until=task["deadline"])
    sim.advance(minutes=24 * 60)
    tracking.token = tracking.fetch_token()
    after = tracking.call("GetTaskRequest", TaskId=task["id"])
    assert text(after, "Task/LateMark/MarkedAt") is None
    assert (text(after, "Task/Status"), text(after, "Task/Timeliness")) == ("DONE", "ON_TIME")
    assert task["id"] not in {m["task_id"] for m in sim.ground_truth("late_marks")}


def test_a_late_completion_never_clears_the_late_mark_even_with_early_evidence(sim) -> None:
    tracking = Tracking(sim)
    task = open_task(sim)
    sim.advance(until=task["deadline"])
    assert task["id"] not in {m["task_id"] for m in sim.ground_truth("late_marks")}
    sim.advance(seconds=1)  # the clock passes the deadline with no completion recorded
    marks = {m["task_id"]: m for m in sim.ground_truth("late_marks")}
    assert marks[task["id"]]["marked_at"] == task["deadline"]
    tracking.token = tracking.fetch_token()
    # The response was signed an hour before the deadline; the system was told too late.
    signed = iso_local(parse_instant(task["deadline"]) - 3600)
    result = tracking.call(
        "ReportCompletionRequest", TaskId=task["id"], IdempotencyKey=str(uuid.uuid4()),
        Evidence=evidence(signed), CompletedAt=signed,
    )  # fmt: skip
    assert text(result, "Applied") == "true"
    assert (text(result, "OnTime"), text(result, "LateMarkKept")) == ("false", "true")
    after = tracking.call("GetTaskRequest", TaskId=task["id"])
    schema_of("tracking.wsdl").assertValid(after)
    assert text(after, "Task/LateMark/MarkedAt") == task["deadline"]
    assert (text(after, "Task/Status"), text(after, "Task/Timeliness")) == ("DONE", "LATE")
    assert text(after, "Task/Completion/CompletedAt") == signed


def test_an_idempotency_key_is_applied_once_and_replays_the_first_answer(sim) -> None:
    tracking = Tracking(sim)
    task = open_task(sim)
    key = str(uuid.uuid4())
    fields = {"TaskId": task["id"], "IdempotencyKey": key, "ProgressText": "Đang dự thảo",
              "Percent": 40, "ReportedAt": sim.now()}  # fmt: skip
    first = tracking.call("ReportProgressRequest", **fields)
    second = tracking.call("ReportProgressRequest", **fields)
    assert (text(first, "Applied"), text(first, "Replayed")) == ("true", "false")
    assert text(second, "Replayed") == "true"
    assert text(second, "LedgerSeq") == text(first, "LedgerSeq")
    got = tracking.call("GetTaskRequest", TaskId=task["id"])
    assert text(got, "Task/Status") == "IN_PROGRESS"
    assert int(text(got, "Task/Revision")) == task["revision"] + 1  # applied once only
    ledger = [w["outcome"] for w in sim.ground_truth("writes") if w["idempotency_key"] == key]
    assert ledger == ["applied", "replayed"]


def test_extensions_are_accepted_before_the_deadline_only(sim) -> None:
    tracking = Tracking(sim)
    task = open_task(sim)
    later = iso_local(parse_instant(task["deadline"]) + 5 * 86400)
    result = tracking.call(
        "RequestExtensionRequest", TaskId=task["id"], IdempotencyKey=str(uuid.uuid4()),
        Reason="Chờ ý kiến các sở", ProposedDeadline=later,
    )  # fmt: skip
    assert (text(result, "Applied"), text(result, "ExtensionStatus")) == ("true", "PENDING")
    sim.advance(until=task["deadline"])
    sim.advance(seconds=60)
    tracking.token = tracking.fetch_token()
    late = tracking.call(
        "RequestExtensionRequest", TaskId=task["id"], IdempotencyKey=str(uuid.uuid4()),
        Reason="Quá hạn", ProposedDeadline=later,
    )  # fmt: skip
    assert (text(late, "Applied"), text(late, "Code")) == ("false", "DEADLINE_PASSED")
    got = tracking.call("GetTaskRequest", TaskId=task["id"])
    assert len(got.findall(f"{{{TDNV}}}Task/{{{TDNV}}}ExtensionRequest")) == 1


def test_bad_requests_get_a_soap_client_fault(sim) -> None:
    tracking = Tracking(sim)
    answer = tracking.post("GetTaskRequest", TaskId="NV2024-9999999")
    assert answer.status_code == 500 and fault_of(answer) == ("soap:Client", "UNKNOWN_TASK")
    answer = tracking.post(
        "ReportCompletionRequest", TaskId="nope", IdempotencyKey="k",
        Evidence=evidence(sim.now()), CompletedAt=sim.now(),
    )  # fmt: skip
    assert fault_of(answer) == ("soap:Client", "UNKNOWN_TASK")
    answer = tracking.post("ListChangedTasksRequest", Cursor="garbage!")
    assert fault_of(answer)[0] == "soap:Client"


def test_xml_with_a_doctype_is_refused_unparsed(sim) -> None:
    tracking = Tracking(sim)
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE lol [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b'<soap:Envelope xmlns:soap="' + SOAP_ENV.encode() + b'"><soap:Body>'
        b'<GetTaskRequest xmlns="urn:tdnv:nhiemvu:1.0"><TaskId>&b;</TaskId></GetTaskRequest>'
        b"</soap:Body></soap:Envelope>"
    )
    answer = requests.post(
        sim.tracking_endpoint, data=bomb,
        headers={"Authorization": f"Bearer {tracking.token}", "Content-Type": "text/xml"},
    )  # fmt: skip
    code, _ = fault_of(answer)
    assert code == "soap:Client" and "DOCTYPE" in answer.text
