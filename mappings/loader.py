"""Mapping files: where each canonical field lives in a system's raw records, as data.

One TOML file per system and stream (``mappings/<system>/<stream>.toml``). Onboarding a
new e-office deployment means editing these files, not code: renaming an iOffice field is a
one-line change. The loader validates every file at start and reports the file, the line and
what is wrong, so a typo fails the start-up instead of silently dropping a field.

A file looks like this::

    system = "ioffice"
    stream = "incoming"
    model = "document"            # document | directive | task
    direction = "incoming"        # documents only
    source_id = "id"
    changed_at = { path = "ngayCapNhat", format = "local" }
    stamp_fields = ["trichYeu", "doKhan"]  # header text the secrecy guard scans for stamps

    [fields]
    abstract = "trichYeu"                                   # a plain path
    promulgation_date = { path = "ngayBanHanh", format = "%d/%m/%Y" }
    urgency = { path = "doKhan", codes = "urgency" }        # translated by a code list
    signer_name = "nguoiKy.hoTen"                           # dotted paths reach into objects

    [codes.urgency]
    "0" = "normal"
    "1" = "urgent"

Formats: ``iso`` (ISO 8601; without an offset the time is local, Asia/Ho_Chi_Minh), ``local``
(the same, spelled for naive local timestamps), ``edxml_date`` (``yyyy/MM/dd``),
``edxml_timestamp`` (``yyyy/MM/dd HH:mm:ss``, local), or any ``strptime`` pattern.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from schemas.codes import (
    Direction,
    DocumentType,
    HandlerRole,
    Secrecy,
    TaskClass,
    TrackingStatus,
    Urgency,
)

MAPPINGS_DIR = Path(__file__).resolve().parent

NAMED_FORMATS = frozenset({"iso", "local", "edxml_date", "edxml_timestamp"})

# The canonical fields a mapping may fill, per model. Anything else is a typo.
TARGET_FIELDS: dict[str, frozenset[str]] = {
    "document": frozenset(
        {
            "number_notation",
            "number",
            "notation",
            "organ_id",
            "issuer_name",
            "promulgation_date",
            "doc_type",
            "title",
            "abstract",
            "urgency",
            "secrecy",
            "signer_name",
            "signer_position",
            "signer_competence",
            "place",
            "received_at",
            "incoming_number",
            "issued_at",
            "stated_deadline",
            "response_for_source_id",
            "response_for_number_notation",
            "response_for_organ_id",
            "response_for_date",
            "unit",
            "marks",
        }
    ),
    "directive": frozenset(
        {
            "document_source_id",
            "title",
            "content",
            "author",
            "created_at",
            "main_unit",
            "coordinating_units",
            "informed_units",
            "secrecy",
        }
    ),
    "task": frozenset(
        {
            "title",
            "task_class",
            "source_number_notation",
            "source_organ_id",
            "source_date",
            "source_abstract",
            "assigning_text",
            "lead_unit",
            "coordinating_units",
            "monitor_unit",
            "deadline",
            "original_deadline",
            "extended_at",
            "status",
            "completed_at",
            "revision",
            "notes",
            "secrecy",
        }
    ),
}

# Fields a record must have for the model to mean anything.
REQUIRED_TARGETS: dict[str, frozenset[str]] = {
    "document": frozenset({"organ_id", "promulgation_date", "abstract"}),
    "directive": frozenset({"document_source_id", "content", "created_at"}),
    "task": frozenset({"title", "task_class", "lead_unit"}),
}

# Which enum a code list must translate into, by the field that uses it.
CODE_TARGETS: dict[str, type[StrEnum]] = {
    "doc_type": DocumentType,
    "urgency": Urgency,
    "secrecy": Secrecy,
    "task_class": TaskClass,
    "status": TrackingStatus,
    "role": HandlerRole,
}


class MappingError(ValueError):
    """A mapping file is wrong; the message starts with ``file:line:``."""


@dataclass(frozen=True)
class FieldSpec:
    """Where one canonical field lives in a raw record, and how to read it."""

    path: tuple[str, ...]
    format: str | None = None
    codes: str | None = None
    required: bool = False
    # The path walk decided once (every field of every record is dug): see _getter.
    _get: Callable[[Any], Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_get", _getter(self.path))

    def dig(self, record: Any) -> Any:
        """The raw value at ``path`` or None. A number segment indexes a list; ``*`` takes
        every element (a single object counts as a list of one, as SOAP renders one child)
        and gives a list of what the rest of the path finds in each."""
        return self._get(record)


def _getter(path: tuple[str, ...]) -> Callable[[Any], Any]:
    """``_dig`` over ``path`` as a function: a chain of dict look-ups when the path has
    neither a list index nor ``*`` (all ``_dig`` does then), ``_dig`` itself otherwise."""
    if any(step == "*" or step.isdigit() for step in path):
        return lambda record: _dig(record, path)
    if len(path) == 1:
        (key,) = path
        return lambda record: record.get(key) if isinstance(record, dict) else None

    def chain(record: Any) -> Any:
        value = record
        for step in path:
            if not isinstance(value, dict):
                return None
            value = value.get(step)
        return value

    return chain


def _dig(value: Any, path: tuple[str, ...]) -> Any:
    for position, step in enumerate(path):
        if value is None:
            return None
        if step == "*":
            items = value if isinstance(value, list) else [value]
            found = [_dig(item, path[position + 1 :]) for item in items]
            return [item for item in found if item is not None]
        if isinstance(value, dict):
            value = value.get(step)
        elif isinstance(value, list) and step.isdigit() and int(step) < len(value):
            value = value[int(step)]
        else:
            return None
    return value


@dataclass(frozen=True)
class StreamMapping:
    system: str
    stream: str
    model: str
    source_id: FieldSpec
    fields: dict[str, FieldSpec]
    codes: dict[str, dict[str, str]]
    file: Path
    direction: Direction | None = None
    changed_at: FieldSpec | None = None
    # Where the secrecy guard looks for stamps ("KHẨN, MẬT", "TỐI MẬT - V/v ...") besides the
    # secrecy field: the header and abstract text of the record (docs/domain.md §3).
    stamp_fields: tuple[FieldSpec, ...] = ()

    def translate(self, list_name: str, raw: Any) -> str | None:
        """A raw code through the named code list; None if it is not in the list."""
        if raw is None:
            return None
        return self.codes.get(list_name, {}).get(str(raw).strip())


@dataclass
class _Locator:
    """Finds the line of a key in a TOML file, for error messages (tomllib gives none)."""

    path: Path
    lines: list[str] = field(default_factory=list)

    def line_of(self, table: str | None, key: str | None) -> int:
        current: str | None = None
        key_pattern = re.compile(rf'^\s*"?{re.escape(key)}"?\s*=') if key else None
        for number, line in enumerate(self.lines, start=1):
            header = re.match(r"^\s*\[([^\[\]]+)\]\s*(#.*)?$", line)
            if header:
                current = header.group(1).strip()
                if key is None and current == table:
                    return number
                continue
            if key_pattern and current == table and key_pattern.match(line):
                return number
        return 1

    def error(self, table: str | None, key: str | None, problem: str) -> MappingError:
        return MappingError(f"{self.path}:{self.line_of(table, key)}: {problem}")


def _field_spec(raw: Any, where: _Locator, table: str | None, key: str) -> FieldSpec:
    if isinstance(raw, str):
        raw = {"path": raw}
    if not isinstance(raw, dict):
        raise where.error(table, key, f"'{key}' must be a path string or a table with 'path'")
    unknown = set(raw) - {"path", "format", "codes", "required"}
    if unknown:
        raise where.error(table, key, f"'{key}' has unknown keys {sorted(unknown)}")
    path = raw.get("path")
    if not isinstance(path, str) or not re.fullmatch(r"[\w$@-]+(\.(?:[\w$@-]+|\*))*", path):
        raise where.error(
            table, key, f"'{key}' path {path!r} must look like 'a', 'a.b.0' or 'a.*.id'"
        )
    fmt = raw.get("format")
    if fmt is not None and fmt not in NAMED_FORMATS and "%" not in str(fmt):
        raise where.error(
            table, key, f"'{key}' format {fmt!r} is neither {sorted(NAMED_FORMATS)} nor strptime"
        )
    return FieldSpec(
        path=tuple(path.split(".")),
        format=fmt,
        codes=raw.get("codes"),
        required=bool(raw.get("required", False)),
    )


def load_mapping_file(path: Path) -> StreamMapping:
    """Read and validate one mapping file."""
    where = _Locator(path)
    try:
        text = path.read_text(encoding="utf-8")
        where.lines = text.splitlines()
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise MappingError(f"{path}: not valid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise MappingError(f"{path}: cannot read: {exc}") from None

    for key in ("system", "stream", "model", "source_id"):
        if key not in data:
            raise where.error(None, None, f"missing '{key}' at the top of the file")
    model = data["model"]
    if model not in TARGET_FIELDS:
        raise where.error(None, "model", f"model {model!r} is not one of {sorted(TARGET_FIELDS)}")

    known_top = {"system", "stream", "model", "direction", "source_id", "changed_at"}
    known_top |= {"stamp_fields"}
    known_top |= {"fields", "codes"}
    unknown_top = set(data) - known_top
    if unknown_top:
        first = sorted(unknown_top)[0]
        raise where.error(None, first, f"unknown setting '{first}'")

    direction = None
    if model == "document":
        try:
            direction = Direction(data.get("direction", ""))
        except ValueError:
            raise where.error(
                None, "direction", "a document mapping needs direction 'incoming' or 'outgoing'"
            ) from None

    codes = _codes(data.get("codes", {}), where)
    fields: dict[str, FieldSpec] = {}
    for name, raw in data.get("fields", {}).items():
        if name not in TARGET_FIELDS[model]:
            raise where.error(
                "fields", name, f"'{name}' is not a field of a {model}; known: "
                + ", ".join(sorted(TARGET_FIELDS[model])),
            )  # fmt: skip
        spec = _field_spec(raw, where, "fields", name)
        if spec.codes is not None and spec.codes not in codes:
            raise where.error("fields", name, f"code list '{spec.codes}' is not defined")
        fields[name] = spec

    missing = sorted(REQUIRED_TARGETS[model] - set(fields))
    if missing:
        raise where.error("fields", None, f"a {model} mapping must map {', '.join(missing)}")
    has_code = "number_notation" in fields or {"number", "notation"} <= set(fields)
    if model == "document" and not has_code:
        raise where.error(
            "fields", None, "map either 'number_notation' or both 'number' and 'notation'"
        )

    return StreamMapping(
        system=data["system"],
        stream=data["stream"],
        model=model,
        direction=direction,
        source_id=_field_spec(data["source_id"], where, None, "source_id"),
        changed_at=(
            _field_spec(data["changed_at"], where, None, "changed_at")
            if "changed_at" in data
            else None
        ),
        fields=fields,
        codes=codes,
        file=path,
        stamp_fields=_stamp_fields(data.get("stamp_fields", []), where),
    )


def _stamp_fields(raw: Any, where: _Locator) -> tuple[FieldSpec, ...]:
    """``stamp_fields = ["trichYeu", "nguoiKy.chucVu"]``: raw paths of header text to scan."""
    if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
        raise where.error(None, "stamp_fields", "'stamp_fields' must be a list of paths")
    return tuple(_field_spec(item, where, None, "stamp_fields") for item in raw)


def _codes(raw: Any, where: _Locator) -> dict[str, dict[str, str]]:
    if not isinstance(raw, dict):
        raise where.error(None, "codes", "'codes' must be a table of code lists")
    codes: dict[str, dict[str, str]] = {}
    for list_name, entries in raw.items():
        table = f"codes.{list_name}"
        if not isinstance(entries, dict):
            raise where.error(table, None, f"code list '{list_name}' must be a table")
        target = CODE_TARGETS.get(list_name)
        for raw_code, canonical in entries.items():
            if target is not None:
                valid = {member.value for member in target}
                if canonical not in valid:
                    raise where.error(
                        table, raw_code,
                        f"'{raw_code}' maps to {canonical!r}, which is not a {target.__name__}"
                        f" value; valid: {', '.join(sorted(valid))}",
                    )  # fmt: skip
        codes[list_name] = {str(k): str(v) for k, v in entries.items()}
    return codes


def load_mappings(
    directory: Path = MAPPINGS_DIR, extra_dirs: Iterable[Path] = ()
) -> dict[tuple[str, str], StreamMapping]:
    """Every ``<system>/<stream>.toml`` under ``directory`` and then under each of
    ``extra_dirs`` (the mapping files of systems registered from outside the package),
    validated, by (system, stream). A stream mapped twice is an error naming both files."""
    mappings: dict[tuple[str, str], StreamMapping] = {}
    paths = [path for root in (directory, *extra_dirs) for path in sorted(root.glob("*/*.toml"))]
    for path in paths:
        if path.parent.name == "calendar":
            continue
        mapping = load_mapping_file(path)
        key = (mapping.system, mapping.stream)
        if key in mappings:
            raise MappingError(f"{path}:1: {key} is already mapped by {mappings[key].file}")
        mappings[key] = mapping
    return mappings
