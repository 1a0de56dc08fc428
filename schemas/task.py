"""Tracking-system tasks and what the bridge pushes back (docs/domain.md §5)."""

from __future__ import annotations

from pydantic import Field, model_validator

from schemas.base import CanonicalModel, Instant, Text
from schemas.codes import TaskClass, TrackingStatus, UpdateKind
from schemas.document import DocumentKey
from schemas.limits import INT_MAX, SOURCE_ID


class Task(CanonicalModel):
    """A task as the tracking system holds it (nhiệm vụ do UBND tỉnh giao)."""

    source_id: Text = Field(min_length=1, max_length=SOURCE_ID)
    title: Text = Field(min_length=1)
    task_class: TaskClass
    source_document: DocumentKey | None = Field(
        default=None, description="the document that assigned the task"
    )
    source_document_abstract: Text | None = None
    assigning_text: Text | None = Field(default=None, description="the text that assigns it")
    lead_unit_id: Text = Field(
        min_length=1, max_length=SOURCE_ID, description="canonical lead unit (chủ trì)"
    )
    coordinating_unit_ids: tuple[Text, ...] = ()
    monitor_unit_id: Text | None = Field(
        default=None, max_length=SOURCE_ID, description="unit or person monitoring"
    )
    deadline: Instant | None = Field(
        default=None, description="the tracking system's deadline in force (after extensions)"
    )
    deadline_whole_day: bool = Field(
        default=False,
        description="the deadline was given as a date: a completion any time that day is on time",
    )
    original_deadline: Instant | None = Field(
        default=None, description="the deadline before any extension, when the system shows it"
    )
    extended_at: Instant | None = Field(
        default=None, description="when the latest extension was granted, as the system says"
    )
    status: TrackingStatus = TrackingStatus.NOT_STARTED
    completed_at: Instant | None = Field(default=None, description="as the tracking system says")
    revision: int = Field(default=0, ge=0, le=INT_MAX)
    notes: Text | None = Field(default=None, description="proposals, reasons for being late")
    changed_at: Instant | None = None

    @model_validator(mode="after")
    def _deadline_matches_class(self) -> Task:
        if self.task_class.has_deadline and self.deadline is None:
            raise ValueError(f"a task of class '{self.task_class.value}' must have a deadline")
        if self.status is TrackingStatus.DONE and self.completed_at is None:
            raise ValueError("a task the tracking system shows as done must carry completed_at")
        return self


class EvidenceDocument(CanonicalModel):
    """The response document (văn bản hoàn thành) that proves a task done."""

    key: DocumentKey
    abstract: Text = Field(min_length=1)
    issued_at: Instant = Field(description="completion time is the issue time, not when noticed")


class StatusUpdate(CanonicalModel):
    """A progress or completion report pushed to the tracking system."""

    task_source_id: Text = Field(min_length=1)
    kind: UpdateKind
    reported_at: Instant
    progress_text: Text | None = None
    percent: int | None = Field(default=None, ge=0, le=100)
    evidence: EvidenceDocument | None = None

    @model_validator(mode="after")
    def _completion_has_evidence(self) -> StatusUpdate:
        if self.kind is UpdateKind.COMPLETION and self.evidence is None:
            raise ValueError("a completion report must carry its evidence document")
        return self

    @property
    def completed_at(self) -> Instant | None:
        return self.evidence.issued_at if self.evidence else None


class ExtensionRequest(CanonicalModel):
    """Xin gia hạn: filed before the deadline, with the reason and the proposed new deadline."""

    task_source_id: Text = Field(min_length=1)
    reason: Text = Field(min_length=1)
    current_deadline: Instant
    proposed_deadline: Instant
    requested_at: Instant

    @model_validator(mode="after")
    def _proposes_later_deadline_in_time(self) -> ExtensionRequest:
        if self.proposed_deadline <= self.current_deadline:
            raise ValueError("the proposed deadline must be later than the current one")
        if self.requested_at > self.current_deadline:
            raise ValueError("an extension must be requested before the deadline passes")
        return self
