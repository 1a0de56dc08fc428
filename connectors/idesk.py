"""iDesk over SOAP 1.1 document/literal (docs/domain.md §2; contract in docs/simulators.md).

``base_url`` is the service root; the endpoint's path comes from the WSDL. HTTP Basic
authentication; change-ordered listings parsed with lxml (bulk), the single-record
calls through zeep. Returns raw dicts; markers are the SOAP ``xsd:dateTime`` values (ISO 8601
with offset), as the store keeps them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any, ClassVar

from connectors.base import Capabilities, ReadBack, UnreadableOneByOne
from connectors.http import (
    BodyLimits,
    ContractError,
    RawPage,
    RetryPolicy,
    Timeouts,
    build_session,
    register_basic_auth,
)
from connectors.soap import SoapClient, service_address, service_path
from connectors.system_settings import SystemSettings, secret
from connectors.xmlsafe import element_to_dict

SYSTEM = "idesk"
WSDL = "idesk.wsdl"

# Our stream names → (listing operation, record element).
STREAM_OPERATIONS = {
    "incoming": ("ListChangedDocuments", "Document"),
    "outgoing": ("ListChangedOutgoing", "OutgoingDocument"),
    "directives": ("ListChangedDirectives", "Directive"),
}


class IDeskSettings(SystemSettings):
    """iDesk's section: base_url is the service root; the endpoint's path is the WSDL's."""

    endpoint_path: ClassVar[str | None] = service_path(WSDL)


class IDeskConnector:
    system = SYSTEM
    wire_format = "xml"  # what its writes are encoded as (push checks text against it)
    streams = tuple(STREAM_OPERATIONS)
    capabilities = Capabilities(
        read_one=frozenset({"incoming"}),  # iDesk has no single-record call for the others
        writes=frozenset({"set_processing_deadline"}),
        read_back={
            "set_processing_deadline": ReadBack(
                "incoming", "document_id", ("ProcessingDeadline",), "deadline"
            )
        },
    )

    @classmethod
    def from_settings(cls, section: SystemSettings, **connection: Any) -> IDeskConnector:
        return cls(section.base_url or "", section.username or "", secret(section.password),
                   **connection)  # fmt: skip

    def __init__(
        self,
        base_url: str,
        username: str,
        password: str,
        *,
        timeouts: Timeouts | None = None,
        policy: RetryPolicy | None = None,
        ca_bundle: str | None = None,
        page_size: int = 100,
        limits: BodyLimits | None = None,
    ) -> None:
        register_basic_auth(username, password)  # the password and base64("user:password")
        session = build_session(ca_bundle=ca_bundle)
        # As UTF-8 bytes: requests would encode text as Latin-1 and fail on a Vietnamese
        # password (RFC 7617 names UTF-8 as the charset to use).
        session.auth = (username.encode(), password.encode())
        self.soap = SoapClient(
            SYSTEM, WSDL, service_address(base_url, WSDL), timeouts=timeouts, policy=policy,
            session=session, limits=limits,
        )  # fmt: skip
        self.page_size = page_size

    def list_changed(
        self, stream: str, marker: str | None = None, *, page_size: int | None = None
    ) -> Iterator[RawPage]:
        operation, record_tag = STREAM_OPERATIONS[stream]
        return self.soap.list_changed(
            operation, record_tag, "Id", marker, page_size=page_size or self.page_size
        )

    def get(self, document_id: str) -> dict[str, Any]:
        """One document, read as the listing reads it (lxml, every value text): zeep's binding
        would hand dates as ``date`` objects, which the raw payload (JSON) cannot keep, so a
        rejected record read again by its id was refused by the store every time."""
        root = self.soap.call_raw("GetDocument", record=str(document_id), Id=document_id)
        found = root.find(".//{*}GetDocumentResponse/{*}Document")
        record = element_to_dict(found) if found is not None else None
        if not isinstance(record, dict):
            raise ContractError(SYSTEM, "GetDocument", "response has no Document",
                                record=str(document_id))  # fmt: skip
        return record

    def read_one(self, stream: str, source_id: str) -> dict[str, Any]:
        if stream not in self.capabilities.read_one:
            raise UnreadableOneByOne(SYSTEM, stream)
        return self.get(source_id)

    def set_processing_deadline(
        self, document_id: str, deadline: date, idempotency_key: str
    ) -> dict[str, Any]:
        """Set the processing deadline of a document that has none; safe to resend."""
        return self.soap.call(
            "SetProcessingDeadline",
            record=str(document_id),
            idempotency_key=idempotency_key,
            read_only=False,
            Id=document_id,
            Deadline=deadline,
            IdempotencyKey=idempotency_key,
        )

    def check(self) -> str:
        page = next(self.list_changed("incoming", page_size=1), RawPage([]))
        return f"authenticated, read {len(page.records)} record(s), marker {page.marker}"
