"""The settings section every system has: its address, credentials and answer limits.

A system's connector module names its settings model (this one, or a subclass adding what
the system needs, e.g. the tracking system's LGSP token endpoint); ``bridge/settings.py``
makes one section per registered system from it (``[ioffice]``, ``BRIDGE_IOFFICE__BASE_URL``).

``base_url`` means the same for every system: the service root, ``scheme://host[:port]`` and
any prefix a gateway puts in front (``https://lgsp.example.gov.vn/gw``). The connector adds
its API's path (iOffice's ``/qlvb/api``, a SOAP service's path from its WSDL). A system's
model names that path in ``endpoint_path``, so a full endpoint pasted as ``base_url`` is
refused when the settings load, with the root to set instead, not met as a 404 later.

Each secret (``password``, the tracking system's ``client_secret``, a new system's own) may
instead name a Prefect Secret block holding it: ``<secret>_block`` (``password_block``,
``client_secret_block``), read when the connector is built (``bridge/secret_blocks.py``).
Setting both is refused.
"""

from __future__ import annotations

import re
from typing import ClassVar
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator


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


def service_root(value: str | None, endpoint_path: str | None) -> str | None:
    """``value`` if it is a service root, not a URL already holding the API's path."""
    if not value or not endpoint_path:
        return value
    parts = urlsplit(value)
    path = parts.path.rstrip("/")
    at = (path + "/").find(endpoint_path.rstrip("/") + "/")
    if at < 0:
        return value
    root = f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}{path[:at]}"
    raise ValueError(
        f"base_url is the full endpoint (it holds {endpoint_path}, which the bridge adds "
        f"itself); set the service root instead: {root}"
    )


# Prefect's rule for block names: lowercase letters, digits and dashes.
BLOCK_NAME = re.compile(r"[a-z0-9][a-z0-9-]*")
BLOCK_SUFFIX = "_block"


def secret_block_fields(model: type[BaseModel]) -> dict[str, str]:
    """``{"password": "password_block", ...}``: each secret of ``model`` that may come from a
    Prefect Secret block, and the setting naming the block."""
    return {
        name.removesuffix(BLOCK_SUFFIX): name
        for name in model.model_fields
        if name.endswith(BLOCK_SUFFIX) and name.removesuffix(BLOCK_SUFFIX) in model.model_fields
    }


def secret(value: SecretStr | None) -> str:
    """The secret's text for the connector that sends it; empty when unset."""
    return value.get_secret_value() if value is not None else ""


class SystemSettings(BaseModel):
    """One external system's address, credentials and answer limits. Disabled until it has a
    base URL."""

    # Also when built on its own: the refused value may be a password.
    model_config = ConfigDict(hide_input_in_errors=True)
    # The path the connector adds to base_url (a subclass sets it); None: no check.
    endpoint_path: ClassVar[str | None] = None

    base_url: str | None = None
    username: str | None = None
    password: SecretStr | None = None
    password_block: str | None = Field(
        default=None, description="name of a Prefect Secret block holding the password, "
        "instead of password",
    )  # fmt: skip
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
        return service_root(http_url(value, "base_url"), cls.endpoint_path)

    @model_validator(mode="after")
    def _secret_or_its_block(self) -> SystemSettings:
        for field, block_field in secret_block_fields(type(self)).items():
            block = getattr(self, block_field)
            if block is None:
                continue
            if getattr(self, field) is not None:
                raise ValueError(f"set {field} or {block_field}, not both")
            if not BLOCK_NAME.fullmatch(block):
                # Not shown: a password pasted into the wrong setting must not be printed.
                raise ValueError(
                    f"{block_field} is not a Prefect block name (lowercase letters, digits "
                    "and dashes)"
                )
        return self

    @property
    def enabled(self) -> bool:
        return bool(self.base_url)
