"""The working-day calendar's year files: reading, validating and loading them (docs/domain.md
§6, "Calendar data"). Split from pipelines.calendar, which re-exports these names.

``mappings/calendar/<year>.toml`` holds a year's announced days off and make-up
Saturdays, each with its source. A year whose announcement is not out yet is marked
``provisional = true`` with a ``note``; every answer that uses it says so, and the health check
warns. Files in the directory of the setting ``[calendar] directory`` replace the packaged ones
of the same year and add later years, so a server gets a new year without a new release.
"""

from __future__ import annotations

import functools
import os
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from pipelines.calendar import (
    _SATURDAY,
    _SUNDAY,
    DEFAULT_OVERRIDE_DIR,
    CalendarDataError,
    CalendarRangeError,
    OverrideEntry,
    OverrideKind,
    WorkingCalendar,
    build_calendar,
)

_ENTRY_KEYS = {"date", "kind", "name", "source"}


@dataclass(frozen=True)
class YearFile:
    """One ``<year>.toml``: its entries, and whether the year is still provisional (its
    announcement is not out; ``provisional = true`` with a ``note`` saying what is missing)."""

    year: int
    entries: list[OverrideEntry]
    provisional: bool = False
    note: str = ""


def read_override_file(path: Path) -> tuple[int, list[OverrideEntry]]:
    """Read and validate one ``<year>.toml``; raise CalendarDataError naming file and entry."""
    read = read_year_file(path)
    return read.year, read.entries


def read_year_file(path: Path) -> YearFile:
    """Read and validate one ``<year>.toml``, provisional flag included."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise CalendarDataError(f"{path}: not valid TOML: {exc}") from exc
    year = data.get("year")
    if year != _year_of_file(path):
        raise CalendarDataError(f"{path}: 'year = {year}' must match the file name")
    unknown = set(data) - {"year", "entries", "provisional", "note"}
    if unknown:
        raise CalendarDataError(f"{path}: unknown keys {sorted(unknown)}")
    provisional, note = data.get("provisional", False), data.get("note", "")
    if not isinstance(provisional, bool) or not isinstance(note, str):
        raise CalendarDataError(f"{path}: 'provisional' must be true/false and 'note' a text")
    if provisional and not note.strip():
        raise CalendarDataError(f"{path}: a provisional year needs a 'note' saying what is missing")
    raw_entries = data.get("entries", [])
    if not isinstance(raw_entries, list):
        raise CalendarDataError(f"{path}: 'entries' must be an array of tables ([[entries]])")
    entries = [_read_entry(path, year, i, raw) for i, raw in enumerate(raw_entries, 1)]
    _refuse_duplicates(path, entries)
    return YearFile(year, entries, provisional, note.strip())


def _year_of_file(path: Path) -> int:
    if not (path.stem.isdigit() and len(path.stem) == 4):
        raise CalendarDataError(f"{path}: override files are named <year>.toml, e.g. 2024.toml")
    return int(path.stem)


def _read_entry(path: Path, year: int, number: int, raw: Any) -> OverrideEntry:
    where = f"{path}: entry {number}"
    if not isinstance(raw, dict):
        raise CalendarDataError(f"{where}: must be a table with {sorted(_ENTRY_KEYS)}")
    where = f"{where} ({raw.get('date', 'no date')})"
    if set(raw) != _ENTRY_KEYS:
        raise CalendarDataError(f"{where}: needs exactly the keys {sorted(_ENTRY_KEYS)}")
    day, kind, name, source = raw["date"], raw["kind"], raw["name"], raw["source"]
    if type(day) is not date:  # TOML local date, e.g. `date = 2024-05-04` (no quotes)
        raise CalendarDataError(f"{where}: 'date' must be a TOML date such as 2024-05-04")
    if day.year != year:
        raise CalendarDataError(f"{where}: the date is not in {year}")
    if kind not in set(OverrideKind):
        raise CalendarDataError(f"{where}: 'kind' must be 'day_off' or 'working_day'")
    for key, value in (("name", name), ("source", source)):
        if not isinstance(value, str) or not value.strip():
            raise CalendarDataError(f"{where}: '{key}' must be a non-empty text")
    kind = OverrideKind(kind)
    # A Sunday is never made a working day, and a weekend day off says nothing: both are typos.
    if kind is OverrideKind.WORKING_DAY and day.weekday() == _SUNDAY:
        raise CalendarDataError(f"{where}: a Sunday cannot be a make-up working day")
    if kind is OverrideKind.DAY_OFF and day.weekday() in (_SATURDAY, _SUNDAY):
        raise CalendarDataError(f"{where}: is a weekend day already; did you mean another date?")
    return OverrideEntry(day, kind, name.strip(), source.strip(), str(path))


def _refuse_duplicates(path: Path, entries: list[OverrideEntry]) -> None:
    seen: set[date] = set()
    for entry in entries:
        if entry.day in seen:
            raise CalendarDataError(f"{path}: {entry.day} appears twice")
        seen.add(entry.day)


def available_years(override_dir: Path | None = None) -> list[int]:
    """The years that have an override file, sorted."""
    directory = override_dir or DEFAULT_OVERRIDE_DIR
    return sorted(_year_of_file(p) for p in directory.glob("*.toml"))


def load_calendar(
    years: Iterable[int] | None = None,
    override_dir: Path | str | None = None,
    extra_dir: Path | str | None = None,
) -> WorkingCalendar:
    """The calendar of ``years`` (default: every year with an override file), built once.

    Year files are read from ``override_dir`` (default: the packaged mappings/calendar)
    and then from ``extra_dir``, whose files replace the packaged ones of the same year and add
    years past them. Without ``override_dir`` the extra directory defaults to the setting
    ``[calendar] directory`` (BRIDGE_CALENDAR__DIRECTORY), so a year's file can be added on a
    server without touching the installed package.

    Every year must have an override file and the years must be contiguous, so that no day in
    the loaded range falls back to an unchecked guess.
    """
    directory = Path(override_dir) if override_dir is not None else DEFAULT_OVERRIDE_DIR
    if extra_dir is None and override_dir is None:
        extra_dir = configured_directory()
    directories = (_resolved(directory),)
    if extra_dir is not None:
        extra = _resolved(Path(extra_dir))
        if not extra.is_dir():
            raise CalendarDataError(
                f"{extra}: the calendar directory named by [calendar] directory does not exist"
            )
        directories += (extra,)
    wanted = tuple(sorted(set(years))) if years is not None else None
    return _load_calendar_cached(wanted, directories)


def _resolved(path: Path) -> Path:
    """``path.resolve()``, remembered: reconcile asks for the calendar thousands of times a
    run, and resolving walks the file system each time. A relative path is kept per cwd."""
    return _resolve_in(path, None if path.is_absolute() else os.getcwd())


@functools.lru_cache(maxsize=32)
def _resolve_in(path: Path, cwd: str | None) -> Path:
    return path.resolve()


@functools.lru_cache(maxsize=8)
def _load_calendar_cached(
    years: tuple[int, ...] | None, directories: tuple[Path, ...]
) -> WorkingCalendar:
    files: dict[int, Path] = {}
    for directory in directories:  # later directories win
        files.update({_year_of_file(p): p for p in directory.glob("*.toml")})
    present = sorted(files)
    wanted = list(years) if years is not None else present
    shown = " and ".join(str(d) for d in directories)
    if not wanted:
        raise CalendarDataError(f"{shown}: no <year>.toml calendar override file found")
    missing = [y for y in range(wanted[0], wanted[-1] + 1) if y not in present]
    if missing:
        raise CalendarRangeError(
            f"no calendar override file for {missing} in {shown}; add <year>.toml with that "
            "year's announced days off and make-up Saturdays (an empty 'entries = []' if none)",
            missing[0],
        )
    entries: list[OverrideEntry] = []
    provisional: dict[int, str] = {}
    for year in range(wanted[0], wanted[-1] + 1):
        read = read_year_file(files[year])
        entries.extend(read.entries)
        if read.provisional:
            provisional[year] = read.note
    return build_calendar(wanted[0], wanted[-1], entries, provisional, directories)


# The setting is read once per change of the environment or the config file, not per call:
# load_calendar() runs once per task in a reconcile.
_CONFIGURED: dict[tuple[Any, ...], Path | None] = {}


def configured_directory() -> Path | None:
    """The extra calendar directory of the settings (``[calendar] directory``), if any."""
    config = os.environ.get("BRIDGE_CONFIG") or "bridge.toml"
    try:
        stamp: Any = os.stat(config).st_mtime_ns
    except OSError:
        stamp = None
    key = (os.environ.get("BRIDGE_CALENDAR__DIRECTORY"), config, stamp, os.getcwd())
    if key not in _CONFIGURED:
        from bridge.settings import load_settings  # settings import nothing of ours

        _CONFIGURED.clear()
        _CONFIGURED[key] = load_settings().calendar.directory
    return _CONFIGURED[key]
