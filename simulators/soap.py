"""SOAP 1.1 document/literal plumbing for the simulated servers, answered with lxml.

Requests are parsed with a parser that resolves no entities, loads no DTD and reaches no network,
and any document carrying a DOCTYPE is refused before parsing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from lxml import etree
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from simulators.faults import FaultPlan, garbled_answer

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
WSDL_DIR = Path(__file__).resolve().parent.parent / "connectors" / "wsdl"
XML_CONTENT_TYPE = "text/xml; charset=utf-8"
MAX_REQUEST_BYTES = 1_000_000


class SoapFault(Exception):
    """Answered as soap:Fault; `code` is Client (the caller's mistake) or Server (transient)."""

    def __init__(self, code: str, message: str, detail_code: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.detail_code = detail_code


def safe_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
    )


def parse_xml(body: bytes) -> etree._Element:
    """Parse untrusted XML; refuse a DOCTYPE outright (no entity tricks, no billion laughs)."""
    if b"<!DOCTYPE" in body.upper():
        raise SoapFault("Client", "documents with a DOCTYPE are refused")
    try:
        root = etree.fromstring(body, safe_parser())
    except etree.XMLSyntaxError as exc:
        raise SoapFault("Client", f"the request is not well-formed XML: {exc}") from None
    if root.getroottree().docinfo.doctype:
        raise SoapFault("Client", "documents with a DOCTYPE are refused")
    return root


def request_operation(body: bytes) -> etree._Element:
    """The first element of soap:Body: the document/literal request."""
    root = parse_xml(body)
    if root.tag != f"{{{SOAP_ENV}}}Envelope":
        raise SoapFault("Client", "expected a SOAP 1.1 Envelope")
    soap_body = root.find(f"{{{SOAP_ENV}}}Body")
    if soap_body is None or len(soap_body) == 0:
        raise SoapFault("Client", "the SOAP Body is empty")
    return soap_body[0]


def envelope(payload: etree._Element) -> bytes:
    env = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soap": SOAP_ENV})
    etree.SubElement(env, f"{{{SOAP_ENV}}}Body").append(payload)
    return etree.tostring(env, xml_declaration=True, encoding="utf-8")


def fault_response(fault: SoapFault, namespace: str) -> Response:
    env = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soap": SOAP_ENV})
    body = etree.SubElement(env, f"{{{SOAP_ENV}}}Body")
    element = etree.SubElement(body, f"{{{SOAP_ENV}}}Fault")
    etree.SubElement(element, "faultcode").text = f"soap:{fault.code}"
    etree.SubElement(element, "faultstring").text = fault.message
    if fault.detail_code:
        detail = etree.SubElement(element, "detail")
        etree.SubElement(detail, f"{{{namespace}}}ErrorCode").text = fault.detail_code
    xml = etree.tostring(env, xml_declaration=True, encoding="utf-8")
    return Response(xml, 500, media_type=XML_CONTENT_TYPE)


class Builder:
    """Small helper writing elements of one target namespace, skipping absent values."""

    def __init__(self, namespace: str) -> None:
        self.ns = namespace

    def element(self, name: str) -> etree._Element:
        return etree.Element(f"{{{self.ns}}}{name}", nsmap={None: self.ns})

    def sub(self, parent: etree._Element, name: str, value: object = None) -> etree._Element:
        child = etree.SubElement(parent, f"{{{self.ns}}}{name}")
        if value is not None:
            child.text = str(value).lower() if isinstance(value, bool) else str(value)
        return child

    def opt(self, parent: etree._Element, name: str, value: object) -> None:
        if value is not None:
            self.sub(parent, name, value)

    def text(self, request: etree._Element, name: str, required: bool = True) -> str | None:
        child = request.find(f"{{{self.ns}}}{name}")
        if child is None or child.text is None or not child.text.strip():
            if required:
                raise SoapFault("Client", f"{name} is required", "BAD_REQUEST")
            return None
        return child.text.strip()

    def child(self, request: etree._Element, name: str) -> etree._Element:
        child = request.find(f"{{{self.ns}}}{name}")
        if child is None:
            raise SoapFault("Client", f"{name} is required", "BAD_REQUEST")
        return child


_SOAP_ADDRESS = re.compile(r'(<soap:address\s+location=)"[^"]*"')

Operation = Callable[[etree._Element], etree._Element]


class SoapEndpoint:
    """Dispatches document/literal requests by the request element's local name."""

    def __init__(
        self,
        namespace: str,
        wsdl_file: str,
        operations: dict[str, Operation],
        writes: set[str],
        plan: FaultPlan,
    ) -> None:
        self.namespace = namespace
        self.wsdl_path = WSDL_DIR / wsdl_file
        self.operations = operations
        self.writes = writes
        self.plan = plan

    def wsdl(self, request: Request) -> Response:
        """The WSDL of the repository, with the service address pointing at this server."""
        text = self.wsdl_path.read_text(encoding="utf-8")
        address = str(request.url.replace(query=""))
        # The file's soap:address says the service's path on a placeholder host; the answer
        # names this server, as a real system's ?wsdl does.
        text = _SOAP_ADDRESS.sub(lambda m: f'{m.group(1)}"{address}"', text, count=1)
        return Response(text, media_type=XML_CONTENT_TYPE)

    async def handle(self, request: Request) -> Response:
        body = await request.body()
        try:
            if len(body) > MAX_REQUEST_BYTES:
                raise SoapFault("Client", "the request is too large")
            operation = request_operation(body)
            name = etree.QName(operation).localname
            if etree.QName(operation).namespace != self.namespace or name not in self.operations:
                raise SoapFault("Client", f"unknown operation {operation.tag}", "UNKNOWN_OPERATION")
            if self.plan.fire("soap_fault"):
                raise SoapFault("Server", "simulated transient failure, try again", "TRANSIENT")
            payload = await run_in_threadpool(self.operations[name], operation)
        except SoapFault as fault:
            return fault_response(fault, self.namespace)
        applied = payload.findtext(f"{{{self.namespace}}}Applied") == "true"
        if name in self.writes and applied and self.plan.fire("lost_response"):
            # The write is in the ledger; the caller only sees a gateway timeout.
            return Response(b"upstream timed out", 504)
        garbled = garbled_answer(self.plan, "xml") if name in self.writes and applied else None
        if garbled:
            return Response(garbled[0], 200, media_type=garbled[1])
        return Response(envelope(payload), media_type=XML_CONTENT_TYPE)
