"""Canonical models: keys, NFC text, aware instants, errors that name field and value."""

from __future__ import annotations

import unicodedata
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from schemas import (
    Assignment,
    Directive,
    DocumentKey,
    DocumentType,
    EvidenceDocument,
    ExtensionRequest,
    HandlerRole,
    Secrecy,
    StatusUpdate,
    Task,
    check_one_main_handler,
    describe_validation_error,
)
from tests.store.factories import document

ICT = timezone(timedelta(hours=7))


def test_document_key_renders_the_edxml_document_id_and_parses_it_back():
    key = DocumentKey(
        organ_id="000.00.31.H41",
        promulgation_date=date(2017, 9, 22),
        number="1866",
        notation="SXD-VP",
    )
    assert key.document_id == "000.00.31.H41,2017/09/22,1866/SXD-VP"
    assert key.number_notation == "1866/SXD-VP"
    assert DocumentKey.from_document_id(key.document_id) == key
    legal = DocumentKey.from_document_id("000.00.00.H41,2023/12/01,54/2023/QĐ-UBND")
    assert (legal.number, legal.notation) == ("54", "2023/QĐ-UBND")


@pytest.mark.parametrize("bad", ["no-commas", "000.00.31.H41,2017-09-22,1/A", "a,2017/09/22,x"])
def test_a_malformed_document_id_is_refused_with_its_text(bad):
    with pytest.raises(ValueError, match=r"^DocumentId .* is not '<organ id>,<yyyy/MM/dd>,"):
        DocumentKey.from_document_id(bad)


def test_every_decree_30_type_abbreviation_is_known():
    # docs/domain.md §3, Decree 30/2020 Appendix III, plus copies and older archive forms.
    listed = (  # noqa: SIM905 - the list as docs/domain.md §3 prints it
        "NQ QĐ CT QC QyĐ TC TB HD CTr KH PA ĐA DA BC BB TTr HĐ CĐ BGN BTT GUQ GM GGT GNP "
        "PG PC PB SY TrS SL GN TTh UQ NP"
    ).split()
    assert {t.value for t in DocumentType} >= set(listed)
    assert DocumentType("QĐ").label == "Quyết định"
    assert DocumentType.CONG_VAN.notation_code == ""


def test_text_is_stored_nfc_with_white_space_folded():
    decomposed = unicodedata.normalize("NFD", "  Về việc   triển khai\tnhiệm vụ ")
    doc = document(1, abstract=decomposed)
    assert doc.abstract == "Về việc triển khai nhiệm vụ"
    assert unicodedata.is_normalized("NFC", doc.abstract)


@given(st.text(alphabet="aăâeêioôơuưyđàảãáạằẳẵắặầẩẫấậ ĐÂĂ", min_size=1, max_size=40))
def test_nfc_and_nfd_inputs_give_identical_models(words):
    if not words.strip():
        return
    nfc = document(1, abstract=unicodedata.normalize("NFC", words))
    nfd = document(1, abstract=unicodedata.normalize("NFD", words))
    assert nfc == nfd


def test_a_naive_time_is_refused_naming_the_field_and_value():
    with pytest.raises(ValidationError) as error:
        document(1, received_at=datetime(2024, 2, 7, 9, 15))
    message = describe_validation_error(error.value, "ioffice/incoming VBD-1")
    assert message.startswith("ioffice/incoming VBD-1: field 'received_at'")
    assert "naive" in message and "2024, 2, 7, 9, 15" in message


def test_an_unknown_code_names_the_field_and_the_value():
    with pytest.raises(ValidationError) as error:
        document(1, doc_type="QD-typo")
    message = describe_validation_error(error.value)
    assert "field 'doc_type'" in message and "'QD-typo'" in message


def test_secrecy_marks():
    assert not Secrecy.NONE.is_secret
    assert all(s.is_secret for s in (Secrecy.CONFIDENTIAL, Secrecy.SECRET, Secrecy.TOP_SECRET))
    assert [s.label for s in Secrecy][1:] == ["Mật", "Tối mật", "Tuyệt mật"]


def test_an_outgoing_document_has_no_received_time():
    with pytest.raises(ValidationError, match="outgoing"):
        document(1, direction="outgoing")


def test_a_task_with_a_deadline_class_needs_its_deadline():
    base = {"source_id": "NV-1", "title": "Báo cáo", "lead_unit_id": "SO-TTTT"}
    with pytest.raises(ValidationError, match="must have a deadline"):
        Task(task_class="deadline_no_output", **base)
    assert Task(task_class="no_deadline_no_output", **base).deadline is None
    with pytest.raises(ValidationError, match="completed_at"):
        Task(task_class="no_deadline_no_output", status="done", **base)


def test_a_completion_carries_its_evidence_and_its_issue_time():
    issued = datetime(2024, 2, 20, 10, 0, tzinfo=ICT)
    evidence = EvidenceDocument(
        key=DocumentKey.from_document_id("000.00.31.H41,2024/02/20,15/BC-STTTT"),
        abstract="Báo cáo kết quả",
        issued_at=issued,
    )
    update = StatusUpdate(
        task_source_id="NV-1", kind="completion", reported_at=issued, evidence=evidence
    )
    assert update.completed_at == issued
    with pytest.raises(ValidationError, match="evidence"):
        StatusUpdate(task_source_id="NV-1", kind="completion", reported_at=issued)


def test_an_extension_is_requested_before_the_deadline_for_a_later_one():
    deadline = datetime(2024, 2, 21, 17, 0, tzinfo=ICT)
    ok = ExtensionRequest(
        task_source_id="NV-1",
        reason="Chờ ý kiến của Sở Tài chính",
        current_deadline=deadline,
        proposed_deadline=deadline + timedelta(days=7),
        requested_at=deadline - timedelta(days=1),
    )
    assert ok.proposed_deadline > ok.current_deadline
    with pytest.raises(ValidationError, match="before the deadline"):
        ExtensionRequest(**{**ok.model_dump(), "requested_at": deadline + timedelta(hours=1)})
    with pytest.raises(ValidationError, match="later"):
        ExtensionRequest(**{**ok.model_dump(), "proposed_deadline": deadline})


def test_a_directive_names_exactly_one_main_handler():
    def assign(unit: str, role: HandlerRole) -> Assignment:
        return Assignment(system="ioffice", document_source_id="VBD-1", unit_id=unit, role=role)

    check_one_main_handler([assign("SO-TTTT", HandlerRole.MAIN), assign("SO-TC", "coordinating")])
    with pytest.raises(ValueError, match="found 2"):
        check_one_main_handler([assign("A", HandlerRole.MAIN), assign("B", HandlerRole.MAIN)])
    with pytest.raises(ValueError, match="found 0"):
        check_one_main_handler([assign("A", HandlerRole.INFORMED)])


def test_models_are_immutable_and_refuse_unknown_fields():
    directive = Directive(
        system="ioffice",
        source_id="CD-1",
        document_source_id="VBD-1",
        content="Giao Sở TTTT chủ trì",
        created_at=datetime(2024, 2, 7, tzinfo=UTC),
    )
    with pytest.raises(ValidationError):
        directive.content = "khác"  # type: ignore[misc]
    with pytest.raises(ValidationError, match="extra"):
        Directive(**directive.model_dump(), mystery="x")
