"""The floors ingest is measured against: the least any client must do with the same listing.

* ``download``: page through the REST listing, keep nothing (the network and HTTP alone);
* ``floor_rest``: download + ``json`` decode + one pydantic model per record + one compiled
  SQLAlchemy Core multi-row upsert per page into the bridge's own SQLite schema (``documents``);
* ``floor_soap``: the same for the SOAP listing, decoded with the bridge's hardened lxml parser
  (``connectors.xmlsafe``: no DTD, no entities, no network).

A floor does no more than that: no raw payload kept, no content hash, no cursor, no run log, no
secrecy rule, no dead letters (a record the model refuses is only counted). What the bridge does
beyond it is what its ratio to the floor prices.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import requests
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import Engine, func, select
from sqlalchemy.dialects import sqlite

from bench import replay

ICT = timezone(timedelta(hours=7))


class FloorDocument(BaseModel):
    """One incoming document, as both listings carry it (aliases per wire format)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    source_id: str
    notation: str
    doc_type: str
    abstract: str
    issued: date
    organ_id: str
    signer: str | None = None
    signer_position: str | None = None
    received_at: datetime | None = None
    urgency: str | None = None
    changed_at: datetime | None = None

    def row(self, system: str, now: datetime) -> dict[str, Any]:
        number, _, _ = self.notation.partition("/")
        return {
            "system": system,
            "source_id": self.source_id,
            "direction": "incoming",
            "document_id": f"{self.organ_id}:{self.notation}"[:128],
            "organ_id": self.organ_id,
            "promulgation_date": self.issued,
            "number": number[:32],
            "notation": self.notation,
            "doc_type": self.doc_type,
            "abstract": self.abstract,
            "urgency": self.urgency or "",
            "signer_name": self.signer,
            "signer_position": self.signer_position,
            "received_at": _aware(self.received_at),
            "changed_at": _aware(self.changed_at),
            "updated_at": now,
        }


def _aware(moment: datetime | None) -> datetime | None:
    return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=ICT)


class RestDocument(FloorDocument):
    source_id: str = Field(alias="id", coerce_numbers_to_str=True)
    notation: str = Field(alias="soKyHieu")
    doc_type: str = Field(alias="loaiVanBan")
    abstract: str = Field(alias="trichYeu")
    issued: date = Field(alias="ngayBanHanh")
    organ_id: str = Field(alias="maDinhDanh")
    signer: str | None = Field(None, alias="nguoiKy")
    signer_position: str | None = Field(None, alias="chucVuNguoiKy")
    received_at: datetime | None = Field(None, alias="ngayDen")
    urgency: str | None = Field(None, alias="doKhan")
    changed_at: datetime | None = Field(None, alias="ngayCapNhat")


class SoapDocument(FloorDocument):
    source_id: str = Field(alias="Id")
    notation: str = Field(alias="NumberNotation")
    doc_type: str = Field(alias="DocumentType")
    abstract: str = Field(alias="Abstract")
    issued: date = Field(alias="IssueDate")
    organ_id: str = Field(alias="IssuerCode")
    signer: str | None = Field(None, alias="Signer")
    signer_position: str | None = Field(None, alias="SignerPosition")
    received_at: datetime | None = Field(None, alias="ReceivedAt")
    urgency: str | None = Field(None, alias="Urgency")
    changed_at: datetime | None = Field(None, alias="ModifiedAt")


class Upserter:
    """One compiled upsert into ``documents``, run with a page's rows in one transaction."""

    def __init__(self, engine: Engine) -> None:
        from store.tables import documents

        self.engine = engine
        self.table = documents
        insert = sqlite.insert(documents)
        keep = {"id", "system", "source_id"}
        self.statement = insert.on_conflict_do_update(
            index_elements=["system", "source_id"],
            set_={c.name: insert.excluded[c.name] for c in documents.c if c.name not in keep},
        )

    def write(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            with self.engine.begin() as conn:
                conn.execute(self.statement, rows)

    def stored(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(self.table)).scalar_one()


def _pages_rest(base_url: str, page_size: int):  # type: ignore[no-untyped-def]
    """The REST listing's pages as bytes, logged in like the connector."""
    session = requests.Session()
    login = session.post(base_url + replay.REST_LOGIN, json={}, timeout=60).json()
    session.headers["X-Authentication-Token"] = login["data"]["token"]
    params: dict[str, Any] = {"limit": page_size}
    while True:
        body = session.get(base_url + replay.REST_LISTING, params=params, timeout=120).content
        yield body
        cursor = _rest_cursor(body)
        if not cursor:
            return
        params = {"limit": page_size, "cursor": cursor}


def _rest_cursor(body: bytes) -> str | None:
    # Download-only must not decode the page: the cursor sits near its end.
    tail = body[-400:]
    start = tail.rfind(b'"nextCursor":')
    if start < 0:
        return None
    value = tail[start + len(b'"nextCursor":') :].lstrip()
    if not value.startswith(b'"'):
        return None
    return value[1 : value.index(b'"', 1)].decode()


def download(base_url: str, page_size: int, engine: Engine | None = None) -> dict[str, int]:
    pages = total = 0
    for body in _pages_rest(base_url, page_size):
        pages += 1
        total += len(body)
    return {"pages": pages, "bytes": total}


def floor_rest(base_url: str, page_size: int, engine: Engine) -> dict[str, int]:
    import json

    upserter, now = Upserter(engine), datetime.now(UTC)
    fetched = refused = 0
    for body in _pages_rest(base_url, page_size):
        rows = []
        for item in json.loads(body)["data"]["items"]:
            fetched += 1
            try:
                rows.append(RestDocument.model_validate(item).row("rest", now))
            except ValidationError:
                refused += 1
        upserter.write(rows)
    return {"fetched": fetched, "refused": refused, "stored": upserter.stored()}


def floor_soap(address: str, page_size: int, engine: Engine) -> dict[str, int]:
    from connectors.xmlsafe import element_to_dict, local_name, parse_xml_safely

    session = requests.Session()
    upserter, now = Upserter(engine), datetime.now(UTC)
    fetched = refused = 0
    cursor: str | None = None
    while True:
        body = session.post(address, data=_soap_request(page_size, cursor), timeout=120,
                            headers={"Content-Type": "text/xml; charset=utf-8",
                                     "SOAPAction": '"ListChangedDocuments"'}).content  # fmt: skip
        root = parse_xml_safely(body, system="floor", operation="list", huge=True)
        rows, cursor = [], None
        for child in root[0][0]:
            name = local_name(child)
            if name == "Document":
                fetched += 1
                try:
                    rows.append(
                        SoapDocument.model_validate(element_to_dict(child)).row("soap", now)
                    )
                except ValidationError:
                    refused += 1
            elif name == "NextCursor":
                cursor = (child.text or "").strip() or None
        upserter.write(rows)
        if not cursor:
            return {"fetched": fetched, "refused": refused, "stored": upserter.stored()}


def _soap_request(page_size: int, cursor: str | None) -> bytes:
    cursor_element = f"<i:Cursor>{cursor}</i:Cursor>" if cursor else ""
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:i="urn:idesk:vanban:1.0"><soap:Body><i:ListChangedDocuments>'
        f"<i:PageSize>{page_size}</i:PageSize>{cursor_element}"
        "</i:ListChangedDocuments></soap:Body></soap:Envelope>"
    ).encode()
