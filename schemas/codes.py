"""Code lists of the canonical model (docs/domain.md §§3, 4, 5 and 9).

Values are stable English identifiers (they are stored in the database and used in idempotency
keys); each member also carries the Vietnamese term officials use, for reports and messages.
Mapping files translate each system's own codes into these.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import StringConstraints

from schemas.limits import SYSTEM as SYSTEM_LIMIT


class _Labelled(StrEnum):
    """A StrEnum whose members carry a Vietnamese label: ``Member = ("value", "nhãn")``."""

    label: str

    def __new__(cls, value: str, label: str) -> _Labelled:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member


class DocumentType(_Labelled):
    """Document types of Decree 30/2020, Appendix III; the value is the official abbreviation.

    Công văn and Thư công have no abbreviation in the notation; they get descriptive values here
    so that every document has a type. Older archive abbreviations (GN, TTh, UQ, NP) are kept
    because they still appear in real data. Texts also cite legal normative documents (Law on
    Promulgation of Legal Documents) and party documents (docs/domain.md §3): their types follow
    the administrative ones; a law, code, ordinance or constitution has no abbreviation in its
    notation ("59/2020/QH14"), so it gets a descriptive value like công văn.
    """

    NGHI_QUYET = ("NQ", "Nghị quyết")
    QUYET_DINH = ("QĐ", "Quyết định")
    CHI_THI = ("CT", "Chỉ thị")
    QUY_CHE = ("QC", "Quy chế")
    QUY_DINH = ("QyĐ", "Quy định")
    THONG_CAO = ("TC", "Thông cáo")
    THONG_BAO = ("TB", "Thông báo")
    HUONG_DAN = ("HD", "Hướng dẫn")
    CHUONG_TRINH = ("CTr", "Chương trình")
    KE_HOACH = ("KH", "Kế hoạch")
    PHUONG_AN = ("PA", "Phương án")
    DE_AN = ("ĐA", "Đề án")
    DU_AN = ("DA", "Dự án")
    BAO_CAO = ("BC", "Báo cáo")
    BIEN_BAN = ("BB", "Biên bản")
    TO_TRINH = ("TTr", "Tờ trình")
    HOP_DONG = ("HĐ", "Hợp đồng")
    CONG_DIEN = ("CĐ", "Công điện")
    BAN_GHI_NHO = ("BGN", "Bản ghi nhớ")
    BAN_THOA_THUAN = ("BTT", "Bản thỏa thuận")
    GIAY_UY_QUYEN = ("GUQ", "Giấy ủy quyền")
    GIAY_MOI = ("GM", "Giấy mời")
    GIAY_GIOI_THIEU = ("GGT", "Giấy giới thiệu")
    GIAY_NGHI_PHEP = ("GNP", "Giấy nghỉ phép")
    PHIEU_GUI = ("PG", "Phiếu gửi")
    PHIEU_CHUYEN = ("PC", "Phiếu chuyển")
    PHIEU_BAO = ("PB", "Phiếu báo")
    SAO_Y = ("SY", "Bản sao y")
    TRICH_SAO = ("TrS", "Bản trích sao")
    SAO_LUC = ("SL", "Bản sao lục")
    # Older abbreviations still found in archives.
    GIAY_NGHI_PHEP_CU = ("NP", "Giấy nghỉ phép (ký hiệu cũ)")
    GIAY_UY_QUYEN_CU = ("UQ", "Giấy ủy quyền (ký hiệu cũ)")
    TO_TRINH_CU = ("TTh", "Tờ trình (ký hiệu cũ)")
    GIAY_NGHI_CU = ("GN", "Giấy (ký hiệu cũ GN)")
    # No abbreviation in the notation.
    CONG_VAN = ("CV", "Công văn")
    THU_CONG = ("ThC", "Thư công")
    # Legal normative documents.
    NGHI_DINH = ("NĐ", "Nghị định")
    THONG_TU = ("TT", "Thông tư")
    THONG_TU_LIEN_TICH = ("TTLT", "Thông tư liên tịch")
    NGHI_QUYET_LIEN_TICH = ("NQLT", "Nghị quyết liên tịch")
    LENH = ("L", "Lệnh")  # "10/2023/L-CTN", the President's order promulgating a law
    LUAT = ("Luat", "Luật")
    BO_LUAT = ("BLuat", "Bộ luật")
    PHAP_LENH = ("PLenh", "Pháp lệnh")
    HIEN_PHAP = ("HPhap", "Hiến pháp")
    # Party documents only (their notation puts the type after the number: "25-KL/TW").
    KET_LUAN = ("KL", "Kết luận")
    THONG_TRI = ("TTri", "Thông tri")  # written "TT" in a party notation: "08-TT/TW"

    @property
    def notation_code(self) -> str:
        """The abbreviation as it appears in a notation; empty for the types that have none."""
        if self in _NO_ABBREVIATION:
            return ""
        return "TT" if self is DocumentType.THONG_TRI else self.value


# Types whose notation carries no abbreviation: công văn "1866/SXD-VP", a law "59/2020/QH14".
_NO_ABBREVIATION = frozenset(
    {
        DocumentType.CONG_VAN,
        DocumentType.THU_CONG,
        DocumentType.LUAT,
        DocumentType.BO_LUAT,
        DocumentType.PHAP_LENH,
        DocumentType.HIEN_PHAP,
    }
)
# Abbreviations met only in the notation of a party document (number-TYPE/ISSUER).
PARTY_ONLY_TYPES = frozenset({DocumentType.KET_LUAN, DocumentType.THONG_TRI})


class Direction(_Labelled):
    INCOMING = ("incoming", "Văn bản đến")
    OUTGOING = ("outgoing", "Văn bản đi")


class Urgency(_Labelled):
    """Độ khẩn; the order matches edXML Priority 0..4."""

    NORMAL = ("normal", "Thường")
    URGENT = ("urgent", "Khẩn")
    VERY_URGENT = ("very_urgent", "Thượng khẩn")
    FLASH = ("flash", "Hỏa tốc")
    FLASH_TIMED = ("flash_timed", "Hỏa tốc hẹn giờ")

    @property
    def edxml_priority(self) -> int:
        return list(Urgency).index(self)


class Secrecy(_Labelled):
    """Độ mật. Anything but NONE is a secret document and never leaves the normalize step."""

    NONE = ("none", "Thường")
    CONFIDENTIAL = ("confidential", "Mật")
    SECRET = ("secret", "Tối mật")
    TOP_SECRET = ("top_secret", "Tuyệt mật")

    @property
    def is_secret(self) -> bool:
        return self is not Secrecy.NONE


class HandlerRole(_Labelled):
    """Who a directive names (docs/domain.md §4)."""

    MAIN = ("main", "Xử lý chính")
    COORDINATING = ("coordinating", "Phối hợp xử lý")
    INFORMED = ("informed", "Để biết")


class TaskClass(_Labelled):
    """The four task classes of docs/domain.md §5."""

    DEADLINE_WITH_OUTPUT = ("deadline_with_output", "Có thời hạn, phải nộp sản phẩm/báo cáo")
    DEADLINE_NO_OUTPUT = ("deadline_no_output", "Có thời hạn, không phải nộp sản phẩm")
    NO_DEADLINE_WITH_OUTPUT = ("no_deadline_with_output", "Không thời hạn, phải nộp khi có yêu cầu")
    NO_DEADLINE_NO_OUTPUT = ("no_deadline_no_output", "Không thời hạn, không phải nộp sản phẩm")

    @property
    def has_deadline(self) -> bool:
        return self in (TaskClass.DEADLINE_WITH_OUTPUT, TaskClass.DEADLINE_NO_OUTPUT)


class TrackingStatus(_Labelled):
    """The status as the tracking system itself shows it (what we read back, not what we derive)."""

    NOT_STARTED = ("not_started", "Chưa thực hiện")
    IN_PROGRESS = ("in_progress", "Đang thực hiện")
    DONE = ("done", "Đã thực hiện")


class DerivedStatus(_Labelled):
    """The status the bridge derives from facts (docs/domain.md §5 table). Never invented."""

    DONE_ON_TIME = ("done_on_time", "Hoàn thành đúng hạn")
    DONE_LATE = ("done_late", "Hoàn thành trễ hạn")
    IN_PROGRESS = ("in_progress", "Đang thực hiện trong hạn")
    OVERDUE = ("overdue", "Quá hạn")
    NOT_STARTED = ("not_started", "Chưa thực hiện")

    @property
    def is_done(self) -> bool:
        return self in (DerivedStatus.DONE_ON_TIME, DerivedStatus.DONE_LATE)


class LinkRole(_Labelled):
    """What a document is to a task."""

    SOURCE = ("source", "Văn bản giao nhiệm vụ")
    RESPONSE = ("response", "Văn bản hoàn thành")


class LinkMethod(_Labelled):
    """How a task-document link was found; recorded so users can see why."""

    DOCUMENT_KEY = ("document_key", "Khớp mã định danh văn bản")
    RESPONSE_FOR = ("response_for", "Văn bản trả lời (ResponseFor)")
    REFERENCE = ("reference", "Tham chiếu trong hệ thống văn phòng điện tử")
    NUMBER_MATCH = ("number_match", "Khớp số, ký hiệu")


class UpdateKind(_Labelled):
    """What a StatusUpdate reports to the tracking system."""

    PROGRESS = ("progress", "Báo cáo tiến độ")
    COMPLETION = ("completion", "Báo cáo hoàn thành")


class OutboxState(StrEnum):
    PENDING = "pending"
    IN_FLIGHT = "in_flight"
    DONE = "done"
    DEAD = "dead"


# A system's name: the `system` column everywhere. Which systems exist is declared once, in
# connectors/registry.py (schemas import nothing of ours); here only its form is checked.
System = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=SYSTEM_LIMIT)]
