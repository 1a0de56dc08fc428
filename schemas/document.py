"""Documents, directives and assignments (docs/domain.md §§3 and 4)."""

from __future__ import annotations

import re
from datetime import date, datetime

from pydantic import Field, field_validator, model_validator

from schemas.base import CanonicalModel, Instant, Text
from schemas.codes import Direction, DocumentType, HandlerRole, Secrecy, System, Urgency
from schemas.limits import INCOMING_NUMBER, NOTATION, NUMBER, ORGAN_ID, SOURCE_ID, UNIT_ID

# Decision 20/2020/QĐ-TTg electronic identifier codes look like 000.00.31.H41: four groups
# separated by dots. Real deployments also use shorter internal ids, so only the separator and
# the character set are enforced.
_ORGAN_ID = re.compile(r"^[0-9A-Za-z]+(?:\.[0-9A-Za-z]+)*$")


class DocumentKey(CanonicalModel):
    """Identifies a document across systems: issuer, promulgation date, number and notation.

    Rendered as the edXML DocumentId ``<organ id>,<yyyy/MM/dd>,<number>/<notation>``, e.g.
    ``000.00.31.H41,2017/09/22,1866/SXD-VP``.
    """

    organ_id: Text = Field(min_length=1, max_length=ORGAN_ID)
    promulgation_date: date
    number: Text = Field(min_length=1, max_length=NUMBER, description="as written, e.g. '07'")
    notation: Text = Field(min_length=1, max_length=NOTATION, description="e.g. 'QĐ-STTTT'")

    @field_validator("organ_id")
    @classmethod
    def _organ_id_shape(cls, value: str) -> str:
        if not _ORGAN_ID.match(value):
            raise ValueError(
                "organ id must be dot-separated letters and digits, e.g. 000.00.31.H41"
            )
        return value

    @field_validator("number")
    @classmethod
    def _number_shape(cls, value: str) -> str:
        if "/" in value or "," in value:
            raise ValueError("number must not contain '/' or ','; the notation follows the '/'")
        return value

    @field_validator("notation")
    @classmethod
    def _notation_shape(cls, value: str) -> str:
        # The comma separates the parts of the DocumentId form; tolerant matching of notation
        # spellings (qđ, QD, QYĐ) belongs to reconcile, not to the key.
        if "," in value:
            raise ValueError("notation must not contain ','")
        return value

    @property
    def number_notation(self) -> str:
        """Số, ký hiệu as printed: ``1866/SXD-VP``."""
        return f"{self.number}/{self.notation}"

    @property
    def document_id(self) -> str:
        """The edXML DocumentId form."""
        return f"{self.organ_id},{self.promulgation_date:%Y/%m/%d},{self.number_notation}"

    @classmethod
    def from_document_id(cls, document_id: str) -> DocumentKey:
        """Parse the edXML DocumentId form back into a key."""
        problem = f"DocumentId {document_id!r} is not '<organ id>,<yyyy/MM/dd>,<number>/<notation>'"
        parts = document_id.split(",", 2)
        if len(parts) != 3 or "/" not in parts[2]:
            raise ValueError(problem)
        organ_id, day, code = parts
        number, notation = code.split("/", 1)
        try:
            promulgation_date = datetime.strptime(day.strip(), "%Y/%m/%d").date()
        except ValueError:
            raise ValueError(problem) from None
        return cls(
            organ_id=organ_id,
            promulgation_date=promulgation_date,
            number=number,
            notation=notation,
        )


class Signer(CanonicalModel):
    """Người ký, with the competence line ("KT. GIÁM ĐỐC") and position ("PHÓ GIÁM ĐỐC")."""

    full_name: Text = Field(min_length=1)
    position: Text | None = None
    competence: Text | None = None


class Document(CanonicalModel):
    """An incoming (văn bản đến) or outgoing (văn bản đi) document, as one model.

    ``source_id`` is the document's id in the system it was read from; ``key`` identifies it
    across systems. A secret document is valid as a model (so the normalize step can recognise
    it) but must never reach the store: the store refuses it.
    """

    system: System
    source_id: Text = Field(min_length=1, max_length=SOURCE_ID)
    direction: Direction
    key: DocumentKey
    doc_type: DocumentType
    abstract: Text = Field(min_length=1, description="trích yếu")
    urgency: Urgency = Urgency.NORMAL
    secrecy: Secrecy = Secrecy.NONE
    signer: Signer | None = None
    place: Text | None = None
    received_at: Instant | None = Field(default=None, description="incoming documents only")
    incoming_number: Text | None = Field(
        default=None, max_length=INCOMING_NUMBER, description="số đến"
    )
    issued_at: Instant | None = Field(default=None, description="signed and issued (outgoing)")
    stated_deadline: Instant | None = Field(
        default=None, description="hạn xử lý as the source system holds it, if any"
    )
    response_for: DocumentKey | None = Field(
        default=None, description="the document this one answers (edXML ResponseFor)"
    )
    response_for_source_id: Text | None = Field(
        default=None,
        max_length=SOURCE_ID,
        description="the answered document's id when the system links by id",
    )
    unit_id: Text | None = Field(
        default=None, max_length=UNIT_ID, description="canonical handling unit"
    )
    changed_at: Instant | None = Field(default=None, description="the source's change marker")

    @model_validator(mode="after")
    def _direction_fields(self) -> Document:
        if self.direction is Direction.OUTGOING and self.received_at is not None:
            raise ValueError("received_at is for incoming documents; an outgoing one has issued_at")
        return self


class Directive(CanonicalModel):
    """Thông tin chỉ đạo: a leader's official instruction on an incoming document."""

    system: System
    source_id: Text = Field(min_length=1, max_length=SOURCE_ID)
    document_source_id: Text = Field(
        min_length=1, max_length=SOURCE_ID, description="the document it instructs on"
    )
    title: Text | None = None
    content: Text = Field(min_length=1)
    author: Text | None = None
    created_at: Instant
    changed_at: Instant | None = None


class Assignment(CanonicalModel):
    """Who handles a document: exactly one main handler, any number coordinating or informed."""

    system: System
    document_source_id: Text = Field(min_length=1, max_length=SOURCE_ID)
    directive_source_id: Text | None = Field(default=None, max_length=SOURCE_ID)
    unit_id: Text = Field(
        min_length=1, max_length=SOURCE_ID, description="canonical unit, or a person's id"
    )
    role: HandlerRole
    assigned_at: Instant | None = None


def check_one_main_handler(assignments: list[Assignment]) -> None:
    """A directive names exactly one main handler (docs/domain.md §4)."""
    mains = [a.unit_id for a in assignments if a.role is HandlerRole.MAIN]
    if len(mains) != 1:
        raise ValueError(f"a directive names exactly one main handler; found {len(mains)}: {mains}")
