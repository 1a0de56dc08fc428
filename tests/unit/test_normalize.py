"""Raw record + mapping → canonical model, a rejection naming field and value, or a secret skip."""

from __future__ import annotations

import unicodedata
from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mappings.loader import load_mappings
from mappings.units import load_unit_table
from pipelines.normalize import Normalized, Rejected, SecretSkipped, normalize
from schemas import Document, Task

MAPPINGS = load_mappings()
UNITS = load_unit_table()
SEEN = datetime(2024, 2, 7, 3, 0, tzinfo=UTC)

INCOMING = {
    "id": 1000042,
    "soKyHieu": "Số: 07/QĐ-UBND",
    "loaiVanBan": "Quyết định",
    "trichYeu": "Về việc ban hành Kế hoạch chuyển đổi số năm 2024",
    "ngayBanHanh": "2024-02-05",
    "noiBanHanh": "Bình Định",
    "maDinhDanh": "000.00.00.H41",
    "nguoiKy": "Nguyễn Văn An",
    "chucVuNguoiKy": "PHÓ CHỦ TỊCH",
    "thamQuyenKy": "KT. CHỦ TỊCH",
    "ngayDen": "2024-02-07 09:15:00",
    "soDen": 84,
    "doKhan": "Khẩn",
    "doMat": None,
    "hanXuLy": None,
    "donViXuLyChinh": {"id": "DV004", "ten": "Phòng Công nghệ thông tin"},
    "ngayCapNhat": "2024-02-07 09:15:00",
}


def run(raw, system="ioffice", stream="incoming"):
    return normalize(raw, MAPPINGS[(system, stream)], UNITS, seen_at=SEEN)


def test_an_incoming_document_becomes_the_canonical_model():
    outcome = run(INCOMING)
    assert isinstance(outcome, Normalized)
    doc = outcome.record
    assert isinstance(doc, Document)
    assert doc.key.document_id == "000.00.00.H41,2024/02/05,07/QĐ-UBND"
    assert (doc.doc_type, doc.urgency, doc.unit_id) == ("QĐ", "urgent", "CNTT")
    assert doc.received_at == datetime(2024, 2, 7, 2, 15, tzinfo=UTC)  # 09:15 local
    assert doc.signer.competence == "KT. CHỦ TỊCH"
    assert outcome.changed_at == doc.changed_at == datetime(2024, 2, 7, 2, 15, tzinfo=UTC)


@pytest.mark.parametrize("mark", ["Mật", "Tối mật", "Tuyệt mật", "Bí mật cấp 9"])
def test_a_secret_document_leaves_only_a_count(mark):
    outcome = run({**INCOMING, "doMat": mark, "soKyHieu": None, "ngayBanHanh": "31/02"})
    # Secret by field (an unknown secrecy code counts as secret); checked before anything
    # else, so even a broken secret record produces no rejection carrying its content.
    assert outcome == SecretSkipped(unit_id="CNTT", day=date(2024, 2, 7))


@pytest.mark.parametrize(
    ("change", "field", "value"),
    [
        ({"ngayBanHanh": "31/02/2024"}, "promulgation_date' (ngayBanHanh)", "'31/02/2024'"),
        ({"soKyHieu": "không số"}, "number_notation' (soKyHieu)", "'không số'"),
        ({"doKhan": "Rất gấp"}, "urgency' (doKhan)", "'Rất gấp'"),
        ({"ngayDen": "25:61"}, "received_at' (ngayDen)", "'25:61'"),
        ({"trichYeu": ""}, "abstract'", "''"),
    ],
)
def test_a_bad_field_is_rejected_naming_record_field_and_value(change, field, value):
    outcome = run({**INCOMING, **change})
    assert isinstance(outcome, Rejected)
    assert outcome.source_id == "1000042"
    assert outcome.reason.startswith("ioffice/incoming 1000042: ")
    assert f"field '{field}" in outcome.reason and value in outcome.reason


def test_a_record_without_an_id_is_rejected_under_its_hash():
    outcome = run({**INCOMING, "id": None})
    assert isinstance(outcome, Rejected) and outcome.source_id.startswith("sha256:")


def test_legacy_and_nfd_text_arrive_as_nfc():
    legacy = run({**INCOMING, "trichYeu": "QuyÕt ®Þnh vÒ viÖc"}).record
    assert legacy.abstract == "Quyết định về việc"
    nfd = run({**INCOMING, "trichYeu": unicodedata.normalize("NFD", INCOMING["trichYeu"])})
    assert nfd == run(INCOMING)


def test_a_directive_names_its_handlers():
    raw = {
        "id": 3000001, "vanBanDenId": 1000042, "tieuDe": "Ý kiến chỉ đạo",
        "noiDung": "Giao Phòng CNTT chủ trì, trước ngày 15/02/2024.",
        "ngayTao": "2024-02-07 10:00:00", "nguoiTao": "Giám đốc",
        "xuLyChinh": {"id": "DV004"}, "phoiHopXuLy": [{"id": "DV002"}, {"id": "DV006"}],
        "deBiet": [], "ngayCapNhat": "2024-02-07 10:00:00",
    }  # fmt: skip
    outcome = run(raw, stream="directives")
    roles = sorted((a.role.value, a.unit_id) for a in outcome.assignments)
    assert roles == [("coordinating", "KHTC"), ("coordinating", "TTRA"), ("main", "CNTT")]


def test_a_tracking_task_maps_units_and_classes():
    raw = {
        "TaskId": "NV2024-0000001", "Title": "Thực hiện văn bản số 07/QĐ-UBND",
        "SourceDocument": {"NumberNotation": "07/QĐ-UBND", "IssuerCode": "000.00.00.H41",
                           "IssueDate": "2024-02-05", "Abstract": "Về việc"},
        "LeadUnit": {"UnitId": "TD-1104"}, "CoordinatingUnits": {"Unit": {"UnitId": "TD-1102"}},
        "MonitoringUnit": {"UnitId": "TD-0001"}, "Deadline": "2024-02-21T17:00:00+07:00",
        "TaskClass": "1", "Status": "IN_PROGRESS", "Revision": "3",
        "ChangedAt": "2024-02-07T10:00:00+07:00",
    }  # fmt: skip
    task = run(raw, "tracking", "tasks").record
    assert isinstance(task, Task)
    assert (task.lead_unit_id, task.coordinating_unit_ids) == ("CNTT", ("KHTC",))
    assert task.monitor_unit_id == "tracking:TD-0001"  # not in the unit table: kept visible
    assert task.source_document.document_id == "000.00.00.H41,2024/02/05,07/QĐ-UBND"
    assert (task.task_class, task.revision) == ("deadline_with_output", 3)


RAW_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


@settings(max_examples=200)
@given(
    st.sampled_from(sorted(MAPPINGS)),
    st.dictionaries(
        st.sampled_from([*sorted(INCOMING), "TaskId", "Title", "Deadline"]), RAW_VALUES
    ),
)
def test_arbitrary_records_only_ever_give_the_three_outcomes(key, raw):
    outcome = normalize(raw, MAPPINGS[key], UNITS, seen_at=SEEN)
    assert isinstance(outcome, Normalized | Rejected | SecretSkipped)


@given(st.text(max_size=30))
def test_arbitrary_abstracts_normalise_the_same_in_nfc_and_nfd(text):
    nfc = run({**INCOMING, "trichYeu": unicodedata.normalize("NFC", text)})
    nfd = run({**INCOMING, "trichYeu": unicodedata.normalize("NFD", text)})
    assert nfc == nfd
