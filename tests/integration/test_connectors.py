"""The connectors against the simulators over real HTTP, with every simulator fault in turn.

For each fault the connector either recovers (the listing still equals the ground truth, the
write is applied exactly once) or raises the right error class with a message naming the
system, the operation and the record.
"""

from __future__ import annotations

import logging
import uuid
from datetime import date

import pytest

from connectors.http import (
    AuthError,
    BadRecord,
    BadRequestError,
    RetryableError,
    RetryPolicy,
    Timeouts,
)
from connectors.idesk import IDeskConnector
from connectors.ioffice import IOfficeConnector
from connectors.tracking import LgspToken, TrackingConnector
from simulators.harness import SimulatorCluster

FAST = RetryPolicy(max_attempts=4, backoff_initial_s=0.01, backoff_max_s=0.05)
SHORT = Timeouts(connect_s=2, read_s=1.0)


@pytest.fixture(scope="module")
def sim():
    with SimulatorCluster(size=150, seed=11) as cluster:
        yield cluster


@pytest.fixture(autouse=True)
def _no_faults_left_over(sim):
    sim.clear_faults()
    yield
    sim.clear_faults()


def ioffice(sim, **kwargs) -> IOfficeConnector:
    return IOfficeConnector(
        sim.ioffice_url, **sim.ioffice_credentials, policy=FAST, timeouts=SHORT,
        page_size=kwargs.pop("page_size", 40), **kwargs,
    )  # fmt: skip


def idesk(sim) -> IDeskConnector:
    return IDeskConnector(
        sim.idesk_url, *sim.idesk_credentials, policy=FAST, timeouts=SHORT, page_size=40
    )


def tracking(sim) -> TrackingConnector:
    token = LgspToken(sim.token_url, **sim.tracking_credentials, policy=FAST, timeouts=SHORT)
    return TrackingConnector(
        sim.tracking_url, token=token, policy=FAST, timeouts=SHORT, page_size=40
    )


def listed_ids(pages, id_field: str) -> list[str]:
    ids = []
    for page in pages:
        for record in page.records:
            assert not isinstance(record, BadRecord), record
            ids.append(str(record[id_field]))
    return ids


def truth_ids(sim, kind: str) -> set[str]:
    return {str(row["id"]) for row in sim.ground_truth(kind)}


# --- plain behaviour -----------------------------------------------------------------------


def test_ioffice_lists_every_stream_completely_and_in_change_order(sim):
    connector = ioffice(sim)
    pages = list(connector.list_changed("incoming"))
    ids = listed_ids(pages, "id")
    assert set(ids) == truth_ids(sim, "documents") and len(ids) == len(set(ids))
    markers = [page.marker for page in pages]
    assert markers == sorted(markers) and markers[-1].endswith("+07:00")
    assert set(listed_ids(connector.list_changed("directives"), "id")) == truth_ids(
        sim, "directives"
    )
    assert set(listed_ids(connector.list_changed("outgoing"), "id")) == truth_ids(sim, "outgoing")


def test_ioffice_reads_from_a_marker_inclusively(sim):
    connector = ioffice(sim)
    everything = list(connector.list_changed("incoming"))
    middle = everything[1].marker
    later = listed_ids(connector.list_changed("incoming", middle), "id")
    assert later and set(later) < set(listed_ids(everything, "id"))
    assert str(everything[1].records[-1]["id"]) in later  # the marker's own second again


def test_ioffice_detail_and_activity_log(sim):
    connector = ioffice(sim)
    first = next(connector.list_changed("incoming")).records[0]
    detail = connector.get("incoming", first["id"])
    assert detail["soKyHieu"] == first["soKyHieu"]
    assert any(entry["hanhDong"] == "TIEP_NHAN" for entry in connector.activity_log(first["id"]))
    with pytest.raises(BadRequestError, match=r"ioffice get incoming \(record 999\): HTTP 404"):
        connector.get("incoming", 999)


def test_idesk_and_tracking_list_completely(sim):
    assert set(listed_ids(idesk(sim).list_changed("incoming"), "Id")) == truth_ids(sim, "documents")
    assert set(listed_ids(tracking(sim).list_changed(), "TaskId")) == truth_ids(sim, "tasks")


# --- faults a connector recovers from ------------------------------------------------------

RECOVERABLE = [
    ("ioffice", "latency", {"rate": 1.0, "ms": 20}),
    ("ioffice", "http_5xx", {"next": 2}),
    ("ioffice", "rate_limit", {"next": 1, "retry_after": 1}),
    ("ioffice", "timeout", {"next": 1, "seconds": 2}),
    ("ioffice", "truncated", {"next": 2}),
    ("ioffice", "token_expiry", {"next": 1}),
    ("idesk", "http_5xx", {"next": 2}),
    ("idesk", "truncated", {"next": 1}),
    ("idesk", "soap_fault", {"next": 2}),
    ("tracking", "soap_fault", {"next": 2}),
    ("tracking", "token_expiry", {"next": 1}),
    ("tracking", "rate_limit", {"next": 1, "retry_after": 1}),
    ("tracking", "timeout", {"next": 1, "seconds": 2}),
]


def _full_listing(sim, server: str) -> tuple[list[str], set[str]]:
    if server == "ioffice":
        return listed_ids(ioffice(sim).list_changed("incoming"), "id"), truth_ids(sim, "documents")
    if server == "idesk":
        return listed_ids(idesk(sim).list_changed("incoming"), "Id"), truth_ids(sim, "documents")
    return listed_ids(tracking(sim).list_changed(), "TaskId"), truth_ids(sim, "tasks")


@pytest.mark.parametrize(("server", "kind", "spec"), RECOVERABLE, ids=lambda v: str(v))
def test_the_connector_recovers_from(sim, server, kind, spec):
    sim.set_faults(server, **{kind: spec})
    ids, truth = _full_listing(sim, server)
    assert set(ids) == truth
    assert len(ids) == len(truth)


@pytest.mark.parametrize("kind", ["duplicate", "shifting"])
def test_paging_anomalies_lose_nothing(sim, kind):
    # A record on two pages, or one that moves while paging: the union is still complete.
    # Removing the repeats is ingest's job (content hash), not the connector's.
    sim.set_faults("ioffice", **{kind: {"next": 1}})
    ids = listed_ids(ioffice(sim).list_changed("incoming"), "id")
    assert set(ids) == truth_ids(sim, "documents")
    assert len(ids) >= len(set(ids))


def test_a_malformed_record_is_handed_on_for_normalize_to_reject(sim):
    sim.set_faults("ioffice", malformed={"next": 1})
    pages = list(ioffice(sim).list_changed("incoming"))
    records = [r for page in pages for r in page.records]
    assert {str(r["id"]) for r in records} == truth_ids(sim, "documents")
    assert any(not r.get("soKyHieu") or "31/02" in str(r) for r in records)


# --- faults that must surface as the right error -------------------------------------------


def test_a_system_that_keeps_failing_raises_retryable_naming_system_and_operation(sim):
    connector = ioffice(sim)
    connector.login()
    sim.set_faults("ioffice", http_5xx={"rate": 1.0})
    with pytest.raises(RetryableError, match=r"^ioffice list incoming \(page 1\): HTTP 50[03]"):
        list(connector.list_changed("incoming"))


def test_a_soap_server_fault_that_persists_is_retryable(sim):
    sim.set_faults("tracking", soap_fault={"rate": 1.0})
    with pytest.raises(RetryableError, match=r"^tracking ListChangedTasks \(page 1\): SOAP fault"):
        list(tracking(sim).list_changed())


def test_an_unknown_task_is_a_bad_request_naming_the_record(sim):
    with pytest.raises(BadRequestError, match=r"tracking GetTask \(record NV0000\): SOAP fault"):
        tracking(sim).get_task("NV0000")


def test_wrong_credentials_are_an_auth_error_and_never_show_the_password(sim, caplog):
    caplog.set_level(logging.DEBUG)
    secret = "wrong-password-" + uuid.uuid4().hex
    connector = IOfficeConnector(sim.ioffice_url, "bridge", secret, policy=FAST)
    with pytest.raises(AuthError) as error:
        connector.login()
    logging.getLogger("bridge.sync").error("iOffice login failed: %s", error.value)
    assert str(error.value).startswith("ioffice login: HTTP 401")
    assert secret not in str(error.value) and secret not in caplog.text
    lgsp = LgspToken(sim.token_url, "bridge", "not-the-secret-" + secret, policy=FAST)
    with pytest.raises(AuthError, match="lgsp token: HTTP 401"):
        lgsp.fetch()
    assert secret not in caplog.text


def test_tokens_received_never_reach_the_logs(sim, caplog):
    caplog.set_level(logging.DEBUG)
    connector = ioffice(sim)
    connector.login()
    token = connector.http.session.headers["X-Authentication-Token"]
    logging.getLogger("urllib3").debug("sending header X-Authentication-Token=%s", token)
    assert token not in caplog.text


# --- writes: retried only with their key, applied once -------------------------------------


def _applied(sim, key: str) -> list[dict]:
    return [w for w in sim.ground_truth("writes") if w["idempotency_key"] == key]


def test_a_lost_write_response_is_retried_with_its_key_and_applied_once(sim):
    connector = tracking(sim)
    task = next(t for t in sim.ground_truth("tasks") if t["status"] != "DONE")
    key = f"progress:{task['id']}:{uuid.uuid4().hex}"
    sim.set_faults("tracking", lost_response={"next": 1})
    result = connector.report_progress(task["id"], key, "Đang dự thảo văn bản", 40, sim.now())
    assert result["Replayed"] is True
    outcomes = [w["outcome"] for w in _applied(sim, key)]
    assert outcomes == ["applied", "replayed"]


def test_ioffice_sets_a_missing_deadline_once_even_when_the_answer_is_lost(sim):
    connector = ioffice(sim)
    document = next(
        d
        for d in sim.ground_truth("documents")
        if not d["processing_deadline"] and not d["secrecy"]
    )
    key = f"deadline:{document['id']}:{uuid.uuid4().hex}"
    sim.set_faults("ioffice", lost_response={"next": 1})
    result = connector.set_processing_deadline(document["id"], date(2024, 3, 1), key)
    assert result["hanXuLy"] == "2024-03-01" and result["replayed"] is True
    assert [w["outcome"] for w in _applied(sim, key)] == ["applied", "replayed"]


def test_a_write_without_its_key_is_not_resent(sim):
    connector = ioffice(sim)
    connector.login()
    sim.set_faults("ioffice", http_5xx={"next": 1})
    with pytest.raises(RetryableError):
        connector.http.request(
            "POST", "/qlvb/api/van-ban-den/1/han-xu-ly", operation="set processing deadline",
            json={"hanXuLy": "2024-03-01"},
        )  # fmt: skip
