"""Connectors built from settings, and the health check behind `bridge check`.

Connectors know nothing of our settings (docs/design.md, "Layout": they import only
connectors/http.py), so
this is where configuration meets them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from bridge.settings import BridgeSettings, SystemSettings
from connectors.http import BodyLimits, ConnectorError, RetryPolicy, Timeouts
from connectors.idesk import IDeskConnector
from connectors.ioffice import IOfficeConnector
from connectors.tracking import LgspToken, TrackingConnector

SYSTEMS = ("ioffice", "idesk", "tracking")

Connector = IOfficeConnector | IDeskConnector | TrackingConnector


class NotConfigured(ValueError):
    """A system was asked for that has no address in the settings."""


def _secret(value) -> str:  # type: ignore[no-untyped-def]
    return value.get_secret_value() if value is not None else ""


def _limits(cfg: SystemSettings) -> BodyLimits:
    return BodyLimits(
        max_bytes=int(cfg.max_body_mb * 1024 * 1024),
        deadline_s=cfg.request_deadline_s,
        max_json_depth=cfg.max_json_depth,
    )


def build_connector(settings: BridgeSettings, system: str) -> Connector:
    http = settings.http
    common = {
        "timeouts": Timeouts(http.connect_timeout_s, http.read_timeout_s),
        "policy": RetryPolicy(max_attempts=http.max_attempts),
        "ca_bundle": str(http.ca_bundle) if http.ca_bundle else None,
    }
    if system == "ioffice" and settings.ioffice.enabled:
        cfg = settings.ioffice
        common["limits"] = _limits(cfg)
        return IOfficeConnector(cfg.base_url, cfg.username or "", _secret(cfg.password), **common)
    if system == "idesk" and settings.idesk.enabled:
        cfg = settings.idesk
        common["limits"] = _limits(cfg)
        return IDeskConnector(cfg.base_url, cfg.username or "", _secret(cfg.password), **common)
    if system == "tracking" and settings.tracking.enabled:
        cfg = settings.tracking
        common["limits"] = _limits(cfg)  # LGSP's token answers too
        token = None
        if cfg.token_url:
            token = LgspToken(cfg.token_url, cfg.client_id or "", _secret(cfg.client_secret),
                              **common)  # fmt: skip
        return TrackingConnector(cfg.base_url, token=token, **common)
    if system not in SYSTEMS:
        raise NotConfigured(f"unknown system {system!r}; known: {', '.join(SYSTEMS)}")
    raise NotConfigured(
        f"{system} has no address: set BRIDGE_{system.upper()}__BASE_URL or [{system}] base_url"
    )


def configured_systems(settings: BridgeSettings) -> list[str]:
    return [name for name in SYSTEMS if getattr(settings, name).enabled]


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
