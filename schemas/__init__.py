"""The canonical model: one shape for documents, directives and tasks from every system.

schemas import nothing else of the bridge (docs/design.md, "Layout"), so every layer can depend
on them.
"""

from schemas.base import CanonicalModel, Instant, Text, describe_validation_error, to_nfc
from schemas.codes import (
    DerivedStatus,
    Direction,
    DocumentType,
    HandlerRole,
    LinkMethod,
    LinkRole,
    OutboxState,
    Secrecy,
    System,
    TaskClass,
    TrackingStatus,
    UpdateKind,
    Urgency,
)
from schemas.document import (
    Assignment,
    Directive,
    Document,
    DocumentKey,
    Signer,
    check_one_main_handler,
)
from schemas.task import EvidenceDocument, ExtensionRequest, StatusUpdate, Task

__all__ = [
    "Assignment",
    "CanonicalModel",
    "DerivedStatus",
    "Direction",
    "Directive",
    "Document",
    "DocumentKey",
    "DocumentType",
    "EvidenceDocument",
    "ExtensionRequest",
    "HandlerRole",
    "Instant",
    "LinkMethod",
    "LinkRole",
    "OutboxState",
    "Secrecy",
    "Signer",
    "StatusUpdate",
    "System",
    "Task",
    "TaskClass",
    "Text",
    "TrackingStatus",
    "UpdateKind",
    "Urgency",
    "check_one_main_handler",
    "describe_validation_error",
    "to_nfc",
]
