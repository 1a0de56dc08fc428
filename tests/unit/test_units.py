"""The unit table: aliases per system with validity dates, merges followed, unknowns kept."""

from __future__ import annotations

from datetime import date

import pytest

from mappings.loader import MappingError
from mappings.units import load_unit_table

TABLE = """\
[[units]]
id = "SO-TTTT"
name = "Sở Thông tin và Truyền thông"
organ_id = "000.00.31.H41"
valid_to = 2025-02-28
successor = "SO-KHCN"
aliases = [
  { system = "ioffice", alias = "12", valid_to = 2025-02-28 },
  { system = "tracking", alias = "DV-STTTT" },
]

[[units]]
id = "SO-KHCN"
name = "Sở Khoa học và Công nghệ"
aliases = [
  { system = "ioffice", alias = "12", valid_from = 2025-03-01 },
  { system = "ioffice", alias = "14" },
]
"""


@pytest.fixture
def table(tmp_path):
    path = tmp_path / "units.toml"
    path.write_text(TABLE, encoding="utf-8")
    return load_unit_table(path)


def test_an_alias_resolves_by_the_records_own_date(table):
    # iOffice reused id 12 for the merged department from 1 March 2025.
    assert table.resolve("ioffice", "12", date(2024, 11, 5)) == "SO-TTTT"
    assert table.resolve("ioffice", 12, date(2025, 3, 1)) == "SO-KHCN"
    assert table.resolve("tracking", "DV-STTTT", date(2026, 1, 1)) == "SO-TTTT"


def test_an_unknown_alias_is_kept_visible_not_rejected(table):
    assert table.resolve("idesk", "X9", date(2024, 1, 1)) == "idesk:X9"
    assert table.resolve("ioffice", "", date(2024, 1, 1)) is None


def test_merges_are_followed_to_the_unit_doing_the_work_now(table):
    assert table.current("SO-TTTT") == "SO-KHCN"
    assert table.current("SO-KHCN") == "SO-KHCN"


def test_a_reference_to_an_unknown_unit_is_refused(tmp_path):
    path = tmp_path / "units.toml"
    path.write_text(TABLE.replace('successor = "SO-KHCN"', 'successor = "SO-XX"'), "utf-8")
    with pytest.raises(MappingError, match="unit SO-TTTT refers to unknown unit 'SO-XX'"):
        load_unit_table(path)


def test_a_quoted_date_is_refused_with_a_hint(tmp_path):
    path = tmp_path / "units.toml"
    path.write_text(
        TABLE.replace("valid_to = 2025-02-28\nsuccessor", 'valid_to = "2025-02-28"\nsuccessor'),
        "utf-8",
    )
    with pytest.raises(MappingError, match="unit #1 \\(SO-TTTT\\): '2025-02-28' is not a date"):
        load_unit_table(path)
