"""Secret documents counted from the simulators' ground truth, never from the bridge: per
(canonical unit, local day received) — incoming documents on the day received, replies on the
day issued, directives on the day written (docs/domain.md §3, docs/secrecy.md rule 6)."""

from __future__ import annotations

import tomllib
from datetime import date, datetime

from mappings.units import UNITS_FILE
from pipelines.calendar import LOCAL_TZ


def canonical_unit_ids(sim) -> dict[str, str]:
    """Simulator unit key → canonical unit id, through units.toml read here, by hand."""
    by_alias = {}
    for unit in tomllib.loads(UNITS_FILE.read_text(encoding="utf-8"))["units"]:
        for alias in unit["aliases"]:
            by_alias[(alias["system"], alias["alias"])] = unit["id"]
    return {u["key"]: by_alias[("tracking", u["tracking_id"])] for u in sim.ground_truth("units")}


def secret_counts(sim) -> dict[tuple[str, date], int]:
    units = canonical_unit_ids(sim)
    documents = {d["id"]: d for d in sim.ground_truth("documents")}
    counted: dict[tuple[str, date], int] = {}

    def count(unit_key: str, instant: str) -> None:
        key = (units[unit_key], datetime.fromisoformat(instant).astimezone(LOCAL_TZ).date())
        counted[key] = counted.get(key, 0) + 1

    for d in documents.values():
        if d["secrecy"]:
            count(d["main_unit"], d["received_at"])
    for o in sim.ground_truth("outgoing"):
        if o["secrecy"]:
            count(documents[o["answers_document_id"]]["main_unit"], o["issued_at"])
    for d in sim.ground_truth("directives"):
        if d["secrecy"]:
            count(d["main_unit"], d["created_at"])
    return counted
