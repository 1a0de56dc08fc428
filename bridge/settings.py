"""Settings: environment variables over an optional TOML config file over safe defaults.

Precedence (highest first): ``BRIDGE_*`` environment variables (nested with ``__``, e.g.
``BRIDGE_IOFFICE__PASSWORD``), then the config file named by ``BRIDGE_CONFIG`` (default
``bridge.toml`` in the working directory, if present), then the defaults below. Every password,
token and client secret is a ``SecretStr``: it prints as ``**********`` and only the connector
that sends it calls ``get_secret_value()``.
"""

from __future__ import annotations

import os
from datetime import time
from functools import cached_property
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)
from sqlalchemy.engine import make_url

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


class SystemSettings(BaseModel):
    """One external system's address and credentials. Disabled until it has a base URL."""

    base_url: str | None = None
    username: str | None = None
    password: SecretStr | None = None

    @property
    def enabled(self) -> bool:
        return bool(self.base_url)


class TrackingSettings(SystemSettings):
    """The tracking system, optionally reached through LGSP's OAuth2 client-credentials token."""

    token_url: str | None = None
    client_id: str | None = None
    client_secret: SecretStr | None = None


class AtRiskSettings(BaseModel):
    """What the bridge files in the tracking system when a task nears its deadline unanswered
    (DOMAIN.md section 5). The window itself is one working day."""

    warn_tracking: bool = Field(
        default=True, description="send an early warning as a progress report"
    )
    request_extension: bool = Field(
        default=False, description="also file an extension request (the agency must enable it)"
    )
    extension_working_days: int = Field(default=5, ge=1, le=60)


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
    """Periodic reports (DOMAIN.md section 7): where files go and when each schedule runs.

    Cron strings are read in ``timezone`` (Asia/Ho_Chi_Minh). The defaults run each report a
    few days, or hours, before its due time: weekly statistics are due before 16:00 on
    Thursday, monthly before the 30th, quarterly before the 30th of the quarter's last month,
    yearly before 15 December.
    """

    output_dir: Path | None = Field(
        default=None, description="where report files go; empty means <var_dir>/reports"
    )
    weekly_cron: str = "0 8 * * 4"  # Thursday 08:00, for the previous ISO week
    monthly_cron: str = "0 8 25 * *"  # the 25th: before the 30th, and February has no 30th
    quarterly_cron: str = "0 8 25 3,6,9,12 *"
    yearly_cron: str = "0 8 10 12 *"  # 10 December, before the 15th

    @field_validator("weekly_cron", "monthly_cron", "quarterly_cron", "yearly_cron")
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


class BridgeSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="BRIDGE_",
        env_nested_delimiter="__",
        extra="forbid",
        toml_file=None,
    )

    database_url: str = Field(
        default="",
        description="SQLAlchemy URL; empty means the embedded SQLite file var/bridge.db",
    )
    var_dir: Path = DEFAULT_VAR_DIR
    agency_name: str = "Sở Thông tin và Truyền thông"
    agency_organ_id: str = "000.00.31.H41"
    timezone: str = "Asia/Ho_Chi_Minh"
    http: HttpSettings = HttpSettings()
    ioffice: SystemSettings = SystemSettings()
    idesk: SystemSettings = SystemSettings()
    tracking: TrackingSettings = TrackingSettings()
    outbox_max_attempts: int = Field(default=8, ge=1)
    schedules: ScheduleSettings = ScheduleSettings()
    reports: ReportSettings = ReportSettings()
    at_risk: AtRiskSettings = AtRiskSettings()
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


def load_settings(**overrides: Any) -> BridgeSettings:
    """Read the settings; keyword arguments override everything (used by tests and the demo)."""
    return BridgeSettings(**overrides)
