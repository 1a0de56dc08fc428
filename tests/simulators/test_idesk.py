"""iDesk SOAP: Basic auth, PascalCase listings over the same world, GetDocument, deadline write."""

from __future__ import annotations

import uuid

import requests
import zeep
from lxml import etree
from requests.auth import HTTPBasicAuth
from zeep.transports import Transport

from tests.simulators.conftest import IDESK, fault_of, soap_body
from tests.simulators.test_tracking import STRICT, WSDL_DIR, schema_of


def call(sim, operation: str, auth=None, **fields) -> requests.Response:
    return requests.post(
        sim.idesk_endpoint,
        data=soap_body(IDESK, operation, **fields),
        auth=auth or HTTPBasicAuth(*sim.idesk_credentials),
        headers={"Content-Type": "text/xml"},
        timeout=10,
    )


def payload(answer: requests.Response) -> etree._Element:
    assert answer.status_code == 200, answer.text
    return etree.fromstring(answer.content)[0][0]


def list_all(sim, operation: str, record: str) -> list[etree._Element]:
    records, cursor = [], None
    while True:
        page = payload(call(sim, operation, Cursor=cursor, PageSize=60))
        records.extend(page.findall(f"{{{IDESK}}}{record}"))
        cursor = page.findtext(f"{{{IDESK}}}NextCursor")
        if cursor is None:
            return records


def test_basic_authentication_is_required(sim) -> None:
    answer = call(sim, "GetDocumentRequest", auth=HTTPBasicAuth("bridge", "wrong"), Id=1)
    assert answer.status_code == 401 and "Basic" in answer.headers["WWW-Authenticate"]


def test_listings_cover_the_same_world_as_ioffice_and_validate(sim) -> None:
    schema = schema_of("idesk.wsdl")
    for operation, record, kind in (
        ("ListChangedDocumentsRequest", "Document", "documents"),
        ("ListChangedDirectivesRequest", "Directive", "directives"),
        ("ListChangedOutgoingRequest", "OutgoingDocument", "outgoing"),
    ):
        schema.assertValid(payload(call(sim, operation, PageSize=30)))
        ids = [int(r.findtext(f"{{{IDESK}}}Id")) for r in list_all(sim, operation, record)]
        assert len(ids) == len(set(ids))
        assert set(ids) == {r["id"] for r in sim.ground_truth(kind)}


def test_get_document_and_set_its_missing_deadline_once(sim) -> None:
    doc = next(
        d for d in sim.ground_truth("documents")
        if d["processing_deadline"] is None and not d["secrecy"]
    )  # fmt: skip
    got = payload(call(sim, "GetDocumentRequest", Id=doc["id"]))
    assert got.findtext(f"{{{IDESK}}}Document/{{{IDESK}}}NumberNotation") == doc["number_notation"]
    key = str(uuid.uuid4())
    first = payload(call(sim, "SetProcessingDeadlineRequest", Id=doc["id"], Deadline="2024-02-20",
                         IdempotencyKey=key))  # fmt: skip
    again = payload(call(sim, "SetProcessingDeadlineRequest", Id=doc["id"], Deadline="2024-02-20",
                         IdempotencyKey=key))  # fmt: skip
    assert first.findtext(f"{{{IDESK}}}Applied") == "true"
    assert again.findtext(f"{{{IDESK}}}Replayed") == "true"
    got = payload(call(sim, "GetDocumentRequest", Id=doc["id"]))
    assert got.findtext(f"{{{IDESK}}}Document/{{{IDESK}}}ProcessingDeadline") == "2024-02-20"
    assert fault_of(call(sim, "GetDocumentRequest", Id=7)) == ("soap:Client", "NOT_FOUND")


def test_a_zeep_client_built_from_the_file_calls_idesk(sim) -> None:
    session = requests.Session()
    session.auth = HTTPBasicAuth(*sim.idesk_credentials)
    client = zeep.Client(
        str(WSDL_DIR / "idesk.wsdl"), settings=STRICT, transport=Transport(session=session)
    )
    service = client.create_service("{urn:idesk:vanban:1.0}VanBanBinding", sim.idesk_endpoint)
    page = service.ListChangedDocuments(PageSize=3)
    assert len(page.Document) == 3
    assert service.GetDocument(Id=page.Document[0].Id).Id == page.Document[0].Id
