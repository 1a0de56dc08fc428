"""The settings section every system has: its address, credentials and answer limits.

A system's connector module names its settings model (this one, or a subclass adding what
the system needs, e.g. the tracking system's LGSP token endpoint); ``bridge/settings.py``
makes one section per registered system from it (``[ioffice]``, ``BRIDGE_IOFFICE__BASE_URL``).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator


def url_without_userinfo(url: str) -> str:
    """``url`` safe to print: any ``user:password@`` removed."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "(unreadable URL)"
    host = parts.netloc.rpartition("@")[2]
    return parts._replace(netloc=host).geturl()


def http_url(value: str | None, field: str) -> str | None:
    """``value`` if it is an http(s) URL with a host and no credentials in it."""
    if not value:
        return value
    shown = url_without_userinfo(value)
    try:
        parts = urlsplit(value)
    except ValueError:
        raise ValueError(f"{field} is not a URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{field} {shown} is not an http(s) URL with a host")
    if "@" in parts.netloc:
        raise ValueError(
            f"{field} {shown} must not carry credentials (user:password@); "
            "set username and password (or client_id and client_secret) instead"
        )
    return value


def secret(value: SecretStr | None) -> str:
    """The secret's text for the connector that sends it; empty when unset."""
    return value.get_secret_value() if value is not None else ""


class SystemSettings(BaseModel):
    """One external system's address, credentials and answer limits. Disabled until it has a
    base URL."""

    # Also when built on its own: the refused value may be a password.
    model_config = ConfigDict(hide_input_in_errors=True)

    base_url: str | None = None
    username: str | None = None
    password: SecretStr | None = None
    max_body_mb: float = Field(
        default=50.0, gt=0, le=1024, description="largest answer read from the system (MB)"
    )
    request_deadline_s: float = Field(
        default=60.0, gt=0, description="longest one request may take, answer included"
    )
    max_json_depth: int = Field(default=64, ge=2, le=512)
    push_workers: int = Field(
        default=4, ge=1, le=16,
        description="outbox rows a push sends to this system at once, each on its own "
        "connection; keep within what the system allows one client",
    )  # fmt: skip

    @field_validator("base_url")
    @classmethod
    def _base_url_is_http(cls, value: str | None) -> str | None:
        return http_url(value, "base_url")

    @property
    def enabled(self) -> bool:
        return bool(self.base_url)
