"""What the SOAP connectors (iDesk, tracking) share: a safe zeep client and error mapping.

* The WSDL is loaded from disk (``connectors/wsdl/``), never fetched, with zeep's strict
  settings and DTDs, entities and external references forbidden.
* The HTTP session comes from ``http.build_session`` (TLS always verified, CA bundle setting);
  zeep's Transport gets explicit connect and operation timeouts.
* A system's ``base_url`` is its service root (``https://host[:port][/prefix]``), as for every
  system; the endpoint's path is the WSDL's ``soap:address`` (``service_address``).
* Faults and transport failures become the classified errors of ``http.py``: a
  ``soap:Client`` fault is the caller's mistake (fatal), a ``soap:Server`` fault is transient.
* Bulk listings bypass zeep's object binding (about 8x slower than lxml, docs/design.md,
  "Performance facts"): zeep builds and sends the request, the body is parsed here with a
  hardened lxml parser.
* Every answer, zeep's included, is read by ``BoundedTransport`` within the system's limits
  (size, total deadline, see ``bodies.py``); an HTML page where XML was due is refused as
  retryable; XML that says (or defaults to) UTF-8 must be valid UTF-8. Nothing of a body goes
  into an error: lxml's messages are reduced to what they say about structure and where.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import requests
import zeep
import zeep.exceptions as zeep_errors
import zeep.wsdl
from lxml import etree
from zeep.helpers import serialize_object
from zeep.transports import Transport

from connectors.http import (
    TLS_FAILED,
    AuthError,
    BadRecord,
    BadRequestError,
    BodyLimits,
    ConnectorError,
    ContractError,
    FatalError,
    RawPage,
    RetryableError,
    RetryPolicy,
    Timeouts,
    build_session,
    call_with_retries,
    check_xml_encoding,
    exchange,
    parse_retry_after,
    refuse_wrong_kind,
    transport_problem,
)
from connectors.xmlsafe import (
    SOAP_ENV,
    element_to_dict,
    local_name,
    oversized,
    parse_xml_safely,
    xml_error,
)

WSDL_DIR = Path(__file__).resolve().parent / "wsdl"

T = TypeVar("T")

_WSDL_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
_SOAP_ADDRESS = "{http://schemas.xmlsoap.org/wsdl/soap/}address"


@cache
def service_path(wsdl_file: str) -> str:
    """The endpoint's path, from the WSDL's ``soap:address`` (its host is a placeholder):
    ``/idesk/ws/VanBanService`` for ``idesk.wsdl``."""
    tree = etree.parse(str(WSDL_DIR / wsdl_file), parser=_WSDL_PARSER)
    address = tree.find(f".//{_SOAP_ADDRESS}")
    if address is None or not address.get("location"):
        raise ValueError(f"{wsdl_file} has no soap:address location")
    return urlsplit(address.get("location")).path


def service_address(base_url: str, wsdl_file: str) -> str:
    """The SOAP endpoint of the system at ``base_url`` (its service root, which may carry a
    gateway's prefix): the root joined with the WSDL's path."""
    return base_url.rstrip("/") + service_path(wsdl_file)


def safe_settings(**overrides: Any) -> zeep.Settings:
    """zeep settings with every XML attack surface closed (issue 5)."""
    return zeep.Settings(
        strict=True,
        forbid_dtd=True,
        forbid_entities=True,
        forbid_external=True,
        xml_huge_tree=False,
        **overrides,
    )


class BoundedTransport(Transport):
    """zeep's transport, reading every answer within the system's limits and logging no body
    (zeep's own ``post`` writes whole requests and answers at DEBUG)."""

    def __init__(self, system: str, session: requests.Session, timeouts: Timeouts,
                 limits: BodyLimits) -> None:  # fmt: skip
        super().__init__(
            session=session, timeout=timeouts.connect_s, operation_timeout=timeouts.read_s
        )
        self.system = system
        self.timeouts = timeouts
        self.limits = limits
        # Set by SoapClient before each call, so that errors name the call and its record.
        self.operation = "SOAP call"
        self.record: str | None = None

    def post(self, address: str, message: bytes | str, headers: dict) -> requests.Response:
        where = {"system": self.system, "operation": self.operation, "record": self.record}
        response = exchange(
            self.session, "POST", address, data=message, headers=headers, limits=self.limits,
            timeouts=self.timeouts.as_tuple, **where,
        )  # fmt: skip
        body = response.content
        if response.status_code < 400:
            refuse_wrong_kind(response, body, expected="XML", **where)
            check_xml_encoding(body, **where)
        return response


# Each WSDL is parsed once per process and its document (the types and operations it
# declares, read-only once built) shared by every client: a flow run builds a connector per
# system for its sync and for its push, and parsing the tracking WSDL each time was 7 % of the
# demo's CPU. zeep's transport is used only while parsing (the WSDL and its schemas are local
# files); every call goes through the client's own transport.
_PARSED: dict[str, zeep.wsdl.Document] = {}
_PARSING = threading.Lock()


def _parsed_wsdl(system: str, wsdl_file: str, transport: Transport) -> zeep.wsdl.Document:
    with _PARSING:
        if wsdl_file not in _PARSED:
            wsdl_path = WSDL_DIR / wsdl_file
            try:
                document = zeep.wsdl.Document(str(wsdl_path), transport, settings=safe_settings())
            except (OSError, zeep_errors.Error, etree.XMLSyntaxError) as exc:
                raise FatalError(system, "load WSDL", f"{wsdl_path}: {exc}") from None
            _PARSED[wsdl_file] = document
        return _PARSED[wsdl_file]


class SoapClient:
    """A zeep client for one WSDL, pointed at one address, with our policy around each call."""

    def __init__(
        self,
        system: str,
        wsdl_file: str,
        address: str,
        *,
        timeouts: Timeouts | None = None,
        policy: RetryPolicy | None = None,
        ca_bundle: str | None = None,
        session: requests.Session | None = None,
        authenticate: Callable[[], None] | None = None,
        limits: BodyLimits | None = None,
    ) -> None:
        """``authenticate`` (optional) sets credentials on the session; it runs before the
        first call and once more whenever the system answers that they stopped working."""
        self.system = system
        self._authenticate = authenticate
        self._authenticated = authenticate is None
        self.policy = policy or RetryPolicy()
        self.timeouts = timeouts or Timeouts()
        self.session = session or build_session(ca_bundle=ca_bundle)
        self.transport = BoundedTransport(
            system, self.session, self.timeouts, limits or BodyLimits()
        )
        self.client = zeep.Client(
            _parsed_wsdl(system, wsdl_file, self.transport),
            transport=self.transport,
            settings=safe_settings(),
        )
        binding = next(iter(self.client.wsdl.bindings))
        self.service = self.client.create_service(binding, address)

    def call(
        self,
        operation: str,
        *,
        record: str | None = None,
        idempotency_key: str | None = None,
        read_only: bool = True,
        **arguments: Any,
    ) -> dict[str, Any]:
        """Call ``operation`` through zeep and return the result as plain dicts."""

        def attempt() -> dict[str, Any]:
            result = self._guard(operation, record, lambda: self.service[operation](**arguments))
            return serialize_object(result, target_cls=dict)

        allowed = read_only or idempotency_key is not None
        return call_with_retries(
            lambda: self._with_credentials(attempt), policy=self.policy, retry_allowed=allowed
        )

    def _with_credentials(self, attempt: Callable[[], T]) -> T:
        if not self._authenticated:
            self._authenticate()
            self._authenticated = True
        try:
            return attempt()
        except AuthError:
            if self._authenticate is None:
                raise
            self._authenticate()  # e.g. an LGSP token that expired mid-run
            return attempt()

    def call_raw(
        self, operation: str, *, record: str | None = None, listing_page: bool = False,
        **arguments: Any,
    ):  # fmt: skip
        """Call a read-only ``operation`` and return the response body parsed with lxml.

        A ``listing_page`` is parsed without lxml's per-node limits (its size is bounded by the
        system's limit): a record over them is refused alone, by ``list_changed``."""

        def attempt() -> etree._Element:
            def send() -> requests.Response:
                with self.client.settings(raw_response=True):
                    return self.service[operation](**arguments)

            response = self._guard(operation, record, send)
            self._raise_for_status(response, operation, record)
            root = parse_xml_safely(response.content, system=self.system, operation=operation,
                                    huge=listing_page)  # fmt: skip
            fault = root.find(".//{http://schemas.xmlsoap.org/soap/envelope/}Fault")
            if fault is not None:
                raise self._fault_error(
                    operation, record, fault.findtext("faultcode"), fault.findtext("faultstring")
                )
            return root

        return call_with_retries(
            lambda: self._with_credentials(attempt), policy=self.policy, retry_allowed=True
        )

    def list_changed(
        self,
        operation: str,
        record_tag: str,
        id_field: str,
        marker: str | None = None,
        *,
        page_size: int = 100,
    ) -> Iterator[RawPage]:
        """Page through a change-ordered listing (Marker, Cursor, PageSize → records,
        NextCursor, Marker), yielding raw dicts; an unreadable record becomes a BadRecord."""
        arguments: dict[str, Any] = {"PageSize": page_size}
        if marker:
            arguments["Marker"] = marker
        number = 1
        while True:
            page = f"page {number}" + (f" from marker {marker}" if marker else "")
            try:
                root = self.call_raw(operation, listing_page=True, **arguments)
            except ConnectorError as exc:
                raise exc.on_page(page, operation) from None
            body = root.find(f"{{{SOAP_ENV}}}Body")
            if body is None or len(body) == 0:
                raise ContractError(self.system, operation, "response has no SOAP body", page=page)
            response = body[0]
            records: list[dict[str, Any] | BadRecord] = []
            next_cursor = page_marker = None
            for child in response:
                name = local_name(child)
                if name == record_tag:
                    records.append(self._readable(child, id_field))
                elif name == "NextCursor":
                    next_cursor = (child.text or "").strip() or None
                elif name == "Marker":
                    page_marker = (child.text or "").strip() or None
            yield RawPage(records, page_marker)
            number += 1
            if not next_cursor:
                return
            arguments = {"PageSize": page_size, "Cursor": next_cursor}

    def _readable(self, element: etree._Element, id_field: str) -> dict[str, Any] | BadRecord:
        too_big = oversized(element)
        if too_big is not None:
            given = element.find(f"{{*}}{id_field}")
            source_id = given.text.strip() if given is not None and given.text else None
            raw = etree.tostring(element)[:2000]
            return BadRecord(f"record has {too_big}", raw, (source_id or "")[:128] or None)
        record = element_to_dict(element)
        if not isinstance(record, dict):
            return BadRecord("record element is empty", etree.tostring(element)[:2000])
        if not record.get(id_field):
            return BadRecord(f"record has no '{id_field}'", record)
        return record

    def _raise_for_status(
        self, response: requests.Response, operation: str, record: str | None
    ) -> None:
        # A SOAP fault travels with HTTP 500; let the body decide between fault and failure.
        if response.status_code == 500 and b"Fault" in response.content:
            return
        if response.status_code >= 400:
            self._raise_transport(response.status_code, response, operation, record)

    def _raise_transport(
        self, status: int, response: requests.Response | None, operation: str, record: str | None
    ) -> None:
        problem = f"HTTP {status}"
        if status in (401, 403):
            raise AuthError(
                self.system, operation, problem + " — check the credentials", record=record
            )
        if status in (408, 429) or status >= 500:
            after = parse_retry_after(response.headers.get("Retry-After")) if response else None
            raise RetryableError(self.system, operation, problem, record=record, retry_after=after)
        raise BadRequestError(self.system, operation, problem, record=record)

    def _fault_error(
        self, operation: str, record: str | None, code: str | None, message: str | None
    ) -> Exception:
        # The fault string is the system's own words (an error message, not a record); kept
        # short, and redacted like every error text (a fault may echo the credentials).
        said = " ".join((message or "(no message)").split())
        said = said if len(said) <= 200 else said[:200] + f"… ({len(said)} characters)"
        text = f"SOAP fault {code or '?'}: {said}"
        if code and code.split(":")[-1] in ("Client", "Sender"):
            return BadRequestError(self.system, operation, text, record=record)
        return RetryableError(self.system, operation, text, record=record)

    def _guard(self, operation: str, record: str | None, send: Callable[[], T]) -> T:
        """Run one zeep exchange, turning whatever it raises into our classified errors."""
        self.transport.operation, self.transport.record = operation, record
        try:
            return send()
        except zeep_errors.Fault as fault:
            raise self._fault_error(operation, record, str(fault.code), fault.message) from None
        except zeep_errors.TransportError as exc:
            if exc.status_code < 400:
                # HTTP 200 but no SOAP envelope (a gateway's HTML page, an empty body, JSON):
                # the contract is broken, our request was not refused. Say how long, not what.
                size = len(exc.content or b"")
                problem = f"HTTP {exc.status_code} answer is not a SOAP envelope ({size} bytes)"
                raise ContractError(self.system, operation, problem, record=record) from None
            self._raise_transport(exc.status_code, None, operation, record)
            raise  # unreachable: _raise_transport always raises
        except (
            zeep_errors.DTDForbidden,
            zeep_errors.EntitiesForbidden,
            zeep_errors.ExternalReferenceForbidden,
        ) as exc:
            raise ContractError(
                self.system, operation, f"response refused: {exc.__class__.__name__}", record=record
            ) from None
        except (zeep_errors.XMLSyntaxError, etree.XMLSyntaxError) as exc:
            raise xml_error(self.system, operation, exc) from None
        except (zeep_errors.ValidationError, zeep_errors.UnexpectedElementError) as exc:
            # zeep's message may quote a value; its class and the element path say enough.
            path = ".".join(str(p) for p in getattr(exc, "path", None) or [])
            problem = f"answer does not match the WSDL ({exc.__class__.__name__}"
            problem += f" at {path})" if path else ")"
            raise ContractError(self.system, operation, problem, record=record) from None
        except requests.exceptions.SSLError:
            raise FatalError(self.system, operation, TLS_FAILED, record=record) from None
        except requests.exceptions.RequestException as exc:
            raise RetryableError(
                self.system, operation, transport_problem(exc), record=record
            ) from None
