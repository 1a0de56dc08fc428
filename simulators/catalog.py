"""Static reference data of the simulated province: agencies, units, people, document types.

The receiving agency is the Department of Information and Communications of Bình Định (code
H41). Each internal unit has an iOffice id and a *different* tracking-system id, as in real
deployments; the ground truth exports the alias table so tests can map one to the other.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Issuer:
    organ_id: str  # electronic identifier code, Decision 20/2020/QĐ-TTg
    name: str
    abbreviation: str  # the issuer group of a notation, e.g. SXD in 1866/SXD-VP
    signer_title: str  # head's title, used in the competence line
    weight: int  # how often this issuer sends documents


ISSUERS: tuple[Issuer, ...] = (
    Issuer("000.00.00.H41", "Ủy ban nhân dân tỉnh Bình Định", "UBND", "CHỦ TỊCH", 5),
    Issuer("000.00.31.H41", "Sở Xây dựng", "SXD", "GIÁM ĐỐC", 1),
    Issuer("000.00.12.H41", "Sở Nội vụ", "SNV", "GIÁM ĐỐC", 1),
    Issuer("000.00.14.H41", "Sở Tài chính", "STC", "GIÁM ĐỐC", 1),
    Issuer("000.00.15.H41", "Sở Kế hoạch và Đầu tư", "SKHĐT", "GIÁM ĐỐC", 1),
    Issuer("000.00.22.H41", "Sở Tài nguyên và Môi trường", "STNMT", "GIÁM ĐỐC", 1),
    Issuer("000.00.01.H41", "Văn phòng UBND tỉnh", "VPUBND", "CHÁNH VĂN PHÒNG", 2),
    Issuer("000.00.00.G12", "Bộ Thông tin và Truyền thông", "BTTTT", "BỘ TRƯỞNG", 1),
)

# Issuers laid out by weight; document i takes slot i % len(ISSUER_SLOTS), which makes the
# per-issuer sequence (and so the document number) computable from the index alone.
ISSUER_SLOTS: tuple[int, ...] = tuple(
    position for position, issuer in enumerate(ISSUERS) for _ in range(issuer.weight)
)

RECEIVING_AGENCY = Issuer("000.00.30.H41", "Sở Thông tin và Truyền thông", "STTTT", "GIÁM ĐỐC", 0)


@dataclass(frozen=True)
class Unit:
    key: str  # canonical key used only in the ground-truth alias table
    name: str
    ioffice_id: str
    tracking_id: str
    abbreviation: str  # drafting-unit group of a công văn notation


UNITS: tuple[Unit, ...] = (
    Unit("vp", "Văn phòng Sở", "DV001", "TD-1101", "VP"),
    Unit("khtc", "Phòng Kế hoạch - Tài chính", "DV002", "TD-1102", "KHTC"),
    Unit("bcvt", "Phòng Bưu chính - Viễn thông", "DV003", "TD-1103", "BCVT"),
    Unit("cntt", "Phòng Công nghệ thông tin", "DV004", "TD-1104", "CNTT"),
    Unit("ttbc", "Phòng Thông tin - Báo chí - Xuất bản", "DV005", "TD-1105", "TTBCXB"),
    Unit("tt", "Thanh tra Sở", "DV006", "TD-1106", "TTr"),
    Unit("ttcntt", "Trung tâm Công nghệ thông tin và Truyền thông", "DV007", "TD-1107", "TT"),
)

# The provincial office monitors tasks assigned by the People's Committee.
MONITORING_UNIT = ("TD-0001", "Văn phòng UBND tỉnh - Phòng Tổng hợp")


@dataclass(frozen=True)
class DocType:
    name: str
    abbreviation: str | None  # None: công văn, which has no type group
    legal: bool = False  # legal normative documents carry the year in the notation


DOC_TYPES: tuple[DocType, ...] = (
    DocType("Công văn", None),
    DocType("Công văn", None),
    DocType("Công văn", None),
    DocType("Quyết định", "QĐ"),
    DocType("Quyết định", "QĐ", legal=True),
    DocType("Kế hoạch", "KH"),
    DocType("Thông báo", "TB"),
    DocType("Chỉ thị", "CT"),
    DocType("Báo cáo", "BC"),
    DocType("Giấy mời", "GM"),
    DocType("Hướng dẫn", "HD"),
    DocType("Tờ trình", "TTr"),
)

URGENCY = ("Thường", "Thường", "Thường", "Thường", "Khẩn", "Thượng khẩn", "Hỏa tốc")
SECRECY = ("Mật", "Tối mật", "Tuyệt mật")

FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Hoàng", "Võ", "Đặng", "Bùi", "Đỗ")
MIDDLE = ("Văn", "Thị", "Hữu", "Minh", "Thanh", "Quốc", "Ngọc", "Đức")
GIVEN = ("Hùng", "Lan", "Dũng", "Hương", "Tuấn", "Phương", "Sơn", "Hải", "Thảo", "Nam", "Bình")

SUBJECTS = (
    "triển khai Chương trình chuyển đổi số tỉnh năm {year}",
    "báo cáo tình hình thực hiện nhiệm vụ kinh tế - xã hội quý {quarter} năm {year}",
    "góp ý dự thảo Quyết định ban hành Quy chế quản lý, vận hành hệ thống quản lý văn bản",
    "tăng cường bảo đảm an toàn thông tin mạng trong cơ quan nhà nước",
    "rà soát, cập nhật danh mục thủ tục hành chính thuộc thẩm quyền giải quyết",
    "đôn đốc thực hiện các nhiệm vụ được UBND tỉnh giao chưa hoàn thành",
    "tổ chức hội nghị sơ kết công tác cải cách hành chính 6 tháng đầu năm {year}",
    "đề nghị cung cấp số liệu phục vụ xây dựng kế hoạch đầu tư công trung hạn",
    "thực hiện chế độ báo cáo định kỳ về công tác văn thư, lưu trữ",
    "phân bổ kinh phí sự nghiệp công nghệ thông tin năm {year}",
    "hướng dẫn triển khai Đề án 06 về phát triển ứng dụng dữ liệu dân cư",
    "kiểm tra việc thực hiện quy định về giờ làm việc của cán bộ, công chức",
)

DIRECTIVE_OPENERS = (
    "Giao {main} chủ trì, phối hợp {coordinators} nghiên cứu, tham mưu xử lý",
    "Giao {main} chủ trì triển khai thực hiện; {coordinators} phối hợp",
    "Đề nghị {main} khẩn trương tham mưu văn bản trả lời; {coordinators} phối hợp",
)
