"""Settings: environment variables over an optional TOML config file over safe defaults.

Precedence (highest first): ``BRIDGE_*`` environment variables (nested with ``__``, e.g.
``BRIDGE_<SYSTEM>__PASSWORD``), then the config file named by ``BRIDGE_CONFIG`` (default
``bridge.toml`` in the working directory, if present), then the defaults below. Every password,
token and client secret is a ``SecretStr``: it prints as ``**********`` and only the connector
that sends it calls ``get_secret_value()``. A validation error never shows the value it refused
(``hide_input_in_errors``: the offending value may be a password), only the field and the
problem; addresses are refused when they carry credentials, and shown without them.

Each registered system (``connectors/registry.py``) has its section, named after it and typed
by the settings model it declares, so adding a system adds its section here without an edit.

Mistakes are refused, not ignored (``bridge/settings_check.py``, run by ``load_settings``): a
key in the file or a ``BRIDGE_*`` variable that names no setting is an error with the closest
real name, a malformed file is ``file:line: what is wrong``; addresses are checked when loaded.
"""

from __future__ import annotations

import os
from datetime import time
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, create_model, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)
from sqlalchemy.engine import make_url

from bridge import settings_check
from bridge.settings_check import SettingsError
from connectors import registry
from connectors.system_settings import SystemSettings, url_without_userinfo

__all__ = [
    "BridgeSettings",
    "SettingsError",
    "SystemSettings",
    "load_settings",
    "url_without_userinfo",
]

DEFAULT_VAR_DIR = Path("var")
MASK = "**********"


class HttpSettings(BaseModel):
    """Shared HTTP policy. TLS verification is always on; only the CA bundle is configurable."""

    connect_timeout_s: float = Field(default=5.0, gt=0)
    read_timeout_s: float = Field(default=30.0, gt=0)
    ca_bundle: Path | None = Field(
        default=None, description="PEM file of the agency's CA, for systems behind a private CA"
    )
    max_attempts: int = Field(default=5, ge=1, le=20)

    @field_validator("ca_bundle")
    @classmethod
    def _ca_bundle_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"CA bundle {value} does not exist or is not a file")
        return value


class AtRiskSettings(BaseModel):
    """What the bridge files in the tracking system when a task nears its deadline unanswered
    (docs/domain.md §5). The window itself is one working day."""

    warn_tracking: bool = Field(
        default=True, description="send an early warning as a progress report"
    )
    request_extension: bool = Field(
        default=False, description="also file an extension request (the agency must enable it)"
    )
    extension_working_days: int = Field(default=5, ge=1, le=60)


# The default agency name: a placeholder the clerk sees in every report heading until the
# agency sets its own (the 2025 reorganisation renamed the departments).
AGENCY_PLACEHOLDER = "Sở ... tỉnh ..."


class DeadlinePolicySettings(BaseModel):
    """The agency's deadline policy (docs/domain.md §6), one setting for every path: reading a
    date-only deadline from any system, computing deadlines, statuses, pushes and reports."""

    end_of_day: time = Field(
        default=time(17, 0),
        description="end of office hours, local time: a deadline given as a date means this "
        "time of that working day",
    )
    milestone_working_days: int = Field(
        default=1, ge=0, le=30, description="review milestone: working days before a deadline"
    )
    default_working_days: int = Field(
        default=5, ge=1, le=60, description="deadline of a document that states none"
    )

    @field_validator("end_of_day")
    @classmethod
    def _wall_clock(cls, value: time) -> time:
        if value.tzinfo is not None:
            raise ValueError("end_of_day is a local wall-clock time such as '17:00', no zone")
        return value


class ReportSettings(BaseModel):
    """Periodic reports (docs/domain.md §7): which items a period holds, its days, where files
    go, when each schedule runs, and what the Word and Excel headings say.

    Cron strings are read in ``timezone`` (Asia/Ho_Chi_Minh). A scheduled run always covers the
    latest **complete** period (``periods.schedule_period``): with the data cut-off of Decree
    09/2019/NĐ-CP art. 12 (the default) a month ends on the 14th, so the monthly, quarterly,
    half-yearly and yearly runs go out on the 15th, the day after the cut-off; the weekly run
    goes out on Thursday for the previous ISO week.
    """

    output_dir: Path | None = Field(
        default=None, description="where report files go; empty means <var_dir>/reports"
    )
    basis: Literal["due", "received"] = Field(
        default="due",
        description="which items a period holds: 'due' = due in the period plus done in it; "
        "'received' = received in it",
    )
    calendar_periods: bool = Field(
        default=False,
        description="use plain calendar periods instead of the data cut-off (15th to 14th)",
    )
    weekly_cron: str = "0 8 * * 4"  # Thursday 08:00, for the previous ISO week
    monthly_cron: str = "0 8 15 * *"  # the day after the cut-off (the 14th)
    quarterly_cron: str = "0 8 15 3,6,9,12 *"
    half_yearly_cron: str = "0 8 15 6,12 *"
    yearly_cron: str = "0 8 15 12 *"
    # The headings of the Word and Excel reports (Decree 30/2020, appendix I). The defaults are
    # placeholders the clerk sees and fills in: the agency names changed in the 2025
    # reorganisation, so no real name is a safe default.
    parent_agency: str = Field(
        default="UBND TỈNH ...", description="the governing body, above the agency's name"
    )
    agency_abbreviation: str = Field(
        default="...", description="the agency's notation in 'Số: .../BC-<abbreviation>'"
    )
    place: str = Field(default="...", description="the place name of 'Nơi, ngày ... tháng ...'")
    signer_title: str = Field(default="GIÁM ĐỐC", description="the signer's position")
    signer_name: str = Field(default="", description="the signer's full name; empty: left blank")
    recipients: list[str] = Field(
        default=["Như trên;", "Lưu: VT."], description="the 'Nơi nhận' lines"
    )

    @field_validator(
        "weekly_cron", "monthly_cron", "quarterly_cron", "half_yearly_cron", "yearly_cron"
    )
    @classmethod
    def _five_fields(cls, value: str) -> str:
        if len(value.split()) != 5:
            raise ValueError(f"{value!r} is not a cron string of five fields, e.g. '0 8 * * 4'")
        return value


class ScheduleSettings(BaseModel):
    """When `bridge serve` runs each deployment: cron lines read in the settings' ``timezone``.

    Sync polls every 5 minutes in office hours (07:00-17:55, Monday to Saturday, since some
    Saturdays are working days) and hourly otherwise; every sync ends by pushing the outbox, so
    no separate push schedule exists. The deadline watch runs at 07:30 and 13:30 Monday to
    Saturday and skips the days the working-day calendar says are off. Lists of cron lines
    are JSON in the environment: ``BRIDGE_SCHEDULES__HEALTH_CHECK='["*/5 * * * *"]'``. The
    periodic reports use the cron lines of ``[reports]`` once ``reports_enabled`` is on.
    """

    sync: list[str] = Field(
        default=["*/5 7-17 * * 1-6", "0 0-6,18-23 * * 1-6", "0 * * * 0"],
        description="office hours every 5 minutes, otherwise hourly",
    )
    deadline_watch: list[str] = Field(default=["30 7,13 * * 1-6"])
    health_check: list[str] = Field(default=["*/15 * * * *"])
    reports_enabled: bool = Field(
        default=False, description="serve the periodic reports on the [reports] cron lines"
    )
    calls_per_system: int = Field(
        default=2,
        ge=1,
        description="runs that may call one external system at once (a Prefect global "
        "concurrency limit named after the system, created at start if missing)",
    )

    @field_validator("sync", "deadline_watch", "health_check")
    @classmethod
    def _five_fields(cls, lines: list[str]) -> list[str]:
        for line in lines:
            if len(line.split()) != 5:
                raise ValueError(
                    f"{line!r} is not a cron line of five fields, e.g. '*/5 7-17 * * 1-6'"
                )
        return lines


class PushSettings(BaseModel):
    """How a push spends its time (each system's senders: ``push_workers`` of its section).

    A write that fails for a reason that may pass (an outage, a timeout, a garbled answer) is
    not retried on the spot: its row waits ``backoff_initial_s``, doubling with each attempt up
    to ``backoff_max_s`` (with jitter, and at least the ``Retry-After`` the system asked for),
    and a later run sends it. One run spends at most ``budget_s`` on one system, by default
    ``budget_share`` of the shortest interval between two sync runs (``[schedules] sync``): it
    then claims no more of that system's rows and leaves them for the next run, so a slow or
    failing system never makes a run overlap the next one (which would be cancelled)."""

    budget_share: float = Field(
        default=0.5, gt=0, le=1,
        description="share of the shortest interval between sync runs one push may spend on one "
        "system",
    )  # fmt: skip
    budget_s: float | None = Field(
        default=None, gt=0,
        description="seconds one push may spend on one system; empty means budget_share of the "
        "shortest interval between sync runs",
    )  # fmt: skip
    backoff_initial_s: float = Field(
        default=60.0, gt=0, description="wait before a row's second attempt"
    )
    backoff_max_s: float = Field(default=3600.0, gt=0, description="longest wait between attempts")


class CalendarSettings(BaseModel):
    """Where the working-day calendar's year files are (docs/domain.md §6, "Calendar data").

    The packaged files (mappings/calendar/<year>.toml) are read first; files in
    ``directory`` replace those of the same year and add later years, so a new year's
    announcement can be installed on a server without a new release of the bridge.
    """

    directory: Path | None = Field(
        default=None, description="extra directory of <year>.toml calendar files, e.g. "
        "/etc/bridge/calendar; empty means only the packaged files",
    )  # fmt: skip


class _CommonSettings(BaseSettings):
    """Every setting but the systems' sections."""

    model_config = SettingsConfigDict(
        env_prefix="BRIDGE_",
        env_nested_delimiter="__",
        extra="forbid",
        toml_file=None,
        # The refused value may be a password (or a password typed into a misspelt field).
        hide_input_in_errors=True,
    )

    database_url: str = Field(
        default="",
        description="SQLAlchemy URL; empty means the embedded SQLite file var/bridge.db",
    )
    var_dir: Path = DEFAULT_VAR_DIR
    # A placeholder: the 2025 reorganisation merged departments and provinces, so no real
    # name is a safe default. Reports show it as it is until the agency sets its own.
    agency_name: str = AGENCY_PLACEHOLDER
    agency_organ_id: str = "000.00.31.H41"
    timezone: str = "Asia/Ho_Chi_Minh"
    http: HttpSettings = HttpSettings()
    outbox_max_attempts: int = Field(default=8, ge=1)
    push: PushSettings = PushSettings()
    schedules: ScheduleSettings = ScheduleSettings()
    reports: ReportSettings = ReportSettings()
    at_risk: AtRiskSettings = AtRiskSettings()
    calendar: CalendarSettings = CalendarSettings()
    deadline_policy: DeadlinePolicySettings = DeadlinePolicySettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config_file = config_file_path()
        if config_file is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=config_file))
        return tuple(sources)

    @cached_property
    def effective_database_url(self) -> str:
        """The URL in use: the configured one, or the SQLite file under var/."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.var_dir / 'bridge.db').resolve()}"

    @property
    def reports_dir(self) -> Path:
        """Where report files go: ``reports.output_dir``, else ``<var_dir>/reports``."""
        return self.reports.output_dir or self.var_dir / "reports"

    def masked(self) -> dict[str, Any]:
        """The effective settings as plain data, every secret replaced by a mask."""
        data = self.model_dump(mode="json")
        data["database_url"] = display_database_url(self.effective_database_url)
        data["config_file"] = str(config_file_path()) if config_file_path() else None
        return _mask_secrets(data)


def _mask_secrets(data: Any) -> Any:
    # model_dump(mode="json") already renders SecretStr as "**********"; this also catches
    # secrets that sneak in as plain strings under an obviously secret name.
    if isinstance(data, dict):
        return {
            key: (MASK if value and _is_secret_name(key) else _mask_secrets(value))
            for key, value in data.items()
        }
    return data


def _is_secret_name(name: str) -> bool:
    return any(word in name.lower() for word in ("password", "secret", "token_value", "api_key"))


def display_database_url(url: str) -> str:
    """A database URL safe to print: the password replaced by a mask."""
    return make_url(url).render_as_string(hide_password=True)


def config_file_path() -> Path | None:
    """The TOML config file in force, if any: $BRIDGE_CONFIG, else ./bridge.toml when present."""
    named = os.environ.get("BRIDGE_CONFIG")
    if named:
        path = Path(named)
        if not path.is_file():
            raise FileNotFoundError(f"BRIDGE_CONFIG names {path}, which does not exist")
        return path
    default = Path("bridge.toml")
    return default if default.is_file() else None


def _with_sections(base: type[BaseSettings], names: tuple[str, ...]) -> Any:
    sections: dict[str, Any] = {}
    for name in names:
        model = registry.get(name).settings_model
        sections[name] = (model, Field(default_factory=model))
    return create_model("BridgeSettings", __base__=base, __module__=__name__, **sections)


# One section per system registered when the settings are first imported; a system
# registered later (``registry.register``) gets a subclass with its section too, built by
# ``settings_model``.
BridgeSettings = _with_sections(_CommonSettings, registry.names())
_models: dict[tuple[str, ...], Any] = {registry.names(): BridgeSettings}


def settings_model() -> type[BridgeSettings]:
    """The settings class with a section for every system registered now."""
    names = registry.names()
    if names not in _models:
        extra = tuple(name for name in names if name not in BridgeSettings.model_fields)
        _models[names] = _with_sections(BridgeSettings, extra)
    return _models[names]


def check_sources() -> None:
    """Raise ``SettingsError`` for a malformed config file, a key in it that names no setting
    (in any section) or a ``BRIDGE_*`` variable that names none, each with a "did you mean"."""
    model = settings_model()
    config = config_file_path()
    problems = settings_check.check_file(model, config) if config is not None else []
    problems += settings_check.check_environment(model, os.environ)
    if problems:
        raise SettingsError(problems)


def value_sources() -> dict[str, str]:
    """Where each setting set outside its default came from (`bridge config --sources`)."""
    return settings_check.sources(os.environ, config_file_path())


def load_settings(**overrides: Any) -> BridgeSettings:
    """Read the settings; keyword arguments override everything (used by tests and the demo).

    The file and the environment are checked first (``check_sources``): a misspelt key is an
    error, not a setting silently left at its default."""
    check_sources()
    return settings_model()(**overrides)
