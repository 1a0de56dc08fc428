"""The unit table: one canonical unit for each system's unit ids, with validity dates.

Units are renamed, merged and split (the 2025 reorganisation merged provinces and abolished the
district level; docs/domain.md §8), so an alias maps to a canonical unit only for a period,
and a record is resolved with the alias valid on the record's own date. The table is data, in
``mappings/units.toml``::

    [[units]]
    id = "SO-TTTT"
    name = "Sở Thông tin và Truyền thông"
    organ_id = "000.00.31.H41"
    valid_to = 2025-02-28
    successor = "SO-KHCN"                  # merged into
    aliases = [
      { system = "ioffice", alias = "12", valid_from = 2020-01-01 },
      { system = "tracking", alias = "DV-STTTT" },
    ]

An alias nobody has mapped yet is not an error: it resolves to ``<system>:<alias>`` so the
record is kept and the unknown unit is visible in reports, where someone can add it here.
"""

from __future__ import annotations

import tomllib
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from mappings.loader import MAPPINGS_DIR, MappingError

UNITS_FILE = MAPPINGS_DIR / "units.toml"


@dataclass(frozen=True)
class Unit:
    id: str
    name: str
    organ_id: str | None = None
    parent: str | None = None
    successor: str | None = None
    valid_from: date | None = None
    valid_to: date | None = None


@dataclass(frozen=True)
class Alias:
    system: str
    alias: str
    unit_id: str
    valid_from: date = date.min
    valid_to: date | None = None

    def valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


class UnitTable:
    """Resolves (system, alias, day) to a canonical unit id."""

    def __init__(self, units: list[Unit], aliases: list[Alias]) -> None:
        self.units = {unit.id: unit for unit in units}
        self.aliases = aliases
        self._by_key: dict[tuple[str, str], list[Alias]] = defaultdict(list)
        for alias in aliases:
            self._by_key[(alias.system, alias.alias)].append(alias)

    def resolve(self, system: str, alias: str | int | None, day: date | None = None) -> str | None:
        """The canonical id for ``alias`` on ``day`` (today's mapping when no day is known)."""
        if alias is None or str(alias).strip() == "":
            return None
        key = (system, str(alias).strip())
        candidates = self._by_key.get(key, [])
        if day is not None:
            candidates = [a for a in candidates if a.valid_on(day)]
        if not candidates:
            return f"{system}:{key[1]}"
        # The newest mapping wins when periods were entered overlapping.
        return max(candidates, key=lambda a: a.valid_from).unit_id

    def current(self, unit_id: str) -> str:
        """Follow merges to the unit that carries this one's work today."""
        seen = set()
        while (unit := self.units.get(unit_id)) and unit.successor and unit_id not in seen:
            seen.add(unit_id)
            unit_id = unit.successor
        return unit_id


def _date(value: Any, where: str) -> date | None:
    if value is None or isinstance(value, date):
        return value
    raise MappingError(f"{where}: {value!r} is not a date (write 2025-03-01, without quotes)")


def load_unit_table(path: Path = UNITS_FILE) -> UnitTable:
    """Read and validate the unit table; an absent file is an empty table."""
    if not path.exists():
        return UnitTable([], [])
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise MappingError(f"{path}: not valid TOML: {exc}") from None
    units: list[Unit] = []
    aliases: list[Alias] = []
    for index, raw in enumerate(data.get("units", []), start=1):
        where = f"{path}: unit #{index} ({raw.get('id', 'no id')})"
        if not raw.get("id") or not raw.get("name"):
            raise MappingError(f"{where}: every unit needs 'id' and 'name'")
        unknown = set(raw) - {"id", "name", "organ_id", "parent", "successor", "valid_from",
                              "valid_to", "aliases"}  # fmt: skip
        if unknown:
            raise MappingError(f"{where}: unknown keys {sorted(unknown)}")
        units.append(
            Unit(
                id=raw["id"],
                name=raw["name"],
                organ_id=raw.get("organ_id"),
                parent=raw.get("parent"),
                successor=raw.get("successor"),
                valid_from=_date(raw.get("valid_from"), where),
                valid_to=_date(raw.get("valid_to"), where),
            )
        )
        for entry in raw.get("aliases", []):
            if not entry.get("system") or entry.get("alias") is None:
                raise MappingError(f"{where}: every alias needs 'system' and 'alias'")
            aliases.append(
                Alias(
                    system=entry["system"],
                    alias=str(entry["alias"]),
                    unit_id=raw["id"],
                    valid_from=_date(entry.get("valid_from"), where) or date.min,
                    valid_to=_date(entry.get("valid_to"), where),
                )
            )
    ids = {unit.id for unit in units}
    for unit in units:
        for ref in (unit.parent, unit.successor):
            if ref is not None and ref not in ids:
                raise MappingError(f"{path}: unit {unit.id} refers to unknown unit {ref!r}")
    return UnitTable(units, aliases)
