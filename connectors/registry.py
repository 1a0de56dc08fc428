"""The systems the bridge knows, each declared once.

Everything else asks here: the settings sections (``bridge/settings.py`` makes one per
system), the ``system`` values of records, the choices of the flows' forms and of the CLI,
the labels officials read, which system holds the tasks, which mapping directories to load.
Nothing outside ``connectors/`` and ``mappings/`` names a system.

Adding a system (docs/architecture.md, "Adding a system"): a connector module in
``connectors/`` following ``connectors/base.py``, its mapping files in
``mappings/<name>/``, and one ``register(SystemSpec(...))`` line below. A system kept
outside the package (a site's own, or the tests' fourth system) is registered by its module:
``BRIDGE_EXTRA_SYSTEMS=package.module`` names modules, each with a ``SYSTEM_SPEC``, imported
on first use; or by calling ``register`` before the settings are loaded.
"""

from __future__ import annotations

import importlib
import os
import re
from pathlib import Path

from connectors.base import SystemSpec
from connectors.idesk import IDeskConnector, IDeskSettings
from connectors.ioffice import IOfficeConnector, IOfficeSettings
from connectors.tracking import TrackingConnector, TrackingSettings

EXTRA_SYSTEMS_ENV = "BRIDGE_EXTRA_SYSTEMS"

# A system's name is a settings section, an environment prefix and a column value (≤ 16).
NAME_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,15}")

_SYSTEMS: dict[str, SystemSpec] = {}
_extras_loaded = False


class UnknownSystem(ValueError):
    """A name no system is registered under."""

    def __init__(self, name: str) -> None:
        known = ", ".join(_SYSTEMS)
        super().__init__(f"unknown system {name!r}; known: {known}")


def register(spec: SystemSpec) -> SystemSpec:
    """Declare a system. Registering the same spec again is harmless; another spec under a
    taken name, or a second tracking system, is refused."""
    if not NAME_PATTERN.fullmatch(spec.name):
        raise ValueError(f"system name {spec.name!r} must match {NAME_PATTERN.pattern}")
    existing = _SYSTEMS.get(spec.name)
    if existing is not None:
        if existing == spec:
            return existing
        raise ValueError(f"system {spec.name!r} is already registered")
    if spec.role == "tasks" and any(s.role == "tasks" for s in _SYSTEMS.values()):
        raise ValueError("only one task-tracking system can be registered")
    if getattr(spec.connector, "system", spec.name) != spec.name:
        raise ValueError(f"{spec.connector.__name__}.system is not {spec.name!r}")
    _SYSTEMS[spec.name] = spec
    return spec


def unregister(name: str) -> None:
    """Forget a system registered from outside (a test's, when it ends); the package's own
    systems stay."""
    if name in _PACKAGED:
        raise ValueError(f"{name!r} is one of the package's systems")
    _SYSTEMS.pop(name, None)


def _load_extras() -> None:
    global _extras_loaded
    if _extras_loaded:
        return
    _extras_loaded = True
    for module_name in filter(None, os.environ.get(EXTRA_SYSTEMS_ENV, "").split(",")):
        module = importlib.import_module(module_name.strip())
        register(module.SYSTEM_SPEC)


def specs() -> tuple[SystemSpec, ...]:
    """Every registered system, in the order registered."""
    _load_extras()
    return tuple(_SYSTEMS.values())


def names() -> tuple[str, ...]:
    return tuple(spec.name for spec in specs())


def get(name: str) -> SystemSpec:
    _load_extras()
    try:
        return _SYSTEMS[name]
    except KeyError:
        raise UnknownSystem(name) from None


def streams(name: str) -> tuple[str, ...]:
    """The streams of one system (its connector's), in the connector's order."""
    return tuple(get(name).connector.streams)


def stream_names(systems: tuple[str, ...] | list[str] | None = None) -> tuple[str, ...]:
    """Every stream of ``systems`` (default: every registered one), each once: the choices of
    the resync form and of `bridge resync --stream`."""
    chosen = names() if systems is None else systems
    return tuple(dict.fromkeys(stream for name in chosen for stream in streams(name)))


def label(name: str) -> str:
    """The Vietnamese name officials read; the name itself for anything unregistered."""
    _load_extras()
    spec = _SYSTEMS.get(name)
    return spec.label if spec else name


def tracking_system() -> str:
    """The name of the task-tracking system (role ``tasks``)."""
    for spec in specs():
        if spec.role == "tasks":
            return spec.name
    raise UnknownSystem("(the task-tracking system)")


def document_systems() -> tuple[str, ...]:
    """The e-office systems holding documents (role ``documents``)."""
    return tuple(spec.name for spec in specs() if spec.role == "documents")


def mapping_dirs() -> tuple[Path, ...]:
    """Directories of mapping files beyond the packaged ``mappings/``, one per system
    registered from outside."""
    return tuple(dict.fromkeys(Path(s.mappings_dir) for s in specs() if s.mappings_dir))


# --- the systems of the package --------------------------------------------------------------

register(SystemSpec("ioffice", "iOffice", "documents", IOfficeConnector, IOfficeSettings))
register(SystemSpec("idesk", "iDesk", "documents", IDeskConnector, IDeskSettings))
register(SystemSpec("tracking", "Theo dõi nhiệm vụ", "tasks", TrackingConnector, TrackingSettings))
_PACKAGED = frozenset(_SYSTEMS)
