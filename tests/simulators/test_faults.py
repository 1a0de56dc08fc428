"""Each fault does what it says, deterministically, set at start or at run time."""

from __future__ import annotations

import uuid
from collections import Counter

import pytest
import requests

from simulators.faults import FaultPlan, parse_fault_option
from simulators.harness import SimulatorCluster
from tests.simulators.conftest import IOffice, Tracking, fault_of

LIST = "/qlvb/api/van-ban-den/thay-doi"


def test_a_fault_plan_is_deterministic_under_its_seed() -> None:
    def draws(seed: int) -> list[bool]:
        plan = FaultPlan("ioffice", seed)
        plan.set("http_5xx", rate=0.3)
        return [plan.fire("http_5xx") for _ in range(200)]

    assert draws(1) == draws(1) != draws(2)
    assert 40 < sum(draws(1)) < 80


def test_next_n_hits_exactly_the_next_n_eligible_requests() -> None:
    plan = FaultPlan("tracking", 0)
    plan.set("soap_fault", next=2)
    assert [plan.fire("soap_fault") for _ in range(4)] == [True, True, False, False]
    with pytest.raises(ValueError, match="unknown fault"):
        plan.set("gremlins", rate=0.5)


def test_cli_fault_options_parse() -> None:
    assert parse_fault_option("ioffice:http_5xx=0.1") == ("ioffice", "http_5xx", {"rate": 0.1})
    assert parse_fault_option("tracking:timeout=next2,seconds=5") == (
        "tracking", "timeout", {"next": 2, "seconds": 5.0},
    )  # fmt: skip


def test_faults_set_at_start() -> None:
    with SimulatorCluster(size=30, seed=1, faults={"ioffice": {"http_5xx": {"rate": 1.0}}}) as sim:
        answer = requests.post(f"{sim.ioffice_url}/qlvb/api/login", json=sim.ioffice_credentials)
        assert answer.status_code == 503
        # Admin paths are never faulted, so a test can always repair the run.
        assert requests.get(f"{sim.ioffice_url}/admin/clock").status_code == 200


def test_faults_set_at_run_time_through_the_admin_endpoint(sim) -> None:
    client = IOffice(sim)
    answer = requests.post(
        f"{sim.ioffice_url}/admin/faults",
        json={"server": "ioffice", "faults": {"http_5xx": {"next": 1, "status": 500}}},
    )
    assert answer.json()["ioffice"]["http_5xx"]["next"] == 1
    assert client.get(LIST, limit=1).status_code == 500
    assert client.get(LIST, limit=1).status_code == 200
    bad = requests.post(f"{sim.ioffice_url}/admin/faults", json={"server": "nope", "faults": {}})
    assert bad.status_code == 400


def test_latency(sim) -> None:
    client = IOffice(sim)
    sim.set_faults("ioffice", latency={"next": 1, "ms": 1500})
    # No clock read (no test asserts a wall-clock time): a client that gives up after 0.3 s
    # cannot get the delayed answer, and the fault is used up by that one request.
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(f"{sim.ioffice_url}{LIST}", params={"limit": 1}, timeout=(5, 0.3),
                     headers={"X-Authentication-Token": client.token})  # fmt: skip
    plan = sim.simulation.plans["ioffice"]
    assert plan.describe()["latency"]["next"] == 0
    assert client.get(LIST, limit=1).status_code == 200
    assert plan.describe()["fired"].get("latency") == 1  # the second answer was not delayed


def test_rate_limit_answers_429_with_retry_after(sim) -> None:
    client = IOffice(sim)
    sim.set_faults("ioffice", rate_limit={"next": 1, "retry_after": 7})
    answer = client.get(LIST, limit=1)
    assert answer.status_code == 429 and answer.headers["Retry-After"] == "7"


def test_timeout_holds_the_answer_longer_than_the_client_waits(sim) -> None:
    client = IOffice(sim)
    sim.set_faults("ioffice", timeout={"next": 1, "seconds": 1.5})
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(
            f"{sim.ioffice_url}{LIST}", headers={"X-Authentication-Token": client.token},
            timeout=0.3,
        )  # fmt: skip
    assert client.get(LIST, limit=1).status_code == 200


def test_truncated_body_breaks_off_mid_answer(sim) -> None:
    client = IOffice(sim)
    sim.set_faults("ioffice", truncated={"next": 1})
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        client.get(LIST, limit=20)
    assert client.get(LIST, limit=20).json()["status"]["code"] == "0"


def test_one_malformed_record_within_a_good_page(sim) -> None:
    client = IOffice(sim)
    sim.set_faults("ioffice", malformed={"next": 1})
    items = client.get(LIST, limit=20).json()["data"]["items"]
    broken = [
        i for i in items
        if "soKyHieu" not in i or not i["ngayBanHanh"][:4].isdigit()
    ]  # fmt: skip
    assert len(broken) == 1 and len(items) == 20


def test_the_same_record_on_two_pages(sim) -> None:
    client = IOffice(sim)
    sim.set_faults("ioffice", duplicate={"next": 1})
    items = client.list_all("van-ban-den", limit=25)
    counts = Counter(item["id"] for item in items)
    assert sorted(counts.values())[-2:] == [1, 2] and sum(counts.values()) == len(counts) + 1
    assert set(counts) == {d["id"] for d in sim.ground_truth("documents")}


def test_a_record_changes_while_the_listing_is_paged(sim) -> None:
    client = IOffice(sim)
    page_one = client.get(LIST, limit=10).json()["data"]
    sim.set_faults("ioffice", shifting={"next": 1})
    page_two = client.get(LIST, limit=10, cursor=page_one["nextCursor"]).json()["data"]
    sim.clear_faults()
    rest = client.list_all("van-ban-den", limit=200)  # what a fresh full listing now holds
    moved = next(i for i in rest if i["id"] not in {x["id"] for x in page_one["items"]}
                 and i["id"] not in {x["id"] for x in page_two["items"]}
                 and i["ngayCapNhat"] == rest[-1]["ngayCapNhat"])  # fmt: skip
    # The record that would have opened page three moved to the end of the change order.
    assert moved["ngayCapNhat"] > page_two["items"][-1]["ngayCapNhat"]
    assert len({i["id"] for i in rest}) == len(rest)


def test_token_expiry_in_the_middle_of_a_run(sim) -> None:
    client = IOffice(sim)
    assert client.get(LIST, limit=1).status_code == 200
    sim.set_faults("ioffice", token_expiry={"next": 1})
    answer = client.get(LIST, limit=1)
    assert answer.status_code == 401 and answer.json()["status"]["code"] == "AUTH_EXPIRED"
    client.token = client.login()
    assert client.get(LIST, limit=1).status_code == 200


def test_soap_fault_is_a_transient_server_fault(sim) -> None:
    tracking = Tracking(sim)
    sim.set_faults("tracking", soap_fault={"next": 1})
    answer = tracking.post("ListChangedTasksRequest", PageSize=1)
    assert answer.status_code == 500 and fault_of(answer) == ("soap:Server", "TRANSIENT")
    assert tracking.post("ListChangedTasksRequest", PageSize=1).status_code == 200


def test_a_write_whose_response_is_lost_was_applied_and_replays_on_retry(sim) -> None:
    client = IOffice(sim)
    doc = next(
        d for d in sim.ground_truth("documents")
        if d["processing_deadline"] is None and not d["secrecy"]
    )  # fmt: skip
    sim.set_faults("ioffice", lost_response={"next": 1})
    key = str(uuid.uuid4())
    body = {"hanXuLy": "2024-02-28", "idempotencyKey": key}
    lost = client.post(f"/qlvb/api/van-ban-den/{doc['id']}/han-xu-ly", body)
    assert lost.status_code == 504
    retry = client.post(f"/qlvb/api/van-ban-den/{doc['id']}/han-xu-ly", body)
    assert retry.status_code == 200 and retry.json()["data"]["replayed"] is True
    outcomes = [w["outcome"] for w in sim.ground_truth("writes") if w["idempotency_key"] == key]
    assert outcomes == ["applied", "replayed"]


def test_a_lost_tracking_write_is_in_the_ledger(sim) -> None:
    tracking = Tracking(sim)
    task = next(t for t in sim.ground_truth("tasks") if t["status"] == "NOT_STARTED")
    sim.set_faults("tracking", lost_response={"next": 1})
    key = str(uuid.uuid4())
    fields = {"TaskId": task["id"], "IdempotencyKey": key, "ProgressText": "Đang xử lý",
              "Percent": 10, "ReportedAt": sim.now()}  # fmt: skip
    assert tracking.post("ReportProgressRequest", **fields).status_code == 504
    assert [w["outcome"] for w in sim.ground_truth("writes") if w["idempotency_key"] == key] == [
        "applied"
    ]
    replay = tracking.call("ReportProgressRequest", **fields)
    assert replay.findtext("{urn:tdnv:nhiemvu:1.0}Replayed") == "true"


@pytest.mark.parametrize(
    ("kind", "content_type", "starts"),
    [
        ("html_answer", "text/html", b"<html>"),
        ("empty_answer", "text/xml", b""),
        ("foreign_answer", "application/json", b"{"),
    ],
)
def test_a_garbled_200_answers_an_applied_tracking_write(sim, kind, content_type, starts) -> None:
    tracking = Tracking(sim)
    task = next(t for t in sim.ground_truth("tasks") if t["status"] == "NOT_STARTED")
    sim.set_faults("tracking", **{kind: {"next": 1}})
    key = str(uuid.uuid4())
    fields = {"TaskId": task["id"], "IdempotencyKey": key, "ProgressText": "Đang xử lý",
              "Percent": 10, "ReportedAt": sim.now()}  # fmt: skip
    garbled = tracking.post("ReportProgressRequest", **fields)
    assert garbled.status_code == 200
    assert garbled.headers["content-type"].startswith(content_type)
    assert garbled.content.startswith(starts) and b"Envelope" not in garbled.content
    replay = tracking.call("ReportProgressRequest", **fields)
    assert replay.findtext("{urn:tdnv:nhiemvu:1.0}Replayed") == "true"
    outcomes = [w["outcome"] for w in sim.ground_truth("writes") if w["idempotency_key"] == key]
    assert outcomes == ["applied", "replayed"]


@pytest.mark.parametrize(
    ("kind", "content_type", "starts"),
    [
        ("html_answer", "text/html", b"<html>"),
        ("empty_answer", "application/json", b""),
        ("foreign_answer", "text/xml", b"<?xml"),
    ],
)
def test_a_garbled_200_answers_an_applied_ioffice_write(sim, kind, content_type, starts) -> None:
    client = IOffice(sim)
    used = {w["target"] for w in sim.ground_truth("writes")}
    doc = next(
        d for d in sim.ground_truth("documents")
        if d["processing_deadline"] is None and not d["secrecy"] and str(d["id"]) not in used
    )  # fmt: skip
    sim.set_faults("ioffice", **{kind: {"next": 1}})
    body = {"hanXuLy": "2024-02-28", "idempotencyKey": str(uuid.uuid4())}
    garbled = client.post(f"/qlvb/api/van-ban-den/{doc['id']}/han-xu-ly", body)
    assert garbled.status_code == 200
    assert garbled.headers["content-type"].startswith(content_type)
    assert garbled.content.startswith(starts) and b'"status"' not in garbled.content
    retry = client.post(f"/qlvb/api/van-ban-den/{doc['id']}/han-xu-ly", body)
    assert retry.status_code == 200 and retry.json()["data"]["replayed"] is True
