"""Mapping files are data, validated at start; every error names the file and the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from mappings.loader import FieldSpec, MappingError, load_mapping_file, load_mappings

GOOD = """\
system = "ioffice"
stream = "incoming"
model = "document"
direction = "incoming"
source_id = "id"
changed_at = { path = "ngayCapNhat", format = "local" }

[fields]
number_notation = "soKyHieu"
organ_id = "coQuan.maDinhDanh"
promulgation_date = { path = "ngayBanHanh", format = "%d/%m/%Y" }
abstract = "trichYeu"
urgency = { path = "doKhan", codes = "urgency" }

[codes.urgency]
"0" = "normal"
"1" = "urgent"
"""


def _write(tmp_path: Path, text: str, name: str = "ioffice/incoming.toml") -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_file_loads_and_digs_values(tmp_path):
    mapping = load_mapping_file(_write(tmp_path, GOOD))
    assert (mapping.system, mapping.stream, mapping.model) == ("ioffice", "incoming", "document")
    record = {"coQuan": {"maDinhDanh": "000.00.31.H41"}, "doKhan": 1}
    assert mapping.fields["organ_id"].dig(record) == "000.00.31.H41"
    assert mapping.translate("urgency", record["doKhan"]) == "urgent"
    assert mapping.translate("urgency", "9") is None
    assert mapping.fields["promulgation_date"].format == "%d/%m/%Y"


def test_renaming_a_field_is_a_one_line_change(tmp_path):
    renamed = GOOD.replace('abstract = "trichYeu"', 'abstract = "noiDungTrichYeu"')
    mapping = load_mapping_file(_write(tmp_path, renamed))
    assert mapping.fields["abstract"].dig({"noiDungTrichYeu": "Về việc A"}) == "Về việc A"


def test_dig_into_lists_and_missing_paths():
    spec = FieldSpec(path=("nguoiNhan", "0", "ma"))
    assert spec.dig({"nguoiNhan": [{"ma": "SO-TC"}]}) == "SO-TC"
    assert spec.dig({"nguoiNhan": []}) is None
    assert spec.dig({"nguoiNhan": "text"}) is None


def test_a_star_takes_every_element_and_a_lone_soap_child_counts_as_one():
    every = FieldSpec(path=("phoiHopXuLy", "*", "id"))
    assert every.dig({"phoiHopXuLy": [{"id": "DV002"}, {"id": "DV003"}]}) == ["DV002", "DV003"]
    assert every.dig({"phoiHopXuLy": []}) == []
    soap = FieldSpec(path=("Coordinators", "Unit", "*", "UnitId"))
    assert soap.dig({"Coordinators": {"Unit": {"UnitId": "DV006"}}}) == ["DV006"]
    assert soap.dig({"Coordinators": None}) is None


@pytest.mark.parametrize(
    ("change", "line", "message"),
    [
        (('abstract = "trichYeu"', 'abstrakt = "trichYeu"'), 12, "'abstrakt' is not a field"),
        (('"1" = "urgent"', '"1" = "khan"'), 17, "'1' maps to 'khan', which is not a Urgency"),
        (('codes = "urgency"', 'codes = "do_khan"'), 13, "code list 'do_khan' is not defined"),
        (('format = "%d/%m/%Y"', 'format = "dd/mm"'), 11, "format 'dd/mm' is neither"),
        (('direction = "incoming"', 'direction = "in"'), 4, "needs direction"),
        (('model = "document"', 'model = "doc"'), 3, "model 'doc' is not one of"),
        (('abstract = "trichYeu"\n', ""), 8, "must map abstract"),
        (('source_id = "id"', 'source_id = "id"\nbatch = 5'), 6, "unknown setting 'batch'"),
        (('organ_id = "coQuan.maDinhDanh"', 'organ_id = "co Quan"'), 10, "must look like"),
    ],
)
def test_errors_name_the_file_the_line_and_what_is_wrong(tmp_path, change, line, message):
    path = _write(tmp_path, GOOD.replace(*change))
    with pytest.raises(MappingError) as error:
        load_mapping_file(path)
    assert str(error.value).startswith(f"{path}:{line}: ")
    assert message in str(error.value)


def test_invalid_toml_is_reported_with_the_file(tmp_path):
    path = _write(tmp_path, GOOD.replace('stream = "incoming"', "stream = incoming"))
    with pytest.raises(MappingError, match=rf"^{path}: not valid TOML: .*line 2"):
        load_mapping_file(path)


def test_two_files_for_one_stream_are_refused(tmp_path):
    _write(tmp_path, GOOD)
    _write(tmp_path, GOOD, name="ioffice/incoming-copy.toml")
    with pytest.raises(MappingError, match="already mapped by"):
        load_mappings(tmp_path)


def test_the_shipped_mapping_files_and_unit_table_load():
    from mappings.units import load_unit_table

    mappings = load_mappings()
    assert set(mappings) == {
        ("ioffice", "incoming"), ("ioffice", "outgoing"), ("ioffice", "directives"),
        ("idesk", "incoming"), ("idesk", "outgoing"), ("idesk", "directives"),
        ("tracking", "tasks"),
    }  # fmt: skip
    units = load_unit_table()
    assert units.resolve("ioffice", "DV004") == units.resolve("tracking", "TD-1104") == "CNTT"


def test_extra_directories_add_systems_and_cannot_map_a_packaged_stream_again(tmp_path):
    packaged, extra = tmp_path / "packaged", tmp_path / "extra"
    _write(packaged, GOOD)
    _write(extra, GOOD.replace('system = "ioffice"', 'system = "other"'), "other/incoming.toml")
    assert set(load_mappings(packaged, extra_dirs=[extra])) == {
        ("ioffice", "incoming"), ("other", "incoming"),
    }  # fmt: skip
    _write(extra, GOOD, "ioffice/incoming.toml")
    with pytest.raises(MappingError, match="already mapped by"):
        load_mappings(packaged, extra_dirs=[extra])
