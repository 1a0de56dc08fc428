"""A split world: the agency on iOffice and the agency on iDesk each hold their own documents."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from simulators.harness import SimulatorCluster
from tests.simulators.conftest import IDESK, IOffice, fault_of
from tests.simulators.test_idesk import call, list_all


@pytest.fixture(scope="module")
def split() -> Iterator[SimulatorCluster]:
    with SimulatorCluster(size=120, seed=5, split=True) as cluster:
        yield cluster


def _ioffice_ids(client: IOffice, path: str) -> list[int]:
    ids, cursor = [], None
    while True:
        data = client.get(path, limit=50, **({"cursor": cursor} if cursor else {})).json()["data"]
        ids.extend(item["id"] for item in data["items"])
        cursor = data["nextCursor"]
        if cursor is None:
            return ids


def test_every_document_is_listed_by_exactly_one_of_the_two_systems(split) -> None:
    client = IOffice(split)
    for path, operation, record, kind in (
        ("/qlvb/api/van-ban-den/thay-doi", "ListChangedDocumentsRequest", "Document", "documents"),
        ("/qlvb/api/chi-dao/thay-doi", "ListChangedDirectivesRequest", "Directive", "directives"),
        ("/qlvb/api/van-ban-di/thay-doi", "ListChangedOutgoingRequest", "OutgoingDocument",
         "outgoing"),
    ):  # fmt: skip
        on_ioffice = _ioffice_ids(client, path)
        on_idesk = [int(r.findtext(f"{{{IDESK}}}Id")) for r in list_all(split, operation, record)]
        assert on_ioffice and on_idesk
        assert not set(on_ioffice) & set(on_idesk)
        assert sorted(on_ioffice + on_idesk) == sorted(r["id"] for r in split.ground_truth(kind))


def test_a_document_of_the_other_agency_is_not_found_nor_written(split) -> None:
    client = IOffice(split)
    on_idesk = int(
        list_all(split, "ListChangedDocumentsRequest", "Document")[0].findtext(f"{{{IDESK}}}Id")
    )
    assert client.get(f"/qlvb/api/van-ban-den/{on_idesk}").status_code == 404
    answer = client.post(
        f"/qlvb/api/van-ban-den/{on_idesk}/han-xu-ly",
        {"hanXuLy": "2024-03-01", "idempotencyKey": "split-1"},
    )
    assert answer.status_code == 404
    on_ioffice = _ioffice_ids(client, "/qlvb/api/van-ban-den/thay-doi")[0]
    assert fault_of(call(split, "GetDocumentRequest", Id=on_ioffice)) == (
        "soap:Client",
        "NOT_FOUND",
    )


def test_the_tracking_system_holds_the_tasks_of_both_agencies(split) -> None:
    sources = {t["source_document_id"] for t in split.ground_truth("tasks")}
    on_ioffice = set(_ioffice_ids(IOffice(split), "/qlvb/api/van-ban-den/thay-doi"))
    on_idesk = {
        int(r.findtext(f"{{{IDESK}}}Id"))
        for r in list_all(split, "ListChangedDocumentsRequest", "Document")
    }
    assert sources & on_ioffice and sources & on_idesk
    assert sources <= on_ioffice | on_idesk
