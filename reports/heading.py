"""What the headings of both report files say: agency, number, place, signer, recipients.

The values come from the settings (``agency_name`` and ``[reports]``); their defaults are
placeholders ("Sở ... tỉnh ...") the clerk fills in, since the 2025 reorganisation renamed the
agencies. The words shared by the Word and Excel files live here, so they agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bridge.settings import BridgeSettings
from pipelines.calendar import LOCAL_TZ

NATIONAL_NAME = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
NATIONAL_MOTTO = "Độc lập - Tự do - Hạnh phúc"


@dataclass(frozen=True)
class Heading:
    agency_name: str
    generated_at: datetime  # aware
    unit_name: str | None = None  # None: every unit
    parent_agency: str = "UBND TỈNH ..."
    agency_abbreviation: str = "..."
    place: str = "..."
    signer_title: str = "GIÁM ĐỐC"
    signer_name: str = ""
    recipients: tuple[str, ...] = field(default=("Như trên;", "Lưu: VT."))

    @classmethod
    def from_settings(
        cls, settings: BridgeSettings, generated_at: datetime, unit_name: str | None = None
    ) -> Heading:
        r = settings.reports
        return cls(
            agency_name=settings.agency_name, generated_at=generated_at, unit_name=unit_name,
            parent_agency=r.parent_agency, agency_abbreviation=r.agency_abbreviation,
            place=r.place, signer_title=r.signer_title, signer_name=r.signer_name,
            recipients=tuple(r.recipients),
        )  # fmt: skip

    def number_line(self) -> str:
        """The number is given by the registry when the report is issued: left blank."""
        return f"Số:       /BC-{self.agency_abbreviation}"

    def place_date_line(self) -> str:
        """ "<place>, ngày ... tháng ... năm <year>": the day is filled in when signed."""
        year = self.generated_at.astimezone(LOCAL_TZ).year
        return f"{self.place}, ngày      tháng      năm {year}"
