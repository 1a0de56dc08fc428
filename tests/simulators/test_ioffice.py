"""iOffice REST: login and tokens, change-ordered listings, detail, activity log, deadline write."""

from __future__ import annotations

import json
import uuid

import requests

from simulators.timeutil import parse_instant
from tests.simulators.conftest import IOffice


def test_login_gives_a_token_and_bad_credentials_do_not(sim) -> None:
    good = requests.post(f"{sim.ioffice_url}/qlvb/api/login", json=sim.ioffice_credentials)
    assert good.status_code == 200
    body = good.json()
    assert body["status"]["code"] == "0" and body["data"]["token"] and body["data"]["expiresIn"] > 0
    bad = requests.post(
        f"{sim.ioffice_url}/qlvb/api/login", json={"username": "bridge", "password": "wrong"}
    )
    assert bad.status_code == 401 and bad.json()["status"]["code"] == "AUTH_FAILED"


def test_every_call_needs_a_token(sim) -> None:
    answer = requests.get(f"{sim.ioffice_url}/qlvb/api/van-ban-den/thay-doi")
    assert answer.status_code == 401
    assert answer.json()["status"]["code"] == "AUTH_REQUIRED"
    answer = requests.get(
        f"{sim.ioffice_url}/qlvb/api/van-ban-den/thay-doi",
        headers={"X-Authentication-Token": "forged"},
    )
    assert answer.json()["status"]["code"] == "AUTH_INVALID"


def test_a_full_listing_returns_every_document_once_in_change_order(sim) -> None:
    client = IOffice(sim)
    items = client.list_all("van-ban-den", limit=37)
    truth = {d["id"] for d in sim.ground_truth("documents")}
    ids = [item["id"] for item in items]
    assert len(ids) == len(set(ids)) and set(ids) == truth
    changed = [parse_instant(item["ngayCapNhat"]) for item in items]
    assert changed == sorted(changed)
    assert len(set(changed)) < len(changed), "records sharing a change time must exist"
    secret = [item for item in items if item["doMat"]]
    assert secret, "secret documents arrive too, the bridge must skip them"
    assert {"soKyHieu", "trichYeu", "ngayBanHanh", "maDinhDanh", "nguoiKy", "thamQuyenKy",
            "ngayDen", "soDen", "doKhan", "hanXuLy", "donViXuLyChinh"} <= set(items[0])  # fmt: skip


def test_listing_from_a_marker_finds_what_arrived_after_the_clock_moved(sim) -> None:
    client = IOffice(sim)
    first = client.list_all("van-ban-den")
    marker = max(item["ngayCapNhat"] for item in first)
    sim.advance(minutes=3 * 24 * 60)
    client.token = client.login()  # three simulated days outlive the session token
    later = client.list_all("van-ban-den", marker=marker)
    new_ids = {item["id"] for item in later} - {item["id"] for item in first}
    assert new_ids, "documents keep arriving as the clock advances"
    assert all(item["ngayCapNhat"] >= marker for item in later)
    # The marker is inclusive: records sharing its timestamp are read again, never skipped.
    assert any(item["ngayCapNhat"] == marker for item in later)
    assert {d["id"] for d in sim.ground_truth("documents")} == (
        {item["id"] for item in first} | {item["id"] for item in later}
    )


def test_a_token_expires_in_simulated_time(sim) -> None:
    client = IOffice(sim)
    assert client.get("/qlvb/api/van-ban-den/thay-doi", limit=1).status_code == 200
    sim.advance(minutes=61)
    answer = client.get("/qlvb/api/van-ban-den/thay-doi", limit=1)
    assert answer.status_code == 401 and answer.json()["status"]["code"] == "AUTH_EXPIRED"


def test_detail_and_activity_log_of_a_document(sim) -> None:
    client = IOffice(sim)
    truth = next(d for d in sim.ground_truth("documents") if d["response_id"])
    detail = client.get(f"/qlvb/api/van-ban-den/{truth['id']}").json()["data"]
    assert detail["soKyHieu"] == truth["number_notation"]
    assert detail["maDinhDanh"] == truth["organ_id"]
    log = client.get(f"/qlvb/api/van-ban-den/{truth['id']}/nhat-ky").json()["data"]["items"]
    actions = [entry["hanhDong"] for entry in log]
    assert actions[0] == "TIEP_NHAN" and "BAN_HANH_TRA_LOI" in actions
    missing = client.get("/qlvb/api/van-ban-den/42")
    assert missing.status_code == 404 and missing.json()["status"]["code"] == "NOT_FOUND"


def test_directives_and_outgoing_documents_are_listed_with_their_links(sim) -> None:
    client = IOffice(sim)
    directives = client.list_all("chi-dao")
    assert {d["id"] for d in directives} == {d["id"] for d in sim.ground_truth("directives")}
    assert all(d["xuLyChinh"]["id"] and d["vanBanDenId"] for d in directives)
    outgoing = client.list_all("van-ban-di")
    truth = {o["id"]: o for o in sim.ground_truth("outgoing")}
    assert {o["id"] for o in outgoing} == set(truth)
    linked = [o for o in outgoing if o["vanBanDenId"]]
    assert linked and all(o["vanBanDenId"] == truth[o["id"]]["answers_document_id"] for o in linked)
    text_only = [o for o in outgoing if not o["vanBanDenId"] and not o["soKyHieuVanBanDen"]]
    assert text_only and all("số " in o["trichYeu"] for o in text_only)


def test_setting_a_missing_deadline_is_applied_once_and_moves_the_record(sim) -> None:
    client = IOffice(sim)
    doc = next(
        d for d in sim.ground_truth("documents")
        if d["processing_deadline"] is None and not d["secrecy"]
    )  # fmt: skip
    key = str(uuid.uuid4())
    path = f"/qlvb/api/van-ban-den/{doc['id']}/han-xu-ly"
    first = client.post(path, {"hanXuLy": "2024-02-09", "idempotencyKey": key})
    assert first.status_code == 200 and first.json()["data"] == {
        "hanXuLy": "2024-02-09", "replayed": False,
    }  # fmt: skip
    again = client.post(path, {"hanXuLy": "2024-02-09", "idempotencyKey": key})
    assert again.status_code == 200 and again.json()["data"]["replayed"] is True
    other = client.post(path, {"hanXuLy": "2024-02-12", "idempotencyKey": str(uuid.uuid4())})
    assert other.status_code == 409 and other.json()["status"]["code"] == "DEADLINE_EXISTS"
    detail = client.get(f"/qlvb/api/van-ban-den/{doc['id']}").json()["data"]
    assert detail["hanXuLy"] == "2024-02-09"
    assert detail["ngayCapNhat"] > doc["changed_at"][:19].replace("T", " ")
    # The change shows in the change-ordered listing from the old marker on.
    changed = client.list_all("van-ban-den", marker=detail["ngayCapNhat"])
    assert doc["id"] in {item["id"] for item in changed}
    ledger = [w for w in sim.ground_truth("writes") if w["idempotency_key"] == key]
    assert [w["outcome"] for w in ledger] == ["applied", "replayed"]


def test_writes_to_secret_or_unknown_documents_are_refused(sim) -> None:
    client = IOffice(sim)
    secret = next(d for d in sim.ground_truth("documents") if d["secrecy"])
    answer = client.post(
        f"/qlvb/api/van-ban-den/{secret['id']}/han-xu-ly",
        {"hanXuLy": "2024-03-01", "idempotencyKey": "k-secret"},
    )
    assert answer.status_code == 403 and answer.json()["status"]["code"] == "SECRET_DOCUMENT"
    answer = client.post(
        "/qlvb/api/van-ban-den/1/han-xu-ly", {"hanXuLy": "2024-03-01", "idempotencyKey": "k"}
    )
    assert answer.status_code == 404


def test_admin_clock_and_ground_truth_over_http(sim) -> None:
    before = requests.get(f"{sim.ioffice_url}/admin/clock").json()["now"]
    moved = requests.post(f"{sim.ioffice_url}/admin/clock/advance", json={"minutes": 90}).json()
    assert parse_instant(moved["now"]) - parse_instant(before) == 90 * 60
    assert (
        requests.post(f"{sim.tracking_url}/admin/clock/advance", json={"until": before}).status_code
        == 400
    )  # the clock never goes back
    answer = requests.get(
        f"{sim.ioffice_url}/admin/ground-truth", params={"kind": "units"}, stream=True
    )
    units = [json.loads(line) for line in answer.iter_lines()]
    assert answer.headers["content-type"].startswith("application/x-ndjson")
    assert all(u["ioffice_id"] != u["tracking_id"] for u in units) and len(units) == 7
    assert requests.get(f"{sim.ioffice_url}/admin/ground-truth?kind=nope").status_code == 400


def test_a_hostile_record_is_sent_as_given_in_the_middle_of_one_page(sim) -> None:
    client = IOffice(sim)
    sim.inject("ioffice", "incoming", {"trichYeu": '"a\\u0000b"', "soDen": "1e999"},
               marker='"không phải ngày"')  # fmt: skip
    first = client.get("/qlvb/api/van-ban-den/thay-doi", limit=5)
    assert '"trichYeu": "a\\u0000b"' in first.text and '"soDen": 1e999' in first.text
    data = json.loads(first.text)["data"]
    hit = data["items"][2]
    assert sim.injected("ioffice")[-1] == ("incoming", str(hit["id"]))
    assert hit["trichYeu"] == "a\x00b" and data["marker"] == "không phải ngày"
    second = client.get("/qlvb/api/van-ban-den/thay-doi", limit=5, cursor=data["nextCursor"])
    assert "\\u0000" not in second.text  # one page only
