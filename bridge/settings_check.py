"""Settings that refuse mistakes: the config file and the ``BRIDGE_*`` environment checked
against the settings model before it is built, and where each value came from.

pydantic ignores unknown keys inside a section and pydantic-settings ignores unknown
environment variables, so a typo (``[ioffice] pasword``, ``BRIDGE_IOFFICE__BASEURL``) would
silently leave the setting at its default. Here every key and variable is walked against the
model (whose sections follow the registry, connectors/registry.py) and an unknown one is an
error naming the file and line, or the variable, with the closest known names. No message
ever carries a value: any of them may be a password.
"""

from __future__ import annotations

import difflib
import re
import tomllib
import typing
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

ENV_PREFIX = "BRIDGE_"
NESTED = "__"

# BRIDGE_* variables that are read outside the settings model: the config file's name, the
# modules of extra systems, the local Prefect server's port, the checkout a worker runs in.
NOT_SETTINGS = frozenset(
    {"BRIDGE_CONFIG", "BRIDGE_EXTRA_SYSTEMS", "BRIDGE_PREFECT_PORT", "BRIDGE_HOME"}
)


class SettingsError(ValueError):
    """Settings that cannot be used; each problem is one line, without any value."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


# --- the config file -------------------------------------------------------------------------


def read_toml(path: Path) -> dict[str, Any]:
    """The file's content; a malformed file is ``<file>:<line>: what is wrong``."""
    text = path.read_text(encoding="utf-8")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # Python 3.11 puts the place in the message: "Invalid value (at line 3, column 7)".
        message = str(exc)
        found = re.search(r"\s*\(at line (\d+), column (\d+)\)$", message)
        if found:
            line, column = found.groups()
            what = message[: found.start()]
            raise SettingsError([f"{path}:{line}: {what} (column {column})"]) from None
        found = re.search(r"\s*\(at end of document\)$", message)
        if found:
            last = len(text.splitlines()) or 1
            raise SettingsError([f"{path}:{last}: {message[: found.start()]}"]) from None
        raise SettingsError([f"{path}: {message}"]) from None


def key_line(text: str, section: tuple[str, ...], key: str) -> int | None:
    """The line (1-based) where ``key`` is set in ``[section]``, found by reading the text
    (tomllib gives no lines). Dotted keys and inline tables fall back to the first line
    naming the key."""
    current: tuple[str, ...] = ()
    first_anywhere = None
    key_pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*[=.]")
    # The key inside a dotted key (``ioffice.pasword = ...``) or an inline table.
    anywhere = re.compile(rf"(^|[\s.{{,])[\"']?{re.escape(key)}[\"']?\s*=")
    for number, line in enumerate(text.splitlines(), start=1):
        header = re.match(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$", line)
        if header:
            current = tuple(part.strip().strip("\"'") for part in header.group(1).split("."))
            if current == (*section, key):
                return number  # an unknown section: its header
            continue
        if key_pattern.match(line) and current == section:
            return number
        if first_anywhere is None and (key_pattern.match(line) or anywhere.search(line)):
            first_anywhere = number
    return first_anywhere


# --- walking the model -----------------------------------------------------------------------


def _section_model(annotation: Any) -> type[BaseModel] | None:
    """The model a field holds (``Model``, ``Model | None``), or None for a plain value."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
    return None


def _fields(model: type[BaseModel]) -> dict[str, type[BaseModel] | None]:
    return {name: _section_model(f.annotation) for name, f in model.model_fields.items()}


def _suggest(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _unknown_keys(
    model: type[BaseModel], data: Mapping[str, Any], path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], str, str]]:
    fields = _fields(model)
    for key, value in data.items():
        if key not in fields:
            yield path, key, _suggest(key, list(fields))
        elif fields[key] is not None and isinstance(value, Mapping):
            yield from _unknown_keys(fields[key], value, (*path, key))


def check_file(model: type[BaseModel], path: Path) -> list[str]:
    """Problems of the config file: malformed (raised at once) or keys the model lacks."""
    data = read_toml(path)
    text = path.read_text(encoding="utf-8")
    problems = []
    for section, key, hint in _unknown_keys(model, data):
        line = key_line(text, section, key)
        where = f"{path}:{line}" if line else str(path)
        place = f"in [{'.'.join(section)}]" if section else "at the top level"
        problems.append(f"{where}: unknown key {key!r} {place}{hint}")
    return problems


def _variables(model: type[BaseModel], prefix: str = ENV_PREFIX) -> Iterator[str]:
    for name, section in _fields(model).items():
        variable = f"{prefix}{name.upper()}"
        yield variable
        if section is not None:
            yield from _variables(section, variable + NESTED)


def _is_known(model: type[BaseModel], parts: list[str]) -> bool:
    fields = _fields(model)
    head, rest = parts[0], parts[1:]
    if head not in fields:
        return False
    if not rest:
        return True
    section = fields[head]
    return section is not None and _is_known(section, rest)


def check_environment(model: type[BaseModel], environ: Mapping[str, str]) -> list[str]:
    """Problems of the environment: ``BRIDGE_*`` variables that name no setting."""
    known = None
    problems = []
    for name in sorted(environ):
        upper = name.upper()
        if not upper.startswith(ENV_PREFIX) or upper in NOT_SETTINGS:
            continue
        parts = upper[len(ENV_PREFIX) :].lower().split(NESTED)
        if all(parts) and _is_known(model, parts):
            continue
        # Compared without the prefix, which every name shares and would make all look close.
        known = known or [v[len(ENV_PREFIX) :] for v in [*_variables(model), *NOT_SETTINGS]]
        sections = [n for n, m in _fields(model).items() if m is not None]
        if len(parts) > 1 and parts[0] not in sections:
            # A section nobody declared (a misspelt or unregistered system): say which exist.
            close = difflib.get_close_matches(parts[0], sections, n=1, cutoff=0.7)
            hint = (
                f"; did you mean {ENV_PREFIX}{close[0].upper()}{NESTED}...?"
                if close
                else f"; there is no section {parts[0]!r} (sections: {', '.join(sections)})"
            )
        else:
            close = difflib.get_close_matches(upper[len(ENV_PREFIX) :], known, n=1, cutoff=0.7)
            hint = f"; did you mean {ENV_PREFIX}{close[0]}?" if close else ""
        problems.append(f"{name}: unknown variable{hint}")
    return problems


# --- where each value came from --------------------------------------------------------------


def _leaves(data: Mapping[str, Any], path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    for key, value in data.items():
        if isinstance(value, Mapping):
            yield from _leaves(value, (*path, key))
        else:
            yield (*path, key)


def sources(environ: Mapping[str, str], config: Path | None) -> dict[str, str]:
    """For each dotted setting set outside its default: ``file <path>:<line>`` or
    ``environment <VARIABLE>`` (the environment wins, as it does when loading)."""
    found: dict[str, str] = {}
    if config is not None:
        text = config.read_text(encoding="utf-8")
        for leaf in _leaves(read_toml(config)):
            line = key_line(text, leaf[:-1], leaf[-1])
            found[".".join(leaf)] = f"file {config}:{line}" if line else f"file {config}"
    for name in environ:
        upper = name.upper()
        if upper.startswith(ENV_PREFIX) and upper not in NOT_SETTINGS:
            dotted = ".".join(upper[len(ENV_PREFIX) :].lower().split(NESTED))
            # A whole section given as JSON sets every key under it.
            for key in [k for k in found if k.startswith(dotted + ".")]:
                found[key] = f"environment {name}"
            found[dotted] = f"environment {name}"
    return found


def source_of(dotted: str, found: Mapping[str, str]) -> str:
    """Where ``dotted`` came from: itself or the section above it, else the default."""
    parts = dotted.split(".")
    for end in range(len(parts), 0, -1):
        where = found.get(".".join(parts[:end]))
        if where:
            return where
    return "default"


def describe_validation(
    exc: ValidationError, environ: Mapping[str, str], config: Path | None
) -> list[str]:
    """One line per refused setting: its name, the problem and where it was set; never the
    value (the settings hide it: ``hide_input_in_errors``)."""
    try:
        found = sources(environ, config)
    except SettingsError:
        found = {}
    lines = []
    for error in exc.errors(include_input=False, include_url=False):
        dotted = ".".join(str(part) for part in error["loc"])
        message = error["msg"].removeprefix("Value error, ")
        where = source_of(dotted, found)
        lines.append(f"{dotted}: {message}" + (f" ({where})" if where != "default" else ""))
    return lines
