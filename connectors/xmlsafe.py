"""Parsing SOAP bodies ourselves, safely and within limits (the SOAP connectors' helper).

* No DTD, no entities, no network: a DOCTYPE or ENTITY is refused before parsing.
* XML that declares (or defaults to) UTF-8 must be valid UTF-8.
* The default parser keeps lxml's limits (10 MB per text node, 256 levels). Listing pages are
  parsed with ``huge=True`` instead, their size already bounded by the system's
  ``max_body_mb``, so that one record over those limits costs that record (``oversized``), not
  the page on every run.
* Errors say where (line, column) and how long, and what lxml said only as far as it describes
  structure: never a quoted piece of the body.
"""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

from connectors.http import (
    ConnectorError,
    ContractError,
    RetryableError,
    check_xml_encoding,
)

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"

# lxml's own limits without huge_tree, applied per record on listing pages.
MAX_TEXT_CHARS = 10 * 1024 * 1024
MAX_RECORD_DEPTH = 256


def _parser(*, huge: bool) -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=huge,
        remove_blank_text=True,
    )


# One parser for every SOAP body we parse ourselves: no DTD, no entities, no network.
_SAFE_PARSER = _parser(huge=False)
_LISTING_PARSER = _parser(huge=True)


def parse_xml_safely(body: bytes, *, system: str, operation: str, huge: bool = False):
    """Parse a response body; refuse any DOCTYPE (entity expansion, external entities)."""
    if b"<!DOCTYPE" in body[:2048].upper() or b"<!ENTITY" in body.upper():
        raise ContractError(system, operation, "response contains a DTD or entity; refused")
    check_xml_encoding(body, system=system, operation=operation)
    try:
        return etree.fromstring(body, parser=_LISTING_PARSER if huge else _SAFE_PARSER)
    except etree.XMLSyntaxError as exc:
        raise xml_error(system, operation, exc, len(body)) from None


# lxml's limits, said in words an operator can act on.
_XML_LIMITS = (
    ("text node", "a text node is longer than the parser's limit of 10 MB"),
    ("huge text", "a text node is longer than the parser's limit of 10 MB"),
    ("excessive depth", "elements are nested deeper than the parser's limit"),
    ("huge input lookup", "a name or attribute is longer than the parser's limit"),
    ("not proper utf-8", "the answer is not valid UTF-8"),
)
# Parts of lxml messages that quote the input: "Bytes: 0xC3 0x28", attribute values...
_QUOTING = re.compile(r"""(?i)(bytes:.*|'[^']*'|"[^"]*")""")


def xml_error(
    system: str, operation: str, exc: Exception | str, size: int | None = None
) -> ConnectorError:
    """The error for a body lxml could not parse: where it failed and how long the body was;
    lxml's message only as far as it describes structure (never quoted input)."""
    detail = str(exc)
    lowered = detail.lower()
    line = getattr(exc, "lineno", None)
    column = getattr(exc, "position", (None, None))[1] if hasattr(exc, "position") else None
    where = f"line {line}, column {column}" if line else "unknown position"
    length = f"{size} bytes, " if size is not None else ""
    # A body cut off mid-way is a dropped connection (worth another try); any other syntax
    # error means the system sent something that is not its contract.
    if "premature end" in lowered or "expected '>'" in lowered or "end of data" in lowered:
        return RetryableError(system, operation, f"truncated XML body ({length}{where})")
    for phrase, said in _XML_LIMITS:
        if phrase in lowered:
            return ContractError(system, operation, f"{said} ({length}{where})")
    reason = _QUOTING.sub("…", detail.split("(line")[0].split(", line")[0]).strip()[:160]
    return ContractError(
        system, operation, f"response is not well-formed XML: {reason} ({length}{where})"
    )


def oversized(record: etree._Element) -> str | None:
    """Why a record element is over lxml's usual limits (a text longer than 10 MB, elements
    nested deeper than 256 levels), naming the element and the size, never the text; None
    when it is within them. Iterative: the depth is what is being checked."""
    count = 0
    for element in record.iter():  # lxml's own walk: this runs on every record of a page
        count += 1
        for text in (element.text, element.tail if element is not record else None):
            if text and len(text) > MAX_TEXT_CHARS:
                name = local_name(element) if isinstance(element.tag, str) else "?"
                return (f"text of {len(text):,} characters in <{name}>, over the limit of "
                        f"{MAX_TEXT_CHARS:,}")  # fmt: skip
    # A record of no more elements than the depth limit cannot nest deeper than it.
    return _too_deep(record) if count > MAX_RECORD_DEPTH else None


def _too_deep(record: etree._Element) -> str | None:
    stack = [(record, 1)]
    while stack:
        element, depth = stack.pop()
        if depth > MAX_RECORD_DEPTH:
            return f"elements nested deeper than {MAX_RECORD_DEPTH} levels"
        stack.extend((child, depth + 1) for child in element)
    return None


def local_name(element: etree._Element) -> str:
    return etree.QName(element).localname


def element_to_dict(element: etree._Element) -> dict[str, Any] | str | None:
    """A record element as plain data: leaves become text, repeated children become lists.

    For bulk listings this replaces zeep's object binding (docs/design.md, "Performance
    facts": about 8x slower). The values stay text; reading them is normalize's job, like for
    a REST connector's JSON.
    """
    children = list(element.iterchildren(etree.Element))  # elements only: no comments, PIs
    if not children:
        text = element.text
        return (text.strip() or None) if text else None
    data: dict[str, Any] = {}
    for child in children:
        # The local name straight from lxml's "{namespace}name" tag: a QName object per
        # element cost a fifth of a SOAP listing's parse.
        name, value = child.tag.rpartition("}")[2], element_to_dict(child)
        if name in data:
            if not isinstance(data[name], list):
                data[name] = [data[name]]
            data[name].append(value)
        else:
            data[name] = value
    return data
