"""Connectors built from settings, and the health check behind `bridge check`.

Connectors know nothing of our settings (docs/design.md: they import only what
``connectors/`` holds), so this is where configuration meets them: each registered system's
section (``connectors/registry.py``) goes to its connector class's ``from_settings``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from bridge import secret_blocks
from bridge.settings import BridgeSettings, SystemSettings
from connectors import registry
from connectors.base import Connector
from connectors.http import BodyLimits, ConnectorError, RetryPolicy, Timeouts

__all__ = ["Connector", "NotConfigured", "build_connector", "configured_systems", "known_systems"]


class NotConfigured(ValueError):
    """A system was asked for that has no address in the settings."""


def known_systems() -> tuple[str, ...]:
    """Every registered system, configured or not."""
    return registry.names()


def _limits(cfg: SystemSettings) -> BodyLimits:
    return BodyLimits(
        max_bytes=int(cfg.max_body_mb * 1024 * 1024),
        deadline_s=cfg.request_deadline_s,
        max_json_depth=cfg.max_json_depth,
    )


def build_connector(settings: BridgeSettings, system: str, *, retries: bool = True) -> Connector:
    """``system``'s connector from its section. ``retries=False`` sends every call once,
    whatever ``[http] max_attempts`` says: push's writes wait in the outbox for a later run
    rather than hold this one with retries on the spot."""
    try:
        spec = registry.get(system)
    except registry.UnknownSystem as exc:
        raise NotConfigured(str(exc)) from None
    cfg = getattr(settings, system, None)
    if cfg is None or not cfg.enabled:
        raise NotConfigured(
            f"{system} has no address: set BRIDGE_{system.upper()}__BASE_URL or [{system}] base_url"
        )
    if secret_blocks.names_any(cfg):
        try:  # credentials kept in Prefect Secret blocks, read now (a rotation takes effect)
            cfg = secret_blocks.resolve(cfg, system)
        except secret_blocks.SecretBlockError as exc:
            raise NotConfigured(str(exc)) from None
    http = settings.http
    return spec.connector.from_settings(
        cfg,
        timeouts=Timeouts(http.connect_timeout_s, http.read_timeout_s),
        policy=RetryPolicy(max_attempts=http.max_attempts if retries else 1),
        ca_bundle=str(http.ca_bundle) if http.ca_bundle else None,
        limits=_limits(cfg),
    )


def configured_systems(settings: BridgeSettings) -> list[str]:
    return [
        name for name in registry.names() if getattr(getattr(settings, name, None), "enabled", 0)
    ]


@dataclass(frozen=True)
class CheckResult:
    system: str
    ok: bool
    latency_ms: float
    detail: str
    warning: bool = False  # working, but something needs a person (a provisional calendar)

    def line(self) -> str:
        verdict = ("WARN" if self.warning else "OK  ") if self.ok else "FAIL"
        return f"{self.system:<9} {verdict} {self.latency_ms:7.0f} ms  {self.detail}"


def check_system(settings: BridgeSettings, system: str) -> CheckResult:
    """Connect, authenticate, read one page; never raises for what the system does."""
    started = time.monotonic()
    try:
        detail = build_connector(settings, system).check()
        ok = True
    except (ConnectorError, NotConfigured) as exc:
        detail, ok = str(exc), False
    return CheckResult(system, ok, (time.monotonic() - started) * 1000, detail)


def check_calendar(settings: BridgeSettings) -> CheckResult:
    """The working-day calendar loads, and which of its years are still provisional (a warning
    until the year's announcement is entered; docs/domain.md §6, "Calendar data")."""
    from pipelines.calendar import CalendarError, load_calendar

    started = time.monotonic()
    try:
        calendar = load_calendar(extra_dir=settings.calendar.directory)
    except CalendarError as exc:
        return CheckResult("calendar", False, (time.monotonic() - started) * 1000, str(exc))
    elapsed = (time.monotonic() - started) * 1000
    loaded = f"{calendar.first_year}–{calendar.last_year} loaded"
    if not calendar.provisional:
        return CheckResult("calendar", True, elapsed, loaded)
    pending = "; ".join(
        f"{year} is provisional: {note}" for year, note in calendar.provisional.items()
    )
    detail = f"{loaded}; {pending}. Enter the announcement in <year>.toml and remove 'provisional'."
    return CheckResult("calendar", True, elapsed, detail, warning=True)
