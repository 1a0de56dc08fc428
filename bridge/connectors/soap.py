"""What the SOAP connectors (iDesk, tracking) share: a safe zeep client and error mapping.

* The WSDL is loaded from disk (``connectors/wsdl/``), never fetched, with zeep's strict
  settings and DTDs, entities and external references forbidden.
* The HTTP session comes from ``http.build_session`` (TLS always verified, CA bundle setting);
  zeep's Transport gets explicit connect and operation timeouts.
* Faults and transport failures become the classified errors of ``http.py``: a
  ``soap:Client`` fault is the caller's mistake (fatal), a ``soap:Server`` fault is transient.
* Bulk listings bypass zeep's object binding (about 8x slower than lxml, DESIGN.md): zeep builds
  and sends the request, the body is parsed here with a hardened lxml parser.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import requests
import zeep
import zeep.exceptions as zeep_errors
from lxml import etree
from zeep.helpers import serialize_object
from zeep.transports import Transport

from bridge.connectors.http import (
    TLS_FAILED,
    AuthError,
    BadRecord,
    BadRequestError,
    ContractError,
    FatalError,
    RawPage,
    RetryableError,
    RetryPolicy,
    Timeouts,
    build_session,
    call_with_retries,
    parse_retry_after,
)

WSDL_DIR = Path(__file__).resolve().parent / "wsdl"

T = TypeVar("T")


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


# One parser for every SOAP body we parse ourselves: no DTD, no entities, no network.
_SAFE_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    dtd_validation=False,
    huge_tree=False,
    remove_blank_text=True,
)


def parse_xml_safely(body: bytes, *, system: str, operation: str) -> etree._Element:
    """Parse a response body; refuse any DOCTYPE (entity expansion, external entities)."""
    if b"<!DOCTYPE" in body[:2048].upper() or b"<!ENTITY" in body.upper():
        raise ContractError(system, operation, "response contains a DTD or entity; refused")
    try:
        return etree.fromstring(body, parser=_SAFE_PARSER)
    except etree.XMLSyntaxError as exc:
        raise _xml_error(system, operation, str(exc)) from None


def _xml_error(system: str, operation: str, detail: str) -> Exception:
    # A body cut off mid-way is a dropped connection (worth another try); any other syntax
    # error means the system sent something that is not its contract.
    lowered = detail.lower()
    if "premature end" in lowered or "expected '>'" in lowered or "end of data" in lowered:
        return RetryableError(system, operation, f"truncated XML body: {detail}")
    return ContractError(system, operation, f"response is not well-formed XML: {detail}")


SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"


def local_name(element: etree._Element) -> str:
    return etree.QName(element).localname


def element_to_dict(element: etree._Element) -> dict[str, Any] | str | None:
    """A record element as plain data: leaves become text, repeated children become lists.

    For bulk listings this replaces zeep's object binding (DESIGN.md: about 8x slower). The
    values stay text; reading them is normalize's job, like for a REST connector's JSON.
    """
    children = [child for child in element if isinstance(child.tag, str)]
    if not children:
        return element.text.strip() if element.text and element.text.strip() else None
    data: dict[str, Any] = {}
    for child in children:
        name, value = local_name(child), element_to_dict(child)
        if name in data:
            if not isinstance(data[name], list):
                data[name] = [data[name]]
            data[name].append(value)
        else:
            data[name] = value
    return data


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
    ) -> None:
        """``authenticate`` (optional) sets credentials on the session; it runs before the
        first call and once more whenever the system answers that they stopped working."""
        self.system = system
        self._authenticate = authenticate
        self._authenticated = authenticate is None
        self.policy = policy or RetryPolicy()
        self.timeouts = timeouts or Timeouts()
        self.session = session or build_session(ca_bundle=ca_bundle)
        transport = Transport(
            session=self.session,
            timeout=self.timeouts.connect_s,
            operation_timeout=self.timeouts.read_s,
        )
        wsdl_path = WSDL_DIR / wsdl_file
        try:
            self.client = zeep.Client(str(wsdl_path), transport=transport, settings=safe_settings())
        except (OSError, zeep_errors.Error, etree.XMLSyntaxError) as exc:
            raise FatalError(system, "load WSDL", f"{wsdl_path}: {exc}") from None
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

    def call_raw(self, operation: str, *, record: str | None = None, **arguments: Any):
        """Call a read-only ``operation`` and return the response body parsed with lxml."""

        def attempt() -> etree._Element:
            def send() -> requests.Response:
                with self.client.settings(raw_response=True):
                    return self.service[operation](**arguments)

            response = self._guard(operation, record, send)
            self._raise_for_status(response, operation, record)
            root = parse_xml_safely(response.content, system=self.system, operation=operation)
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
        while True:
            root = self.call_raw(operation, **arguments)
            body = root.find(f"{{{SOAP_ENV}}}Body")
            if body is None or len(body) == 0:
                raise ContractError(self.system, operation, "response has no SOAP body")
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
            if not next_cursor:
                return
            arguments = {"PageSize": page_size, "Cursor": next_cursor}

    def _readable(self, element: etree._Element, id_field: str) -> dict[str, Any] | BadRecord:
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
        text = f"SOAP fault {code or '?'}: {message or '(no message)'}"
        if code and code.split(":")[-1] in ("Client", "Sender"):
            return BadRequestError(self.system, operation, text, record=record)
        return RetryableError(self.system, operation, text, record=record)

    def _guard(self, operation: str, record: str | None, send: Callable[[], T]) -> T:
        """Run one zeep exchange, turning whatever it raises into our classified errors."""
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
            raise _xml_error(self.system, operation, str(exc)) from None
        except (zeep_errors.ValidationError, zeep_errors.UnexpectedElementError) as exc:
            raise ContractError(self.system, operation, str(exc), record=record) from None
        except requests.exceptions.SSLError:
            raise FatalError(self.system, operation, TLS_FAILED, record=record) from None
        except requests.exceptions.RequestException as exc:
            raise RetryableError(
                self.system, operation, f"{exc.__class__.__name__}: {exc}", record=record
            ) from None
