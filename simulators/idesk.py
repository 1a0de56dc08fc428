"""The simulated iDesk: SOAP 1.1 document/literal over the same world as iOffice.

Endpoint `/idesk/ws/VanBanService` (WSDL: `?wsdl`, the file connectors/wsdl/idesk.wsdl),
HTTP Basic authentication, English PascalCase element names (so the mapping files differ from
iOffice's). A deployment runs iOffice or iDesk; the simulator serves both over one ground truth so
the same scenarios run against either protocol.
"""

from __future__ import annotations

import base64
import binascii
import secrets

from lxml import etree
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from simulators.cursor import BadListingRequest, page_size, start_position
from simulators.faults import FaultPlan
from simulators.listing import list_changes
from simulators.soap import Builder, SoapEndpoint, SoapFault
from simulators.state import SimState
from simulators.timeutil import iso_local
from simulators.world import INCOMING_ID_BASE

NAMESPACE = "urn:idesk:vanban:1.0"
SERVICE_PATH = "/idesk/ws/VanBanService"
B = Builder(NAMESPACE)


def _unit(parent: etree._Element, name: str, unit) -> None:
    element = B.sub(parent, name)
    B.sub(element, "UnitId", unit.ioffice_id)  # iDesk and iOffice share the agency's unit ids
    B.sub(element, "UnitName", unit.name)


def _units(parent: etree._Element, name: str, units) -> None:
    element = B.sub(parent, name)
    for unit in units:
        _unit(element, "Unit", unit)


def document_element(doc: dict) -> etree._Element:
    e = etree.Element(f"{{{NAMESPACE}}}Document")
    B.sub(e, "Id", doc["id"])
    B.sub(e, "NumberNotation", doc["number_notation"])
    B.sub(e, "DocumentType", doc["doc_type"])
    B.sub(e, "Abstract", doc["abstract"])
    B.sub(e, "IssueDate", doc["promulgated_on"])
    B.sub(e, "IssuerName", doc["issuer_name"])
    B.sub(e, "IssuerCode", doc["organ_id"])
    B.sub(e, "Signer", doc["signer"])
    B.sub(e, "SignerPosition", doc["signer_position"])
    B.opt(e, "Competence", doc["competence"] or None)
    B.sub(e, "ReceivedAt", iso_local(doc["received_at"]))
    B.sub(e, "IncomingNumber", doc["incoming_number"])
    B.sub(e, "Urgency", doc["urgency"])
    B.opt(e, "Secrecy", doc["secrecy"])
    B.opt(e, "ProcessingDeadline", doc["processing_deadline"])
    _unit(e, "MainHandler", doc["main_unit"])
    _units(e, "Coordinators", doc["coordinating_units"])
    B.sub(e, "ModifiedAt", iso_local(doc["changed_at"]))
    return e


def directive_element(d: dict) -> etree._Element:
    e = etree.Element(f"{{{NAMESPACE}}}Directive")
    B.sub(e, "Id", d["id"])
    B.sub(e, "DocumentId", d["document_id"])
    B.sub(e, "DocumentNumberNotation", d["document_number_notation"])
    B.sub(e, "Title", d["title"])
    B.sub(e, "Content", d["content"])
    B.sub(e, "CreatedAt", iso_local(d["created_at"]))
    B.sub(e, "Author", d["author"])
    _unit(e, "MainHandler", d["main_unit"])
    _units(e, "Coordinators", d["coordinating_units"])
    _units(e, "Informed", d["informed_units"])
    B.opt(e, "Secrecy", d["secrecy"])
    B.sub(e, "ModifiedAt", iso_local(d["changed_at"]))
    return e


def outgoing_element(o: dict) -> etree._Element:
    e = etree.Element(f"{{{NAMESPACE}}}OutgoingDocument")
    B.sub(e, "Id", o["id"])
    B.sub(e, "NumberNotation", o["number_notation"])
    B.sub(e, "DocumentType", o["doc_type"])
    B.sub(e, "Abstract", o["abstract"])
    B.sub(e, "IssueDate", o["issued_on"])
    B.sub(e, "IssuedAt", iso_local(o["issued_at"]))
    B.sub(e, "IssuerCode", o["organ_id"])
    B.sub(e, "Signer", o["signer"])
    B.sub(e, "SignerPosition", o["signer_position"])
    B.opt(e, "Competence", o["competence"] or None)
    _unit(e, "DraftingUnit", o["drafting_unit"])
    B.opt(e, "RepliesToId", o["replies_to_id"])
    B.opt(e, "RepliesToNumberNotation", o["replies_to_number_notation"])
    B.opt(e, "Secrecy", o["secrecy"])
    B.sub(e, "ModifiedAt", iso_local(o["changed_at"]))
    return e


def corrupt(element: etree._Element) -> None:
    """A malformed record: the number is missing, or a date nobody can read."""
    number = element.find(f"{{{NAMESPACE}}}NumberNotation")
    if number is not None and int(element.findtext(f"{{{NAMESPACE}}}Id") or 0) % 2:
        element.remove(number)
    else:
        stamp = element.find(f"{{{NAMESPACE}}}CreatedAt")
        if stamp is None:
            stamp = element.find(f"{{{NAMESPACE}}}IssueDate")
        stamp.text = "31/02/2024"


# operation -> (stream, state getter, element builder)
LISTINGS = {
    "ListChangedDocuments": ("incoming", "document", document_element),
    "ListChangedDirectives": ("directives", "directive", directive_element),
    "ListChangedOutgoing": ("outgoing", "outgoing", outgoing_element),
}


def build_app(
    state: SimState, plan: FaultPlan, credentials: tuple[str, str], extra_routes: list
) -> Starlette:
    def lister(operation: str):
        stream, getter, render = LISTINGS[operation]

        def handle(request: etree._Element) -> etree._Element:
            try:
                marker = B.text(request, "Marker", False)
                after = start_position(marker, B.text(request, "Cursor", False))
                limit = page_size(B.text(request, "PageSize", False))
            except BadListingRequest as exc:
                raise SoapFault("Client", str(exc), "BAD_REQUEST") from None
            page = list_changes(state, plan, stream, after, limit, getattr(state, getter), "idesk")
            response = B.element(f"{operation}Response")
            for position, record in enumerate(page.records):
                element = render(record)
                if position == page.malformed:
                    corrupt(element)
                response.append(element)
            B.opt(response, "NextCursor", page.next_cursor)
            B.opt(response, "Marker", iso_local(page.marker) if page.marker is not None else marker)
            return response

        return handle

    def document_index(request: etree._Element) -> int:
        try:
            return int(B.text(request, "Id") or "") - INCOMING_ID_BASE
        except ValueError:
            raise SoapFault("Client", "Id must be a number", "BAD_REQUEST") from None

    def get_document(request: etree._Element) -> etree._Element:
        index = document_index(request)
        now = state.clock.now()
        doc = state.document(index, now) if state.holds("idesk", index) else None
        if doc is None:
            raise SoapFault("Client", "no such document", "NOT_FOUND")
        response = B.element("GetDocumentResponse")
        response.append(document_element(doc))
        return response

    def set_deadline(request: etree._Element) -> etree._Element:
        outcome = state.set_processing_deadline(
            "idesk", document_index(request), B.text(request, "Deadline") or "",
            B.text(request, "IdempotencyKey") or "",
        )  # fmt: skip
        if outcome["code"] in ("NOT_FOUND", "INVALID_DATE", "IDEMPOTENCY_KEY_REQUIRED"):
            raise SoapFault("Client", outcome["message"], outcome["code"])
        response = B.element("SetProcessingDeadlineResponse")
        B.sub(response, "Applied", outcome["applied"])
        B.sub(response, "Replayed", outcome["replayed"])
        B.sub(response, "Code", outcome["code"])
        B.sub(response, "Message", outcome["message"])
        B.sub(response, "LedgerSeq", outcome["seq"])
        B.opt(response, "Deadline", outcome["result"].get("deadline"))
        return response

    operations = {f"{name}Request": lister(name) for name in LISTINGS}
    operations["GetDocumentRequest"] = get_document
    operations["SetProcessingDeadlineRequest"] = set_deadline
    endpoint = SoapEndpoint(
        NAMESPACE, "idesk.wsdl", operations, {"SetProcessingDeadlineRequest"}, plan
    )

    def authenticated(request: Request) -> bool:
        scheme, _, value = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, _, password = base64.b64decode(value).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        return secrets.compare_digest(f"{user}\0{password}", "\0".join(credentials))

    async def service(request: Request) -> Response:
        if request.method == "GET":
            if request.url.query.lower() == "wsdl":
                return endpoint.wsdl(request)
            return Response("use ?wsdl or POST a SOAP request", 405)
        if not authenticated(request):
            return Response(
                "authentication required", 401, headers={"WWW-Authenticate": 'Basic realm="iDesk"'}
            )
        return await endpoint.handle(request)

    return Starlette(routes=[*extra_routes, Route(SERVICE_PATH, service, methods=["GET", "POST"])])
